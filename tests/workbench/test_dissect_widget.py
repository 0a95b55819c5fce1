"""The dissector in a tiny app: a field selected lights its bytes, a byte selected (by key or
click) selects the smallest field that holds it, malformed bytes are marked."""

from __future__ import annotations

import pytest
from scapy.layers.inet import ICMP, IP, TCP
from scapy.layers.l2 import Ether
from textual.app import App, ComposeResult

from stack.trace import FrameRecord
from workbench.widgets.dissector import Dissector
from workbench.widgets.field_tree import FieldTree
from workbench.widgets.hex_view import HexView, line_width

PC, GW = "00:1b:21:3a:4f:64", "50:c7:bf:a1:00:01"
PING = bytes(
    Ether(src=PC, dst=GW)
    / IP(src="192.168.1.100", dst="192.168.1.1", ttl=64, flags="DF")
    / ICMP(id=0x41E, seq=1)
    / bytes(range(56))
)
SYN = bytes(
    Ether(src=PC, dst=GW)
    / IP(src="192.168.1.100", dst="172.194.72.105")
    / TCP(sport=40000, dport=80, flags="S")
)


class DissectorApp(App):
    def __init__(self) -> None:
        super().__init__()
        self.fields: list = []

    def compose(self) -> ComposeResult:
        yield Dissector(id="dissector", preload=False)

    def on_dissector_field_selected(self, message: Dissector.FieldSelected) -> None:
        self.fields.append(message.field)


def record(data: bytes, frame_id: int = 3) -> FrameRecord:
    return FrameRecord(frame_id, 0.00011, "lan", "pc", data)


async def test_selecting_a_field_lights_its_bytes():
    app = DissectorApp()
    async with app.run_test(size=(140, 40)) as pilot:
        dissector = app.query_one(Dissector)
        dissector.show_frame(record(PING))
        await pilot.pause()
        ttl = dissector.dissection.find("ip.ttl")
        dissector.select_field(ttl)
        await pilot.pause()
        tree = app.query_one(FieldTree)
        assert tree.cursor_node.data is ttl
        assert app.query_one(HexView).highlighted == (22, 23)
        assert app.fields[-1] is ttl
        dissector.select_field(dissector.dissection.find("ip.src"))
        await pilot.pause()
        assert app.query_one(HexView).highlighted == (26, 30)


async def test_moving_through_the_tree_moves_the_light():
    app = DissectorApp()
    async with app.run_test(size=(140, 40)) as pilot:
        dissector = app.query_one(Dissector)
        dissector.show_frame(record(PING))
        dissector.select_field(dissector.dissection.find("ip.ttl"))
        await pilot.pause()
        app.query_one(FieldTree).focus()
        await pilot.press("down")
        await pilot.pause()
        assert app.query_one(FieldTree).cursor_node.data.name == "ip.proto"
        assert app.query_one(HexView).highlighted == (23, 24)


async def test_selecting_a_byte_selects_the_smallest_field():
    app = DissectorApp()
    async with app.run_test(size=(140, 40)) as pilot:
        dissector = app.query_one(Dissector)
        dissector.show_frame(record(PING))
        await pilot.pause()
        hex_view = app.query_one(HexView)
        hex_view.focus()
        hex_view.move_cursor(22)
        await pilot.pause()
        assert app.query_one(FieldTree).cursor_node.data.name == "ip.ttl"
        assert hex_view.highlighted == (22, 23)
        await pilot.press(
            "left", "left"
        )  # byte 20: one of the flag bits, smaller than flags or frag
        await pilot.pause()
        assert app.query_one(FieldTree).cursor_node.data.name.startswith("ip.flags.")
        await pilot.press("down")  # 16 bytes on: byte 36, the ICMP checksum
        await pilot.pause()
        node = app.query_one(FieldTree).cursor_node.data
        assert (
            node.name == "icmp.checksum"
            and node.byte_range == (36, 38)
            and "[correct]" in node.label
        )


async def test_clicking_a_byte_in_hex_or_ascii_selects_its_field():
    app = DissectorApp()
    async with app.run_test(size=(140, 40)) as pilot:
        dissector = app.query_one(Dissector)
        dissector.show_frame(record(PING))
        await pilot.pause()
        hex_view = app.query_one(HexView)
        assert hex_view.per_line == 16
        # Line 1 (bytes 16-31), byte 22 is the 7th: hex column 6 + 6 * 3 = 24.
        await pilot.click(HexView, offset=(hex_view.gutter.left + 24, 1))
        await pilot.pause()
        assert hex_view.cursor == 22
        assert app.query_one(FieldTree).cursor_node.data.name == "ip.ttl"
        # The ASCII side: byte 30 (IP dst) is at 6 + 49 + 2 + 14 = 71 on line 1.
        await pilot.click(HexView, offset=(hex_view.gutter.left + 71, 1))
        await pilot.pause()
        assert hex_view.cursor == 30
        assert app.query_one(FieldTree).cursor_node.data.name == "ip.dst"
        assert hex_view.highlighted == (30, 34)


async def test_the_same_field_stays_selected_on_the_next_frame():
    app = DissectorApp()
    async with app.run_test(size=(140, 40)) as pilot:
        dissector = app.query_one(Dissector)
        dissector.show_frame(record(PING))
        dissector.select_field(dissector.dissection.find("ip.dst"))
        await pilot.pause()
        dissector.show_frame(record(SYN, 4))
        await pilot.pause()
        assert app.query_one(FieldTree).cursor_node.data is dissector.dissection.find("ip.dst")
        assert app.query_one(HexView).highlighted == (30, 34)


async def test_malformed_frames_show_where_decoding_stopped():
    app = DissectorApp()
    async with app.run_test(size=(140, 40)) as pilot:
        dissector = app.query_one(Dissector)
        bad = bytearray(PING)
        bad[14] = 0x43  # an IPv4 header of 3 words: shorter than the 20 bytes it must have
        dissector.show_frame(record(bytes(bad)))
        await pilot.pause()
        labels = [node.label for node, _ in dissector.dissection.walk()]
        assert any(
            label.startswith(
                "[Malformed Packet: IPv4 ip.hdr_len at byte 14: Bogus IP header length (12"
            )
            for label in labels
        )
        assert app.query_one(HexView).undecoded == (14, len(PING))
        line = app.query_one(HexView).render_line(1)
        undecoded = app.query_one(HexView).get_component_rich_style("hex-view--undecoded")
        assert any(seg.style == undecoded for seg in line._segments)


async def test_no_frame_shows_nothing():
    app = DissectorApp()
    async with app.run_test(size=(100, 20)) as pilot:
        dissector = app.query_one(Dissector)
        dissector.show_frame(record(PING))
        await pilot.pause()
        dissector.show_frame(None)
        await pilot.pause()
        assert dissector.dissection is None and not app.query_one(FieldTree).root.children
        assert app.query_one(HexView).render_line(0).text.startswith("(no frame)")


async def test_narrow_panes_stack_the_hex_view_under_the_tree():
    app = DissectorApp()
    async with app.run_test(size=(80, 24)) as pilot:
        dissector = app.query_one(Dissector)
        dissector.show_frame(record(PING))
        await pilot.pause()
        assert dissector.has_class("-narrow")
        hex_view, tree = app.query_one(HexView), app.query_one(FieldTree)
        assert hex_view.region.y > tree.region.y and hex_view.per_line == 16


BIG = bytes(
    Ether(src=PC, dst=GW)
    / IP(src="192.168.1.100", dst="172.194.72.105")
    / TCP(sport=40000, dport=80, flags="PA", seq=1001, ack=5001)
    / bytes(1400)
)


@pytest.mark.parametrize(
    ("size", "per_line", "tree_at_least"),
    [
        ((120, 40), 8, 70),  # 16 a line would leave the tree 45 columns: 8, and the tree the rest
        ((160, 48), 16, 80),  # room for both: 16 a line at the hex view's natural width
        ((200, 48), 16, 120),
    ],
)
async def test_hex_view_takes_its_natural_width_and_the_tree_the_rest(
    size, per_line, tree_at_least
):
    """A large frame (it scrolls) still fills its hex lines, and the tree gets what is left."""
    app = DissectorApp()
    async with app.run_test(size=size) as pilot:
        dissector = app.query_one(Dissector)
        dissector.show_frame(record(BIG))
        await pilot.pause()
        hex_view, tree = dissector.hex_view, dissector.field_tree
        assert hex_view.per_line == per_line
        assert hex_view.max_scroll_y > 0  # a scrollbar is showing
        assert tree.size.width >= tree_at_least
        assert tree.size.width + hex_view.outer_size.width == size[0]
        # the hex view has no empty columns: its widest line fills it
        assert hex_view.scrollable_content_region.width - line_width(per_line) <= 1
        tcp = dissector.dissection.nodes[3]
        assert tcp.label.startswith("Transmission Control Protocol")


async def test_narrow_dissector_stacks_the_hex_view_under_the_tree():
    app = DissectorApp()
    async with app.run_test(size=(100, 40)) as pilot:
        dissector = app.query_one(Dissector)
        dissector.show_frame(record(BIG))
        await pilot.pause()
        assert dissector.has_class("-narrow")
        assert dissector.field_tree.size.width == 100
        assert dissector.hex_view.per_line == 16


async def test_a_reassembled_message_shows_its_own_bytes_as_wiresharks_tab(tmp_path):
    """The segment completing an HTTP response of two: its HTTP lines point into the message's
    reassembled bytes, which the hex view shows (and the pane names) when one is selected;
    a line of the frame's own brings the frame's bytes back."""
    from scapy.utils import wrpcap

    from workbench.dissect.capture import read_capture
    from workbench.dissect.capture_state import CaptureState

    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\n"

    def segment(seq: int, payload: bytes):
        return (
            Ether(src=GW, dst=PC)
            / IP(src="172.194.72.105", dst="192.168.1.100")
            / TCP(sport=80, dport=40000, flags="PA", seq=seq, ack=1)
            / payload
        )

    path = tmp_path / "two.pcap"
    wrpcap(str(path), [segment(1, head), segment(1 + len(head), b"0123456789")])
    state = CaptureState()
    frames = [(frame, state.step(frame)) for frame in read_capture(str(path))]
    last, notes = frames[-1]
    app = DissectorApp()
    async with app.run_test(size=(140, 40)) as pilot:
        dissector = app.query_one(Dissector)
        dissector.show_frame(last, notes)
        await pilot.pause()
        hex_view = app.query_one(HexView)
        assert hex_view.data == bytes(last.data)
        body = dissector.dissection.find("http.file_data")
        dissector.select_field(body)
        await pilot.pause()
        assert hex_view.data == head + b"0123456789"
        assert hex_view.highlighted == (len(head), len(head) + 10)
        assert f"Reassembled TCP ({len(head) + 10} bytes)" in str(dissector.parent.border_subtitle)
        assert dissector.select_byte(0).name == "http.response.version"
        dissector.select_field(dissector.dissection.find("tcp.srcport"))
        await pilot.pause()
        assert hex_view.data == bytes(last.data)
        assert "Frame (64 bytes)" in str(dissector.parent.border_subtitle)
