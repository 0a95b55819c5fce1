"""The craft language: what it accepts builds what scapy builds; what it refuses is refused in
one sentence, and nothing typed is ever evaluated."""

from __future__ import annotations

import pytest
from scapy.layers.dns import DNS, DNSQR
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.l2 import ARP, Ether

from workbench.craft.expression import ExpressionError, build, from_packet, parse, render, to_bytes
from workbench.craft.textfile import load, save


def crafted(text: str) -> bytes:
    return to_bytes(build(parse(text)))


@pytest.mark.parametrize(
    ("text", "scapy_packet"),
    [
        (
            'Ether(dst="ff:ff:ff:ff:ff:ff", src="00:1c:b3:77:20:66")/ARP(op=2, hwsrc="00:1c:b3:77:20:66", psrc="192.168.1.1", pdst="192.168.1.1")',
            Ether(dst="ff:ff:ff:ff:ff:ff", src="00:1c:b3:77:20:66")
            / ARP(op=2, hwsrc="00:1c:b3:77:20:66", psrc="192.168.1.1", pdst="192.168.1.1"),
        ),
        (
            'IP(src="10.0.0.1", dst="10.0.0.2", ttl=0x3, id=-0)/TCP(sport=1, dport=81, flags="SA", seq=4294967295)',
            IP(src="10.0.0.1", dst="10.0.0.2", ttl=3, id=0)
            / TCP(sport=1, dport=81, flags="SA", seq=4294967295),
        ),
        (
            'IP(src="10.0.0.1", dst="8.8.8.8")/UDP(sport=3, dport=53)/DNS(id=7, qd=DNSQR(qname="a.example", qtype=28))',
            IP(src="10.0.0.1", dst="8.8.8.8")
            / UDP(sport=3, dport=53)
            / DNS(id=7, qd=DNSQR(qname="a.example", qtype=28)),
        ),
        (
            'IP(src="1.1.1.1", dst="2.2.2.2", options=[])/ICMP()/"payload"',
            IP(src="1.1.1.1", dst="2.2.2.2") / ICMP() / b"payload",
        ),
        (
            "IP(src='1.1.1.1', dst='2.2.2.2', flags=\"DF\")/UDP()/Raw(b'\\x00\\xff')",
            IP(src="1.1.1.1", dst="2.2.2.2", flags="DF") / UDP() / b"\x00\xff",
        ),
    ],
)
def test_accepted_expressions_build_what_scapy_builds(text, scapy_packet):
    assert crafted(text) == bytes(scapy_packet)


def test_a_captured_frame_reads_back_as_an_expression_that_builds_the_same_bytes():
    frame = bytes(
        Ether(dst="50:c7:bf:a1:00:01", src="00:1b:21:3a:4f:64")
        / IP(src="192.168.1.100", dst="8.8.8.8", id=9)
        / UDP(sport=40123, dport=53)
        / DNS(id=0xBEEF, rd=1, qd=DNSQR(qname="www.google.com"))
    )
    layers = from_packet(Ether(frame))
    text = render(layers)
    assert [layer.name for layer in layers] == ["Ether", "IP", "UDP", "DNS"]
    assert "chksum" not in text and "len=" not in text  # computed afresh when edited
    assert crafted(text) == frame
    edited = text.replace("www.google.com", "mail.google.com")
    again = Ether(crafted(edited))
    assert again[DNSQR].qname == b"mail.google.com." and again[DNS].id == 0xBEEF


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("__import__('os').system('id')", "attribute access"),
        ("__import__('os')", "__import__ is not a layer scapy knows"),
        ("open('/etc/passwd')", "open is not a layer scapy knows"),
        ("eval('1')", "eval is not a layer scapy knows"),
        ("Ether().__class__", "attribute access"),
        ("IP(dst=Ether.__dict__)", "attribute access"),
        ("IP()[TCP]", "subscripts"),
        ("(lambda: 1)()", "is not a layer"),
        ("IP(dst=lambda: 1)", "lambda cannot be used here"),
        ("IP(dst=[x for x in 'ab'])", "comprehensions cannot be used here"),
        ("IP(dst=x)", "x is not a value"),
        ("IP(ttl=1+1)", "arithmetic (+) is not allowed"),
        ("IP()+TCP()", "only / joins layers"),
        ("IP(**{'dst': '1.2.3.4'})", "**… is not allowed"),
        ("IP(b'E')", "takes field=value arguments"),
        ("IP(dst=f'{1}')", "f-strings cannot be used here"),
        ("IP(nope=1)", "IP has no field 'nope'"),
        ("Nope()", "Nope is not a layer scapy knows"),
        ("IP(dst=", "cannot read the expression"),
        ("", "the expression is empty"),
        ("IP(dst='1.2.3.4') if True else 0", "conditional expressions cannot be used here"),
    ],
)
def test_hostile_and_wrong_expressions_are_refused_in_one_sentence(text, words):
    with pytest.raises(ExpressionError) as caught:
        parse(text)
    message = str(caught.value)
    assert words in message
    assert "\n" not in message and "Traceback" not in message


def test_nothing_typed_is_evaluated(tmp_path, monkeypatch):
    canary = tmp_path / "canary"
    with pytest.raises(ExpressionError):
        parse(f"__import__('pathlib').Path('{canary}').touch()")
    with pytest.raises(ExpressionError):
        parse(f"IP(dst=open('{canary}', 'w'))")
    assert not canary.exists()


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (
            'IP(dst="www.example.com")',
            "IP dst 'www.example.com' is not an IPv4 address",
        ),  # scapy would ask this machine's DNS
        ('Ether(src="pc3")', "Ether src 'pc3' is not a MAC address"),
        ('ARP(psrc="1.2.3")', "ARP psrc '1.2.3' is not an IPv4 address"),
    ],
)
def test_addresses_are_literals_never_looked_up(text, words):
    with pytest.raises(ExpressionError) as caught:
        build(parse(text))
    assert words in str(caught.value) and "\n" not in str(caught.value)


def test_a_value_scapy_cannot_build_is_one_sentence():
    with pytest.raises(ExpressionError, match=r"^cannot build ") as caught:
        crafted('IP(src="1.1.1.1", dst="2.2.2.2", ttl=300)')
    assert "\n" not in str(caught.value)


def test_crafted_packets_save_to_and_load_from_a_readable_text_file(tmp_path):
    path = tmp_path / "poison.txt"
    texts = [
        'Ether(dst="ff:ff:ff:ff:ff:ff")/ARP(op=2, psrc="192.168.1.1", pdst="192.168.1.1")',
        'IP(dst="8.8.8.8")/UDP(dport=53)',
    ]
    save(str(path), texts)
    written = path.read_text()
    assert texts[0] in written and written.startswith("#")
    assert load(str(path)) == texts
    path.write_text("# one bad line\nIP()\n__import__('os')\n")
    with pytest.raises(ExpressionError, match="line 3: __import__ is not a layer"):
        load(str(path))


@pytest.mark.parametrize(
    "text",
    [
        'Ether()/IP(dst="8.8.8.8")/ICMP()',
        "Ether()/IP()/ICMP()",
        'Ether()/ARP(pdst="10.9.9.9")',
        'Ether()/IPv6(dst="2001:db8::1")/ICMPv6EchoRequest()',
    ],
)
def test_a_missing_ether_dst_is_never_asked_of_this_machines_network(text, monkeypatch):
    """Scapy would fill it with an ARP request (or neighbour solicitation) out of a real
    interface; crafting leaves it broadcast and sends nothing (the lab fills it before sending)."""
    import sys

    import scapy.layers.inet6  # noqa: F401  (its resolver is the one that sends a solicitation)

    tried = []

    def no_traffic(*args, **kwargs):  # scapy swallows an exception here: record, answer nothing
        tried.append(args)
        return None

    for module in [m for name, m in sys.modules.items() if name.startswith("scapy.")]:
        for name in ("srp1", "srp", "sr1", "sr", "sendp", "send"):
            if hasattr(module, name):
                monkeypatch.setattr(module, name, no_traffic)
    assert crafted(text)[:6] == b"\xff" * 6
    assert not tried, "scapy tried to send on this machine's network"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('IP(flags=2, frag="www.google.com")', "cannot build IP: While building field 'frag'"),
        (
            'Ether()/IP()/ICMP(type=DNSQR(qname="www.google.com"))',
            "cannot build Ether / IP / ICMP: While building field 'type'",
        ),
    ],
)
def test_a_value_that_breaks_scapys_summary_too_is_one_sentence(text, words):
    with pytest.raises(ExpressionError) as caught:
        crafted(text)
    assert str(caught.value).startswith(words) and "RawVal" not in str(caught.value)
