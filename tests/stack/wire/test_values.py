"""What code holding a parsed value may rely on: it is a value (equal by class and fields,
hashable, unchangeable, no ordering), whatever the codecs make it from underneath."""

import pickle
from ipaddress import IPv4Address

import pytest

from stack.wire.arp import ARP
from stack.wire.dhcp import DHCPOption
from stack.wire.dns import DNS, Question
from stack.wire.ethernet import ETH_ARP, Ethernet
from stack.wire.icmp import ICMP
from stack.wire.ipv4 import PROTO_TCP, IPv4
from stack.wire.mac import BROADCAST, MAC
from stack.wire.tcp import ACK, TCP, TcpOption
from stack.wire.udp import UDP

PC_MAC = MAC("02:00:00:00:00:64")
PC, WWW = IPv4Address("192.168.1.100"), IPv4Address("172.194.72.105")


def _values():
    tcp = TCP.make(
        PC, WWW, 49152, 80, seq=7, flags=ACK, options=(TcpOption.timestamp(1, 2),), payload=b"hi"
    )
    return [
        Ethernet.make(BROADCAST, PC_MAC, ETH_ARP, ARP.request(PC_MAC, PC, WWW).build()),
        ARP.request(PC_MAC, PC, WWW),
        IPv4.make(PC, WWW, PROTO_TCP, tcp.build(), ident=3, df=True),
        ICMP.echo_request(1, 2, b"ping"),
        UDP.make(PC, WWW, 5000, 53, b"q"),
        tcp,
        TcpOption.mss(1460),
        Question("www.google.com"),
        DHCPOption.message_type(1),
    ]


@pytest.mark.parametrize("value", _values(), ids=lambda v: type(v).__name__)
def test_a_parsed_value_equals_the_made_one_and_hashes_alike(value):
    # Options and questions are parsed inside their segment and message: those compare as made.
    again = type(value).parse(value.build()) if hasattr(type(value), "parse") else value
    assert again == value and not again != value
    assert hash(again) == hash(value)
    assert {value: 1}[again] == 1


@pytest.mark.parametrize("value", _values(), ids=lambda v: type(v).__name__)
def test_a_value_is_not_a_tuple_to_compare_with_and_has_no_order(value):
    assert value != tuple(value) and tuple(value) != value
    assert not (value == tuple(value))
    with pytest.raises(TypeError):
        _ = value < value


def test_values_of_different_kinds_with_the_same_fields_differ():
    assert UDP(1, 2, b"x", 3, 4) != ICMP(1, 2, b"x", 3, 4)  # type: ignore[arg-type]
    assert len({UDP(1, 2, b"x", 3, 4), ICMP(1, 2, b"x", 3, 4)}) == 2  # type: ignore[arg-type]


@pytest.mark.parametrize("value", _values(), ids=lambda v: type(v).__name__)
def test_fields_cannot_be_assigned(value):
    name = type(value)._fields[0]
    with pytest.raises(AttributeError):
        setattr(value, name, getattr(value, name))


@pytest.mark.parametrize("value", _values(), ids=lambda v: type(v).__name__)
def test_a_value_survives_pickle_and_shows_its_fields(value):
    assert pickle.loads(pickle.dumps(value)) == value
    text = repr(value)
    assert text.startswith(type(value).__name__ + "(") and f"{type(value)._fields[0]}=" in text


def test_a_router_hop_keeps_everything_but_ttl_and_checksum():
    packet = IPv4.parse(_values()[2].build())
    hop = packet.with_ttl(63)
    assert hop.ttl == 63 and hop.checksum_ok()
    assert hop._replace(ttl=packet.ttl, checksum=packet.checksum) == packet
    assert IPv4.parse(hop.build()) == hop


def test_a_parsed_dns_message_is_still_a_dataclass_value():
    import dataclasses

    message = DNS.parse(DNS.query(0xBEEF, "www.google.com").build())
    assert message == DNS(0xBEEF, (Question("www.google.com"),), rd=True)
    assert dataclasses.replace(message, id=1).id == 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        message.id = 2  # type: ignore[misc]
