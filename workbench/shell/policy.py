"""What a lab host may not do, whichever front end asks: one sentence each, or None."""

from __future__ import annotations

from stack.network import Network


def dhcp_refusal(net: Network, host: str) -> str | None:
    """Why `host` must not ask for an address by DHCP.

    A router serving DHCP that ran the client would broadcast DISCOVERs at itself and lose its
    server; a host with a static address has nothing to ask for."""
    spec = net.spec.hosts.get(host)
    if spec is None:
        return None
    if "dhcp" in spec.services:
        return f"{host} runs the lab's DHCP server; it does not ask itself for an address (run dhcp on one of its clients)."
    if not spec.dhcp:
        return f"{host} has a static address; dhcp is for hosts the lab configures by DHCP (dhcp = true)."
    return None
