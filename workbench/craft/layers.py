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

    _offline(conf)
    found: dict[str, type] = {}
    for cls in conf.layers:
        if isinstance(cls, type) and issubclass(cls, Packet) and cls is not Packet:
            found.setdefault(cls.__name__, cls)
    return found


def _offline(conf) -> None:
    """Scapy fills a missing Ether dst by asking the machine's network: an ARP request (or an
    IPv6 neighbour solicitation) out of a real interface. Crafting must never send anything
    but what the person sends into the lab, so every resolver answers "unknown" and a missing
    dst stays broadcast (the lab's own fill step puts the right MAC in before sending)."""
    import logging

    for key in list(conf.neighbor.resolvers):
        conf.neighbor.resolvers[key] = _unknown
    # its "Using broadcast" warning would be written over the app's screen
    logging.getLogger("scapy.runtime").setLevel(logging.ERROR)


def _unknown(l2, l3) -> None:
    return None


def layer(name: str) -> type | None:
    return registry().get(name)
