"""The command line: `workbench` opens the app; `run`, `labs`, `lab show` work headless.

Bad input is one sentence on stderr and exit status 2; never a traceback.
"""

from __future__ import annotations

import argparse
import sys


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one sentence, exit 2, as everywhere else
        self.exit(2, f"workbench: {message} (see workbench --help)\n")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="workbench", description="A terminal workbench for a small network: simulated, or live over TAP.")
    p.add_argument("--lab", default="default", help="built-in lab name or a lab TOML file (default: default)")
    p.add_argument("--theme", default=None, help="colour theme for the app")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)

    run = sub.add_parser("run", help="run a lab headless and print the trace")
    run.add_argument("--lab", dest="run_lab", default=None, help="built-in lab name or a lab TOML file")
    run.add_argument("--do", action="append", default=[], metavar="'HOST: COMMAND'", help="a command to run on a host; repeat for more")
    run.add_argument("--pcap", help="write every frame to this capture (.pcap, or .pcapng with one interface per segment)")
    run.add_argument("--events", help="write the trace as JSON Lines to this file")
    run.add_argument("-q", "--quiet", action="store_true", help="print only the commands' results")

    sub.add_parser("labs", help="list the built-in labs")
    lab = sub.add_parser("lab", help="show a lab")
    lab_sub = lab.add_subparsers(dest="lab_command", parser_class=_Parser, required=True)
    show = lab_sub.add_parser("show", help="print a lab as TOML")
    show.add_argument("name")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _dispatch(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


def _dispatch(args: argparse.Namespace) -> int:
    from stack.labs import LabError
    from workbench.commands import CommandError

    try:
        if args.command == "run":
            from workbench import run

            return run.main(args.run_lab or args.lab, args.do, args.pcap, args.events, args.quiet)
        if args.command == "labs":
            from stack.labs import builtin_labs

            for name, description in builtin_labs().items():
                print(f"{name:<10} {description}")
            return 0
        if args.command == "lab":
            from stack.labs import read_lab_text
            from stack.labs.load import parse_lab

            text, source = read_lab_text(args.name)
            parse_lab(text, source)
            sys.stdout.write(text)
            return 0
        return _app(args)
    except (LabError, CommandError) as err:
        print(f"workbench: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"workbench: {err.filename or ''}: {err.strerror}", file=sys.stderr)
        return 2


def _app(args: argparse.Namespace) -> int:
    from stack.labs import load_lab

    spec = load_lab(args.lab)  # a bad lab fails here, before the screen is taken
    from workbench.app import WorkbenchApp

    WorkbenchApp(spec, theme=args.theme).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
