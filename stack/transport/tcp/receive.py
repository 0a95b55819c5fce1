"""The receiving side of a TCP connection: the out-of-order queue (segments that arrived
ahead of RCV.NXT, kept until the hole before them fills, RFC 9293 §3.10.7.4 step 7),
in-order delivery to the application, delayed ACKs (RFC 1122 §4.2.3.2, RFC 5681 §4.2), the
advertised window with receiver-side silly-window avoidance, FIN and end of stream.

Sequence numbers here are unwrapped (plain integers that keep growing), so ordering is `<`.
"""

from __future__ import annotations

from bisect import bisect_left

from stack.transport.events import TcpWindowChanged
from stack.transport.tcp.sack import Intervals
from stack.transport.tcp.seq import (
    CLOSE_WAIT,
    CLOSED,
    CLOSING,
    DELAYED_ACK,
    ESTABLISHED,
    FIN_WAIT_1,
    FIN_WAIT_2,
    LAST_ACK,
    TIME_WAIT,
)


class OutOfOrderQueue:
    __slots__ = ("_starts", "_chunks", "fin_at", "bytes", "ranges", "latest")

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._chunks: list[bytes] = []
        self.fin_at: int | None = None  # sequence number of a FIN seen ahead of time
        self.bytes = 0
        self.ranges = Intervals()  # the same data as merged ranges: the SACK blocks
        self.latest = 0  # where the most recent arrival started (RFC 2018: reported first)

    def __len__(self) -> int:
        return len(self._starts)

    def add(self, seq: int, data: bytes) -> None:
        """Keep [seq, seq+len) minus anything already held."""
        starts, chunks = self._starts, self._chunks
        end = seq + len(data)
        self.ranges.add(seq, end)
        self.latest = seq
        i = bisect_left(starts, seq)
        # Trim against the range before, which may overlap our front.
        if i > 0:
            prev_end = starts[i - 1] + len(chunks[i - 1])
            if prev_end >= end:
                return
            if prev_end > seq:
                data = data[prev_end - seq :]
                seq = prev_end
        # Swallow ranges that we cover entirely; trim our tail at the first one we do not.
        while i < len(starts) and starts[i] < end:
            s, c = starts[i], chunks[i]
            if s + len(c) <= end:
                del starts[i], chunks[i]
                self.bytes -= len(c)
                continue
            data = data[: s - seq]
            end = s
            break
        if data:
            starts.insert(i, seq)
            chunks.insert(i, data)
            self.bytes += len(data)

    def pop_ready(self, rcv_nxt: int) -> tuple[int, list[bytes]]:
        """Take the ranges that now continue from `rcv_nxt`; returns the new RCV.NXT."""
        starts, chunks = self._starts, self._chunks
        out: list[bytes] = []
        while starts and starts[0] <= rcv_nxt:
            s, c = starts.pop(0), chunks.pop(0)
            self.bytes -= len(c)
            end = s + len(c)
            if end > rcv_nxt:
                out.append(c[rcv_nxt - s :])
                rcv_nxt = end
        self.ranges.drop_below(rcv_nxt)
        return rcv_nxt, out

    def clear(self) -> None:
        self._starts.clear()
        self._chunks.clear()
        self.fin_at = None
        self.bytes = 0
        self.ranges.clear()


_RECEIVE_STATES = frozenset((ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2))
_SEND_STATES = frozenset((ESTABLISHED, CLOSE_WAIT, FIN_WAIT_1, CLOSING, LAST_ACK))


class ReceiveSide:
    """The receiving half of `TcpConnection` (it sets up the state used here)."""

    def read(self, n: int = -1) -> bytes:
        """Take up to `n` bytes (all when -1) of data that `on_data` did not take."""
        rx = self._rx
        if n < 0 or n >= len(rx):
            out = bytes(rx)
            rx.clear()
        else:
            out = bytes(rx[:n])
            del rx[:n]
        if out:
            self._window_opened()
        return out

    def pause_reading(self) -> None:
        """Stop calling `on_data`; data piles up and the advertised window shrinks to zero."""
        self._paused = True

    def resume_reading(self) -> None:
        self._paused = False
        if self._rx or self._fin_received:
            self.clock.call_soon(self._deliver)

    # --- receiving data -------------------------------------------------------------------

    def _receive(self, seq: int, payload: bytes, fin: int, frames: tuple[int, ...]) -> None:
        rcv_nxt = self.rcv_nxt
        n = len(payload)
        if seq < rcv_nxt:  # trim what we already have
            cut = rcv_nxt - seq
            payload = payload[cut:]
            seq = rcv_nxt
            n -= cut
        right = self.rcv_adv if self.rcv_adv > rcv_nxt else rcv_nxt
        if seq + n > right:  # trim what lies beyond the window (and the FIN with it)
            payload = payload[: right - seq]
            n = len(payload)
            fin = 0
        if n and self._closed_by_app:
            # Nobody will read it: say so with a RST rather than acknowledge it into the void
            # (as Linux does for data that reaches a closed socket).
            self.abort(
                "data arrived after the application closed the connection; nobody will read it"
            )
            return
        if seq == rcv_nxt:
            ooo = self._ooo
            filled_hole = ooo.bytes > 0  # it holds data (`len(ooo)`, without the call)
            if n:
                self._rx += payload
                rcv_nxt += n
                self.counters["bytes_received"] += n
            if filled_hole:
                rcv_nxt, more = ooo.pop_ready(rcv_nxt)
                for chunk in more:
                    self.counters["bytes_received"] += len(chunk)
                    self._rx += chunk
                self._ack_now = True  # RFC 5681 §4.2: ACK at once when a hole fills
                if ooo.fin_at is not None and ooo.fin_at == rcv_nxt:
                    fin = 1
            self.rcv_nxt = rcv_nxt
            if fin:
                self.rcv_nxt += 1
                self._ack_now = True
                self._fin_arrived(frames)
            else:
                self._ack_pending += n
                self._ack_segments += 1
                if (
                    not self.delayed_ack
                    or self._ack_segments >= 2
                    or self._ack_pending >= 2 * self.mss
                    or self._ack_now
                ):
                    self._ack_now = True
                else:
                    self._delack_timer.start_if_idle(DELAYED_ACK)
            self._deliver()
        else:
            # Ahead of a hole: keep it and send a duplicate ACK at once (RFC 5681 §4.2).
            self.counters["out_of_order"] += 1
            if n:
                self._ooo.add(seq, payload)
            if fin:
                self._ooo.fin_at = seq + n
            self._ack_now = True

    def _fin_arrived(self, frames: tuple[int, ...]) -> None:
        self._fin_received = True
        state = self.state
        if state == ESTABLISHED:
            self._set_state(CLOSE_WAIT, "the peer sent FIN: it has finished sending", frames)
        elif state == FIN_WAIT_1:
            self._set_state(
                CLOSING, "simultaneous close: the peer's FIN came before the ACK of ours", frames
            )
        elif state == FIN_WAIT_2:
            self._enter_time_wait("the peer's FIN arrived after ours was acknowledged", frames)

    def _deliver(self) -> None:
        """Hand in-order data to the application, then tell it about end of stream."""
        if self._paused:
            return
        rx = self._rx
        if rx and self.on_data is not None:
            while rx and not self._paused and self.on_data is not None:
                chunk = bytes(rx)
                rx.clear()
                self.on_data(chunk)
            self._window_opened()
        if self._fin_received and (not rx or self.on_data is None) and not self._eof_told:
            self._eof_told = True
            if self.on_eof is not None:
                self.on_eof()
            elif self.state == CLOSE_WAIT:
                self.close()  # asyncio's default: no on_eof handler means close our side too

    def _window_opened(self) -> None:
        """The application took data: if the window grew enough, tell the peer at once
        (RFC 9293 §3.8.6.2.2 keeps it from advertising silly small increases)."""
        if self.state not in _RECEIVE_STATES and self.state != CLOSE_WAIT:
            return
        free = self.rcv_buffer - len(self._rx)
        offered = self.rcv_adv - self.rcv_nxt
        if offered < 0:
            offered = 0
        # An unprompted window update only when the offered window had shrunk to a sliver that
        # could stall the sender and would at least double (Linux decides much like this in
        # tcp_cleanup_rbuf); otherwise the next regular ACK carries the news.
        if (self._our_zero and free >= self.mss) or (
            # offered < max(rcv_buffer // 8, 2·MSS), without the call
            (offered < self.rcv_buffer // 8 or offered < 2 * self.mss)
            and free >= 2 * offered
            and free - offered >= self.mss
        ):
            if self._our_zero:
                self._our_zero = False
                self._our_window_changed("reopened", free)
            self._ack_now = True
            if self.state in _SEND_STATES:
                self._output()
            if self._ack_now:
                self._send_ack()

    def _our_window_changed(self, change: str, size: int) -> None:
        """The window we offer closed ("zero") or opened again ("reopened", `size` bytes)."""
        self.trace.emit(
            TcpWindowChanged(
                self.clock.now(), self.host.name, (), self.local, self.remote, "ours", change, size
            )
        )

    def _on_delayed_ack(self) -> None:
        if self._ack_pending and self.state not in (CLOSED, TIME_WAIT):
            self._send_ack()
