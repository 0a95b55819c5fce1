"""Simulated HTTP download: one page of N MB, www → pc across the default lab, trace on.

    python benchmarks/http_bulk.py                      # 1, 4 and 16 MB with Content-Length
    python benchmarks/http_bulk.py --chunked --mb 0.5   # chunked, in the server's 128-byte chunks
    python benchmarks/http_bulk.py --repo CHECKOUT      # another checkout's code (turns with it)

The lab's own `HttpServer` serves the page on port 8080 of www and pc's `HttpClient` fetches
it: what is measured is the HTTP framing on both ends on top of TCP and the frame path. The
figure is MB per CPU second of the whole simulation; the page is checked byte for byte.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from ipaddress import IPv4Address
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if "--repo" in sys.argv[:-1]:
    ROOT = Path(sys.argv[sys.argv.index("--repo") + 1]).resolve()
sys.path.insert(0, str(ROOT))

from stack.apps.http_client import HttpClient  # noqa: E402
from stack.apps.http_server import HttpServer, Page, Site  # noqa: E402
from stack.labs import build_network, load_lab  # noqa: E402
from stack.wire.http import HTTPRequest  # noqa: E402

WWW = IPv4Address("172.194.72.105")


def download(mb: float, chunked: bool) -> float:
    """CPU seconds to fetch a page of `mb` MB."""
    net = build_network(load_lab("default"))
    body = os.urandom(int(mb * 1_000_000))
    page = Page(body, "application/octet-stream", chunked)
    HttpServer(net.host("www"), Site({"/big": page}), 8080)
    got = []
    client = HttpClient(net.host("pc"), WWW, 8080)
    client.fetch(HTTPRequest.make("GET", "/big", host="www"), got.append)
    clock = net.clock
    cpu = time.process_time()
    while not got and clock.step():
        pass
    cpu = time.process_time() - cpu
    if not got or got[0].response is None or got[0].response.content != body:
        raise SystemExit(f"download broken: {got[0].error if got else 'no answer'}")
    return cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, action="append", help="page size (repeatable)")
    parser.add_argument("--chunked", action="store_true", help="chunked transfer coding")
    parser.add_argument("--repo", help="run another checkout's code")
    args = parser.parse_args()
    sizes = args.mb or [1.0, 4.0, 16.0]
    kind = "chunked" if args.chunked else "Content-Length"
    print(f"code: {ROOT}; load average {os.getloadavg()[0]:.1f}")
    for mb in sizes:
        cpu = download(mb, args.chunked)
        print(f"{mb:6g} MB, {kind}: {cpu:6.2f} s CPU, {mb / cpu:5.2f} MB/s per CPU second")


if __name__ == "__main__":
    main()
