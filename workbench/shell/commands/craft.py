"""Crafting from the shell: `send` (an expression, raw hex or a file of expressions; once or a
burst) and `replay` (a capture at its own pace or faster). Both run on a host — through its
stack, or out of its NIC as written with --raw — or on a segment ("lan: send …"), where the
frame enters as from a TAP device and nothing is filled in."""

from __future__ import annotations

import os

from workbench.shell.parse import flag, number, peel_options, text
from workbench.shell.spec import Call, CommandError, CommandSpec, Factory

SEND_USAGE = "send EXPR|--raw HEX|--file FILE [-c COUNT] [-i INTERVAL] [--segment SEGMENT]"
REPLAY_USAGE = "replay FILE [--speed X] [--segment SEGMENT]"


def _sender(call: Call, segment_name: str | None):
    from workbench.craft.send import Sender

    if segment_name is not None:
        segment = call.net.segments.get(segment_name)
        if segment is None:
            raise call.fail(
                f"no segment named {segment_name!r} (segments: {', '.join(call.net.segments)})"
            )
        return Sender(call.net, segment=segment)
    if call.host is None:
        return Sender(call.net, segment=call.segment)
    return Sender(call.net, host=call.host)


def _send(call: Call) -> Factory:
    from workbench.craft.expression import ExpressionError, parse
    from workbench.craft.fill import Plan, plan_for_segment, plan_from_host
    from workbench.craft.send import CraftedSend
    from workbench.craft.textfile import load

    opts, rest = peel_options(
        call,
        call.text,
        {
            "-c": number(int, 1, 100_000),
            "-i": number(float, 0.0, 3600),
            "--raw": flag(),
            "--file": text(),
            "--segment": text(),
        },
    )
    sender = _sender(call, opts.get("--segment"))
    count, interval = opts.get("-c", 1), opts.get("-i", 1.0)
    if opts.has("--raw"):
        if opts.has("--file"):
            raise call.usage_error("--raw and --file do not go together")
        cleaned = "".join(rest.split()).replace(":", "")
        try:
            frame = bytes.fromhex(cleaned)
        except ValueError:
            raise call.fail(
                f"--raw takes hexadecimal bytes, and {rest!r} is not (for example ffffffffffff001cb3772066 0806 …)"
            ) from None
        if not 14 <= len(frame) <= 9018:
            raise call.fail(f"--raw: a frame is 14 to 9,018 bytes, not {len(frame):,}")
        plans = lambda: [Plan("frame", frame, f"raw {len(frame)} bytes")]  # noqa: E731
        return lambda: CraftedSend(sender, plans, count, interval)
    if opts.has("--file"):
        if rest:
            raise call.usage_error("give an expression or --file, not both")
        path = str(opts.get("--file"))
        if not os.path.isfile(path):
            raise call.fail(f"there is no file {path}")
        try:
            texts = load(path)
        except (ExpressionError, OSError) as err:
            raise call.fail(str(err)) from None
    else:
        if not rest:
            raise call.usage_error(
                'give an expression, for example Ether(dst="ff:ff:ff:ff:ff:ff")/ARP(op=2, psrc="192.168.1.1")'
            )
        texts = [rest]

    def make_plans() -> list[Plan]:
        plans = []
        for typed in texts:
            layers = parse(typed)
            plans.append(
                plan_from_host(sender.host, layers)
                if sender.host is not None
                else plan_for_segment(sender.segment.name, layers)
            )
        return plans

    try:
        make_plans()  # every mistake now, in one sentence, before anything is sent
    except ExpressionError as err:
        raise CommandError(f"send: {err}") from None
    return lambda: CraftedSend(sender, make_plans, count, interval)


def _replay(call: Call) -> Factory:
    from workbench.craft.replay import Replay
    from workbench.dissect.capture import CaptureError, read_capture

    opts, rest = peel_options(
        call, call.text, {"--speed": number(float, 0.0, 1e6), "--segment": text()}
    )
    if not rest:
        raise call.usage_error("give a capture file")
    path = rest
    sender = _sender(call, opts.get("--segment"))
    try:
        frames = list(read_capture(path))
    except OSError as err:
        raise call.fail(f"cannot read {path}: {err.strerror or err}") from None
    except CaptureError as err:
        raise call.fail(str(err)) from None
    speed = opts.get("--speed", 1.0)
    return lambda: Replay(sender, frames, os.path.basename(path), speed)


COMMANDS = [
    CommandSpec(
        "send",
        SEND_USAGE,
        "send a crafted frame: a scapy-like expression (the host fills in its addresses, routes and ARPs), "
        "--raw bytes as written, or a file of expressions; -c/-i make a burst",
        _send,
        raw=True,
        on_segment=True,
    ),
    CommandSpec(
        "replay",
        REPLAY_USAGE,
        "put a capture's frames back on the wire at their own pace (--speed 2 is twice as fast, 0 back to back), as tcpreplay",
        _replay,
        raw=True,
        on_segment=True,
    ),
]
