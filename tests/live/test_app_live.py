"""`workbench --tap`: the app runs the lab live. Run inside the test's namespace (so the TAP
device the app creates lives there), headless under Textual's pilot: the kernel pings pc
while the app shows it, quitting removes the device, and a bad device name exits with 2."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from tests.live.conftest import CLI_ENV, REPO, unique, workbench_cmd

pytestmark = pytest.mark.live

SCRIPT = textwrap.dedent(
    """
    import asyncio, json, subprocess, sys
    from stack.labs import load_lab
    from stack.labs.build import with_taps
    from workbench.app import WorkbenchApp

    name = sys.argv[1]

    def link():
        return subprocess.run(["ip", "-j", "link", "show", "dev", name], capture_output=True, text=True).returncode == 0

    async def main():
        app = WorkbenchApp(with_taps(load_lab("default"), {"lan": name}), cursor_blink=False)
        out = {}
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            out["device_while_running"] = link()
            subprocess.run(["ip", "addr", "add", "192.168.1.50/24", "dev", name], check=True)
            ping = await asyncio.create_subprocess_exec("ping", "-c", "3", "-i", "0.2", "-W", "2", "192.168.1.100", stdout=asyncio.subprocess.PIPE)
            text, _ = await ping.communicate()
            out["ping"] = text.decode()
            await pilot.pause(0.3)
            session = app.session
            out["live"] = bool(session and session.live)
            out["frames"] = len(session.net.trace.frames) if session else 0
            await pilot.press("q")
        out["device_after_quit"] = link()
        print(json.dumps(out))

    asyncio.run(main())
    """
)


def test_the_app_runs_a_lab_live_and_removes_its_device_on_quit(netns, tmp_path):
    script = tmp_path / "app_live.py"
    script.write_text(SCRIPT)
    name = unique("wba")
    got = subprocess.run(
        ["ip", "netns", "exec", netns.name, sys.executable, str(script), name],
        capture_output=True,
        text=True,
        timeout=120,
        env=CLI_ENV,
        cwd=REPO,
    )
    assert got.returncode == 0, got.stdout[-2000:] + got.stderr[-4000:]
    out = json.loads(got.stdout.strip().splitlines()[-1])
    assert out["device_while_running"] and out["live"]
    assert "3 received" in out["ping"], out["ping"]
    assert out["frames"] >= 8  # ARP both ways and three echo exchanges went through the lab
    assert not out["device_after_quit"]
    assert netns.link(name) is None


def test_the_app_refuses_a_name_that_is_not_a_tap_device_with_status_2(netns):
    got = subprocess.run(
        ["ip", "netns", "exec", netns.name, *workbench_cmd("--tap", "lan=lo")],
        capture_output=True,
        text=True,
        timeout=60,
        env=CLI_ENV,
        cwd=REPO,
        stdin=subprocess.DEVNULL,
    )
    assert got.returncode == 2, got.stdout[-500:] + got.stderr[-500:]
    # Refused before the screen is taken: nothing drawn, one sentence on stderr.
    assert got.stdout == ""
    assert got.stderr.count("\n") == 1
    assert "lo already exists and is a network device, not a TAP device" in got.stderr


FAULT_SCRIPT = textwrap.dedent(
    """
    import asyncio, json, subprocess, sys
    from stack.labs import load_lab
    from stack.labs.build import with_taps
    from workbench.app import WorkbenchApp

    name = sys.argv[1]

    def ip(*args):
        subprocess.run(["ip", *args], check=True)

    async def ping(count, wait):
        proc = await asyncio.create_subprocess_exec("ping", "-c", str(count), "-w", str(wait), "192.168.1.100", stdout=asyncio.subprocess.PIPE)
        text, _ = await proc.communicate()
        return text.decode()

    async def main():
        app = WorkbenchApp(with_taps(load_lab("default"), {"lan": name}), cursor_blink=False)
        out = {}
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            ip("addr", "add", "192.168.1.50/24", "dev", name)
            out["before"] = await ping(1, 10)
            frames = len(app.session.net.trace.frames)
            ip("link", "del", name)  # from outside, while the app holds it
            await pilot.pause(1.5)
            out["notices_lost"] = [n.message for n in app._notifications]
            out["up_while_lost"] = app.is_running
            if sys.argv[2] == "outside":
                ip("tuntap", "add", "dev", name, "mode", "tap")  # the device returns
            else:
                await pilot.press("R")  # a person asks: the app creates it again
                for _ in range(50):
                    await pilot.pause(0.1)
                    if not app.session.taps.taps.ports[0].lost:
                        break
            ip("addr", "add", "192.168.1.50/24", "dev", name)
            ip("link", "set", name, "up")
            out["after"] = await ping(1, 15)
            await pilot.pause(0.3)
            out["notices"] = [n.message for n in app._notifications]
            out["frames_kept"] = len(app.session.net.trace.frames) > frames
            await pilot.press("q")
        print(json.dumps(out))

    asyncio.run(main())
    """
)


@pytest.mark.parametrize("back", ["outside", "key"])
def test_the_app_says_when_its_device_is_deleted_and_when_it_is_back(netns, tmp_path, back):
    """The TAP device deleted from outside while the app runs: the app stays up, says so once in
    a notice, keeps its frames, and when a device of that name returns (made from outside, or
    by the app when a person presses R) it reattaches, says so, and the kernel's ping is
    answered again."""
    script = tmp_path / "app_fault.py"
    script.write_text(FAULT_SCRIPT)
    name = unique("wbf")
    got = subprocess.run(
        ["ip", "netns", "exec", netns.name, sys.executable, str(script), name, back],
        capture_output=True,
        text=True,
        timeout=120,
        env=CLI_ENV,
        cwd=REPO,
    )
    assert got.returncode == 0, got.stdout[-2000:] + got.stderr[-4000:]
    out = json.loads(got.stdout.strip().splitlines()[-1])
    assert "1 received" in out["before"] and "1 received" in out["after"], out
    assert out["up_while_lost"] and out["frames_kept"]
    lost = [
        n for n in out["notices_lost"] if f"reattaches when a TAP device named {name} appears" in n
    ]
    assert len(lost) == 1, out["notices_lost"]
    again = "attached to the existing TAP device" if back == "outside" else "created TAP device"
    assert any(f"{again} {name}" in n for n in out["notices"]), out["notices"]
