"""Scapy's layer registry by class name: every layer scapy knows can be crafted.

Loading every layer module (`scapy.all`) costs a second or more, so it happens once, on first
use — the app's first screen never waits for it.
"""

from __future__ import annotations

from functools import cache


@cache
def registry() -> dict[str, type]:
    import scapy.all  # noqa: F401  (loads every layer module, which registers its layers)
    import scapy.layers.http  # noqa: F401  (not among scapy.all's defaults; the HTTP GET template uses it)
    from scapy.config import conf
    from scapy.packet import Packet

    found: dict[str, type] = {}
    for cls in conf.layers:
        if isinstance(cls, type) and issubclass(cls, Packet) and cls is not Packet:
            found.setdefault(cls.__name__, cls)
    return found


def layer(name: str) -> type | None:
    return registry().get(name)


def field_names(cls: type) -> list[str]:
    return [f.name for f in cls.fields_desc]
