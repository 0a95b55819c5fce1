"""TCP (RFC 9293): `TcpLayer` on each host (listeners, demultiplexing, RST for closed ports),
`TcpConnection` (the state machine and both windows), and the pieces they use: `send`
(RTO, congestion control), `receive` (out-of-order queue), `timer`."""

from stack.transport.tcp.connection import TcpConnection
from stack.transport.tcp.layer import TcpLayer, TcpListener

__all__ = ["TcpConnection", "TcpLayer", "TcpListener"]
