"""Snapshots of the dissector: a field selected in the tree and lit in the bytes, wide and narrow.

Review a changed SVG as a picture (rsvg-convert) before accepting it with --snapshot-update.
"""

from __future__ import annotations

from scapy.layers.dns import DNS, DNSQR, DNSRR
from scapy.layers.inet import ICMP, IP, UDP
from scapy.layers.l2 import Ether
from textual.app import App, ComposeResult

from stack.trace import FrameRecord
from workbench.widgets.dissector import Dissector

PC, GW = "00:1b:21:3a:4f:64", "50:c7:bf:a1:00:01"
PING = FrameRecord(
    3,
    0.00011,
    "lan",
    "pc",
    bytes(
        Ether(src=PC, dst=GW)
        / IP(src="192.168.1.100", dst="192.168.1.1", flags="DF")
        / ICMP(id=0x41E, seq=1)
        / bytes(range(56))
    ),
)
ANSWER = FrameRecord(
    12,
    0.000614,
    "lan",
    "dns",
    bytes(
        Ether(src=GW, dst=PC)
        / IP(src="8.8.8.8", dst="192.168.1.100")
        / UDP(sport=53, dport=40000)
        / DNS(
            id=0x6894,
            qr=1,
            qd=DNSQR(qname="www.google.com"),
            an=DNSRR(rrname="www.google.com", rdata="172.194.72.105"),
        ).compress()
    ),
)


class DissectorApp(App):
    def __init__(self, record: FrameRecord, field: str) -> None:
        super().__init__()
        self.record, self.field = record, field

    def compose(self) -> ComposeResult:
        yield Dissector(id="dissector", preload=False)

    def on_mount(self) -> None:
        dissector = self.query_one(Dissector)
        dissector.show_frame(self.record)
        dissector.select_field(dissector.dissection.find(self.field))
        dissector.field_tree.focus()


class TestDissector:
    def test_ttl_selected_wide(self, snap_compare):
        """A ping's IPv4 TTL selected: the tree open at IP, byte 22 lit, checksums [correct]."""
        assert snap_compare(DissectorApp(PING, "ip.ttl"), terminal_size=(130, 36))

    def test_dns_answer_name_narrow(self, snap_compare):
        """At 80×24 the hex view stacks under the tree; a compressed answer name is 2 bytes lit."""
        assert snap_compare(DissectorApp(ANSWER, "dns.resp.name"), terminal_size=(80, 24))
