"""The one command shell: the same parser, resolver, policy and runner behind `workbench run`,
live mode and the app — so a command means the same thing wherever it is typed."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from stack.clock import RealtimeClock, VirtualClock
from stack.labs import build_network, load_lab
from stack.trace import Trace
from workbench.session import Session
from workbench.shell import (
    COMMANDS,
    CommandError,
    Job,
    hint,
    prepare,
    registry,
    run_live,
    run_virtual,
)


def workbench(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "workbench.cli", *args], capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def net():
    clock = VirtualClock()
    return build_network(load_lab("default"), clock, Trace(clock))


def test_every_command_comes_from_a_module_in_the_registry_list():
    listed = [spec.name for module in registry.MODULES for spec in module.COMMANDS]
    assert sorted(listed) == sorted(COMMANDS)
    assert len(listed) == len(set(listed)), "two modules register the same command name"
    assert {
        "ping",
        "traceroute",
        "arp",
        "route",
        "ifconfig",
        "sockets",
        "dhcp",
        "resolve",
        "browse",
        "udp",
        "tcp",
    } <= set(COMMANDS)


@pytest.mark.parametrize(
    ("typed", "sentence"),
    [
        ("pc ping 1.2.3.4", 'should look like "HOST: COMMAND"'),
        ("laptop: ping 1.2.3.4", "no host named 'laptop'"),
        ("pc: fly", "unknown command 'fly'"),
        ("pc: ping", "ping: takes 1 argument, got 0"),
        ("pc: ping 1.2.3.4 -c", "ping: -c needs a value"),
        ("pc: ping 1.2.3.4 -c many", "ping: -c takes a number, not 'many'"),
        ("pc: ping 1.2.3.4 -c 0", "ping: -c 0 is outside 1–10000"),
        ("pc: ping 1.2.3.4 -q", "ping: unknown option -q"),
        ("pc: ping bad..name", "is not a host name"),
        ("pc: arp now", "arp: takes no arguments, got 1"),
        ("pc: ping 'unclosed", "cannot read"),
    ],
)
def test_bad_input_is_one_sentence_before_anything_runs(net, typed, sentence):
    with pytest.raises(CommandError) as caught:
        prepare(net, typed)
    assert sentence in str(caught.value)
    assert "\n" not in str(caught.value)
    assert net.trace.frames == []


@pytest.mark.parametrize(
    ("host", "sentence"),
    [
        ("gw-a", "gw-a runs the lab's DHCP server"),
        ("gw-b", "gw-b has a static address"),
    ],
)
def test_dhcp_policy_is_the_shells_so_every_front_end_refuses_alike(host, sentence):
    clock = VirtualClock()
    net = build_network(load_lab("dhcp"), clock, Trace(clock))
    with pytest.raises(CommandError, match=sentence):
        prepare(net, f"{host}: dhcp")
    result = workbench("run", "--lab", "dhcp", "--do", f"{host}: dhcp")
    assert result.returncode == 2 and sentence in result.stderr and "Traceback" not in result.stderr
    session = Session.open(load_lab("dhcp"))
    with pytest.raises(CommandError, match=sentence):
        session.check(f"{host}: dhcp")
    assert session.dhcp_refusal(host).startswith(sentence)


def test_a_lab_host_a_literal_and_a_dns_name_resolve_the_same_way(net):
    (by_host, by_literal, by_name) = run_virtual(
        net,
        [
            prepare(net, t)
            for t in (
                "pc: ping pc2 -c 1",
                "pc: ping 192.168.1.101 -c 1",
                "pc: ping www.google.com -c 1",
            )
        ],
    )
    assert by_host.lines[0] == "PING pc2 (192.168.1.101) 56(84) bytes of data."
    assert by_literal.lines[0] == "PING 192.168.1.101 (192.168.1.101) 56(84) bytes of data."
    assert by_name.lines[0] == "PING www.google.com (172.194.72.105) 56(84) bytes of data."
    assert all(o.ok for o in (by_host, by_literal, by_name))


def test_the_runner_is_deterministic_and_starts_a_job_at_the_present_lab_time(net):
    clock = net.clock
    clock.run_until(5.0)
    job = Job(prepare(net, "pc: ping 192.168.1.1 -c 1")).start()
    assert net.trace.frames[0].time == 5.0
    while not job.done:
        clock.step()
    assert job.ok
    first = job.fresh_lines()
    assert first[0].startswith("PING 192.168.1.1") and job.fresh_lines() == []

    def trace_of() -> list[str]:
        c = VirtualClock()
        n = build_network(load_lab("default"), c, Trace(c))
        run_virtual(
            n,
            [prepare(n, "pc: ping 172.194.72.105 -c 2"), prepare(n, "pc: resolve www.google.com")],
        )
        return [e.describe() for e in n.trace.events]

    assert trace_of() == trace_of()


def test_live_mode_runs_the_same_commands_through_the_same_runner():
    async def main():
        clock = RealtimeClock(asyncio.get_running_loop())
        net = build_network(load_lab("default"), clock, Trace(clock), live=True)
        outcomes = []
        await run_live(
            [prepare(net, "pc: ping pc2 -c 1 -i 0.01"), prepare(net, "pc: arp")],
            outcomes,
            budget=10,
        )
        return outcomes

    ping, arp = asyncio.run(main())
    assert ping.ok and ping.lines[0] == "PING pc2 (192.168.1.101) 56(84) bytes of data."
    assert arp.ok and any("192.168.1.101" in line for line in arp.lines)


def test_the_hint_shows_the_command_being_typed():
    assert hint("pc: ping 1.2").startswith("ping TARGET|NAME [-c COUNT]")
    assert hint("pc: ").startswith("commands: arp, browse")
