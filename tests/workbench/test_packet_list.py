"""The packet list in a tiny app: keys, mouse, selection, filter, a growing trace, and a million
rows that scroll without being decoded."""

from __future__ import annotations

import asyncio

import pytest
from scapy.layers.dns import DNS, DNSQR
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.l2 import ARP, Ether
from textual.app import App, ComposeResult

from stack.trace import FrameRecord
from workbench.widgets.packet_list import PacketList

PC, GW = "00:1b:21:3a:4f:64", "50:c7:bf:a1:00:01"
KINDS = [
    bytes(
        Ether(src=PC, dst="ff:ff:ff:ff:ff:ff")
        / ARP(hwsrc=PC, psrc="192.168.1.100", pdst="192.168.1.1")
    ),
    bytes(
        Ether(src=PC, dst=GW)
        / IP(src="192.168.1.100", dst="192.168.1.1")
        / ICMP(id=0x41E, seq=1)
        / bytes(56)
    ),
    bytes(
        Ether(src=PC, dst=GW)
        / IP(src="192.168.1.100", dst="8.8.8.8")
        / UDP(sport=40000, dport=53)
        / DNS(qd=DNSQR(qname="www.google.com"))
    ),
    bytes(
        Ether(src=PC, dst=GW)
        / IP(src="192.168.1.100", dst="172.194.72.105")
        / TCP(sport=40000, dport=80, flags="S")
    ),
    bytes(
        Ether(src=PC, dst=GW)
        / IP(src="192.168.1.100", dst="172.194.72.105")
        / TCP(sport=40000, dport=80, flags="PA")
        / b"GET / HTTP/1.1\r\nHost: www.google.com\r\n\r\n"
    ),
]


def make_frames(count: int, kinds: list[bytes] = KINDS) -> list[FrameRecord]:
    return [FrameRecord(i + 1, i * 0.001, "lan", "pc", kinds[i % len(kinds)]) for i in range(count)]


class ListApp(App):
    def __init__(self, frames) -> None:
        super().__init__()
        self.frames = frames
        self.selected: list[int] = []
        self.activated: list[int] = []
        self.progress: list[PacketList.FilterProgress] = []

    def compose(self) -> ComposeResult:
        yield PacketList(self.frames, id="packets")

    def on_packet_list_frame_selected(self, message: PacketList.FrameSelected) -> None:
        self.selected.append(message.frame_id)

    def on_packet_list_frame_activated(self, message: PacketList.FrameActivated) -> None:
        self.activated.append(message.frame_id)

    def on_packet_list_filter_progress(self, message: PacketList.FilterProgress) -> None:
        self.progress.append(message)


def text(packets: PacketList, y: int) -> str:
    return packets.render_line(y).text


async def test_rows_show_wiresharks_columns():
    app = ListApp(make_frames(5))
    async with app.run_test(size=(120, 10)) as pilot:
        packets = app.query_one(PacketList)
        await pilot.pause()
        header = text(packets, 0).split()
        assert header == [
            "No.",
            "Time",
            "Seg",
            "Source",
            "Destination",
            "Protocol",
            "Length",
            "Info",
        ]
        assert text(packets, 1).split()[:7] == [
            "1",
            "0.000000",
            "lan",
            "00:1b:21:3a:4f:64",
            "Broadcast",
            "ARP",
            "42",
        ]
        assert "Who has 192.168.1.1? Tell 192.168.1.100" in text(packets, 1)
        assert text(packets, 2).split()[3:6] == ["192.168.1.100", "192.168.1.1", "ICMP"]
        assert "HTTP" in text(packets, 5) and "GET / HTTP/1.1" in text(packets, 5)


async def test_time_is_the_lab_clock_and_seg_tells_copies_apart():
    """The Time column shows the trace's clock (as the event log and status bar do), not time
    since the first frame; Seg tells apart one DNS query seen on lan, transit and dnsnet."""
    query = KINDS[2]
    frames = [
        FrameRecord(7, 12.5, "lan", "pc", query),
        FrameRecord(8, 12.501, "transit", "gw-a", query),
        FrameRecord(9, 12.502, "dnsnet", "isp", query),
    ]
    app = ListApp(frames)
    async with app.run_test(size=(120, 10)) as pilot:
        packets = app.query_one(PacketList)
        await pilot.pause()
        rows = [text(packets, y).split()[:4] for y in (1, 2, 3)]
        assert rows == [
            ["7", "12.500000", "lan", "192.168.1.100"],
            ["8", "12.501000", "transit", "192.168.1.100"],
            ["9", "12.502000", "dnsnet", "192.168.1.100"],
        ]
        header = text(packets, 0)
        assert header.index("Seg") < header.index("Source")


async def test_narrow_list_keeps_every_column():
    app = ListApp(make_frames(5))
    async with app.run_test(size=(80, 10)) as pilot:
        packets = app.query_one(PacketList)
        await pilot.pause()
        assert text(packets, 0).split() == [
            "No.",
            "Time",
            "Seg",
            "Source",
            "Destination",
            "Proto",
            "Len",
            "Info",
        ]
        row = text(packets, 2)
        assert len(row) == 80 and "192.168.1.100" in row and "ICMP" in row and "Echo" in row
        # Seg at 80 cells too, and the addresses stay whole
        assert row.split()[2:5] == ["lan", "192.168.1.100", "192.168.1.1"]


@pytest.mark.parametrize("width", [78, 80, 90, 100, 120, 160])
async def test_seg_is_shown_at_every_width(width):
    frames = [FrameRecord(1, 3600.25, "transit", "gw-a", KINDS[2])]
    app = ListApp(frames)
    async with app.run_test(size=(width, 6)) as pilot:
        packets = app.query_one(PacketList)
        await pilot.pause()
        row = text(packets, 1)
        assert row.split()[:5] == ["1", "3600.250000", "transit", "192.168.1.100", "8.8.8.8"]
        assert "Standard query" in row


async def test_keys_move_the_cursor_and_announce_the_frame():
    app = ListApp(make_frames(50))
    async with app.run_test(size=(100, 12)) as pilot:
        packets = app.query_one(PacketList)
        packets.focus()
        await pilot.press("home")
        await pilot.press("down", "down")
        await pilot.pause()
        assert packets.selected_frame_id == 3
        assert app.selected == [1, 2, 3]
        await pilot.press("up")
        await pilot.press("pagedown")
        await pilot.pause()
        assert (
            packets.selected_frame_id == 2 + 11
        )  # a page is the rows on screen: 12 lines less the header
        await pilot.press("end")
        await pilot.pause()
        assert packets.selected_frame_id == 50 and packets.scroll_y == packets.max_scroll_y
        await pilot.press("pageup", "enter")
        await pilot.pause()
        assert app.activated == [packets.selected_frame_id]


async def test_click_selects_the_row_under_the_mouse():
    app = ListApp(make_frames(20))
    async with app.run_test(size=(100, 12)) as pilot:
        packets = app.query_one(PacketList)
        packets.scroll_to(y=5, animate=False)
        await pilot.pause()
        await pilot.click(PacketList, offset=(10, 3))  # header, then rows 6, 7, 8
        await pilot.pause()
        assert packets.selected_frame_id == 8 and app.selected[-1] == 8
        await pilot.click(PacketList, offset=(10, 0))  # the header selects nothing
        await pilot.pause()
        assert packets.selected_frame_id == 8


async def test_select_frame_scrolls_it_into_view():
    app = ListApp(make_frames(1000))
    async with app.run_test(size=(100, 12)) as pilot:
        packets = app.query_one(PacketList)
        await pilot.pause()
        assert packets.select_frame(700)
        await pilot.pause()
        assert packets.cursor_row == 699 and app.selected[-1] == 700
        assert packets.scroll_y <= 699 < packets.scroll_y + 10
        assert any(line.split()[0] == "700" for line in (text(packets, y) for y in range(1, 11)))
        assert not packets.select_frame(5000)


async def test_filter_narrows_rows_and_clearing_it_keeps_the_selection():
    app = ListApp(make_frames(100))
    async with app.run_test(size=(100, 12)) as pilot:
        packets = app.query_one(PacketList)
        packets.select_frame(43)
        await pilot.pause()
        assert packets.set_filter("icmp or arp") is None
        await pilot.pause()
        assert packets.row_count == 40 and packets.filter_text == "icmp or arp"
        protocols = {text(packets, y).split()[5] for y in range(1, 11)}  # after Seg and addresses
        assert protocols == {"ARP", "ICMP"}
        assert packets.selected_frame_id is None  # frame 43 is DNS: filtered out
        assert "40 of 100 shown" in text(packets, 0)
        assert packets.set_filter("tcp.port == 80 and not http") is None
        await pilot.pause()
        assert packets.row_count == 20
        assert packets.set_filter("") is None
        await pilot.pause()
        assert packets.row_count == 100 and packets.selected_frame_id == 43


async def test_a_bad_filter_is_one_sentence_and_changes_nothing():
    app = ListApp(make_frames(10))
    async with app.run_test(size=(100, 12)) as pilot:
        packets = app.query_one(PacketList)
        assert packets.set_filter("arp") is None
        await pilot.pause()
        problem = packets.set_filter("tcp.prot == 80")
        assert (
            problem == "unknown protocol or field 'tcp.prot' at column 1 (did you mean tcp.port?)"
        )
        assert packets.filter_text == "arp" and packets.row_count == 2


async def test_growing_trace_follows_the_tail_only_from_the_tail():
    frames = make_frames(30)
    app = ListApp(frames)
    async with app.run_test(size=(100, 12)) as pilot:
        packets = app.query_one(PacketList)
        await pilot.press("end")
        await pilot.pause()
        assert packets.selected_frame_id == 30
        frames.extend(
            FrameRecord(i + 1, i * 0.001, "lan", "pc", KINDS[i % 5]) for i in range(30, 45)
        )
        packets.refresh_rows()
        await pilot.pause()
        assert packets.selected_frame_id == 45 and app.selected[-1] == 45
        assert packets.scroll_y == packets.max_scroll_y
        await pilot.press("up", "up")
        frames.extend(
            FrameRecord(i + 1, i * 0.001, "lan", "pc", KINDS[i % 5]) for i in range(45, 60)
        )
        packets.refresh_rows()
        await pilot.pause()
        assert packets.selected_frame_id == 43 and packets.row_count == 60


async def test_growing_trace_is_filtered_as_it_grows():
    frames = make_frames(10)
    app = ListApp(frames)
    async with app.run_test(size=(100, 12)) as pilot:
        packets = app.query_one(PacketList)
        packets.set_filter("arp")
        await pilot.pause()
        assert packets.row_count == 2
        frames.extend(
            FrameRecord(i + 1, i * 0.001, "lan", "pc", KINDS[i % 5]) for i in range(10, 20)
        )
        packets.refresh_rows()
        await pilot.pause()
        assert packets.row_count == 4


async def test_a_million_rows_scroll_without_decoding_them():
    frames = make_frames(1_000_000)
    app = ListApp(frames)
    async with app.run_test(size=(120, 30)) as pilot:
        packets = app.query_one(PacketList)
        packets.focus()
        await pilot.pause()
        assert packets.virtual_size.height == 1_000_001
        for _ in range(10):
            await pilot.press("pagedown")
        await pilot.press("end")
        await pilot.pause()
        assert packets.selected_frame_id == 1_000_000
        assert text(packets, 29).split()[0] == "1000000"  # the last of 29 rows under the header
        packets.select_frame(500_000)
        await pilot.pause()
        for _ in range(20):
            await pilot.press("down")
        await pilot.pause()
        # 11 screens of 29 rows, the last screen and one around frame 500,000 (+20): a few
        # hundred rows decoded at most, not a million.
        assert packets.rows.decodes < 600


async def test_a_long_filter_runs_in_a_worker_and_reports_progress():
    frames = make_frames(60_000)
    app = ListApp(frames)
    async with app.run_test(size=(100, 12)) as pilot:
        packets = app.query_one(PacketList)
        packets.select_frame(
            59_997
        )  # ICMP (the kinds cycle ARP, ICMP, DNS, TCP, HTTP from frame 1)
        await pilot.pause()
        assert packets.set_filter("icmp") is None
        assert packets.filtering
        for _ in range(600):
            if not packets.filtering:
                break
            await asyncio.sleep(0.05)
        await pilot.pause()
        assert not packets.filtering and packets.row_count == 12_000
        assert app.progress[-1].done and app.progress[-1].matched == 12_000
        assert any(not p.done for p in app.progress)
        assert packets.selected_frame_id == 59_997  # the cursor found its frame again
        assert packets.cursor_row == 11_999


@pytest.mark.parametrize("kind", ["arp", "icmp", "dns", "tcp", "http", "malformed", "bad-checksum"])
async def test_rows_carry_their_protocol_colour(kind):
    cut = KINDS[1][:30]
    corrupt = bytearray(KINDS[3])
    corrupt[-1] ^= 0x40  # a bit flipped in the TCP header: its checksum no longer adds up
    frames = make_frames(5) + [
        FrameRecord(6, 0.006, "lan", "pc", cut),
        FrameRecord(7, 0.007, "lan", "pc", bytes(corrupt)),
    ]
    app = ListApp(frames)
    async with app.run_test(size=(100, 10)) as pilot:
        packets = app.query_one(PacketList)
        await pilot.pause()
        row = {
            "arp": 1,
            "icmp": 2,
            "dns": 3,
            "tcp": 4,
            "http": 5,
            "malformed": 6,
            "bad-checksum": 7,
        }[kind]
        style = packets.render_line(row)._segments[0].style
        assert style == packets.get_component_rich_style(f"packet-list--{kind}")


async def test_an_emptied_trace_starts_the_list_again():
    frames = make_frames(30)
    app = ListApp(frames)
    async with app.run_test(size=(100, 12)) as pilot:
        packets = app.query_one(PacketList)
        packets.set_filter("icmp")
        packets.select_frame(7)
        await pilot.pause()
        frames.clear()
        packets.refresh_rows()
        await pilot.pause()
        assert packets.row_count == 0 and packets.selected_frame_id is None
        frames.extend(make_frames(10))
        packets.refresh_rows()
        await pilot.pause()
        assert packets.row_count == 2 and packets.filter_text == "icmp"
