"""`workbench dissect`'s options, named as tshark names them.

Apart from `workbench.dissect_cli` because every command's parser holds them: building it must
not import the dissector (60 ms before `workbench open` could show anything).
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `dissect` subcommand's options, named as tshark names them."""
    parser.add_argument("file", nargs="?", help="the capture to read (or -r FILE)")
    parser.add_argument(
        "-r", dest="read_file", metavar="FILE", help="the capture to read, as tshark -r"
    )
    parser.add_argument(
        "-V",
        "--verbose",
        action="store_true",
        help="print each frame's field tree with the bytes of each field",
    )
    parser.add_argument(
        "-Y",
        "--display-filter",
        metavar="FILTER",
        help="show only frames that match this display filter (e.g. 'icmp or port 53')",
    )
    parser.add_argument(
        "-c",
        "--count",
        type=int,
        metavar="N",
        help="stop after reading N frames (as tshark, counted before -Y)",
    )
    parser.add_argument(
        "-x", "--hex", action="store_true", help="add a hex and ASCII dump of each frame"
    )
    parser.add_argument(
        "-T",
        dest="output",
        choices=("text", "fields"),
        default="text",
        help="output format: text (the packet list) or fields (with -e)",
    )
    parser.add_argument(
        "-e",
        dest="fields",
        action="append",
        default=[],
        metavar="FIELD",
        help="a field to print with -T fields (repeatable), e.g. ip.src, tcp.stream, _ws.col.Info",
    )
    parser.add_argument(
        "-E",
        dest="field_options",
        action="append",
        default=[],
        metavar="OPTION=VALUE",
        help="-T fields options: separator=/t|/s|CHAR, header=y|n, occurrence=f|l|a, aggregator=CHAR, quote=d|s|n",
    )
    parser.add_argument(
        "-z",
        dest="statistics",
        action="append",
        default=[],
        metavar="STATISTIC",
        help="conv,TYPE | endpoints,TYPE (eth ip ipv6 tcp udp) | io,phs | follow,tcp,ascii|hex,STREAM",
    )
    parser.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="do not print the packet list (with -z: only the statistics)",
    )
    parser.add_argument(
        "-t",
        dest="time_format",
        choices=("a", "ad", "adoy", "d", "dd", "e", "r", "u", "ud", "udoy"),
        default="r",
        metavar="FORMAT",
        help="the Time column, as tshark: r (since the first frame), d / dd (since the previous"
        " frame read / shown), e (epoch), a / ad / adoy (local time; with the date; with the"
        " day of the year), u / ud / udoy (the same in UTC)",
    )
    parser.add_argument(
        "-u",
        dest="seconds_format",
        choices=("s", "hms"),
        default="s",
        metavar="s|hms",
        help="seconds in the Time column (-t r, d, dd) as a number (s) or in hours, minutes"
        " and seconds (hms: 1h  2m  5.250000s), as tshark",
    )
    parser.add_argument(
        "-n",
        dest="no_names",
        action="store_true",
        help="no name resolution: MAC addresses without their vendor",
    )
