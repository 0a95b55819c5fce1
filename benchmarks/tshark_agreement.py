"""How often `workbench dissect` says what `tshark -r` says, frame by frame, on real captures.

For each capture: the frame count; Protocol, Source, Destination and Info (whitespace aside)
for every frame; the values of FIELDS (`-T fields`, every occurrence); and, over all the
captures concatenated, the frames each of FILTERS selects (`-Y`). Prints the agreement in
per cent and what disagrees. tshark is run as a user runs it (`tshark -r FILE`, default name
resolution); ours in-process from the checkout given by --repo (default: this one), so the same
script measures an older checkout too (one without `-T fields` is read from its packet list).

    python benchmarks/tshark_agreement.py CAPTURE… [--repo PATH] [--json OUT]
    sudo python benchmarks/tshark_agreement.py --make DIR    (make the corpus first: real
        tools in two namespaces, as tests/live/test_tshark_oracle.py does, then compare)
"""

from __future__ import annotations

import argparse
import inspect
import io
import json
import shutil
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COLUMNS = ("_ws.col.Protocol", "_ws.col.Source", "_ws.col.Destination", "_ws.col.Info")

FIELDS = (
    "frame.number",
    "frame.len",
    "frame.cap_len",
    "frame.time_relative",
    "frame.time_delta",
    "frame.time_epoch",
    "frame.protocols",
    "frame.comment",
    "eth.src",
    "eth.dst",
    "eth.type",
    "eth.addr",
    "sll.pkttype",
    "sll.etype",
    "sll.src.eth",
    "arp.opcode",
    "arp.src.hw_mac",
    "arp.src.proto_ipv4",
    "arp.dst.hw_mac",
    "arp.dst.proto_ipv4",
    "ip.version",
    "ip.hdr_len",
    "ip.dsfield",
    "ip.len",
    "ip.id",
    "ip.flags",
    "ip.flags.df",
    "ip.flags.mf",
    "ip.frag_offset",
    "ip.ttl",
    "ip.proto",
    "ip.checksum",
    "ip.src",
    "ip.dst",
    "ip.addr",
    "ipv6.src",
    "ipv6.dst",
    "ipv6.nxt",
    "ipv6.hlim",
    "ipv6.plen",
    "icmp.type",
    "icmp.code",
    "icmp.checksum",
    "icmp.ident",
    "icmp.seq",
    "icmp.resp_to",
    "icmpv6.type",
    "icmpv6.code",
    "icmpv6.nd.ns.target_address",
    "udp.srcport",
    "udp.dstport",
    "udp.port",
    "udp.length",
    "udp.checksum",
    "tcp.srcport",
    "tcp.dstport",
    "tcp.port",
    "tcp.stream",
    "tcp.len",
    "tcp.seq",
    "tcp.seq_raw",
    "tcp.nxtseq",
    "tcp.ack",
    "tcp.ack_raw",
    "tcp.hdr_len",
    "tcp.flags",
    "tcp.flags.syn",
    "tcp.flags.ack",
    "tcp.flags.fin",
    "tcp.flags.reset",
    "tcp.flags.push",
    "tcp.window_size_value",
    "tcp.window_size",
    "tcp.window_size_scalefactor",
    "tcp.checksum",
    "tcp.urgent_pointer",
    "tcp.options.mss_val",
    "tcp.analysis.duplicate_ack_num",
    "dns.id",
    "dns.flags",
    "dns.flags.response",
    "dns.flags.opcode",
    "dns.flags.rcode",
    "dns.count.queries",
    "dns.count.answers",
    "dns.qry.name",
    "dns.qry.type",
    "dns.qry.class",
    "dns.resp.name",
    "dns.resp.type",
    "dns.a",
    "dns.response_to",
    "dns.qry.qu",
    "dns.resp.cache_flush",
    "dns.resp.z.do",
    "dns.opt.code",
    "dns.opt.len",
    "dns.opt.cookie.client",
    "dns.opt.cookie.server",
    "dns.opt.client.addr4",
    "dns.opt.padding",
    "tcp.time_relative",
    "tcp.time_delta",
    "tcp.analysis.acks_frame",
    "tcp.analysis.ack_rtt",
    "tcp.analysis.initial_rtt",
    "tcp.analysis.bytes_in_flight",
    "tcp.analysis.push_bytes_sent",
    "tcp.analysis.rto",
    "tcp.analysis.rto_frame",
    "tcp.completeness",
    "tcp.options.sack_le",
    "tcp.options.sack_re",
    "tcp.options.sack.count",
    "tcp.options.sack.dsack_le",
    "tcp.options.sack.dsack",
    "udp.stream",
    "udp.time_relative",
    "udp.time_delta",
    "dhcp.option.dhcp",
    "dhcp.id",
    "dhcp.ip.your",
    "dhcp.ip.client",
    "dhcp.hw.mac_addr",
    "dhcp.flags.reserved",
    "dhcp.option.value",
    "dhcp.option.request_list_item",
    "http.request.method",
    "http.request.uri",
    "http.request.version",
    "http.host",
    "http.response.code",
    "http.user_agent",
    "http.content_type",
    "http.content_length_header",
    "http.request.full_uri",
    "http.request_number",
    "http.response_number",
    "http.request_in",
    "http.prev_request_in",
    "http.prev_response_in",
    "http.time",
    "http.response_for.uri",
    "tcp.segment",
    "tcp.segment.count",
    "tcp.reassembled.length",
    "http.file_data",
)

FILTERS = (
    "arp",
    "ip",
    "ipv6",
    "icmp",
    "icmpv6",
    "udp",
    "tcp",
    "dns",
    "dhcp",
    "http",
    "eth",
    "ip.addr == 192.168.77.1",
    "ip.src == 192.168.77.2",
    "ip.dst == 192.168.77.1",
    "ip.addr == 192.168.77.0/24",
    "!(ip.addr == 192.168.77.1)",
    "ip.ttl == 64",
    "ip.ttl < 64",
    "ip.len > 1000",
    "ip.flags.mf == 1",
    "ip.frag_offset > 0",
    "ip.flags.df == 1",
    "ip.proto == 17",
    "ip.id == 0",
    "tcp.port == 80",
    "tcp.dstport == 80",
    "tcp.srcport == 80",
    "tcp.flags.syn == 1",
    "tcp.flags.syn == 1 && tcp.flags.ack == 0",
    "tcp.flags.reset == 1",
    "tcp.flags.fin == 1",
    "tcp.flags & 0x02",
    "tcp.flags & 0x12 == 0x12",
    "tcp.len > 0",
    "tcp.len == 0",
    "tcp.stream == 0",
    "tcp.stream == 1",
    "tcp.seq == 1",
    "tcp.ack == 1",
    "tcp.window_size < 1000",
    "tcp.window_size_value > 100",
    "tcp.analysis.flags",
    "tcp.analysis.retransmission",
    "tcp.analysis.fast_retransmission",
    "tcp.analysis.duplicate_ack",
    "tcp.analysis.out_of_order",
    "tcp.analysis.lost_segment",
    "tcp.analysis.zero_window",
    "tcp.analysis.window_full",
    "tcp.analysis.window_update",
    "tcp.analysis.keep_alive",
    "tcp.analysis.ack_lost_segment",
    "udp.port == 53",
    "udp.port == 67",
    "udp.length > 100",
    "dns.flags.response == 1",
    "dns.flags.response == 0",
    'dns.qry.name == "www.oracle.test"',
    'dns.qry.name contains "oracle"',
    "dns.qry.type == 15",
    "dns.flags.rcode != 0",
    "dns.a",
    "dns.count.answers > 0",
    "dns.count.answers > 20",
    "mdns",
    "tcp.port == 5353 and dns",
    "tcp.analysis.bytes_in_flight > 1000",
    "tcp.analysis.acks_frame",
    "tcp.time_delta > 0.001",
    "tcp.completeness == 31",
    "tcp.completeness < 7",
    "tcp.options.sack_le > 100000",
    "tcp.options.sack.count >= 2",
    "tcp.options.sack.dsack",
    "udp.stream == 1",
    "dns.qry.qu == 0",
    "dns.opt.code == 10",
    "dhcp.option.dhcp == 1",
    "dhcp.option.dhcp == 5",
    "dhcp.option.request_list_item == 42",
    "http.request",
    "http.response",
    'http.request.method == "GET"',
    'http.request.uri contains "big"',
    "http.response.code == 200",
    "http.response.code == 404",
    "http.request_in",
    "http.time > 0.005",
    'http.request.full_uri contains "index"',
    'http.host matches "168\\\\.77"',
    "http and tcp.port == 18080",
    'http.file_data == "<html><body><h1>oracle</h1></body></html>\\x0a"',
    'http.request.method == "POST"',
    'http.content_type == "application/json"',
    "icmp.type == 8",
    "icmp.type == 0",
    "icmpv6.type == 135",
    "icmpv6.type == 136",
    "frame.len > 1514",
    "frame.len < 100",
    "frame.time_relative > 0.5",
    "frame.time_delta > 0.1",
    'frame contains "GET"',
    "frame.comment",
    "eth.addr == ff:ff:ff:ff:ff:ff",
    "not arp and not icmpv6",
    "tcp or udp",
    "ip and not tcp",
    'tcp contains "HTTP"',
    "ip.src == 192.168.77.1 and tcp.len > 1000",
    "tcp.port in {80, 81}",
    "udp.dstport in {53, 67, 68}",
    "ip.src[0:2] == c0:a8",
)


# --- running the two ---------------------------------------------------------------------------


def tshark_fields(
    path: str, names: tuple[str, ...], display_filter: str | None = None
) -> list[list[str]]:
    args = ["tshark", "-r", path, "-T", "fields", "-E", "separator=\x1f", "-E", "occurrence=a"]
    if display_filter:
        args += ["-Y", display_filter]
    for name in names:
        args += ["-e", name]
    done = subprocess.run(args, capture_output=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(
            f"tshark failed on {path}: {done.stderr.decode(errors='replace').strip()}"
        )
    return [line.split("\x1f") for line in lines(done.stdout.decode("utf-8", "replace"))]


def lines(text: str) -> list[str]:
    """A fields output's rows: split at LF alone. A text value keeps other control characters
    as they are (tshark writes an HTTP body's \\x1e raw), and str.splitlines would cut there;
    decoding in universal-newline mode would turn a bare CR into a row too."""
    rows = text.split("\n")
    return rows[:-1] if rows and rows[-1] == "" else rows


class Ours:
    """`workbench dissect` in this process, from the checkout at `repo`."""

    def __init__(self, repo: Path) -> None:
        sys.path.insert(0, str(repo))
        from workbench import dissect_cli

        self.cli = dissect_cli
        self.has_fields = "fields" in inspect.signature(dissect_cli.main).parameters
        self.known = None
        if self.has_fields:
            from workbench.dissect import field_text

            self.known = field_text.known

    def run(self, path: str, **options) -> tuple[int, str]:
        out, err = io.StringIO(), io.StringIO()
        code = self.cli.main(path, out=out, err=err, **options)
        return code, out.getvalue()

    def fields(
        self, path: str, names: tuple[str, ...], display_filter: str | None = None
    ) -> list[list[str]] | None:
        """Rows of values; None for a name we do not know (an older checkout: None for all)."""
        if not self.has_fields:
            return None
        usable = [n for n in names if self.known(n)]
        code, text = self.run(
            path,
            output="fields",
            fields=usable,
            field_options=["separator=\x1f"],
            display_filter=display_filter,
        )
        if code != 0:
            return None
        rows = []
        for line in lines(text):
            values = dict(zip(usable, line.split("\x1f"), strict=False))
            rows.append([values.get(n) for n in names])
        return rows

    def rows(self, path: str) -> list[tuple[str, str, str, str]]:
        if self.has_fields:
            return [tuple(v or "" for v in row) for row in self.fields(path, COLUMNS) or []]
        code, text = self.run(path)  # an older checkout: the packet list's columns
        rows = []
        for line in lines(text):
            _number, _time, rest = line.split(None, 2)
            source, _, rest = rest.partition("→")
            destination, protocol, _length, *info = (
                rest.split(None, 3) if rest.strip() else ("", "", "", "")
            )
            rows.append((protocol, source.strip(), destination, info[0] if info else ""))
        return rows

    def selected(self, path: str, display_filter: str) -> list[str] | None:
        if self.has_fields:
            got = self.fields(path, ("frame.number",), display_filter)
            return None if got is None else [row[0] for row in got]
        code, text = self.run(path, display_filter=display_filter)
        return None if code else [line.split()[0] for line in lines(text)]


# --- comparing ------------------------------------------------------------------------------


def same(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and a.split() == b.split()


@dataclass
class Tally:
    agree: int = 0
    total: int = 0
    misses: list = field(default_factory=list)

    def add(self, ok: bool, miss=None) -> None:
        self.total += 1
        self.agree += ok
        if not ok and miss is not None and len(self.misses) < 200:
            self.misses.append(miss)

    @property
    def percent(self) -> float:
        return 100.0 * self.agree / self.total if self.total else 100.0


@dataclass
class Report:
    counts: dict = field(default_factory=dict)  # capture → (ours, tshark)
    columns: dict = field(
        default_factory=lambda: {c: Tally() for c in ("Protocol", "Source", "Destination", "Info")}
    )
    info_by_protocol: dict = field(default_factory=lambda: defaultdict(Tally))
    fields: dict = field(default_factory=lambda: defaultdict(Tally))
    field_misses: dict = field(
        default_factory=lambda: defaultdict(list)
    )  # field → [(capture, number)]
    filters: Tally = field(default_factory=Tally)
    protocol_by_capture: dict = field(default_factory=lambda: defaultdict(Tally))
    meta: dict = field(
        default_factory=dict
    )  # (capture, number) → (frame.len, frame.protocols) as tshark says
    selections: dict = field(default_factory=dict)  # (link type, filter) → frames tshark selects

    def selected(self, label: str, text: str) -> int:
        return self.selections.get((label, text), 0)

    def field_cells(self) -> Tally:
        total = Tally()
        for tally in self.fields.values():
            total.agree += tally.agree
            total.total += tally.total
        return total


def compare_rows(report: Report, name: str, path: str, ours: Ours) -> None:
    got = tshark_fields(path, COLUMNS + ("frame.len", "frame.protocols"))
    theirs = [tuple((row + ["", "", "", ""])[:4]) for row in got]
    for number, row in enumerate(got, 1):
        row = row + ["0", ""]
        report.meta[(name, number)] = (int(row[4] or 0), row[5])
    mine = ours.rows(path)
    report.counts[name] = (len(mine), len(theirs))
    for number, (t, o) in enumerate(
        zip(theirs, mine + [("",) * 4] * (len(theirs) - len(mine)), strict=False), 1
    ):
        for i, column in enumerate(("Protocol", "Source", "Destination", "Info")):
            ok = same(o[i], t[i])
            report.columns[column].add(ok, (name, number, t[i], o[i]))
            if column == "Protocol":
                report.protocol_by_capture[name].add(ok)
            if column == "Info":
                report.info_by_protocol[t[0]].add(ok, (name, number, t[i], o[i]))


def compare_fields(report: Report, name: str, path: str, ours: Ours) -> None:
    theirs = tshark_fields(path, FIELDS)
    mine = ours.fields(path, FIELDS) or []
    for number, t in enumerate(theirs, 1):
        o = mine[number - 1] if number - 1 < len(mine) else [None] * len(FIELDS)
        for field_name, a, b in zip(FIELDS, t, o, strict=False):
            if a == "" and not b:
                continue  # neither has it
            ok = same(a, b or "")
            report.fields[field_name].add(ok, (name, number, a, b))
            if not ok:
                report.field_misses[field_name].append((name, number))


def compare_filters(report: Report, merged: str, label: str, ours: Ours) -> None:
    # tshark's runs go on in two threads while ours runs here: the slowest part of the script
    with ThreadPoolExecutor(max_workers=2) as pool:
        pending = {
            text: pool.submit(tshark_fields, merged, ("frame.number",), text) for text in FILTERS
        }
        for text in FILTERS:
            try:
                mine = ours.selected(merged, text)
            except Exception as exc:  # noqa: BLE001 — an older checkout's crash is a disagreement
                mine = None
                text = f"{text} (raised {exc!r})"
            theirs = [row[0] for row in pending[text.split(" (raised")[0]].result()]
            report.selections[(label, text)] = len(theirs)
            ok = mine == theirs
            report.filters.add(
                ok, (f"{label}: {text}", len(theirs), None if mine is None else len(mine))
            )


def merge(paths: list[str], out: str) -> str:
    subprocess.run(
        ["mergecap", "-a", "-F", "pcapng", "-w", out, *paths],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return out


def link_type(path: str) -> str:
    """ "cooked" for Linux cooked captures (tcpdump -i any), else "ethernet"."""
    done = subprocess.run(
        ["capinfos", "-E", "-T", path], capture_output=True, text=True, timeout=60
    )
    return "cooked" if "sll" in done.stdout.lower() else "ethernet"


def compare(captures: dict[str, str], ours: Ours) -> Report:
    report = Report()
    for name, path in captures.items():
        compare_rows(report, name, path, ours)
        compare_fields(report, name, path, ours)
    # Each filter over all the captures of one link type, concatenated: two runs, not twenty.
    # A capture rewritten by editcap holds the same frames as its source: concatenated, the
    # copies would be retransmissions to both tools, so each distinct capture goes in once.
    groups: dict[str, list[str]] = defaultdict(list)
    seen: set = set()
    for path in captures.values():
        signature = tuple(
            tuple(row) for row in tshark_fields(path, ("frame.time_epoch", "frame.len"))
        )
        if signature in seen:
            continue
        seen.add(signature)
        groups[link_type(path)].append(path)
    with tempfile.TemporaryDirectory() as tmp:
        for label, paths in sorted(groups.items()):
            compare_filters(report, merge(paths, f"{tmp}/{label}.pcapng"), label, ours)
    return report


def summary(report: Report) -> dict:
    frames = sum(t for _, t in report.counts.values())
    return {
        "captures": len(report.counts),
        "frames": frames,
        "counts_equal": sum(o == t for o, t in report.counts.values()),
        **{f"{c.lower()}_percent": round(t.percent, 1) for c, t in report.columns.items()},
        "protocol_mean_of_captures_percent": round(
            sum(t.percent for t in report.protocol_by_capture.values())
            / max(1, len(report.protocol_by_capture)),
            1,
        ),
        "fields": len(FIELDS),
        "field_values_percent": round(report.field_cells().percent, 1),
        "fields_fully_equal": sum(t.agree == t.total for t in report.fields.values()),
        "fields_absent": len(FIELDS) - len(report.fields),  # in no frame of either tool
        "filters": len(FILTERS),
        "filters_equal": report.filters.agree,
        "filters_percent": round(report.filters.percent, 1),
    }


def print_report(report: Report) -> None:
    s = summary(report)
    print(
        f"{s['captures']} captures, {s['frames']} frames; frame counts equal in {s['counts_equal']} of {s['captures']}"
    )
    for column in ("Protocol", "Source", "Destination", "Info"):
        print(f"  {column:<12} {s[column.lower() + '_percent']:5.1f}% of frames equal")
    print(
        f"  Protocol     {s['protocol_mean_of_captures_percent']:5.1f}% per capture, averaged: "
        + ", ".join(f"{n} {t.percent:.0f}%" for n, t in report.protocol_by_capture.items())
    )
    print(
        f"  -T fields    {s['field_values_percent']:5.1f}% of values equal ({s['fields_fully_equal']} of {s['fields']} fields on every frame; {s['fields_absent']} in no frame)"
    )
    print(
        f"  -Y filters   {s['filters_percent']:5.1f}% of filter runs select the same frames ({s['filters_equal']} of {report.filters.total}: {s['filters']} filters on each link type's captures)"
    )
    print("\nInfo by tshark's protocol:")
    for protocol, tally in sorted(report.info_by_protocol.items(), key=lambda kv: -kv[1].total):
        print(f"  {protocol:<10} {tally.agree:>5} / {tally.total:<5} {tally.percent:5.1f}%")
    print("\nFields not equal on every frame:")
    for name, tally in report.fields.items():
        if tally.agree != tally.total:
            capture, number, theirs, mine = tally.misses[0]
            print(
                f"  {name:<32} {tally.percent:5.1f}%  e.g. {capture} #{number}: tshark {theirs!r}, ours {mine!r}"
            )
    print("\nFilters that select other frames:")
    for text, theirs, mine in report.filters.misses:
        print(f"  {text:<48} tshark {theirs}, ours {'refused' if mine is None else mine}")
    for column in ("Protocol", "Source", "Destination", "Info"):
        misses = report.columns[column].misses
        kinds = Counter((m[2].split(" ")[0] if column != "Info" else m[0]) for m in misses)
        if misses:
            print(f"\n{column}: first differences ({dict(kinds.most_common(6))})")
            for capture, number, theirs, mine in misses[:8]:
                print(
                    f"  {capture} #{number}: tshark {theirs!r}\n  {' ' * len(capture)}  {' ' * len(str(number))}   ours {mine!r}"
                )


def make(out: Path) -> dict[str, str]:
    import subprocess as sp

    sys.path.insert(0, str(REPO))
    from tests.live.conftest import Namespace, unique
    from tests.live.oracle_captures import make_corpus

    spaces = [Namespace(unique("wbagree")), Namespace(unique("wbagree"))]
    try:
        for ns in spaces:
            sp.run(["ip", "netns", "add", ns.name], check=True)
            for key in ("all", "default"):
                ns.run("sysctl", "-qw", f"net.ipv6.conf.{key}.disable_ipv6=1")
            ns.ip("link", "set", "lo", "up")
        return {name: str(path) for name, path in make_corpus(spaces[0], spaces[1], out).items()}
    finally:
        for ns in spaces:
            sp.run(["ip", "netns", "del", ns.name], capture_output=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("captures", nargs="*")
    parser.add_argument(
        "--make", metavar="DIR", help="make the corpus with real tools first (root)"
    )
    parser.add_argument("--repo", default=str(REPO), help="the checkout whose workbench to measure")
    parser.add_argument("--json", help="write the summary here")
    args = parser.parse_args()
    if shutil.which("tshark") is None or shutil.which("mergecap") is None:
        print("tshark and mergecap are needed (apt-get install tshark)", file=sys.stderr)
        return 2
    captures = {Path(p).stem: p for p in args.captures}
    if args.make:
        captures.update(make(Path(args.make)))
    if not captures:
        print("give captures, or --make DIR", file=sys.stderr)
        return 2
    report = compare(captures, Ours(Path(args.repo)))
    print_report(report)
    if args.json:
        Path(args.json).write_text(json.dumps(summary(report), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
