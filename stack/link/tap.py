"""A Linux TAP device as a port on a segment: real kernels, namespaces and virtual machines
become peers of the lab's hosts.

`TapDevice` owns the file descriptor and the device's life. It attaches to an existing TAP
device (left exactly as it was found when we are done) or creates one with `TUNSETIFF` and
without the persist flag, so the kernel removes it the moment the descriptor closes — on a
normal exit, on Ctrl-C, on an error and even when the process is killed. Every refusal is a
`TapError` whose message is one sentence for the person at the terminal.

`TapPort` moves frames between the device and a segment on the asyncio loop: each frame the
device hands us (one `read`, one Ethernet frame without FCS) is transmitted into the segment
as if a NIC had sent it; every frame the segment delivers to the port is written to the
device without its FCS (a frame damaged by a seeded link fault fails its FCS check and is
dropped, as a real NIC would).
"""

from __future__ import annotations

import asyncio
import errno
import fcntl
import os
import struct
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from stack.events import Event
from stack.wire.errors import WireError
from stack.wire.ethernet import strip_fcs

if TYPE_CHECKING:
    from stack.link.segment import Segment

TUN_PATH = "/dev/net/tun"
TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
IFF_UP = 0x1
CAP_NET_ADMIN = 12
IFNAMSIZ = 16
READ_SIZE = 65536 + 64  # the largest MTU a TAP device takes, plus headers
READ_BATCH = 64  # frames read per wake-up before the loop gets a turn

_NEEDS_CAP = "live mode needs CAP_NET_ADMIN (run as root, or `sudo setcap cap_net_admin+ep` on the Python interpreter)"


class TapError(Exception):
    """A TAP device that cannot be used; the message is the one sentence to show."""


# --- events ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TapAttached(Event):
    segment: str
    device: str
    created: bool
    mac: str
    mtu: int

    kind = "tap_attached"

    def describe(self) -> str:
        how = "created" if self.created else "attached to the existing"
        return f"{how} TAP device {self.device} ({self.mac}, MTU {self.mtu}), bridged to segment {self.segment}"


@dataclass(frozen=True)
class TapDetached(Event):
    segment: str
    device: str
    removed: bool
    frames_in: int
    frames_out: int

    kind = "tap_detached"

    def describe(self) -> str:
        fate = "removed" if self.removed else "left as it was"
        return f"TAP device {self.device} detached from {self.segment} and {fate} ({self.frames_in} frames in, {self.frames_out} out)"


@dataclass(frozen=True)
class TapProblem(Event):
    device: str
    problem: str

    kind = "tap_problem"

    def describe(self) -> str:
        return f"TAP device {self.device}: {self.problem}"


# --- the device -----------------------------------------------------------------------------


def has_net_admin() -> bool:
    """Whether this process holds CAP_NET_ADMIN in its effective set."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("CapEff:"):
                    return bool(int(line.split()[1], 16) >> CAP_NET_ADMIN & 1)
    except OSError:
        pass
    return os.geteuid() == 0


@contextmanager
def _in_netns(netns: str | None):
    """Run the block with this thread in network namespace `netns` (None: where we are)."""
    if netns is None:
        yield
        return
    from pyroute2 import netns as pr_netns

    try:
        pr_netns.pushns(netns)
    except OSError as err:
        raise TapError(f"cannot enter network namespace {netns}: {err.strerror or err}") from None
    try:
        yield
    finally:
        pr_netns.popns()


def _off_loop(fn, *args):
    """Run `fn` on a short-lived thread: pyroute2's synchronous API refuses to run inside a
    running asyncio loop, and entering a namespace (setns) must not move the loop's thread."""
    with ThreadPoolExecutor(1, thread_name_prefix="tap") as pool:
        return pool.submit(fn, *args).result()


def _ipr(netns: str | None):
    from pyroute2 import IPRoute

    return IPRoute(netns=netns) if netns else IPRoute()


@dataclass(frozen=True)
class _Found:
    index: int
    kind: str
    tun_type: int | None
    up: bool
    mac: str
    mtu: int


def _find(name: str, netns: str | None) -> _Found | None:
    with _ipr(netns) as ipr:
        indexes = ipr.link_lookup(ifname=name)
        if not indexes:
            return None
        msg = ipr.link("get", index=indexes[0])[0]
    info = msg.get_attr("IFLA_LINKINFO")
    kind = info.get_attr("IFLA_INFO_KIND") if info is not None else None
    tun_type = None
    if kind == "tun":
        data = info.get_attr("IFLA_INFO_DATA")
        tun_type = data.get_attr("IFLA_TUN_TYPE") if data is not None else None
    return _Found(indexes[0], kind or "", tun_type, bool(msg["flags"] & IFF_UP), msg.get_attr("IFLA_ADDRESS") or "?", msg.get_attr("IFLA_MTU") or 0)


def _check_name(name: str) -> None:
    if not name or len(name.encode()) >= IFNAMSIZ or "/" in name or any(c.isspace() for c in name) or name in (".", ".."):
        raise TapError(f"{name!r} is not a usable interface name (1–15 characters, no spaces or slashes)")


class TapDevice:
    """One open TAP device: its descriptor, name, MAC, and whether we made it."""

    def __init__(self, fd: int, name: str, *, created: bool, netns: str | None = None, restore_down: bool = False, mac: str = "?", mtu: int = 1500) -> None:
        self.fd = fd
        self.name = name
        self.created = created
        self.netns = netns
        self.mac = mac
        self.mtu = mtu
        self._restore_down = restore_down
        self.closed = False

    @classmethod
    def open(cls, name: str, *, netns: str | None = None, mtu: int | None = None) -> TapDevice:
        """Attach to TAP device `name`, or create it when there is no device of that name.

        With `netns`, the device is looked up and created inside that network namespace (the
        process itself stays where it is; the descriptor works from anywhere). A device we
        create gets `mtu` and is brought up; an existing one is brought up if it was down, and
        taken down again on close. Netlink and namespace work happen on a helper thread, so
        this may be called from a running asyncio loop.
        """
        _check_name(name)
        return _off_loop(cls._open, name, netns, mtu)

    @classmethod
    def _open(cls, name: str, netns: str | None, mtu: int | None) -> TapDevice:
        found = _find_checked(name, netns)
        if found is not None:
            if found.kind != "tun":
                what = f"a {found.kind} device" if found.kind else "a network device"
                raise TapError(f"{name} already exists and is {what}, not a TAP device: name a TAP device, or a new name for the workbench to create")
            if found.tun_type == IFF_TUN:
                raise TapError(f"{name} is a TUN device (bare IP packets), not a TAP device (Ethernet frames), so it cannot join a segment")
        elif not has_net_admin():
            raise TapError(f"cannot create TAP device {name}: {_NEEDS_CAP}")
        with _in_netns(netns):
            fd = _tunsetiff(name, created=found is None)
        device = cls(fd, name, created=found is None, netns=netns)
        try:
            device._bring_up(found, mtu)
        except BaseException:
            device._close()
            raise
        return device

    @classmethod
    def adopt(cls, fd: int, name: str, *, created: bool = True, netns: str | None = None) -> TapDevice:
        """A descriptor someone else opened (a test fixture, a parent process): we own it now."""
        os.set_blocking(fd, False)
        return cls(fd, name, created=created, netns=netns)

    def _bring_up(self, found: _Found | None, mtu: int | None) -> None:
        try:
            with _ipr(self.netns) as ipr:
                index = ipr.link_lookup(ifname=self.name)[0]
                if found is None and mtu:
                    ipr.link("set", index=index, mtu=mtu)
                if found is None or not found.up:
                    ipr.link("set", index=index, state="up")
                    self._restore_down = found is not None
                msg = ipr.link("get", index=index)[0]
                self.mac = msg.get_attr("IFLA_ADDRESS") or "?"
                self.mtu = msg.get_attr("IFLA_MTU") or 0
        except OSError as err:
            if err.errno == errno.EPERM:
                raise TapError(f"cannot bring TAP device {self.name} up: {_NEEDS_CAP}") from None
            raise TapError(f"cannot configure TAP device {self.name}: {err.strerror or err}") from None

    def read(self) -> bytes:
        return os.read(self.fd, READ_SIZE)

    def write(self, frame: bytes) -> int:
        return os.write(self.fd, frame)

    def close(self) -> bool:
        """Give the device back: closing removes one we created. True when it was removed."""
        if self.closed:
            return False
        if self._restore_down:
            return _off_loop(self._close)
        return self._close()

    def _close(self) -> bool:
        if self.closed:
            return False
        self.closed = True
        if self._restore_down:
            try:
                with _ipr(self.netns) as ipr:
                    for index in ipr.link_lookup(ifname=self.name):
                        ipr.link("set", index=index, state="down")
            except OSError:
                pass
        os.close(self.fd)
        return self.created

    def __repr__(self) -> str:
        where = f" in netns {self.netns}" if self.netns else ""
        return f"<TapDevice {self.name}{where} fd={self.fd} {'created' if self.created else 'attached'}>"


def _find_checked(name: str, netns: str | None) -> _Found | None:
    try:
        return _find(name, netns)
    except OSError as err:
        if netns is not None and err.errno in (errno.ENOENT, errno.EPERM, errno.EACCES):
            raise TapError(f"cannot look into network namespace {netns}: {err.strerror or err}") from None
        raise TapError(f"cannot look up network device {name}: {err.strerror or err}") from None


def _tunsetiff(name: str, *, created: bool) -> int:
    try:
        fd = os.open(TUN_PATH, os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise TapError(f"{TUN_PATH} does not exist, so no TAP device can be opened (load the tun module: modprobe tun)") from None
    except PermissionError:
        raise TapError(f"cannot open {TUN_PATH}: {_NEEDS_CAP}") from None
    try:
        fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI))
    except OSError as err:
        os.close(fd)
        if err.errno == errno.EPERM:
            what = "create" if created else "attach to"
            raise TapError(f"cannot {what} TAP device {name}: {_NEEDS_CAP}") from None
        if err.errno == errno.EBUSY:
            raise TapError(f"TAP device {name} is already in use by another program (it takes one reader at a time)") from None
        if err.errno == errno.EINVAL:
            raise TapError(f"{name} exists and is not a TAP device, so the workbench cannot attach to it") from None
        raise TapError(f"cannot open TAP device {name}: {err.strerror or err}") from None
    return fd


# --- the port on a segment ------------------------------------------------------------------


@dataclass
class TapCounters:
    frames_in: int = 0  # device → segment
    bytes_in: int = 0
    frames_out: int = 0  # segment → device
    bytes_out: int = 0
    dropped_fcs: int = 0
    write_errors: int = 0


class TapPort:
    """A port on `segment` whose far side is a TAP device; frames move on the asyncio loop."""

    def __init__(self, device: TapDevice, segment: Segment, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self.device = device
        self.owner = device.name
        self.name = "tap"
        self.segment = segment
        self.counters = TapCounters()
        self._loop = loop or asyncio.get_running_loop()
        self._reading = False
        self._write_problem = ""

    @classmethod
    def open(cls, segment: Segment, ifname: str, *, netns: str | None = None, loop: asyncio.AbstractEventLoop | None = None) -> TapPort:
        """Open (or create) TAP device `ifname` and plug it into `segment`, ready to run."""
        device = TapDevice.open(ifname, netns=netns, mtu=segment.mtu)
        return cls.plug(device, segment, loop=loop)

    @classmethod
    def plug(cls, device: TapDevice, segment: Segment, loop: asyncio.AbstractEventLoop | None = None) -> TapPort:
        """Plug an open device into `segment` and start reading from it."""
        try:
            port = cls(device, segment, loop)
            segment.attach(port)
            trace = segment.trace
            trace.emit(TapAttached(trace.now(), device.name, (), segment.name, device.name, device.created, device.mac, device.mtu))
            port.start()
        except BaseException:
            device.close()
            raise
        return port

    def start(self) -> None:
        if not self._reading:
            self._loop.add_reader(self.device.fd, self._readable)
            self._reading = True

    def _readable(self) -> None:
        device = self.device
        segment = self.segment
        counters = self.counters
        for _ in range(READ_BATCH):
            try:
                frame = device.read()
            except BlockingIOError:
                return
            except OSError as err:
                self._problem(f"read failed ({err.strerror or err}); no longer reading from it")
                self._stop_reading()
                return
            if not frame:
                return
            counters.frames_in += 1
            counters.bytes_in += len(frame)
            segment.transmit(self, frame)

    def deliver(self, frame_id: int, wire: bytes) -> None:
        """A frame (with FCS) from the segment goes out of the device (without it)."""
        if self.device.closed:
            return
        try:
            frame = strip_fcs(wire)
        except WireError:
            self.counters.dropped_fcs += 1
            return
        try:
            self.device.write(frame)
        except OSError as err:
            self.counters.write_errors += 1
            problem = f"write failed ({err.strerror or err}); frames to it are dropped"
            if problem != self._write_problem:  # say it once, not once per frame
                self._write_problem = problem
                self._problem(problem, (frame_id,))
            return
        self._write_problem = ""
        self.counters.frames_out += 1
        self.counters.bytes_out += len(frame)

    def _problem(self, problem: str, frames: tuple[int, ...] = ()) -> None:
        trace = self.segment.trace
        trace.emit(TapProblem(trace.now(), self.device.name, frames, self.device.name, problem))

    def _stop_reading(self) -> None:
        if self._reading:
            self._reading = False
            try:
                self._loop.remove_reader(self.device.fd)
            except (ValueError, OSError, RuntimeError):
                pass

    def close(self) -> None:
        """Unplug from the segment and give the device back (removing one we created)."""
        if self.device.closed:
            return
        self._stop_reading()
        if self in self.segment.ports:
            self.segment.ports.remove(self)
        removed = self.device.close()
        trace = self.segment.trace
        trace.emit(TapDetached(trace.now(), self.device.name, (), self.segment.name, self.device.name, removed, self.counters.frames_in, self.counters.frames_out))


class TapSet:
    """The TAP ports of one running lab, closed together (last opened, first closed)."""

    def __init__(self, ports: list[TapPort] | None = None) -> None:
        self.ports: list[TapPort] = list(ports or [])

    def add(self, port: TapPort) -> TapPort:
        self.ports.append(port)
        return port

    def close(self) -> None:
        while self.ports:
            self.ports.pop().close()

    def __enter__(self) -> TapSet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __iter__(self):
        return iter(self.ports)

    def __len__(self) -> int:
        return len(self.ports)
