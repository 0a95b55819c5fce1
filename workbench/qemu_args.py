"""`workbench qemu-args SEGMENT`: the `-netdev`/`-device` arguments that put one's own QEMU on a
lab segment, printed on one line to paste into a QEMU command line (notes go to stderr).

The address is the one the lab file (`qemu =`) or `--qemu SEGMENT=…` gives the segment, or
else a default socket path the note says to pass to the workbench.
"""

from __future__ import annotations

import os
import shlex
import sys
import tempfile
from typing import TextIO

from stack.labs import LabError, load_lab
from stack.labs.ports import parse_qemu_options, with_qemu
from stack.labs.vm_checks import vm_mac
from stack.link.qemu_address import parse_qemu_address
from stack.wire.mac import MAC
from workbench.vms import paste_args


def default_socket(segment: str) -> str:
    return os.path.join(tempfile.gettempdir(), f"workbench-{segment}.sock")


def main(
    lab: str,
    segment: str,
    qemu: list[str],
    model: str,
    mac: str | None,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> int:
    file_spec = load_lab(lab)
    spec = with_qemu(file_spec, parse_qemu_options(qemu))
    if segment not in spec.segments:
        raise LabError(
            f"lab {spec.name} has no segment named {segment!r} (segments: {', '.join(spec.segments)})"
        )
    in_file = file_spec.segments[segment].qemu
    chosen_address = spec.segments[segment].qemu
    address = parse_qemu_address(chosen_address or default_socket(segment))
    if mac is None:
        chosen = vm_mac(spec.name, f"guest-on-{segment}")
    else:
        try:
            chosen = MAC(mac)
        except ValueError as bad:
            raise LabError(f"--mac {mac}: {bad}") from None
    out.write(shlex.join(paste_args(address, str(chosen), model)) + "\n")
    lab_arg = (
        "" if spec.source.endswith("(built-in)") and spec.name == "default" else f" --lab {lab}"
    )
    if in_file and in_file == chosen_address:
        err.write(
            f"# the workbench listens there when it runs lab {spec.name}: workbench{lab_arg}\n"
        )
    else:
        err.write(
            f"# start the workbench listening there first: workbench{lab_arg} --qemu {segment}={address}\n"
        )
    if address.mode == "dgram":
        err.write(
            "# each VM needs its own local end: change local.path (or local.port) for a second VM\n"
        )
    return 0
