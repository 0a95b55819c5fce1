"""The lab's services: what `[… .services.dhcp]`, `.dns`, `.http` and `.ntp` start on a host, and the
DHCP client of a host that says `dhcp = true`.

Importing this module fills `stack.labs.build.SERVICE_INSTALLERS` (build.py imports it, so the
installers are there whenever a lab is built). Each installer gets the table as checked by
`stack.labs.service_checks` and keeps what it starts in `host.services` under its name; it
imports its application when first used, so a lab pays only for the services it has.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from stack.labs.build import SERVICE_INSTALLERS

if TYPE_CHECKING:
    from stack.host import Host
    from stack.network import Network


def install_dhcp(host: Host, config: dict, net: Network) -> None:
    from stack.apps.dhcp_server import DhcpServer, DhcpServerConfig

    start, end = config["pool"]
    host.services["dhcp"] = DhcpServer(
        host,
        DhcpServerConfig(
            interface=config["interface"],
            pool_start=start,
            pool_end=end,
            lease=config["lease"],
            router=config.get("router"),
            dns=tuple(config.get("dns", ())),
            next_server=config.get("next_server"),
            boot_file=config.get("boot_file"),
        ),
    )


def install_dns(host: Host, config: dict, net: Network) -> None:
    from stack.apps.dns_server import DnsServer, Zone

    zone = Zone.from_config(config.get("records", {}), config.get("ttl", 300))
    host.services["dns"] = DnsServer(host, zone, config.get("port", 53))


def install_http(host: Host, config: dict, net: Network) -> None:
    from stack.apps.http_server import HttpServer, Site

    host.services["http"] = HttpServer(
        host, Site.from_config(config.get("pages", {})), config.get("port", 80)
    )


def install_ntp(host: Host, config: dict, net: Network) -> None:
    from stack.apps.ntp import NtpServer

    host.services["ntp"] = NtpServer(
        host, config["stratum"], config["refid"], config["skew"], config["port"]
    )


def start_dhcp_client(host: Host, config: dict, net: Network) -> None:
    """A host with `dhcp = true` asks for its lease as it boots (when the clock first runs);
    the `dhcp` command, run before that, takes over the same exchange."""
    from stack.apps.dhcp_client import client_for

    client = client_for(host, host.primary.name)
    host.clock.call_soon(client.start_if_idle)


SERVICE_INSTALLERS.update(
    {
        "dhcp": install_dhcp,
        "dns": install_dns,
        "http": install_http,
        "ntp": install_ntp,
        "dhcp-client": start_dhcp_client,
    }
)
