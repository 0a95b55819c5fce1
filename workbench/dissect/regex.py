"""Regular expressions a user types into a filter, run by RE2: linear time, so no pattern
(`"(a+)+$"` on a long URI) can hang the app or `workbench dissect`. Case-insensitive, as
Wireshark's `matches`; a pattern RE2 refuses (backreferences, lookaround) is one sentence."""

from __future__ import annotations


def _re2():
    """google-re2, imported when a filter first uses `matches` (a checkout whose environment
    predates the dependency still filters; `pip install -e .` brings it)."""
    from workbench.dissect.filter import FilterError

    try:
        import re2
    except ImportError:
        raise FilterError(
            "'matches' needs google-re2: pip install -e . (or pip install google-re2)"
        ) from None
    return re2


class _Options:
    @staticmethod
    def make():
        re2 = _re2()
        options = re2.Options()
        options.log_errors = False  # RE2 would print its own complaint on stderr
        options.case_sensitive = False
        return options


def compile_text(pattern: str, column: int):
    return _compile(pattern, column)


def compile_bytes(pattern: str, column: int):
    """A pattern to search bytes (a frame or a protocol's bytes): Latin-1, byte for byte."""
    options = _Options.make()
    options.encoding = _re2().Options.Encoding.LATIN1
    return _Matcher(
        _compile(pattern.encode("latin-1", "replace"), column, options), bytes_mode=True
    )


def _compile(pattern, column: int, options=None):
    from workbench.dissect.filter import FilterError

    re2 = _re2()
    try:
        return re2.compile(pattern, options or _Options.make())
    except re2.error as err:
        reason = (
            err.args[0].decode(errors="replace")
            if err.args and isinstance(err.args[0], bytes)
            else str(err)
        )
        raise FilterError(
            f"the regular expression at column {column} is not valid ({reason})"
        ) from None


class _Matcher:
    def __init__(self, compiled, bytes_mode: bool) -> None:
        self.compiled = compiled
        self.bytes_mode = bytes_mode

    def search(self, data: bytes):
        return self.compiled.search(bytes(data))
