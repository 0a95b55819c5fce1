"""The command line: `workbench` opens the app; `run`, `labs`, `lab show` work headless.

Bad input is one sentence on stderr and exit status 2; never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one sentence, exit 2, as everywhere else
        self.exit(2, f"workbench: {message} (see workbench --help)\n")


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 <= value < 1e9:
        raise argparse.ArgumentTypeError(f"{text} seconds is not between 0 and 1e9")
    return value


def _frames(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of frames") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} frames cannot be negative")
    return value


def _trace_options(p: argparse.ArgumentParser, suffix: str = "") -> None:
    # Passed to the trace through the environment, which every trace of the process reads.
    p.add_argument(
        "--trace-window",
        dest="trace_window" + suffix,
        type=_frames,
        default=None,
        metavar="FRAMES",
        help="frames the trace keeps in memory; older ones spill to disk and are read back when needed (default 10000; 0 keeps all in memory)",
    )
    p.add_argument(
        "--spill",
        dest="spill" + suffix,
        default=None,
        metavar="FILE",
        help="where frames beyond the window go (a pcapng with each frame's events as comments, kept after the run); default: a temporary file, removed at the end",
    )


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="workbench",
        description="A terminal workbench for a small network: simulated, or live over TAP.",
    )
    p.add_argument(
        "--lab",
        default="default",
        metavar="NAME|FILE",
        help="built-in lab name or a lab TOML file (default: default)",
    )
    p.add_argument("--theme", default=None, help="colour theme for the app")
    p.add_argument(
        "--lang",
        default="en",
        choices=("en", "zh"),
        help="language of the explanations and help: en (default) or zh, Chinese in the seed's terms (L switches in the app)",
    )
    p.add_argument(
        "--tap",
        dest="taps",
        action="append",
        default=[],
        metavar="SEGMENT=IFNAME",
        help="bridge a lab segment to a TAP device (created if missing, removed on exit); repeat for more",
    )
    _trace_options(p)
    p.add_argument(
        "--from",
        dest="origin",
        default=None,
        metavar="SNAPSHOT",
        help="continue from a snapshot (S in the app, or workbench run --snapshot); the file is never written to",
    )
    p.add_argument(
        "--scratch",
        action="store_true",
        help="write nothing back (like QEMU's -snapshot): S saves no snapshot file",
    )
    p.add_argument(
        "--qemu",
        dest="qemu",
        action="append",
        default=[],
        metavar="SEGMENT=PATH",
        help="let QEMU VMs join a segment over -netdev stream (PATH, tcp:PORT) or dgram (dgram:PATH, udp:PORT); see workbench qemu-args",
    )
    sub = p.add_subparsers(dest="command", parser_class=_Parser)

    run = sub.add_parser("run", help="run a lab headless and print the trace")
    run.add_argument(
        "--lab",
        dest="run_lab",
        default=None,
        metavar="NAME|FILE",
        help="built-in lab name or a lab TOML file",
    )
    run.add_argument(
        "--do",
        action="append",
        default=[],
        metavar="'HOST: COMMAND'",
        help="a command to run on a host; repeat for more",
    )
    run.add_argument(
        "--pcap",
        help="write every frame to this capture (.pcap, or .pcapng with one interface per segment)",
    )
    run.add_argument(
        "--capture-on",
        action="append",
        default=[],
        metavar="SEGMENT",
        help="write only this segment's frames to --pcap (as tshark -i does; repeatable); default: every segment",
    )
    run.add_argument("--events", help="write the trace as JSON Lines to this file")
    run.add_argument("-q", "--quiet", action="store_true", help="print only the commands' results")
    run.add_argument(
        "--tap",
        dest="run_taps",
        action="append",
        default=[],
        metavar="SEGMENT=IFNAME",
        help="bridge a lab segment to a TAP device and run live, in real time; repeat for more",
    )
    _trace_options(run, "_run")
    run.add_argument(
        "--lang",
        dest="run_lang",
        default=None,
        choices=("en", "zh"),
        help="language of the trace's explanations: en (default) or zh, Chinese in the seed's terms",
    )
    run.add_argument(
        "--snapshot",
        dest="snapshot_to",
        default=None,
        metavar="FILE",
        help="save a snapshot of the lab (its inputs, replayed on load) when lab time reaches --at (default: at the end)",
    )
    run.add_argument(
        "--at", type=_seconds, default=None, metavar="SECONDS", help="the lab time of --snapshot"
    )
    run.add_argument(
        "--from",
        dest="run_origin",
        default=None,
        metavar="SNAPSHOT",
        help="continue from a snapshot (its lab, its inputs, its pending commands), leaving the file untouched",
    )
    run.add_argument(
        "--scratch",
        dest="run_scratch",
        action="store_true",
        help="write no snapshot (refuses --snapshot)",
    )
    run.add_argument(
        "--qemu",
        dest="run_qemu",
        action="append",
        default=[],
        metavar="SEGMENT=PATH",
        help="let QEMU VMs join a segment (PATH, tcp:PORT, dgram:PATH, udp:PORT) and run live, in real time",
    )
    run.add_argument(
        "--for",
        dest="serve_for",
        type=_seconds,
        default=None,
        metavar="SECONDS",
        help="keep serving this long after the commands (live: real seconds, 0 = stop when done; simulated: virtual seconds)",
    )

    dissect = sub.add_parser("dissect", help="read a pcap or pcapng capture like tshark -r")
    from workbench.dissect_options import add_arguments as dissect_arguments

    dissect_arguments(dissect)

    opener = sub.add_parser("open", help="open a pcap or pcapng capture in the app")
    opener.add_argument("file", help="the capture to open")

    serve = sub.add_parser("serve", help="hand the app to others: over SSH, or in a browser")
    how = serve.add_mutually_exclusive_group(required=True)
    how.add_argument(
        "--ssh",
        metavar="[ADDR:]PORT",
        help="an SSH server; each connection gets its own workbench (loopback unless ADDR is given)",
    )
    how.add_argument(
        "--web",
        metavar="[ADDR:]PORT",
        help="a web server (textual-serve); each page gets its own workbench (loopback unless ADDR is given)",
    )
    serve.add_argument(
        "--lab",
        dest="serve_lab",
        default=None,
        metavar="NAME|FILE",
        help="the lab each session opens (default: the default lab)",
    )
    serve.add_argument(
        "--authorized-keys",
        metavar="FILE",
        help="OpenSSH authorized_keys: only these keys may log in (required off loopback)",
    )
    serve.add_argument(
        "--host-key",
        metavar="FILE",
        help="the server's SSH host key, made there the first time (default: ~/.local/state/workbench/ssh_host_ed25519_key)",
    )
    serve.add_argument(
        "--max-sessions",
        type=int,
        default=None,
        metavar="N",
        help="most SSH sessions at once (default: 8)",
    )
    qargs = sub.add_parser(
        "qemu-args",
        help="print the -netdev/-device arguments that put your own QEMU on a lab segment",
    )
    qargs.add_argument("segment", help="the lab segment")
    qargs.add_argument(
        "--lab",
        dest="qargs_lab",
        default=None,
        metavar="NAME|FILE",
        help="built-in lab name or a lab TOML file",
    )
    qargs.add_argument(
        "--qemu",
        dest="qargs_qemu",
        action="append",
        default=[],
        metavar="SEGMENT=PATH",
        help="the address the workbench will listen on (as given to workbench --qemu)",
    )
    qargs.add_argument("--model", default="e1000", help="the NIC model (default: e1000)")
    qargs.add_argument(
        "--mac", default=None, help="the NIC's MAC (default: one derived from the lab and segment)"
    )

    sub.add_parser("labs", help="list the built-in labs")
    lab = sub.add_parser("lab", help="show a lab")
    lab_sub = lab.add_subparsers(
        dest="lab_command", metavar="show", parser_class=_Parser, required=True
    )
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
        # The reader left (`| head`): stop quietly, as a pipeline expects, and let nothing more
        # be flushed to the closed pipe at exit.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _dispatch(args: argparse.Namespace) -> int:
    import os

    window = getattr(args, "trace_window_run", None)
    window = args.trace_window if window is None else window
    if window is not None:
        os.environ["WORKBENCH_TRACE_WINDOW"] = str(window)
    spill = getattr(args, "spill_run", None) or args.spill
    if spill:
        os.environ["WORKBENCH_SPILL"] = os.path.abspath(spill)
    lang = getattr(args, "run_lang", None) or args.lang
    if lang != "en":
        from workbench import i18n

        i18n.set_language(lang)
    if args.command == "dissect":  # before the imports below: a capture needs no lab or shell
        from workbench import dissect_cli

        return dissect_cli.run(args)
    if args.command == "open":  # likewise: a capture's first screen waits for no lab or shell
        from workbench.open_capture import main as open_main

        return open_main(args.file, theme=args.theme, lang=args.lang)
    from workbench.shell import CommandError

    try:
        if args.command == "run":
            from stack.labs import load_lab
            from stack.labs.build import is_live
            from stack.labs.ports import parse_qemu_options
            from workbench import run

            lab = args.run_lab or args.lab
            tap_items = args.taps + args.run_taps
            if tap_items:
                from workbench.live import parse_taps

                taps = parse_taps(tap_items)
            else:
                taps = {}
            qemu = parse_qemu_options(args.qemu + args.run_qemu)
            origin_path = args.run_origin or args.origin
            if (
                origin_path
                or args.snapshot_to
                or args.at is not None
                or args.run_scratch
                or args.scratch
            ):
                from workbench.snapshot_cli import run_with_snapshots

                return run_with_snapshots(args, lab, origin_path, taps, qemu)
            spec = load_lab(lab)  # a mistake in the lab is the first thing to hear about
            if taps or qemu or is_live(spec):  # live with no commands serves the lab until Ctrl-C
                from workbench import live

                return live.main(
                    lab,
                    args.do,
                    args.pcap,
                    args.events,
                    args.quiet,
                    taps,
                    args.serve_for,
                    capture_on=args.capture_on,
                    qemu=qemu,
                )
            if not args.do and args.serve_for is None:
                raise CommandError(
                    'nothing to run: give --do "HOST: COMMAND" (repeatable), or --for SECONDS to let the lab run'
                )
            return run.main(
                lab,
                args.do,
                args.pcap,
                args.events,
                args.quiet,
                settle=args.serve_for or 0.0,
                capture_on=args.capture_on,
            )
        if args.command == "serve":
            from workbench.serve.cli import main as serve_main

            return serve_main(args)
        if args.command == "qemu-args":
            from workbench.qemu_args import main as qemu_args

            return qemu_args(
                args.qargs_lab or args.lab,
                args.segment,
                args.qemu + args.qargs_qemu,
                args.model,
                args.mac,
            )
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
    except BrokenPipeError:
        raise
    except Exception as err:
        if isinstance(err, _sentence_errors()):
            print(f"workbench: {err}", file=sys.stderr)
            return 2
        if isinstance(err, OSError):
            print(f"workbench: {err.filename or ''}: {err.strerror}", file=sys.stderr)
            return 2
        raise


# Errors whose message is the one sentence to print, by module: a simulated run need not
# import the live, QEMU, VM and snapshot machinery just to name their errors.
SENTENCE_ERRORS = (
    ("stack.labs.load", "LabError"),
    ("workbench.shell.spec", "CommandError"),
    ("stack.link.tap_device", "TapError"),
    ("stack.trace", "TraceError"),
    ("stack.link.qemu", "QemuError"),
    ("workbench.vms", "VmError"),
    ("workbench.snapshot", "SnapshotError"),
)


def _sentence_errors() -> tuple[type[Exception], ...]:
    """The error types of `SENTENCE_ERRORS` whose modules are loaded (one never imported
    cannot have raised)."""
    return tuple(
        getattr(sys.modules[module], name)
        for module, name in SENTENCE_ERRORS
        if module in sys.modules
    )


def _app(args: argparse.Namespace) -> int:
    from stack.labs import load_lab
    from stack.labs.build import is_live, with_taps
    from stack.labs.ports import parse_qemu_options, with_qemu
    from workbench.live import parse_taps

    # A bad lab, --tap or --qemu fails here, before the screen is taken. The spec carries
    # tap = / qemu = on those segments; the app opens them (workbench.live.open_live) on its loop.
    origin = None
    if args.origin:
        from workbench.snapshot_cli import app_origin

        origin = app_origin(args)
        spec = origin.spec()
    else:
        spec = with_qemu(
            with_taps(load_lab(args.lab), parse_taps(args.taps)), parse_qemu_options(args.qemu)
        )
    if spec.vms:
        from workbench.vms import preflight as vm_preflight

        vm_preflight(spec)
    if is_live(spec):
        from stack.link.tap_device import preflight

        for segment in spec.segments.values():
            if segment.tap:
                preflight(segment.tap)
    from workbench.app import UnknownTheme, WorkbenchApp

    try:
        app = WorkbenchApp(
            spec, theme=args.theme, lang=args.lang, origin=origin, scratch=args.scratch
        )
    except UnknownTheme as err:
        print(f"workbench: {err}", file=sys.stderr)
        return 2
    web = "web_driver" in os.environ.get("TEXTUAL_DRIVER", "")  # textual-serve runs it over pipes
    if not web and not (sys.stdin.isatty() and sys.stdout.isatty()):
        # Without a terminal the app would draw into a pipe and wait for keys that never come.
        print(
            'workbench: the app needs a terminal (run it in one, or over ssh -t); headless, use workbench run --do "HOST: COMMAND"',
            file=sys.stderr,
        )
        return 2
    app.run()
    return app.return_code or 0  # 2 when a TAP device could not be opened (the app says why)


if __name__ == "__main__":
    sys.exit(main())
