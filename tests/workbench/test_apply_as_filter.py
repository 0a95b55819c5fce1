"""Apply as Filter, as Wireshark's: `a` on a field of the dissector's tree puts `field == value`
into the filter bar and applies it, `A` puts it there to edit first. The text is what tshark
accepts and holds true of the frame it came from, and the list narrows to the frames tshark's
own filter picks."""

from __future__ import annotations

import subprocess

from capture_app import SMALL, filtered, make_capture_app, read_whole_file
from snapshot_app import WIDE, make_app, run_command, settle, steps

from stack.writers.pcap import PcapWriter
from tests.conftest import needs_tool
from workbench.dissect.capture import read_capture
from workbench.dissect.tree import dissect_record
from workbench.widgets.dissector import GROUPING_LINE, NO_FIELD, Dissector
from workbench.widgets.packet_list import PacketList

# As the app's tree shows a frame on its own: absolute sequence numbers, checksums verified.
TSHARK_AS_THE_TREE = (
    "-o",
    "tcp.relative_sequence_numbers:FALSE",
    "-o",
    "ip.check_checksum:TRUE",
    "-o",
    "udp.check_checksum:TRUE",
    "-o",
    "tcp.check_checksum:TRUE",
)


def tshark_frames(path, display_filter: str, *options: str) -> list[int]:
    done = subprocess.run(
        [
            "tshark",
            "-r",
            str(path),
            *options,
            "-Y",
            display_filter,
            "-T",
            "fields",
            "-e",
            "frame.number",
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, (
        f"tshark refused {display_filter!r}: {done.stderr.strip().splitlines()[-1:]}"
    )
    return [int(n) for n in done.stdout.split()]


def shown_frames(app) -> list[int]:
    packets = app.screen.query_one(PacketList)
    return [packets.frames[i].id for i in packets.shown_indices()]


async def on_field(pilot, frame: int, name: str) -> None:
    """Select `frame` in the list and put the tree's cursor on its field `name`."""
    screen = pilot.app.screen
    assert screen.query_one(PacketList).select_frame(frame)
    await pilot.pause()
    dissector = screen.query_one(Dissector)
    field = dissector.dissection.find(name)
    assert field is not None, name
    dissector.select_field(field)
    await pilot.pause()


@needs_tool("tshark")
def test_every_line_of_the_tree_applies_as_a_filter_tshark_holds(small_capture):
    """For the first frames (ARP, DNS query and answer, a TCP handshake, an HTTP GET, ping),
    every line's filter — address, port, flag, string, bytes, hex, layer — is one tshark
    accepts and finds true of that very frame (one tshark run a frame: all of them and-ed)."""
    protocols = subprocess.run(
        ["tshark", "-r", str(small_capture), "-c", "16", "-T", "fields", "-e", "frame.protocols"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    checked, kinds = 0, set()
    for record in list(read_capture(str(small_capture)))[:16]:
        dissection = dissect_record(record)
        ours = (
            dissection.find("frame.protocols")
            .label.removeprefix("[Protocols in frame: ")
            .rstrip("]")
        )
        if ours != protocols[record.id - 1]:
            # dissect_record reads a frame alone, where tshark reassembles HTTP over segments
            # (the capture screen's tree with state across frames: test_capture_screen_state.py)
            continue
        # frame.time_relative is left out: the tree shows the capture's own (absolute) time under it
        filters = list(
            dict.fromkeys(
                node.filter
                for node, _path in dissection.walk()
                if node.filter and node.name != "frame.time_relative"
            )
        )
        assert len(filters) > 20
        every = " && ".join(f"({f})" for f in filters)
        assert tshark_frames(
            small_capture, f"frame.number == {record.id} && {every}", *TSHARK_AS_THE_TREE
        ) == [record.id]
        checked += 1
        kinds.update(ours.split(":"))
    assert checked >= 12 and {"arp", "dns", "tcp", "http", "icmp"} <= kinds


@needs_tool("tshark")
def test_quotes_backslashes_and_control_bytes_are_escaped_as_tshark_reads_them(tmp_path):
    from scapy.layers.inet import IP, TCP
    from scapy.layers.l2 import Ether
    from scapy.utils import wrpcap

    request = b'GET /a"b\\c\x01d\te HTTP/1.1\r\nHost: ex"ample\r\n\r\n'
    path = tmp_path / "odd.pcap"
    wrpcap(
        str(path),
        [
            Ether()
            / IP(src="192.0.2.1", dst="192.0.2.2")
            / TCP(sport=40000, dport=80, flags="PA")
            / request
        ],
    )
    dissection = dissect_record(next(iter(read_capture(str(path)))))
    uri = dissection.find("http.request.uri").filter
    assert uri == r'http.request.uri == "/a\"b\\c\x01d\x09e"'
    for text in (uri, dissection.find("http.host").filter, dissection.find("tcp.payload").filter):
        assert tshark_frames(path, text) == [1], text


@needs_tool("tshark")
async def test_a_applies_the_field_and_the_list_narrows_as_tsharks_filter(small_capture):
    """a on a DNS query's name, an HTTP method, the SYN flag, an IPv4 source and the ARP layer:
    the filter bar holds `field == value`, the list shows exactly the frames tshark picks, and
    the status bar and the pane's title say which filter."""
    app = make_capture_app(small_capture)
    cases = [
        (3, "dns.qry.name", 'dns.qry.name == "www.google.com"'),
        (8, "http.request.method", 'http.request.method == "GET"'),
        (5, "tcp.flags.syn", "tcp.flags.syn == 1"),
        (15, "ip.src", "ip.src == 192.168.1.100"),
        (1, "eth.type", "eth.type == 0x0806"),
        (1, "arp", "arp"),
    ]
    async with app.run_test(size=WIDE) as pilot:
        await read_whole_file(pilot)
        for frame, name, expected in cases:
            await on_field(pilot, frame, name)
            await pilot.press("a")
            await read_whole_file(pilot)
            assert app.screen.query_one("#filter-input").value == expected
            assert not app.screen.query_one("#filter-bar").display  # applied, and closed
            shown = shown_frames(app)
            assert (
                shown == tshark_frames(small_capture, expected)
                and frame in shown
                and len(shown) < SMALL
            ), expected
            assert expected in str(app.screen.query_one("#capture-status").render())
            await filtered(pilot, "")  # clear, for the next case
            await read_whole_file(pilot)
            assert len(shown_frames(app)) == SMALL


@needs_tool("tshark")
async def test_A_prepares_the_filter_to_edit_first(small_capture):
    """A on the UDP destination port: the bar opens with `udp.dstport == 53` under the cursor
    and the list is not filtered yet; the person adds to it and Enter applies it."""
    app = make_capture_app(small_capture)
    async with app.run_test(size=WIDE) as pilot:
        await read_whole_file(pilot)
        await on_field(pilot, 3, "udp.dstport")
        await pilot.press("A")
        await pilot.pause()
        field = app.screen.query_one("#filter-input")
        assert field.value == "udp.dstport == 53" and field.has_focus
        assert len(shown_frames(app)) == SMALL
        await pilot.press(*" && dns.flags.response == 0", "enter")
        await read_whole_file(pilot)
        expected = "udp.dstport == 53 && dns.flags.response == 0"
        assert app.screen.query_one(PacketList).filter_text == expected
        assert shown_frames(app) == tshark_frames(small_capture, expected)


async def test_a_without_a_field_or_on_a_grouping_line_says_why(small_capture):
    """No frame chosen yet: one sentence. A DNS query's line (the name, type and class under it)
    has no filter name of its own, as in Wireshark: one sentence, and the list stays whole."""
    app = make_capture_app(small_capture)
    async with app.run_test(size=WIDE, notifications=True) as pilot:
        await read_whole_file(pilot)
        await pilot.press("a")
        await pilot.pause()
        await on_field(pilot, 3, "dns.qry")
        await pilot.press("a")
        await pilot.pause()
        assert [n.message for n in app._notifications] == [NO_FIELD, GROUPING_LINE]
        assert not app.screen.query_one("#filter-bar").display and len(shown_frames(app)) == SMALL


@needs_tool("tshark")
async def test_a_in_a_lab_narrows_its_packet_list_as_tshark_would(tmp_path):
    """In a running lab too: after pc pings www, a on frame 3's IPv4 destination gives
    `ip.dst == 172.194.72.105`, and the list holds the frames tshark picks from the same frames."""
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await run_command(pilot, "pc: ping 172.194.72.105 -c 2")
        await steps(pilot, 60)
        await settle(pilot)
        session = app.session
        await on_field(pilot, 3, "ip.dst")
        await pilot.press("a")
        await settle(pilot)
        assert app.screen.query_one("#filter-input").value == "ip.dst == 172.194.72.105"
        path = tmp_path / "lab.pcap"
        with open(path, "wb") as out:
            writer = PcapWriter(out, session.trace)
            for frame_id in range(1, session.frame_count() + 1):
                record = session.frame(frame_id)
                writer.write(record.time, record.data)
        packets = app.screen.query_one(PacketList)
        shown = [packets.frames[i].id for i in packets.shown_indices()]
        assert (
            shown == tshark_frames(path, "ip.dst == 172.194.72.105")
            and 3 in shown
            and len(shown) < session.frame_count()
        )


async def test_the_capture_screens_keys_are_explained_in_chinese(small_capture):
    """`workbench --lang zh open FILE` (or L, then o): every key in the capture screen's help,
    Apply as Filter and the keys that need a lab among them, has its Chinese words."""
    from workbench import i18n
    from workbench.app import WorkbenchApp
    from workbench.capture_session import CaptureSession

    app = WorkbenchApp(
        None, cursor_blink=False, capture=CaptureSession.open(str(small_capture)), lang="zh"
    )
    try:
        async with app.run_test(size=WIDE) as pilot:
            await read_whole_file(pilot)
            await pilot.press("question_mark")
            await pilot.pause()
            rows = dict((d, k) for k, d in app.screen.rows)
            untranslated = [d for d in rows if not any("\u4e00" <= ch <= "\u9fff" for ch in d)]
            assert not untranslated
            assert rows["作为过滤器应用：协议树中所选的字段（字段 == 值）"] == "a"
    finally:
        i18n.set_language("en")
