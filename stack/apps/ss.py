"""`sockets`: a host's UDP and TCP sockets in the shape of `ss -tuan`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stack.host import Host

_STATES = {"ESTABLISHED": "ESTAB", "SYN-RECEIVED": "SYN-RECV"}


def socket_lines(host: Host) -> list[str]:
    rows: list[tuple[str, str, int, int, str, str]] = []
    for sock in host.udp.sockets():
        local = f"{sock.address or '0.0.0.0'}:{sock.port}"
        rows.append(("udp", "UNCONN", 0, 0, local, "0.0.0.0:*"))
    tcp = getattr(host, "tcp", None)
    if tcp is not None:
        for listener in tcp.listeners():
            local = f"{listener.address or '0.0.0.0'}:{listener.port}"
            rows.append(
                ("tcp", "LISTEN", len(listener.pending), listener.backlog, local, "0.0.0.0:*")
            )
        for conn in tcp.connections():
            unread = len(getattr(conn, "_rx", b""))  # received, not yet taken by the application
            rows.append(
                (
                    "tcp",
                    _STATES.get(conn.state, conn.state),
                    unread,
                    conn.send_queued,
                    conn.local,
                    conn.remote,
                )
            )
    local_width = max([len(r[4]) for r in rows] + [18])
    peer_width = max([len(r[5]) for r in rows] + [17])
    out = [
        f"{'Netid':<6} {'State':<11} {'Recv-Q':>6} {'Send-Q':>6} {'Local Address:Port':>{local_width}} {'Peer Address:Port':<{peer_width}}"
    ]
    for netid, state, recv_q, send_q, local, peer in rows:
        out.append(
            f"{netid:<6} {state:<11} {recv_q:>6} {send_q:>6} {local:>{local_width}} {peer:<{peer_width}}"
        )
    if len(out) == 1:
        out.append("(no sockets)")
    return out
