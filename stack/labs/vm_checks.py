"""Checks for a lab's `[vms.NAME]` tables: QEMU virtual machines the workbench starts.

    [vms.pxe]
    segment = "lan"                 # the segment its NIC is on (required)
    model = "e1000"                 # e1000, e1000e, virtio-net-pci, rtl8139, …
    mac = "52:54:00:12:34:56"       # default: derived from the lab and the name, QEMU's 52:54:00
    memory = 128                    # MiB
    boot = "network"                # network (the NIC's iPXE ROM), disk, cdrom or none
    accel = "tcg"                   # tcg works everywhere; kvm needs VT-x/AMD-V
    args = ["-drive", "file=disk.qcow2"]        # more arguments, added as given
    command = ["qemu-system-x86_64", "-m", "512", "-hda", "disk.qcow2"]   # or a whole command line
    snapshot = true                 # -snapshot: the disk images are never written to

The workbench always adds the `-netdev` and `-device` that put the NIC on the segment.
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING

from stack.labs.spec import SegmentSpec, VmSpec
from stack.wire.mac import MAC

if TYPE_CHECKING:
    from stack.labs.load import _Reader

_VM = {"segment", "model", "mac", "memory", "boot", "accel", "args", "command", "snapshot"}
BOOTS = {"network": "n", "disk": "c", "cdrom": "d", "none": ""}
ACCELS = ("tcg", "kvm")
_MODEL = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


def vm_mac(lab: str, name: str) -> MAC:
    """A stable MAC in QEMU's own 52:54:00 block, for a VM the lab does not pin."""
    digest = hashlib.sha256(f"{lab}/vm/{name}".encode()).digest()
    return MAC(b"\x52\x54\x00" + digest[:3])


def check_vms(
    r: _Reader,
    raw: object,
    lab: str,
    segments: dict[str, SegmentSpec],
    taken: dict[MAC, str],
    names: set[str],
) -> dict[str, VmSpec]:
    vms: dict[str, VmSpec] = {}
    for name, value in r.table(raw, "vms").items():
        key = f"vms.{name}"
        if name in names:
            raise r.fail(key, f"the name {name!r} is already a host's")
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,30}", name):
            raise r.fail(key, "a VM's name is letters, digits, - and _ (up to 31)")
        table = r.table(value, key)
        r.known(table, _VM, key)
        if "segment" not in table:
            raise r.fail(f"{key}.segment", "missing: which segment is the VM's NIC on?")
        segment = r.text(table["segment"], f"{key}.segment")
        if segment not in segments:
            raise r.fail(
                f"{key}.segment", f"no segment named {segment!r} (segments: {', '.join(segments)})"
            )
        mac = r.mac(table["mac"], f"{key}.mac") if "mac" in table else vm_mac(lab, name)
        if mac.is_multicast:
            raise r.fail(
                f"{key}.mac", f"{mac} is a group (multicast) address; a NIC needs a unicast MAC"
            )
        if mac in taken:
            raise r.fail(f"{key}.mac", f"MAC {mac} is already used by {taken[mac]}")
        taken[mac] = f"vm {name}"
        model = r.text(table.get("model", "e1000"), f"{key}.model")
        if not _MODEL.match(model):
            raise r.fail(
                f"{key}.model", f"{model!r} is not a QEMU NIC model name (e1000, virtio-net-pci, …)"
            )
        boot = r.text(table.get("boot", "network"), f"{key}.boot")
        if boot not in BOOTS:
            raise r.fail(f"{key}.boot", f"{boot!r} is not one of {', '.join(BOOTS)}")
        accel = r.text(table.get("accel", "tcg"), f"{key}.accel")
        if accel not in ACCELS:
            raise r.fail(f"{key}.accel", f"{accel!r} is not one of {', '.join(ACCELS)}")
        vms[name] = VmSpec(
            name=name,
            segment=segment,
            mac=mac,
            model=model,
            memory=int(r.number(table.get("memory", 128), f"{key}.memory", 16, 65536)),
            boot=boot,
            accel=accel,
            args=_words(r, table.get("args", []), f"{key}.args"),
            command=_words(r, table.get("command", []), f"{key}.command"),
            snapshot=r.flag(table.get("snapshot", False), f"{key}.snapshot"),
        )
    return vms


def _words(r: _Reader, value: object, key: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise r.fail(key, "should be a list of strings, one argument each")
    return tuple(r.text(v, key) for v in value)
