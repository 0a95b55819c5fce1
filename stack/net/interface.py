"""An IP interface: a NIC plus an address and mask (or none yet, before DHCP)."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Interface, IPv4Network

from stack.link.nic import NIC

UNSET = IPv4Interface("0.0.0.0/0")


class Interface:
    def __init__(
        self, name: str, nic: NIC, address: IPv4Interface | None = None, mtu: int = 1500
    ) -> None:
        self.name = name
        self.nic = nic
        self.address = address or UNSET
        self.mtu = mtu

    @property
    def address(self) -> IPv4Interface:
        return self._address

    @address.setter
    def address(self, value: IPv4Interface) -> None:
        self._address = value
        # Read for every packet received and sent: worked out when the address changes, with
        # the packed forms the receive path compares header bytes against.
        self.configured: bool = value != UNSET
        self.ip: IPv4Address = value.ip
        self.broadcast: IPv4Address = value.network.broadcast_address
        self.packed_broadcast: bytes = self.broadcast.packed if self.configured else b""

    @property
    def network(self) -> IPv4Network:
        return self.address.network

    @property
    def netmask(self) -> IPv4Address:
        return self.address.network.netmask

    def __repr__(self) -> str:
        return f"Interface({self.name}, {self.address}, {self.nic.mac})"
