import pytest

from stack.labs import LabError, builtin_labs, load_lab
from stack.labs.load import parse_lab

GOOD = """
[segments.lan]
subnet = "10.0.0.0/24"
[hosts.a]
segment = "lan"
address = "10.0.0.1/24"
mac = "02:00:00:00:00:01"
"""


def test_the_default_lab_is_the_seeds_example():
    spec = load_lab("default")
    pc = spec.hosts["pc"]
    assert str(pc.interfaces[0].address) == "192.168.1.100/24"
    assert str(pc.gateway) == "192.168.1.1" and [str(d) for d in pc.dns] == ["8.8.8.8"]
    assert {"pc2", "pc3", "pc4", "pc5", "gw-a", "gw-b", "dns", "www"} <= set(spec.hosts)
    assert str(spec.hosts["www"].interfaces[0].address.ip) == "172.194.72.105"
    assert str(spec.hosts["dns"].interfaces[0].address.ip) == "8.8.8.8"
    assert spec.hosts["gw-a"].router and spec.hosts["gw-b"].router
    assert "default" in builtin_labs() and "loop" in builtin_labs()


@pytest.mark.parametrize(
    ("change", "key", "words"),
    [
        (('address = "10.0.0.1/24"', 'adress = "10.0.0.1/24"'), "hosts.a.adress", "unknown key"),
        (("10.0.0.1/24", "10.0.0.300/24"), "hosts.a.address", "not an IPv4 address"),
        (('segment = "lan"', 'segment = "lann"'), "hosts.a.segment", "no segment named 'lann'"),
        (("10.0.0.1/24", "10.0.0.1"), "hosts.a.address", "needs a mask"),
        (("10.0.0.1/24", "10.0.1.1/24"), "hosts.a.address", "not in segment lan's subnet"),
        (("02:00:00:00:00:01", "02:00:00:00:00"), "hosts.a.mac", "not a MAC address"),
        (("10.0.0.1/24", "10.0.0.0/24"), "hosts.a.address", "network address"),
    ],
)
def test_each_mistake_is_one_sentence_naming_file_and_key(change, key, words):
    with pytest.raises(LabError) as caught:
        parse_lab(GOOD.replace(*change), "mine.toml")
    message = str(caught.value)
    assert message.startswith(f"lab mine.toml: {key}:") and words in message
    assert "\n" not in message


def test_duplicates_are_refused():
    dup_mac = (
        GOOD + '[hosts.b]\nsegment = "lan"\naddress = "10.0.0.2/24"\nmac = "02:00:00:00:00:01"\n'
    )
    with pytest.raises(
        LabError, match="hosts.b.mac: MAC 02:00:00:00:00:01 is already used by a eth0"
    ):
        parse_lab(dup_mac, "mine.toml")
    dup_ip = GOOD + '[hosts.b]\nsegment = "lan"\naddress = "10.0.0.1/24"\n'
    with pytest.raises(LabError, match="hosts.b.address: 10.0.0.1 is already used by a eth0"):
        parse_lab(dup_ip, "mine.toml")


def test_bad_toml_and_missing_files_are_one_sentence():
    with pytest.raises(LabError, match="not valid TOML"):
        parse_lab("[segments.lan\n", "broken.toml")
    with pytest.raises(LabError, match="no such file and no built-in lab"):
        load_lab("/nonexistent/lab.toml")


def test_unpinned_macs_are_stable_and_locally_administered():
    a = (
        parse_lab(GOOD.replace('mac = "02:00:00:00:00:01"\n', ""), "x.toml")
        .hosts["a"]
        .interfaces[0]
        .mac
    )
    b = (
        parse_lab(GOOD.replace('mac = "02:00:00:00:00:01"\n', ""), "x.toml")
        .hosts["a"]
        .interfaces[0]
        .mac
    )
    assert a == b and a.is_local and a.is_unicast


def test_a_lab_nested_hundreds_deep_is_one_sentence_not_a_recursion_error():
    with pytest.raises(LabError, match="nested too deeply"):
        parse_lab("x = " + "[" * 500 + "]" * 500, "deep.toml")
