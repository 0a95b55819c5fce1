"""The operating-system side of a TAP device: open, attach or create it, bring it up, give it
back. Every refusal is a `TapError` whose message is one sentence for the person at the terminal.

`TapDevice.open` attaches to an existing TAP device (left exactly as it was found when we are
done) or creates one with `TUNSETIFF` and without the persist flag, so the kernel removes it
the moment the descriptor closes — on a normal exit, on Ctrl-C, on an error and even when the
process is killed. Netlink (pyroute2) and namespace work run on a short-lived helper thread.
"""

from __future__ import annotations

import errno
import fcntl
import os
import struct
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

from stack.link.tap_offload import IFF_VNET_HDR, OFFLOADS, TUNSETOFFLOAD, wrap

TUN_PATH = "/dev/net/tun"
TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
IFF_UP = 0x1
CAP_NET_ADMIN = 12
IFNAMSIZ = 16
READ_SIZE = 65536 + 64  # the largest MTU a TAP device takes, plus headers

_NEEDS_CAP = "live mode needs CAP_NET_ADMIN (run as root, or `sudo setcap cap_net_admin+ep` on the Python interpreter)"


class TapError(Exception):
    """A TAP device that cannot be used; the message is the one sentence to show."""


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
    return _Found(
        indexes[0],
        kind or "",
        tun_type,
        bool(msg["flags"] & IFF_UP),
        msg.get_attr("IFLA_ADDRESS") or "?",
        msg.get_attr("IFLA_MTU") or 0,
    )


def _check_name(name: str) -> None:
    if (
        not name
        or len(name.encode()) >= IFNAMSIZ
        or "/" in name
        or any(c.isspace() for c in name)
        or name in (".", "..")
    ):
        raise TapError(
            f"{name!r} is not a usable interface name (1–15 characters, no spaces or slashes)"
        )


class TapDevice:
    """One open TAP device: its descriptor, name, MAC, and whether we made it."""

    def __init__(
        self,
        fd: int,
        name: str,
        *,
        created: bool,
        netns: str | None = None,
        restore_down: bool = False,
        mac: str = "?",
        mtu: int = 1500,
        offload: bool = False,
    ) -> None:
        self.fd = fd
        self.name = name
        self.created = created
        self.netns = netns
        self.mac = mac
        self.mtu = mtu
        # Frames carry a virtio-net header and the kernel leaves TCP segmentation and
        # checksums to us (stack.link.tap_offload): only on a device we made, which goes away
        # with us, so a device we attach to is left exactly as it was found.
        self.offload = offload
        self._restore_down = restore_down
        self._index: int | None = None  # the device we brought up, to take down only that one
        self.closed = False

    @classmethod
    def open(
        cls, name: str, *, netns: str | None = None, mtu: int | None = None, offload: bool = True
    ) -> TapDevice:
        """Attach to TAP device `name`, or create it when there is no device of that name.

        With `netns`, the device is looked up and created inside that network namespace (the
        process itself stays where it is; the descriptor works from anywhere). A device we
        create gets `mtu` and is brought up; an existing one is brought up if it was down, and
        taken down again on close. Netlink and namespace work happen on a helper thread, so
        this may be called from a running asyncio loop.
        """
        _check_name(name)
        return _off_loop(cls._open, name, netns, mtu, offload)

    @classmethod
    def _open(cls, name: str, netns: str | None, mtu: int | None, offload: bool) -> TapDevice:
        found = _usable(name, netns)
        offload = offload and found is None
        with _in_netns(netns):
            fd = _tunsetiff(name, created=found is None, vnet=offload)
        device = cls(fd, name, created=found is None, netns=netns, offload=offload)
        try:
            device._bring_up(found, mtu)
        except BaseException:
            device._close()
            raise
        return device

    @classmethod
    def reopen(cls, name: str, netns: str | None, mtu: int, create: bool) -> TapDevice | None:
        """`name` opened again after it went away: None while there is no such device (unless
        `create`, which makes it). Blocking: call it off the loop."""
        if not create and _usable(name, netns) is None:
            return None
        return cls.open(name, netns=netns, mtu=mtu)

    @classmethod
    def adopt(
        cls, fd: int, name: str, *, created: bool = True, netns: str | None = None
    ) -> TapDevice:
        """A descriptor someone else opened (a test fixture, a parent process): we own it now."""
        os.set_blocking(fd, False)
        return cls(fd, name, created=created, netns=netns)

    def _bring_up(self, found: _Found | None, mtu: int | None) -> None:
        try:
            with _ipr(self.netns) as ipr:
                found_now = ipr.link_lookup(ifname=self.name)
                if not found_now:
                    raise TapError(self._deleted_meanwhile)
                index = found_now[0]
                self._index = index
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
            if err.errno == errno.ENODEV:
                raise TapError(self._deleted_meanwhile) from None
            raise TapError(
                f"cannot configure TAP device {self.name}: {err.strerror or err}"
            ) from None

    @property
    def _deleted_meanwhile(self) -> str:
        # It exists from TUNSETIFF on; anyone in the namespace can delete it before it is up.
        return f"TAP device {self.name} was deleted while it was being brought up"

    def read(self) -> bytes:
        """What one read gives: a frame, behind its virtio-net header when `offload`."""
        return os.read(self.fd, READ_SIZE)

    def write(self, frame: bytes, mtu: int) -> int:
        """Write one frame; with `offload`, behind the header that says what the kernel is to
        do with it (stack.link.tap_offload.wrap: a TCP frame over `mtu` is cut by the kernel)."""
        return os.write(self.fd, wrap(frame, mtu) if self.offload else frame)

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
            # Only the device we brought up: if the name now belongs to another device (ours
            # was deleted and someone made a new one), that one is not ours to change.
            try:
                with _ipr(self.netns) as ipr:
                    if self._index in ipr.link_lookup(ifname=self.name):
                        ipr.link("set", index=self._index, state="down")
            except OSError:
                pass
        os.close(self.fd)
        return self.created

    def __repr__(self) -> str:
        where = f" in netns {self.netns}" if self.netns else ""
        return f"<TapDevice {self.name}{where} fd={self.fd} {'created' if self.created else 'attached'}>"


def preflight(name: str, *, netns: str | None = None) -> None:
    """Raise the TapError that opening `name` would raise, without opening anything, so a
    program can refuse before it takes the screen."""
    _check_name(name)
    _usable(name, netns)


def _usable(name: str, netns: str | None) -> _Found | None:
    """The existing device `name` if it is a TAP device, None if we may create it."""
    found = _find_checked(name, netns)
    if found is not None:
        if found.kind != "tun":
            what = f"a {found.kind} device" if found.kind else "a network device"
            raise TapError(
                f"{name} already exists and is {what}, not a TAP device: name a TAP device, or a new name for the workbench to create"
            )
        if found.tun_type == IFF_TUN:
            raise TapError(
                f"{name} is a TUN device (bare IP packets), not a TAP device (Ethernet frames), so it cannot join a segment"
            )
    elif not has_net_admin():
        raise TapError(f"cannot create TAP device {name}: {_NEEDS_CAP}")
    return found


def _find_checked(name: str, netns: str | None) -> _Found | None:
    try:
        return _find(name, netns)
    except OSError as err:
        if netns is not None and err.errno in (errno.ENOENT, errno.EPERM, errno.EACCES):
            raise TapError(
                f"cannot look into network namespace {netns}: {err.strerror or err}"
            ) from None
        raise TapError(f"cannot look up network device {name}: {err.strerror or err}") from None


def _tunsetiff(name: str, *, created: bool, vnet: bool = False) -> int:
    try:
        fd = os.open(TUN_PATH, os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise TapError(
            f"{TUN_PATH} does not exist, so no TAP device can be opened (load the tun module: modprobe tun)"
        ) from None
    except PermissionError:
        raise TapError(f"cannot open {TUN_PATH}: {_NEEDS_CAP}") from None
    try:
        fcntl.ioctl(
            fd,
            TUNSETIFF,
            struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI | (IFF_VNET_HDR if vnet else 0)),
        )
    except OSError as err:
        os.close(fd)
        if err.errno == errno.EPERM:
            what = "create" if created else "attach to"
            raise TapError(f"cannot {what} TAP device {name}: {_NEEDS_CAP}") from None
        if err.errno == errno.EBUSY:
            raise TapError(
                f"TAP device {name} is already in use by another program (it takes one reader at a time)"
            ) from None
        if err.errno == errno.EINVAL:
            raise TapError(
                f"{name} exists and is not a TAP device, so the workbench cannot attach to it"
            ) from None
        raise TapError(f"cannot open TAP device {name}: {err.strerror or err}") from None
    if vnet:
        # The frames carry the virtio-net header either way; a kernel that refuses the
        # offloads just leaves nothing to us.
        try:
            fcntl.ioctl(fd, TUNSETOFFLOAD, OFFLOADS)
        except OSError:
            pass
    return fd
