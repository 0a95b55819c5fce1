"""Compiled bytecode for the benchmarks' child processes, as a person's installation has it.

An installed package, or a checkout that has run once, keeps each module compiled in
`__pycache__`, so a start reads bytecode. A machine with PYTHONDONTWRITEBYTECODE set (these
do) and a fresh checkout never writes it, and every start compiles the workbench's modules
from source again: about 90 ms more than a person waits, while the Textual hello world it is
set beside reads site-packages' compiled copies. `cache_bytecode` gives the children a
bytecode folder of their own (PYTHONPYCACHEPREFIX, nothing written into the checkout), which
the benchmark's warm-up run fills; `--compile-each-start` keeps the old way for comparison.
"""

from __future__ import annotations

import argparse
import os


def add_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--compile-each-start",
        action="store_true",
        help="leave PYTHONDONTWRITEBYTECODE as it is, so a checkout without __pycache__ compiles its modules at every start",
    )


def cache_bytecode(folder: str, compile_each_start: bool = False) -> str:
    """Set this process's environment (which its children inherit) so that they keep compiled
    modules in `folder`; returns a phrase for the report."""
    if compile_each_start:
        return (
            "modules compiled at every start"
            if os.environ.get("PYTHONDONTWRITEBYTECODE")
            else "bytecode as this environment keeps it"
        )
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = folder
    return "bytecode cached (as installed)"
