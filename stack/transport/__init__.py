"""Transport: ports and sockets, UDP (RFC 768) and TCP (RFC 9293) on a host.

`UdpLayer` and `TcpLayer` attach to `host.ip.handlers[17]` and `[6]`; programs use the
callback API (`host.udp.open`, `host.tcp.listen`, `host.tcp.connect`) or the asyncio wrapper
in `stack.transport.sockets`.
"""

from stack.transport.ports import PortInUse

__all__ = ["PortInUse"]
