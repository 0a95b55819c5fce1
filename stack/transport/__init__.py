"""Transport: ports and sockets, UDP (RFC 768) and TCP (RFC 9293) on a host.

`UdpLayer` and `TcpLayer` attach to `host.ip.handlers[17]` and `[6]`; programs use the
callback API below or the asyncio wrapper in `stack.transport.sockets`.

UDP: `sock = host.udp.open(port=None, address=None)` (None → ephemeral, seeded; taken →
`PortInUse`); `sock.sendto(data, (ip, port), interface=None, src=None) -> bool`;
`sock.on_datagram(data, (src ip, src port), dst ip, iface, frame ids)`; `sock.on_error(text,
(ip, port))` for ICMP errors about what it sent; `sock.close()`. A datagram to a closed port
earns ICMP port unreachable, unless it was broadcast.

TCP: `host.tcp.listen(port, on_accept, address=None)` → `TcpListener` (`close()`);
`host.tcp.connect((ip, port), src_port=None, on_connected=None)` → `TcpConnection` with
`send(data, one_segment=False) -> int`, `shutdown()` (FIN, keep reading), `close()` (FIN after
everything queued; reads nothing more — data arriving after it is answered with RST, as Linux
does), `abort()` (RST), `read()`, `pause_reading()`/`resume_reading()` (the window closes and
reopens), `writable` and `on_writable` (send buffer back-pressure), callbacks `on_data(bytes)`,
`on_eof()` (the peer's FIN, after its data; when None the connection closes its side too, as
asyncio does), `on_connected()`, `on_closed(reason)` with reason "closed", "reset by peer",
"timed out", "refused", "unreachable" or "aborted"; `state` (RFC 9293 names), `local`,
`remote`, `mss`, `counters`, `nagle`, `delayed_ack`. Defaults for new connections live on
`host.tcp`: `nagle`, `delayed_ack`, `sack`, `msl` (TIME-WAIT is 2·MSL), `receive_buffer`,
`send_buffer`. `host.udp.sockets()`, `host.tcp.listeners()`, `host.tcp.connections()` and
`stack.transport.report.socket_lines(host)` list them as `ss -tuan` would.
"""

from stack.transport.ports import PortInUse

__all__ = ["PortInUse"]
