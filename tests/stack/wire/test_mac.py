"""MAC addresses: text forms, the group and U/L bits, vendors from scapy's offline OUI table."""

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stack.wire.errors import WireError
from stack.wire.mac import BROADCAST, MAC, ZERO

from .strategies import SETTINGS

REPO = Path(__file__).resolve().parents[3]


def test_reads_colon_and_dash_text_and_prints_lowercase_colons():
    assert str(MAC("00:1B:21:0A:0b:0C")) == "00:1b:21:0a:0b:0c"
    assert MAC("00-1b-21-0a-0b-0c") == MAC(bytes.fromhex("001b210a0b0c"))
    assert repr(MAC("2:0:0:0:0:1")) == "MAC('02:00:00:00:00:01')"
    assert MAC.from_int(0x0200_0000_0001) == MAC("02:00:00:00:00:01")


@pytest.mark.parametrize(
    "text", ["", "00:11:22:33:44", "00:11:22:33:44:55:66", "00:11:22:33:44:5g", "001:1:22:33:44:55"]
)
def test_refuses_text_that_is_not_six_hex_octets(text):
    with pytest.raises(ValueError, match="six hex octets"):
        MAC(text)


def test_refuses_bytes_that_are_not_six_long():
    with pytest.raises(WireError):
        MAC(b"\x00" * 5)


def test_is_a_value_usable_as_bytes_and_as_a_key():
    mac = MAC("02:00:00:00:00:01")
    assert mac == b"\x02\x00\x00\x00\x00\x01"
    assert {mac: 1}[MAC("02:00:00:00:00:01")] == 1
    assert MAC.of(bytes(mac)) == mac and type(MAC.of(bytes(mac))) is MAC


def test_broadcast_is_all_ones_and_a_group_address():
    assert BROADCAST == MAC("ff:ff:ff:ff:ff:ff")
    assert BROADCAST.is_broadcast and BROADCAST.is_multicast and not BROADCAST.is_unicast
    assert not ZERO.is_broadcast and ZERO.is_unicast


@pytest.mark.parametrize("text", ["01:00:5e:00:00:fb", "33:33:00:00:00:01", "01:80:c2:00:00:00"])
def test_group_bit_makes_multicast(text):
    mac = MAC(text)
    assert mac.is_multicast and not mac.is_unicast and not mac.is_broadcast
    assert mac.vendor is None  # a group address names no station, so no vendor


@SETTINGS
@given(st.binary(min_size=6, max_size=6))
def test_kind_follows_the_two_low_bits_of_the_first_octet(raw):
    mac = MAC(raw)
    assert mac.is_multicast == bool(raw[0] & 1) != mac.is_unicast
    assert mac.is_local == bool(raw[0] & 2)
    assert mac.is_broadcast == (raw == b"\xff" * 6)


def test_vendor_comes_from_the_oui():
    assert MAC("00:1b:21:12:34:56").vendor == "Intel Corporate"
    assert MAC("00:00:0c:07:ac:01").vendor == "Cisco Systems, Inc"


def test_locally_administered_has_no_vendor():
    mac = MAC("02:1b:21:12:34:56")  # Intel's OUI with the U/L bit set
    assert mac.is_local
    assert mac.vendor is None


def test_an_oui_nobody_registered_has_no_vendor():
    assert MAC("fc:ff:ff:00:00:01").vendor is None


@SETTINGS
@given(st.binary(min_size=3, max_size=3))
def test_vendor_agrees_with_scapys_table(oui):
    import scapy.data  # noqa: F401  (loads conf.manufdb)
    from scapy.config import conf

    mac = MAC(bytes([oui[0] & 0xFC]) + oui[1:] + b"\x00\x00\x01")  # a universal unicast address
    _short, name = conf.manufdb.lookup(str(mac))
    assert mac.vendor == (None if name == str(mac) else name)


@pytest.mark.parametrize(
    "module", ["mac", "errors", "checksum", "ethernet", "arp", "ipv4", "icmp", "udp", "tcp"]
)
def test_importing_a_codec_does_not_import_scapy(module):
    code = (
        f"import stack.wire.{module}, sys; assert 'scapy' not in sys.modules, sorted(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)


def test_scapy_is_loaded_only_when_a_vendor_is_asked_for():
    code = (
        "import sys; from stack.wire.mac import MAC; mac = MAC('00:1b:21:00:00:01');"
        "assert 'scapy' not in sys.modules; assert mac.vendor == 'Intel Corporate'; assert 'scapy' in sys.modules;"
        "assert 'scapy.all' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)
