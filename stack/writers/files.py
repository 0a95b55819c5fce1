"""Output files that name themselves in their errors.

A write that fails late (a full disk, `/dev/full`, a closed pipe) raises an OSError with no file
name, so a person would read "No space left on device" without knowing which of the capture,
the event log or the trace it was. `NamedFile` wraps a file and adds the name.
"""

from __future__ import annotations

from typing import IO, Any


class NamedFile:
    def __init__(self, handle: IO[Any], name: str) -> None:
        self._handle = handle
        self.name = name

    def _named(self, err: OSError) -> OSError:
        if err.filename is None:
            err.filename = self.name
        return err

    def write(self, data: Any) -> int:
        try:
            return self._handle.write(data)
        except OSError as err:
            raise self._named(err) from None

    def flush(self) -> None:
        try:
            self._handle.flush()
        except OSError as err:
            raise self._named(err) from None

    def close(self) -> None:
        try:
            self._handle.close()
        except OSError as err:
            raise self._named(err) from None

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._handle, attr)

    def __enter__(self) -> NamedFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
