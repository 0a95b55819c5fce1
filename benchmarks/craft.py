"""What the safe expression language costs beside scapy at a Python prompt: microseconds to go
from the typed text to the frame's bytes, for each craft template, against scapy building the
same packet from Python objects (what a scapy user types, minus the typing).

    python benchmarks/craft.py            # about half a minute
    python benchmarks/craft.py --quick

Ours: `parse` (ast, walked node by node, every name and field checked against scapy's registry)
then `build` and `bytes()`; the packet is built by scapy either way, so the ratio is the price of
reading text safely instead of `eval`. Both sides must give the same bytes or nothing is timed.
Each figure is the best of several timeit runs (the one least disturbed by the machine).
"""

from __future__ import annotations

import argparse
import platform
import sys
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stack.clock import VirtualClock  # noqa: E402
from stack.labs import build_network, load_lab  # noqa: E402
from stack.trace import Trace  # noqa: E402
from workbench.craft.expression import _value, build, parse  # noqa: E402
from workbench.craft.fill import plan_from_host  # noqa: E402
from workbench.craft.layers import registry  # noqa: E402
from workbench.craft.templates import TEMPLATES, lab_for  # noqa: E402


def best(fn, repeat: int) -> float:
    timer = timeit.Timer(fn)
    number, _ = timer.autorange()
    return min(timer.repeat(repeat, number)) / number


def main() -> int:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--quick", action="store_true")
    repeat = 3 if args.parse_args().quick else 7
    clock = VirtualClock()
    net = build_network(load_lab("default"), clock, Trace(clock))
    pc3 = net.hosts["pc3"]
    lab = lab_for(net, pc3)
    print(f"Python {platform.python_version()}, {platform.machine()}; best of {repeat} runs")
    print(f"{'template':<16} {'ours µs':>9} {'scapy µs':>9} {'ratio':>7}")
    for template in TEMPLATES:
        if template.raw:
            continue
        text = plan_from_host(pc3, parse(template.make(lab))).expression  # every field written out
        packet = build(parse(text))
        expected = bytes(packet)
        assert bytes(build(parse(text))) == expected

        def ours(text=text) -> bytes:
            return bytes(build(parse(text)))

        layers = parse(text)

        def scapy_only(layers=layers) -> bytes:
            """What a person types at scapy's prompt: the classes called with the values, then bytes."""
            made = None
            for call in layers:
                layer = registry()[call.name](**{k: _value(v) for k, v in call.fields})
                made = layer if made is None else made / layer
            return bytes(made)

        assert scapy_only() == expected
        a, b = best(ours, repeat), best(scapy_only, repeat)
        print(f"{template.key:<16} {a * 1e6:>9.0f} {b * 1e6:>9.0f} {a / b:>6.1f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
