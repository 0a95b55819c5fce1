"""A host's sockets as `ss -tuan` prints them: protocol, state, queues, local and peer."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stack.host import Host


def socket_rows(host: Host) -> list[tuple[str, str, int, int, str, str]]:
    """(netid, state, recv-q, send-q, local, peer) for every UDP socket, TCP listener and
    TCP connection on `host`, UDP first, then TCP by local port."""
    rows: list[tuple[str, str, int, int, str, str]] = []
    for sock in host.udp.sockets():
        local = f"{sock.address or '0.0.0.0'}:{sock.port}"
        rows.append(("udp", "UNCONN", 0, 0, local, "0.0.0.0:*"))
    for listener in host.tcp.listeners():
        local = f"{listener.address or '0.0.0.0'}:{listener.port}"
        rows.append(("tcp", "LISTEN", len(listener.pending), listener.backlog, local, "0.0.0.0:*"))
    for conn in host.tcp.connections():
        rows.append(("tcp", conn.state, len(conn._rx), conn.send_queued, conn.local, conn.remote))
    return rows


def socket_lines(host: Host) -> list[str]:
    rows = socket_rows(host)
    head = ("Netid", "State", "Recv-Q", "Send-Q", "Local Address:Port", "Peer Address:Port")
    table = [head] + [(n, s, str(r), str(q), lo, pe) for n, s, r, q, lo, pe in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(head))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in table
    ]
    if not rows:
        lines.append(f"({host.name} has no sockets open)")
    return lines
