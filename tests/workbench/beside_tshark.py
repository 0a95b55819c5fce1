"""`workbench dissect` and `tshark -r` run alike on one capture, for tests that compare them."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys


def ours(*args: str) -> str:
    return _run(sys.executable, "-m", "workbench.cli", "dissect", *args)


def refused(*args: str) -> str:
    """What `workbench dissect` says when it refuses its arguments: one line, status 2, no output."""
    done = subprocess.run(
        [sys.executable, "-m", "workbench.cli", "dissect", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and done.stdout == "" and done.stderr.count("\n") == 1
    return done.stderr


def theirs(*args: str) -> str:
    return _run(shutil.which("tshark"), "-r", *args)


def _run(*command: str) -> str:
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=True).stdout


def layers(out: str, *titles: str) -> list[str]:
    """The `-V` lines of the layers whose title starts with one of `titles`, our byte ranges
    (`  [bytes 54-70]`, `  [Reassembled TCP bytes 106-12105]`) taken off."""
    lines, inside = [], False
    for line in out.splitlines():
        line = re.sub(r"  \[(?:Reassembled TCP )?bytes? [\d-]+\]$", "", line)
        if not line.startswith(" "):
            inside = line.startswith(titles)
        if inside:
            lines.append(line)
    return lines
