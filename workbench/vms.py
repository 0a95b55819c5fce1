"""The lab's `[vms.NAME]`: QEMU virtual machines the workbench starts, wires and stops.

Each VM gets a `-netdev stream` socket of its own (in a private temporary directory) on its
segment, so its frames carry its name in the trace; the workbench listens there
(stack.link.qemu), then starts `qemu-system-x86_64` without privileges. The VM's serial
console is read line by line into the trace. The VM is stopped by its PID (SIGTERM, then
SIGKILL) when the lab closes — on a normal exit, an error, Ctrl-C or SIGTERM — and, should the
workbench itself be killed, by the kernel (PR_SET_PDEATHSIG).

`qemu_command` and `paste_args` are pure: the command line for a VM, and the `-netdev`/`-device`
arguments for someone's own QEMU (`workbench qemu-args SEGMENT`).
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import re
import shutil
import signal
import subprocess
import tempfile

from stack.events import Event
from stack.labs.ports import LivePorts
from stack.labs.spec import LabSpec, VmSpec
from stack.labs.vm_checks import BOOTS
from stack.link.qemu import QemuListener
from stack.link.qemu_address import STREAM, QemuAddress
from stack.network import Network
from stack.record import field, record

QEMU = "qemu-system-x86_64"
IPXE_ROMS = "/usr/lib/ipxe/qemu"
STOP_WAIT = 3.0  # seconds QEMU has to exit after SIGTERM before it is killed
_PR_SET_PDEATHSIG = 1
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Za-z0-9]|\x1b[=>c]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # what is left of cursor moves and backspaces


class VmError(Exception):
    """A VM that cannot start; the message is the one sentence to show."""


# --- events ---------------------------------------------------------------------------------


@record
class VmStarted(Event):
    pid: int
    command: str = field(metadata={"json": True})

    kind = "vm_started"

    def describe(self) -> str:
        return f"virtual machine {self.host} started (QEMU pid {self.pid}): {self.command}"


@record
class VmConsole(Event):
    line: str

    kind = "vm_console"

    def describe(self) -> str:
        return f"console: {self.line}"


@record
class VmStopped(Event):
    how: str

    kind = "vm_stopped"

    def describe(self) -> str:
        return f"virtual machine {self.host} {self.how}"


# --- command lines --------------------------------------------------------------------------


def qemu_command(vm: VmSpec, address: QemuAddress) -> list[str]:
    """The QEMU command line that runs `vm` with its NIC on `address`."""
    if vm.command:
        cmd = list(vm.command)
    else:
        # -nographic also tells SeaBIOS (and so iPXE) to write to the serial console we read.
        cmd = [
            QEMU,
            "-name",
            vm.name,
            "-accel",
            vm.accel,
            "-m",
            str(vm.memory),
            "-nodefaults",
            "-nographic",
            "-serial",
            "stdio",
            "-monitor",
            "none",
        ]
        if BOOTS[vm.boot]:
            cmd += ["-boot", BOOTS[vm.boot]]
    cmd += list(vm.args)
    if vm.snapshot:
        cmd.append("-snapshot")
    return cmd + ["-netdev", address.netdev("n0"), "-device", f"{vm.model},netdev=n0,mac={vm.mac}"]


def paste_args(address: QemuAddress, mac: str, model: str = "e1000") -> list[str]:
    """`-netdev`/`-device` arguments for one's own QEMU command line (qemu-args)."""
    return ["-netdev", address.netdev("wb0"), "-device", f"{model},netdev=wb0,mac={mac}"]


def preflight(spec: LabSpec) -> None:
    """Refuse in one sentence, before anything starts, when the lab's VMs cannot run here."""
    for vm in spec.vms.values():
        program = vm.command[0] if vm.command else QEMU
        if shutil.which(program) is None:
            raise VmError(
                f"{program} is not installed, so virtual machine {vm.name} cannot start (Debian: apt-get install qemu-system-x86 ipxe-qemu)"
            )
        if vm.boot == "network" and not vm.command and not os.path.isdir(IPXE_ROMS):
            raise VmError(
                f"virtual machine {vm.name} boots from the network but QEMU's network boot ROMs ({IPXE_ROMS}) are missing (Debian: apt-get install ipxe-qemu)"
            )


def _die_with_parent() -> None:
    """In the child: the kernel sends SIGTERM if the workbench dies without stopping us."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        pass


# --- running VMs ----------------------------------------------------------------------------


class Vm:
    """One QEMU process and the port it joins."""

    def __init__(self, spec: VmSpec, listener: QemuListener, command: list[str]) -> None:
        self.spec = spec
        self.listener = listener
        self.command = command
        self.process: subprocess.Popen | None = None
        self.stopped = False
        self._partial = ""
        self._errors = b""

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def port(self):
        """The VM's port on its segment once QEMU has connected, else None."""
        return next((p for p in self.listener.peers if not p.closed), None)


class VmSet:
    """The VMs of one running lab. `stop()` ends every one of them, by PID."""

    def __init__(self, net: Network, loop: asyncio.AbstractEventLoop) -> None:
        self.net = net
        self.loop = loop
        self.vms: dict[str, Vm] = {}
        self.directory = tempfile.mkdtemp(
            prefix="wb-vm-"
        )  # short: unix socket paths hold 107 bytes
        self._watch: asyncio.TimerHandle | None = None

    @classmethod
    def start(cls, net: Network, ports: LivePorts) -> VmSet:
        """Listen for and start every VM of the lab; they stop when `ports` closes."""
        spec = net.spec
        preflight(spec)
        vms = cls(net, net.clock.loop)
        ports.on_close(vms.stop)
        ports.vms = vms
        for vm_spec in spec.vms.values():
            vms._start(vm_spec, ports)
        return vms

    def _start(self, vm_spec: VmSpec, ports: LivePorts) -> None:
        address = QemuAddress(STREAM, path=os.path.join(self.directory, f"{vm_spec.name}.sock"))
        listener = QemuListener.open(
            self.net.segments[vm_spec.segment], address, self.loop, owner=vm_spec.name
        )
        ports.listeners.append(listener)
        vm = Vm(vm_spec, listener, qemu_command(vm_spec, address))
        self.vms[vm_spec.name] = vm
        try:
            vm.process = subprocess.Popen(
                vm.command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=self.directory,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        except OSError as err:
            raise VmError(
                f"virtual machine {vm_spec.name} cannot start: {vm.command[0]}: {err.strerror or err}"
            ) from None
        for stream, reader in (
            (vm.process.stdout, self._console),
            (vm.process.stderr, self._stderr),
        ):
            os.set_blocking(stream.fileno(), False)
            self.loop.add_reader(stream.fileno(), reader, vm)
        trace = self.net.trace
        trace.emit(VmStarted(trace.now(), vm_spec.name, (), vm.process.pid, " ".join(vm.command)))
        if self._watch is None:
            self._watch = self.loop.call_later(0.5, self._check)

    def _console(self, vm: Vm) -> None:
        assert vm.process is not None and vm.process.stdout is not None
        try:
            data = os.read(vm.process.stdout.fileno(), 65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self.loop.remove_reader(vm.process.stdout.fileno())
            return
        lines = re.split(r"\r\n|\n|\r", vm._partial + data.decode("utf-8", "replace"))
        vm._partial = lines.pop()[-4096:]
        trace = self.net.trace
        for line in lines:
            line = _CONTROL.sub("", _ANSI.sub("", line)).strip()
            if line:
                trace.emit(VmConsole(trace.now(), vm.name, (), line))

    def _stderr(self, vm: Vm) -> None:
        assert vm.process is not None and vm.process.stderr is not None
        try:
            data = os.read(vm.process.stderr.fileno(), 65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self.loop.remove_reader(vm.process.stderr.fileno())
            return
        vm._errors = (vm._errors + data)[-4096:]

    def _check(self) -> None:
        """Notice a VM that exited by itself (a bad argument, a guest that powered off)."""
        self._watch = None
        for vm in self.vms.values():
            if vm.process is not None and not vm.stopped and vm.process.poll() is not None:
                vm.stopped = True
                said = vm._errors.decode("utf-8", "replace").strip().splitlines()
                why = f": {said[-1]}" if said else ""
                self._said(vm, f"exited by itself with status {vm.process.returncode}{why}")
                self._close_pipes(vm)
        if any(not vm.stopped for vm in self.vms.values()):
            self._watch = self.loop.call_later(0.5, self._check)

    def _said(self, vm: Vm, how: str) -> None:
        trace = self.net.trace
        trace.emit(VmStopped(trace.now(), vm.name, (), how))

    def exited(self) -> list[str]:
        return [vm.name for vm in self.vms.values() if vm.stopped]

    def _close_pipes(self, vm: Vm) -> None:
        assert vm.process is not None
        for stream in (vm.process.stdout, vm.process.stderr):
            if stream is not None and not stream.closed:
                try:
                    self.loop.remove_reader(stream.fileno())
                except (ValueError, OSError, RuntimeError):
                    pass
                stream.close()

    def stop(self) -> None:
        """Stop every VM still running: SIGTERM to its PID, SIGKILL if it lingers."""
        if self._watch is not None:
            self._watch.cancel()
            self._watch = None
        for vm in self.vms.values():
            process = vm.process
            if process is None:
                continue
            if not vm.stopped and process.poll() is None:
                process.terminate()
                try:
                    process.wait(STOP_WAIT)
                    how = "stopped (SIGTERM)"
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
                    how = "killed (it did not stop on SIGTERM)"
                vm.stopped = True
                self._said(vm, how)
            self._close_pipes(vm)
        shutil.rmtree(self.directory, ignore_errors=True)


# --- waiting for a boot -----------------------------------------------------------------------

BOOT_BUDGET = 180.0  # real seconds a VM has to get its lease (and its boot file) in `workbench run`
BOOT_SETTLE = 1.0  # seconds a booted VM gets to take in and run what it fetched


class BootWatch:
    """Reads the trace for each VM's boot: the DHCP lease for its MAC, then (when the lab's DHCP
    server names an http:// boot file) the HTTP response a lab host sends to that address."""

    def __init__(self, net: Network, vms: VmSet) -> None:
        self.vms = vms
        self.by_mac = {str(vm.spec.mac): name for name, vm in vms.vms.items()}
        self.leased: dict[str, tuple[str, float, str]] = {}  # VM → (address, time, server)
        self.fetched: dict[str, tuple[str, float, str]] = {}  # VM → (status line, time, server)
        self.requested: dict[str, str] = {}  # VM → request line
        self.boot_files = {
            cfg["boot_file"]
            for host in net.spec.hosts.values()
            for name, cfg in host.services.items()
            if name == "dhcp" and cfg.get("boot_file")
        }
        self.wants_http = any(f.startswith("http://") for f in self.boot_files)
        self._unsubscribe = net.trace.subscribe(self._event)

    def _vm_at(self, remote: str) -> str | None:
        address = remote.rpartition(":")[0]
        return next((vm for vm, (leased, _t, _s) in self.leased.items() if leased == address), None)

    def _event(self, event: Event) -> None:
        kind = event.kind
        if (
            kind == "dhcp_server"
            and event.decision.startswith("leases ")
            and event.client in self.by_mac
        ):
            self.leased[self.by_mac[event.client]] = (event.address, event.time, event.host)
        elif kind == "http_request_received":
            vm = self._vm_at(event.remote)
            if vm is not None:
                self.requested[vm] = event.request_line
        elif kind == "http_response":
            vm = self._vm_at(event.remote)
            if vm is not None and vm not in self.fetched:
                self.fetched[vm] = (event.status_line, event.time, event.host)

    def booted(self, name: str) -> bool:
        return name in self.leased and (not self.wants_http or name in self.fetched)

    def all_booted(self) -> bool:
        return all(self.booted(name) for name in self.vms.vms)

    def lines(self, name: str) -> list[str]:
        out = []
        if name in self.leased:
            address, when, server = self.leased[name]
            out.append(f"leased {address} from {server}'s DHCP server at {when:.2f} s")
        else:
            out.append("no DHCP lease")
        if self.wants_http:
            if name in self.fetched:
                status, when, server = self.fetched[name]
                asked = self.requested.get(name, "a request")
                out.append(
                    f"fetched its boot file from {server} at {when:.2f} s: {asked} → {status}"
                )
            else:
                out.append(f"did not fetch its boot file ({', '.join(sorted(self.boot_files))})")
        return out

    def close(self) -> None:
        self._unsubscribe()


async def wait_for_vms(ports: LivePorts, budget: float = BOOT_BUDGET) -> tuple[bool, list[str]]:
    """Wait until every VM has booted (or one stops, or `budget` seconds pass): whether all
    did, and a few lines per VM saying what happened."""
    vms = ports.vms
    if not vms or not vms.vms:
        return True, []
    watch = BootWatch(vms.net, vms)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + budget
    try:
        while not watch.all_booted() and not vms.exited() and loop.time() < deadline:
            await asyncio.sleep(0.05)
        if watch.all_booted():
            await asyncio.sleep(BOOT_SETTLE)
    finally:
        watch.close()
    lines = []
    for name in vms.vms:
        state = (
            "booted"
            if watch.booted(name)
            else (
                "stopped before it booted"
                if name in vms.exited()
                else f"did not boot within {budget:.0f} s"
            )
        )
        lines.append(f"── vm {name}: {state} " + "─" * max(3, 48 - len(name) - len(state)))
        lines += watch.lines(name)
    return watch.all_booted(), lines


__all__ = [
    "BootWatch",
    "wait_for_vms",
    "QEMU",
    "Vm",
    "VmError",
    "VmSet",
    "VmStarted",
    "VmStopped",
    "VmConsole",
    "paste_args",
    "preflight",
    "qemu_command",
]
