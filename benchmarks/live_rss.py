"""Resident memory of `workbench run --tap` over a long live run under load.

The default lab runs live (its lan bridged to a TAP device in a namespace of our own), with
the text trace written to a file and a pcap capture, while the namespace's kernel floods pc
with pings and fetches www's page with curl in a loop. RSS is read from /proc every 10 s; the
figure is the growth after the first minute (the trace's window fills in it).

    sudo python benchmarks/live_rss.py [--seconds 600]

Needs root; everything it makes lives in its own namespace and is removed at the end.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=600.0)
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("live_rss: needs root (network namespaces, TAP devices)", file=sys.stderr)
        return 2
    ns, dev = f"wbrss{os.getpid()}", f"wbr{os.getpid() % 100000}"
    subprocess.run(["ip", "netns", "add", ns], check=True)
    procs: list[subprocess.Popen] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            trace_out = open(os.path.join(tmp, "trace.txt"), "w")  # noqa: SIM115
            env = dict(os.environ, PYTHONPATH=str(ROOT))
            wb = subprocess.Popen(
                [
                    "ip",
                    "netns",
                    "exec",
                    ns,
                    sys.executable,
                    "-m",
                    "workbench.cli",
                    "run",
                    "--tap",
                    f"lan={dev}",
                    "--for",
                    str(args.seconds),
                    "--pcap",
                    os.path.join(tmp, "run.pcap"),
                ],
                stdout=trace_out,
                stderr=subprocess.PIPE,
                env=env,
                cwd=ROOT,
            )
            procs.append(wb)
            while (
                subprocess.run(
                    ["ip", "-n", ns, "link", "show", dev], capture_output=True
                ).returncode
                != 0
            ):
                time.sleep(0.2)
            pid = wb.pid  # ip netns exec execs the command: same process
            subprocess.run(
                ["ip", "-n", ns, "addr", "add", "192.168.1.50/24", "dev", dev], check=True
            )
            subprocess.run(["ip", "-n", ns, "link", "set", "lo", "up"], check=True)
            subprocess.run(
                ["ip", "-n", ns, "route", "add", "default", "via", "192.168.1.1"], check=True
            )
            start = time.monotonic()
            procs.append(
                subprocess.Popen(
                    ["ip", "netns", "exec", ns, "ping", "-f", "-q", "-s", "200", "192.168.1.100"],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            procs.append(
                subprocess.Popen(
                    [
                        "ip",
                        "netns",
                        "exec",
                        ns,
                        "sh",
                        "-c",
                        "while true; do curl -s -o /dev/null --max-time 5 http://172.194.72.105/; done",
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            samples = []
            while wb.poll() is None:
                time.sleep(10)
                if wb.poll() is None:
                    samples.append((time.monotonic() - start, rss(pid)))
            stderr = wb.stderr.read().decode()
            frames = subprocess.run(
                [
                    "tshark",
                    "-r",
                    os.path.join(tmp, "run.pcap"),
                    "-T",
                    "fields",
                    "-e",
                    "frame.number",
                ],
                capture_output=True,
                text=True,
            ).stdout.split()
            trace_out.close()
            trace_size = os.path.getsize(os.path.join(tmp, "trace.txt"))
    finally:
        for proc in procs:  # ours, by PID
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
    after = [r for t, r in samples if t >= 60]
    print(
        f"load average {os.getloadavg()[0]:.1f}; {len(frames):,} frames captured in {args.seconds:.0f} s; trace text {trace_size / 1e6:.0f} MB"
    )
    print("RSS (MB) every 10 s: " + " ".join(f"{r / 1e6:.0f}" for _, r in samples))
    if after:
        print(
            f"RSS at 1 min {after[0] / 1e6:.1f} MB, max after {max(after) / 1e6:.1f} MB, growth {(max(after) - after[0]) / 1e6:+.1f} MB"
        )
    print(stderr.strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
