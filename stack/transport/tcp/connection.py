"""One TCP connection: the RFC 9293 state machine, sliding window with window scaling
(RFC 7323), retransmission (RFC 6298), fast retransmit and NewReno recovery (RFC 5681/6582),
zero-window probes, Nagle (RFC 896) and delayed ACKs (RFC 1122 §4.2.3.2).

Sequence numbers inside are unwrapped: plain integers that keep growing from the ISN, so
comparisons are `<`; only the wire sees them modulo 2^32 (`_unwrap` turns them back).
The application side is callbacks (`on_data`, `on_eof`, `on_closed`, `on_connected`,
`on_writable`); `stack.transport.sockets` wraps them for asyncio.
"""

from __future__ import annotations

from collections.abc import Callable
from ipaddress import IPv4Address
from typing import TYPE_CHECKING

from stack.transport.events import (
    TcpNote,
    TcpOneSegment,
    TcpOptionsAgreed,
    TcpReset,
    TcpRetransmit,
    TcpStateChanged,
    TcpWindowChanged,
)
from stack.transport.tcp.receive import OutOfOrderQueue
from stack.transport.tcp.send import Congestion, RtoEstimator
from stack.transport.tcp.timer import LazyTimer
from stack.wire.tcp import ACK, FIN, PSH, RST, SYN, TCP, TcpOption

if TYPE_CHECKING:
    from stack.transport.tcp.layer import TcpLayer, TcpListener

LISTEN, SYN_SENT, SYN_RECEIVED, ESTABLISHED = "LISTEN", "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED"
FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING = "FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT", "CLOSING"
LAST_ACK, TIME_WAIT, CLOSED = "LAST-ACK", "TIME-WAIT", "CLOSED"

MOD = 1 << 32
HALF = 1 << 31
DEFAULT_MSS = 536  # RFC 9293 §3.7.1: assumed when the peer sends no MSS option
DELAYED_ACK = 0.040
SYN_RETRIES = 6
DATA_RETRIES = 15
FIN_WAIT_2_TIMEOUT = 60.0
PERSIST_MAX = 60.0

_SEND_STATES = frozenset((ESTABLISHED, CLOSE_WAIT, FIN_WAIT_1, CLOSING, LAST_ACK))
_RECEIVE_STATES = frozenset((ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2))
_CAN_QUEUE = frozenset((SYN_SENT, SYN_RECEIVED, ESTABLISHED, CLOSE_WAIT))


def _unwrap(wire: int, ref: int) -> int:
    """The unwrapped sequence number nearest `ref` whose low 32 bits are `wire`."""
    d = (wire - ref) % MOD
    return ref + d - MOD if d >= HALF else ref + d


def _shift_for(buffer: int) -> int:
    shift = 0
    while (buffer >> shift) > 0xFFFF and shift < 14:
        shift += 1
    return shift


class TcpConnection:
    def __init__(
        self, layer: TcpLayer, local: tuple[IPv4Address, int], remote: tuple[IPv4Address, int],
        *, listener: TcpListener | None = None,
    ) -> None:
        host = layer.host
        self.layer = layer
        self.host = host
        self.clock = host.clock
        self.trace = host.trace
        self.local_ip, self.local_port = local
        self.remote_ip, self.remote_port = remote
        self.local = f"{self.local_ip}:{self.local_port}"
        self.remote = f"{self.remote_ip}:{self.remote_port}"
        self.listener = listener
        self.state = CLOSED
        self.close_reason = ""

        # Application side.
        self.on_data: Callable[[bytes], None] | None = None
        self.on_eof: Callable[[], None] | None = None
        self.on_closed: Callable[[str], None] | None = None
        self.on_connected: Callable[[], None] | None = None
        self.on_writable: Callable[[], None] | None = None
        self.nagle = layer.nagle
        self.delayed_ack = layer.delayed_ack
        self.send_buffer_limit = layer.send_buffer
        self._closed_by_app = False  # close(): we will read nothing more
        self._shut_wr = False  # close() or shutdown(): the FIN is queued
        self._paused = False
        self._eof_told = False
        self._closed_told = False
        self._want_writable = False

        # Send sequence space (unwrapped).
        self.iss = host.rng.getrandbits(32)
        self.snd_una = self.snd_nxt = self.snd_max = self.iss
        self.snd_wnd = 0
        self.max_snd_wnd = 0
        self.snd_wl1 = self.snd_wl2 = 0
        self.snd_wscale = 0
        self._sbuf = bytearray()
        self._sbuf_seq = self.iss + 1  # sequence number of _sbuf[0]
        self._fin_seq: int | None = None
        self._one_segments: list[tuple[int, int]] = []
        iface_mtu = layer.mtu_towards(self.remote_ip)
        self.our_mss = iface_mtu - 40
        self.mss = DEFAULT_MSS  # what we send; settled by the SYN exchange
        self.peer_mss: int | None = None

        # Receive sequence space.
        self.irs = 0
        self.rcv_nxt = 0
        self.rcv_buffer = layer.receive_buffer
        self.rcv_wscale = _shift_for(self.rcv_buffer)
        self._peer_wscale = False
        self.rcv_adv = 0  # right edge of the window we advertised
        self._rcv_wnd_field = 0
        self._rx = bytearray()  # in order, not yet taken by the application
        self._ooo = OutOfOrderQueue()
        self._fin_received = False
        self._ack_pending = 0  # bytes received since the last ACK we sent
        self._ack_segments = 0  # data segments received since then
        self._ack_now = False

        # Timers and estimators.
        self.rto = RtoEstimator()
        self.cc = Congestion(self.mss)
        self._rtx_timer = LazyTimer(self.clock, self._on_rtx_timeout)
        self._delack_timer = LazyTimer(self.clock, self._on_delayed_ack)
        self._persist_timer = LazyTimer(self.clock, self._on_persist)
        self._wait_timer = LazyTimer(self.clock, self._on_wait_timeout)  # TIME-WAIT, FIN-WAIT-2
        self._persist_backoff = 0
        self._timed_seq: int | None = None
        self._timed_at = 0.0
        self._retries = 0
        self._dupacks = 0
        self._peer_zero = False
        self._our_zero = False
        self.counters = {
            "segments_sent": 0, "segments_received": 0, "bytes_sent": 0, "bytes_received": 0,
            "bytes_acked": 0, "retransmits": 0, "timeouts": 0, "fast_retransmits": 0,
            "duplicate_acks": 0, "out_of_order": 0, "window_probes": 0, "zero_windows": 0,
        }

    # --- the application's side -----------------------------------------------------------

    def send(self, data: bytes, *, one_segment: bool = False) -> int:
        """Queue `data`; returns how many bytes were queued (0 when sending is over).

        `one_segment=True` is the seed's demonstration, not real TCP: the data goes out as ONE
        segment whatever the MSS (IP then fragments it); its retransmissions use the MSS."""
        if self.state not in _CAN_QUEUE or self._shut_wr:
            return 0
        if not data:
            return 0
        if one_segment:
            start = self._sbuf_seq + len(self._sbuf)
            if len(data) > 0xFFFF - 60:
                raise ValueError(f"{len(data):,} bytes cannot travel in one IP packet")
            self._one_segments.append((start, start + len(data)))
        self._sbuf += data
        if self.state in _SEND_STATES:
            self._output()
        return len(data)

    @property
    def send_queued(self) -> int:
        """Bytes queued and not yet acknowledged."""
        return len(self._sbuf)

    @property
    def writable(self) -> bool:
        return len(self._sbuf) < self.send_buffer_limit

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

    def shutdown(self) -> None:
        """Half-close: send FIN after everything queued; keep receiving."""
        if self._shut_wr:
            return
        state = self.state
        if state == SYN_SENT and not self._sbuf:
            self._finish(CLOSED, "closed before the connection was established", "closed")
            return
        if state not in (SYN_SENT, SYN_RECEIVED, ESTABLISHED, CLOSE_WAIT):
            return
        self._shut_wr = True
        self._fin_seq = self._sbuf_seq + len(self._sbuf)
        if state == CLOSE_WAIT:
            self._set_state(LAST_ACK, "application closed after the peer's FIN; FIN queued after the data")
        elif state == ESTABLISHED:
            self._set_state(FIN_WAIT_1, "application closed; FIN queued after the data")
        if self.state in _SEND_STATES:
            self._output()

    def close(self) -> None:
        """Send everything queued, then FIN; read nothing more."""
        self._closed_by_app = True
        if self.state == FIN_WAIT_2:
            self._wait_timer.start(FIN_WAIT_2_TIMEOUT)
        self.shutdown()

    def abort(self, why: str = "the application aborted the connection") -> None:
        """Send RST (when synchronized) and forget the connection at once."""
        if self.state in (CLOSED, TIME_WAIT):
            return
        if self.state not in (SYN_SENT,):
            self._emit(self.snd_nxt, RST | ACK, b"")
            self.trace.emit(TcpReset(self.clock.now(), self.host.name, (), self.local, self.remote, "sent", why))
        self._finish(CLOSED, why, "aborted")

    # --- opening --------------------------------------------------------------------------

    def open_active(self) -> None:
        self._set_state(SYN_SENT, "active open: SYN sent")
        self._send_syn()

    def open_passive(self, seg: TCP, frames: tuple[int, ...]) -> None:
        """A SYN came to a listener: remember the peer, answer SYN-ACK (RFC 9293 §3.10.7.2)."""
        self.irs = seg.seq
        self.rcv_nxt = self.irs + 1
        self._take_syn_options(seg)
        self.snd_wnd = seg.window  # never scaled in a SYN
        self.max_snd_wnd = seg.window
        self.snd_wl1 = self.irs
        self._set_state(SYN_RECEIVED, "SYN received on a listening port; SYN-ACK sent", frames)
        self._send_syn()

    def _take_syn_options(self, seg: TCP) -> None:
        peer_mss = seg.mss
        self.peer_mss = peer_mss
        self.mss = min(self.our_mss, peer_mss if peer_mss else DEFAULT_MSS)
        self.cc.set_mss(self.mss)
        peer_shift = seg.wscale
        self._peer_wscale = peer_shift is not None
        if peer_shift is not None:
            self.snd_wscale = min(peer_shift, 14)
        else:
            self.snd_wscale = 0
            self.rcv_wscale = 0
            self.rcv_buffer = min(self.rcv_buffer, 0xFFFF)

    def _send_syn(self) -> None:
        if self.state == SYN_SENT or self._peer_wscale:
            options = (TcpOption.mss(self.our_mss), TcpOption.nop(), TcpOption.wscale(self.rcv_wscale))
        else:
            options = (TcpOption.mss(self.our_mss),)  # RFC 7323 §2.2: scale only if the SYN offered it
        flags = SYN | ACK if self.state == SYN_RECEIVED else SYN
        window = min(self.rcv_buffer, 0xFFFF)
        self.rcv_adv = self.rcv_nxt + window
        self._transmit(self.iss, flags, b"", window, options)
        self.snd_nxt = self.snd_max = self.iss + 1
        self._rtx_timer.start(self.rto.rto)
        if self._timed_seq is None and self._retries == 0:
            self._timed_seq, self._timed_at = self.iss + 1, self.clock.now()

    def _established(self, why: str, frames: tuple[int, ...]) -> None:
        self._set_state(ESTABLISHED, why, frames)
        self._retries = 0
        scale = (
            f"window scale: we shift by {self.rcv_wscale}, the peer by {self.snd_wscale}"
            if self.rcv_wscale or self.snd_wscale else "no window scaling"
        )
        peer = f"peer's MSS {self.peer_mss}" if self.peer_mss else f"peer sent no MSS, so {DEFAULT_MSS}"
        self.trace.emit(TcpOptionsAgreed(
            self.clock.now(), self.host.name, frames, self.local, self.remote, self.mss,
            f"ours {self.our_mss} = MTU {self.our_mss + 40} − 40, {peer}; {scale}",
        ))

    # --- arriving segments (RFC 9293 §3.10.7) ----------------------------------------------

    def segment_arrives(self, seg: TCP, frames: tuple[int, ...]) -> None:
        self.counters["segments_received"] += 1
        state = self.state
        if state == SYN_SENT:
            self._arrives_in_syn_sent(seg, frames)
            return
        if state == CLOSED:
            return
        flags = seg.flags
        payload = seg.payload
        rcv_nxt = self.rcv_nxt
        seq = _unwrap(seg.seq, rcv_nxt)
        seglen = len(payload) + (1 if flags & SYN else 0) + (1 if flags & FIN else 0)
        wnd = self.rcv_adv - rcv_nxt
        if wnd < 0:
            wnd = 0
        # Step 1: is any of it inside the receive window?
        if seglen == 0:
            acceptable = seq == rcv_nxt if wnd == 0 else rcv_nxt <= seq < rcv_nxt + wnd
        else:
            acceptable = wnd > 0 and (rcv_nxt <= seq < rcv_nxt + wnd or rcv_nxt <= seq + seglen - 1 < rcv_nxt + wnd)
        if not acceptable:
            if flags & RST:
                return
            if state == SYN_RECEIVED and flags & SYN:
                self._send_syn()  # the peer repeated its SYN: our SYN-ACK was lost
                return
            if state == TIME_WAIT and flags & FIN:
                self._wait_timer.start(2 * self.layer.msl)  # §3.10.7.4: the FIN again; restart 2·MSL
            if wnd == 0 and seq == rcv_nxt and flags & ACK and state != SYN_RECEIVED:
                # A zero-window probe: take its ACK and window, answer with ours (still zero).
                self._process_ack(seg, seq, frames)
            self._send_ack()
            return
        # Step 2: RST. Only an exact RCV.NXT resets; anywhere else in the window earns a
        # challenge ACK (RFC 5961 §3.2), so a blind attacker must guess the exact number.
        if flags & RST:
            if seq != rcv_nxt:
                self._send_ack()
                return
            self._reset_received(frames)
            return
        # Step 4: a SYN inside the window of a synchronized connection → challenge ACK (RFC 5961 §4).
        if flags & SYN:
            self._send_ack()
            return
        # Step 5: ACK.
        if not flags & ACK:
            return
        if state == SYN_RECEIVED:
            ack = _unwrap(seg.ack, self.snd_una)
            if not self.snd_una < ack <= self.snd_max:
                self.layer.send_reset(self.local_ip, self.remote_ip, self.local_port, self.remote_port, seg.ack, 0, False,
                                      "the ACK in SYN-RECEIVED acknowledges nothing we sent", frames)
                return
            self.snd_wnd = seg.window << self.snd_wscale
            self.snd_wl1, self.snd_wl2 = seq, ack
            self._established("handshake complete: our SYN-ACK was acknowledged", frames)
            if self._shut_wr:  # closed while the handshake was under way (RFC 9293 §3.10.4)
                self._set_state(FIN_WAIT_1, "the application had closed during the handshake; FIN queued", frames)
            if self.listener is not None:
                self.listener.accepted(self)
        if not self._process_ack(seg, seq, frames):
            return
        state = self.state
        if self._fin_seq is not None and self.snd_una > self._fin_seq:
            if state == FIN_WAIT_1:
                self._set_state(FIN_WAIT_2, "our FIN was acknowledged", frames)
                if self._closed_by_app:
                    self._wait_timer.start(FIN_WAIT_2_TIMEOUT)
            elif state == CLOSING:
                self._enter_time_wait("our FIN was acknowledged after simultaneous close", frames)
                return
            elif state == LAST_ACK:
                self._finish(CLOSED, "our FIN was acknowledged", "closed", frames)
                return
        state = self.state
        # Step 7: data; step 8: FIN.
        if payload or flags & FIN:
            if state in _RECEIVE_STATES:
                self._receive(seq, payload, flags & FIN, frames)
        self._output()
        if self._ack_now:
            self._send_ack()

    def _arrives_in_syn_sent(self, seg: TCP, frames: tuple[int, ...]) -> None:
        """RFC 9293 §3.10.7.3."""
        flags = seg.flags
        ack = 0
        if flags & ACK:
            ack = _unwrap(seg.ack, self.iss)
            if ack <= self.iss or ack > self.snd_max:
                if not flags & RST:
                    self.layer.send_reset(self.local_ip, self.remote_ip, self.local_port, self.remote_port, seg.ack, 0, False,
                                          "its ACK does not acknowledge our SYN", frames)
                return
        if flags & RST:
            if flags & ACK:
                self.trace.emit(TcpReset(self.clock.now(), self.host.name, frames, self.local, self.remote, "received",
                                         "connection refused: nothing listens on that port"))
                self._finish(CLOSED, "connection refused (RST in answer to our SYN)", "refused", frames)
            return
        if not flags & SYN:
            return
        self.irs = seg.seq
        self.rcv_nxt = self.irs + 1
        self._take_syn_options(seg)
        if flags & ACK:
            self._ack_syn(ack)
            self.snd_wnd = seg.window  # a SYN's window is never scaled
            self.max_snd_wnd = self.snd_wnd
            self.snd_wl1, self.snd_wl2 = self.irs, ack
            self._established("SYN-ACK received; our ACK completes the handshake", frames)
            if self._shut_wr:  # data and FIN were queued during the handshake
                self._set_state(FIN_WAIT_1, "the application had closed during the handshake; FIN queued", frames)
            self._send_ack()
            if self.on_connected is not None:
                self.on_connected()
            self._output()
        else:
            self.snd_wnd = seg.window
            self.snd_wl1 = self.irs
            self._set_state(SYN_RECEIVED, "simultaneous open: a SYN crossed ours; SYN-ACK sent", frames)
            self._send_syn()

    def _ack_syn(self, ack: int) -> None:
        if self._timed_seq is not None and ack >= self._timed_seq:
            self.rto.sample(self.clock.now() - self._timed_at)
        self._timed_seq = None
        self.snd_una = ack
        if self.snd_nxt < ack:
            self.snd_nxt = ack
        self._retries = 0
        self._rtx_timer.stop()

    def _reset_received(self, frames: tuple[int, ...]) -> None:
        state = self.state
        if state == SYN_RECEIVED and self.listener is not None:
            why = "the peer reset the half-open connection; the listener carries on"
            reason = "reset by peer"
        elif state in (CLOSING, LAST_ACK, TIME_WAIT):
            why, reason = "the peer reset the closing connection", "closed"
        else:
            why, reason = "the peer reset the connection", "reset by peer"
        self.trace.emit(TcpReset(self.clock.now(), self.host.name, frames, self.local, self.remote, "received", why))
        self._finish(CLOSED, why, reason, frames)

    # --- ACK processing -------------------------------------------------------------------

    def _process_ack(self, seg: TCP, seq: int, frames: tuple[int, ...]) -> bool:
        """Step 5 for synchronized states. False when the segment must be dropped."""
        snd_una = self.snd_una
        ack = _unwrap(seg.ack, snd_una)
        if ack > self.snd_max:
            self._send_ack()  # it acknowledges data we never sent
            return False
        window = seg.window << self.snd_wscale
        window_changed = False
        if ack >= snd_una and (self.snd_wl1 < seq or (self.snd_wl1 == seq and self.snd_wl2 <= ack)):
            if window != self.snd_wnd:
                window_changed = True
                self._peer_window(window, frames)
            self.snd_wl1, self.snd_wl2 = seq, ack
        if ack > snd_una:
            self._new_ack(ack, frames)
        elif (
            ack == snd_una and self.snd_max > snd_una and not seg.payload and not seg.flags & (SYN | FIN)
            and not window_changed and self.snd_wnd
        ):
            self._duplicate_ack(frames)
        return True

    def _peer_window(self, window: int, frames: tuple[int, ...]) -> None:
        self.snd_wnd = window
        if window > self.max_snd_wnd:
            self.max_snd_wnd = window
        if window == 0:
            if not self._peer_zero:
                self._peer_zero = True
                self.counters["zero_windows"] += 1
                self.trace.emit(TcpWindowChanged(self.clock.now(), self.host.name, frames, self.local, self.remote, "peer", "zero", 0))
        elif self._peer_zero:
            self._peer_zero = False
            self._persist_timer.stop()
            self._persist_backoff = 0
            self.trace.emit(TcpWindowChanged(self.clock.now(), self.host.name, frames, self.local, self.remote, "peer", "reopened", window))

    def _new_ack(self, ack: int, frames: tuple[int, ...]) -> None:
        acked = ack - self.snd_una
        if self.snd_una == self.iss:
            acked -= 1  # the SYN's sequence number is not data
        self.snd_una = ack
        if self.snd_nxt < ack:
            self.snd_nxt = ack
        self._dupacks = 0
        self._retries = 0
        # Drop acknowledged bytes (not the FIN's sequence number) from the send buffer.
        drop = min(ack, self._sbuf_seq + len(self._sbuf)) - self._sbuf_seq
        if drop > 0:
            del self._sbuf[:drop]
            self._sbuf_seq += drop
            self.counters["bytes_acked"] += drop
        timed = self._timed_seq
        if timed is not None and ack >= timed:
            self.rto.sample(self.clock.now() - self._timed_at)
            self._timed_seq = None
        cc = self.cc
        if cc.in_recovery:
            if ack >= cc.recover:
                cc.exit_recovery(self.snd_max - ack)
            else:
                # RFC 6582 partial ACK: the next hole is lost too; resend it at once.
                cc.on_partial_ack(acked)
                self._retransmit_first("NewReno partial ACK: the next segment is missing too", frames)
        else:
            cc.on_new_ack(acked)
        if self.snd_max == ack:
            self._rtx_timer.stop()
        else:
            self._rtx_timer.start(self.rto.rto)
        if self._want_writable and len(self._sbuf) < self.send_buffer_limit // 2:
            self._want_writable = False
            if self.on_writable is not None:
                self.on_writable()

    def _duplicate_ack(self, frames: tuple[int, ...]) -> None:
        self._dupacks += 1
        self.counters["duplicate_acks"] += 1
        cc = self.cc
        if self._dupacks == 3 and (not cc.in_recovery) and self.snd_una >= cc.recover:
            flight = self.snd_max - self.snd_una
            cc.enter_fast_recovery(flight, self.snd_max)
            self.counters["fast_retransmits"] += 1
            self._retransmit_first(f"fast retransmit: 3 duplicate ACKs for {self._wire_ack(self.snd_una)}; "
                                   f"ssthresh {cc.ssthresh:,}, cwnd {cc.cwnd:,} (NewReno recovery)", frames)
        elif self._dupacks > 3 and cc.in_recovery:
            cc.on_duplicate_in_recovery()

    def _wire_ack(self, seq: int) -> str:
        return f"seq {seq % MOD} (relative {seq - self.iss})"

    def _retransmit_first(self, why: str, frames: tuple[int, ...]) -> None:
        """Resend one segment from SND.UNA (after a loss signal other than the timer)."""
        seq = self.snd_una
        data_end = self._sbuf_seq + len(self._sbuf)
        n = min(self.mss, data_end - seq)
        self.counters["retransmits"] += 1
        self._timed_seq = None  # Karn: no RTT sample from anything in flight now
        self.trace.emit(TcpRetransmit(self.clock.now(), self.host.name, frames, self.local, self.remote,
                                      seq - self.iss, max(n, 0), why, self.rto.rto, self._dupacks))
        if n > 0:
            fin = self._fin_seq is not None and seq + n == self._fin_seq
            self._send_segment(seq, n, fin)
        elif self._fin_seq is not None and seq == self._fin_seq:
            self._transmit(seq, FIN | ACK, b"")
        self._rtx_timer.start(self.rto.rto)

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
        if seq == rcv_nxt:
            ooo = self._ooo
            filled_hole = len(ooo) > 0
            if n:
                if not self._closed_by_app:
                    self._rx += payload
                rcv_nxt += n
                self.counters["bytes_received"] += n
            if filled_hole:
                rcv_nxt, more = ooo.pop_ready(rcv_nxt)
                for chunk in more:
                    self.counters["bytes_received"] += len(chunk)
                    if not self._closed_by_app:
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
                if not self.delayed_ack or self._ack_segments >= 2 or self._ack_pending >= 2 * self.mss or self._ack_now:
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
            self._set_state(CLOSING, "simultaneous close: the peer's FIN came before the ACK of ours", frames)
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
        if self._fin_received and not rx and not self._eof_told and not self._paused:
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
        # Like Linux: an unprompted window update only when the window at least doubles.
        if (self._our_zero and free >= self.mss) or (free >= 2 * offered and free - offered >= self.mss):
            if self._our_zero:
                self._our_zero = False
                self.trace.emit(TcpWindowChanged(self.clock.now(), self.host.name, (), self.local, self.remote, "ours", "reopened", free))
            self._ack_now = True
            if self.state in _SEND_STATES:
                self._output()
            if self._ack_now:
                self._send_ack()

    # --- sending --------------------------------------------------------------------------

    def _output(self) -> None:
        """Send what the windows allow (RFC 9293 §3.8.6.2.1, RFC 5681, RFC 896)."""
        if self.state not in _SEND_STATES:
            return
        mss = self.mss
        while True:
            nxt = self.snd_nxt
            data_end = self._sbuf_seq + len(self._sbuf)
            avail = data_end - nxt
            if avail <= 0:
                fin_seq = self._fin_seq
                if fin_seq is not None and nxt == fin_seq:
                    self._transmit(nxt, FIN | ACK, b"")
                    self.snd_nxt = fin_seq + 1
                    if self.snd_max < fin_seq + 1:
                        self.snd_max = fin_seq + 1
                    elif nxt < self.snd_max:
                        self.counters["retransmits"] += 1
                    if not self._rtx_timer.armed:
                        self._rtx_timer.start(self.rto.rto)
                break
            cwnd = self.cc.cwnd
            wnd = self.snd_wnd if self.snd_wnd < cwnd else cwnd
            in_flight = nxt - self.snd_una
            usable = wnd - in_flight
            n = avail if avail < mss else mss
            one = self._one_segments
            if one:
                start, end = one[0]
                if nxt > start or end <= self.snd_una:
                    one.pop(0)
                    continue
                if nxt == start:
                    n = end - start
                    if n > usable and in_flight > 0:
                        break
                    one.pop(0)
                    self.trace.emit(TcpOneSegment(self.clock.now(), self.host.name, (), self.local, self.remote, n, mss))
                    self._send_segment(nxt, n, self._fin_seq is not None and nxt + n == self._fin_seq)
                    continue
                if n > start - nxt:
                    n = start - nxt
            if n > usable:
                # Window-limited. Sender SWS avoidance: a fraction of a segment only when it is
                # at least half the largest window the peer ever offered, or nothing is in flight.
                if usable <= 0 or (usable < self.max_snd_wnd // 2 and in_flight > 0):
                    break
                n = usable
            elif n < mss and in_flight > 0 and self.nagle and nxt >= self.snd_max and self._fin_seq is None:
                break  # Nagle: a small segment waits while data is unacknowledged
            self._send_segment(nxt, n, self._fin_seq is not None and nxt + n == self._fin_seq)
        if self.snd_wnd == 0 and self.snd_max == self.snd_una and self._sbuf_seq + len(self._sbuf) > self.snd_nxt:
            self._persist_timer.start_if_idle(self._persist_interval())

    def _send_segment(self, seq: int, n: int, fin: bool) -> None:
        off = seq - self._sbuf_seq
        payload = bytes(self._sbuf[off : off + n])
        flags = ACK | PSH if seq + n == self._sbuf_seq + len(self._sbuf) else ACK
        if fin:
            flags |= FIN
        self._transmit(seq, flags, payload)
        end = seq + n + (1 if fin else 0)
        self.snd_nxt = end
        if end > self.snd_max:
            if seq >= self.snd_max and self._timed_seq is None:
                self._timed_seq, self._timed_at = end, self.clock.now()
            self.snd_max = end
            self.counters["bytes_sent"] += n
        else:
            self.counters["retransmits"] += 1
            self._timed_seq = None  # Karn's rule
        if not self._rtx_timer.armed:
            self._rtx_timer.start(self.rto.rto)
        if not self._want_writable and len(self._sbuf) >= self.send_buffer_limit:
            self._want_writable = True

    def _advertise(self) -> int:
        """The window field for the next segment; never moves the right edge left."""
        free = self.rcv_buffer - len(self._rx)
        rcv_nxt = self.rcv_nxt
        offered = self.rcv_adv - rcv_nxt
        if free < offered:
            free = offered  # RFC 9293 §3.8.6.2.2: do not shrink the window
        elif free - offered < min(self.rcv_buffer // 2, self.mss) and offered > 0:
            free = offered  # receiver SWS avoidance: do not offer a small increase
        field = free >> self.rcv_wscale
        if field > 0xFFFF:
            field = 0xFFFF
        self.rcv_adv = rcv_nxt + (field << self.rcv_wscale)
        if field == 0 and not self._our_zero:
            self._our_zero = True
            self.trace.emit(TcpWindowChanged(self.clock.now(), self.host.name, (), self.local, self.remote, "ours", "zero", 0))
        return field

    def _transmit(self, seq: int, flags: int, payload: bytes, window: int | None = None, options: tuple = ()) -> None:
        ack = self.rcv_nxt % MOD if flags & ACK else 0
        if window is None:
            window = self._advertise()
        if flags & ACK:
            self._ack_pending = 0
            self._ack_segments = 0
            self._ack_now = False
            self._delack_timer.stop()
        self.counters["segments_sent"] += 1
        self.layer.transmit(self, seq % MOD, ack, flags, window, payload, options)

    def _send_ack(self) -> None:
        if self.state in (CLOSED, LISTEN, SYN_SENT):
            return
        self._transmit(self.snd_nxt, ACK, b"")

    # --- timers ---------------------------------------------------------------------------

    def _on_delayed_ack(self) -> None:
        if self._ack_pending and self.state not in (CLOSED, TIME_WAIT):
            self._send_ack()

    def _on_rtx_timeout(self) -> None:
        state = self.state
        if state in (CLOSED, TIME_WAIT, FIN_WAIT_2) or self.snd_max == self.snd_una:
            return
        if self._peer_zero and self.snd_wnd == 0 and self.snd_max - self.snd_una <= 1:
            return  # the persist timer is in charge
        self._retries += 1
        self.counters["timeouts"] += 1
        limit = SYN_RETRIES if state in (SYN_SENT, SYN_RECEIVED) else DATA_RETRIES
        if self._retries > limit:
            self.trace.emit(TcpNote(self.clock.now(), self.host.name, (), self.local, self.remote,
                                    f"gave up after {limit} retransmissions without an answer"))
            if state == SYN_RECEIVED and self.listener is not None:
                self._finish(CLOSED, "the handshake timed out", "timed out")
            else:
                self._finish(CLOSED, "retransmissions timed out", "timed out")
            return
        fired = self.rto.rto
        self.rto.back_off()
        self._timed_seq = None  # Karn's rule
        self._dupacks = 0
        if state in (SYN_SENT, SYN_RECEIVED):
            what = "SYN" if state == SYN_SENT else "SYN-ACK"
            self.trace.emit(TcpRetransmit(self.clock.now(), self.host.name, (), self.local, self.remote, 0, 0,
                                          f"no answer to our {what} within {fired * 1000:.0f} ms; next wait {self.rto.rto * 1000:.0f} ms",
                                          fired, self._retries + 1))
            self._send_syn()
            return
        flight = self.snd_max - self.snd_una
        self.cc.on_timeout(flight, self.snd_max)
        self.trace.emit(TcpRetransmit(
            self.clock.now(), self.host.name, (), self.local, self.remote, self.snd_una - self.iss,
            min(self.mss, max(flight, 0)),
            f"retransmission timer expired after {fired * 1000:.0f} ms ({self.rto.explain()}); "
            f"cwnd 1 MSS, ssthresh {self.cc.ssthresh:,}, going back to SND.UNA",
            fired, self._retries + 1,
        ))
        self.snd_nxt = self.snd_una  # go back: resend from the first unacknowledged byte
        self._rtx_timer.start(self.rto.rto)
        self._output()

    def _persist_interval(self) -> float:
        return min(PERSIST_MAX, max(self.rto.rto, 0.2) * (1 << self._persist_backoff))

    def _on_persist(self) -> None:
        """RFC 9293 §3.8.6.1: probe a zero window with one byte so that a lost window
        update cannot deadlock the connection."""
        if self.state not in _SEND_STATES or self.snd_wnd != 0:
            return
        seq = self.snd_nxt
        if self._sbuf_seq + len(self._sbuf) <= seq:
            return
        self.counters["window_probes"] += 1
        self.trace.emit(TcpWindowChanged(self.clock.now(), self.host.name, (), self.local, self.remote, "peer", "probe", 0))
        off = seq - self._sbuf_seq
        self._transmit(seq, ACK, bytes(self._sbuf[off : off + 1]))
        if self.snd_max < seq + 1:
            self.snd_max = seq + 1
        self._persist_backoff = min(self._persist_backoff + 1, 10)
        self._persist_timer.start(self._persist_interval())

    def _on_wait_timeout(self) -> None:
        if self.state == TIME_WAIT:
            self._finish(CLOSED, f"TIME-WAIT over (2·MSL = {2 * self.layer.msl:g} s)", None)
        elif self.state == FIN_WAIT_2:
            self._finish(CLOSED, f"no FIN from the peer within {FIN_WAIT_2_TIMEOUT:g} s of FIN-WAIT-2", "closed")

    # --- state ----------------------------------------------------------------------------

    def _set_state(self, new: str, why: str, frames: tuple[int, ...] = ()) -> None:
        old = self.state
        self.state = new
        self.trace.emit(TcpStateChanged(self.clock.now(), self.host.name, frames, self.local, self.remote, old, new, why))

    def _enter_time_wait(self, why: str, frames: tuple[int, ...]) -> None:
        self._set_state(TIME_WAIT, f"{why}; waiting 2·MSL = {2 * self.layer.msl:g} s for stray segments", frames)
        self._rtx_timer.cancel()
        self._persist_timer.cancel()
        self._wait_timer.start(2 * self.layer.msl)
        self._tell_closed("closed")

    def _finish(self, state: str, why: str, reason: str | None, frames: tuple[int, ...] = ()) -> None:
        """Leave for CLOSED (or TIME-WAIT's end); tell the application once."""
        if self.state != state:
            self._set_state(state, why, frames)
        for timer in (self._rtx_timer, self._delack_timer, self._persist_timer, self._wait_timer):
            timer.cancel()
        self.layer.forget(self)
        self.close_reason = self.close_reason or (reason or "closed")
        if reason is not None:
            self._tell_closed(reason)

    def _tell_closed(self, reason: str) -> None:
        if self._closed_told:
            return
        self._closed_told = True
        self.close_reason = reason
        if self.on_closed is not None:
            self.on_closed(reason)

    def connection_failed(self, why: str, reason: str, frames: tuple[int, ...] = ()) -> None:
        """An ICMP hard error (or the IP layer) says the peer cannot be reached."""
        self.trace.emit(TcpNote(self.clock.now(), self.host.name, frames, self.local, self.remote, why))
        self._finish(CLOSED, why, reason, frames)

    def __repr__(self) -> str:
        return f"TcpConnection({self.local} ⇄ {self.remote} {self.state})"
