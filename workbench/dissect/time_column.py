"""The packet list's Time column in tshark's formats (`-t`): relative to the first frame (r,
the default), since the previous frame captured (d) or shown (dd), since the epoch (e), the
time of day in local time (a) or UTC (u), with the date (ad, ud) or the day of the year (adoy,
udoy). Decimals as the capture stamps them (`capture.time_digits`: 6 or 9); -u hms writes r,
d and dd in hours, minutes and seconds."""

from __future__ import annotations

import time

FORMATS = ("a", "ad", "adoy", "d", "dd", "e", "r", "u", "ud", "udoy")


def time_text(mode: str, ns: int, since_ns: int, digits: int, hms: bool = False) -> str:
    """The column's text for a frame stamped `ns` (nanoseconds since the epoch); `since_ns`
    is what r, d and dd count from (the first frame, the previous one captured or shown);
    `hms` (tshark's -u hms) writes those in hours, minutes and seconds."""
    if mode in ("r", "d", "dd"):
        if hms:
            return _hms(ns - since_ns, digits)
        return _seconds(ns - since_ns, digits)
    if mode == "e":
        return _seconds(ns, digits)
    seconds, fraction = divmod(ns, 1_000_000_000)
    when = time.gmtime(seconds) if mode.startswith("u") else time.localtime(seconds)
    day = {"d": "%Y-%m-%d ", "doy": "%Y/%j "}.get(mode[1:], "")
    return time.strftime(day + "%H:%M:%S", when) + _fraction(fraction, digits)


def _seconds(ns: int, digits: int) -> str:
    sign = "-" if ns < 0 else ""
    whole, fraction = divmod(abs(ns), 1_000_000_000)
    return f"{sign}{whole}{_fraction(fraction, digits)}"


def _hms(ns: int, digits: int) -> str:
    """`1h  2m  5.250000s`, `1m  1.500000s`, `0.500000s`: the units from the largest needed,
    each after the first two characters wide (hours are not carried into days)."""
    sign = "-" if ns < 0 else ""
    whole, fraction = divmod(abs(ns), 1_000_000_000)
    hours, rest = divmod(whole, 3600)
    minutes, seconds = divmod(rest, 60)
    tail = _fraction(fraction, digits) + "s"
    if hours:
        return f"{sign}{hours}h {minutes:2d}m {seconds:2d}{tail}"
    if minutes:
        return f"{sign}{minutes}m {seconds:2d}{tail}"
    return f"{sign}{seconds}{tail}"


def _fraction(ns: int, digits: int) -> str:
    return f".{ns // 10 ** (9 - digits):0{digits}d}"
