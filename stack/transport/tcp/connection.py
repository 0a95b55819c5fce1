"""One TCP connection: the RFC 9293 state machine — opening (active, passive, simultaneous),
segment arrival in every state (§3.10.7), closing (FIN both ways, half-close, simultaneous
close, TIME-WAIT), resets — with the sending and receiving halves in `send.py` and
`receive.py`.

Sequence numbers inside are unwrapped (see `seq.py`). The application side is callbacks
(`on_data`, `on_eof`, `on_closed`, `on_connected`, `on_writable`) and calls (`send`,
`shutdown`, `close`, `abort`, `read`, `pause_reading`); `stack.transport.sockets` wraps
them for asyncio.
"""

from __future__ import annotations

from collections.abc import Callable
from ipaddress import IPv4Address
from typing import TYPE_CHECKING

from stack.transport.events import TcpNote, TcpOptionsAgreed, TcpReset, TcpStateChanged
from stack.transport.tcp.congestion import Congestion, RtoEstimator
from stack.transport.tcp.receive import OutOfOrderQueue, ReceiveSide
from stack.transport.tcp.sack import Intervals
from stack.transport.tcp.send import SendSide
from stack.transport.tcp.seq import (
    CLOSE_WAIT,
    CLOSED,
    CLOSING,
    DEFAULT_MSS,
    ESTABLISHED,
    FIN_WAIT_1,
    FIN_WAIT_2,
    FIN_WAIT_2_TIMEOUT,
    LAST_ACK,
    LISTEN,
    SYN_RECEIVED,
    SYN_SENT,
    TIME_WAIT,
    unwrap,
)
from stack.transport.tcp.timer import LazyTimer
from stack.wire.tcp import ACK, FIN, PROTO, PSH, RST, SYN, TCP, TcpOption

if TYPE_CHECKING:
    from stack.transport.tcp.layer import TcpLayer, TcpListener

__all__ = [
    "CLOSED",
    "CLOSE_WAIT",
    "CLOSING",
    "ESTABLISHED",
    "FIN_WAIT_1",
    "FIN_WAIT_2",
    "LAST_ACK",
    "LISTEN",
    "SYN_RECEIVED",
    "SYN_SENT",
    "TIME_WAIT",
    "TcpConnection",
]

_RECEIVE_STATES = frozenset((ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2))
_SEND_STATES = frozenset((ESTABLISHED, CLOSE_WAIT, FIN_WAIT_1, CLOSING, LAST_ACK))


def _shift_for(buffer: int) -> int:
    shift = 0
    while (buffer >> shift) > 0xFFFF and shift < 14:
        shift += 1
    return shift


class TcpConnection(SendSide, ReceiveSide):
    def __init__(
        self,
        layer: TcpLayer,
        local: tuple[IPv4Address, int],
        remote: tuple[IPv4Address, int],
        *,
        listener: TcpListener | None = None,
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
        # What every segment of this connection shares, worked out once: the pseudo-header's
        # addresses and protocol as a checksum sum (the same both ways), the fixed header
        # words, and the bytes an arriving segment names this connection by (see TcpLayer).
        self.pseudo = int(self.local_ip) + int(self.remote_ip) + PROTO
        self._header_sum = self.pseudo + 20 + self.local_port + self.remote_port + 0x5000
        self.wire_key = (
            self.remote_ip.packed
            + self.local_ip.packed
            + self.remote_port.to_bytes(2, "big")
            + self.local_port.to_bytes(2, "big")
        )
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
        self.iss = layer.isn()
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
        self.sack_ok = False  # both SYNs carried SACK-permitted (RFC 2018)
        self._sacked = Intervals()  # the sender's scoreboard
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
        self._limited_transmit = 0  # extra bytes RFC 3042 lets out on early duplicate ACKs
        self._peer_zero = False
        self._our_zero = False
        self.counters = {
            "segments_sent": 0,
            "segments_received": 0,
            "bytes_sent": 0,
            "bytes_received": 0,
            "bytes_acked": 0,
            "retransmits": 0,
            "timeouts": 0,
            "fast_retransmits": 0,
            "duplicate_acks": 0,
            "out_of_order": 0,
            "window_probes": 0,
            "zero_windows": 0,
        }

    # --- the application's side -----------------------------------------------------------

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
            self._set_state(
                LAST_ACK, "application closed after the peer's FIN; FIN queued after the data"
            )
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
            self._transmit(self.snd_max, RST | ACK, b"")
            self.trace.emit(
                TcpReset(self.clock.now(), self.host.name, (), self.local, self.remote, "sent", why)
            )
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

    def resume_from_cookie(
        self, cookie: int, client_isn: int, mss: int, frames: tuple[int, ...]
    ) -> None:
        """Rebuild the half-open state a SYN cookie stood for; the ACK that proved it comes next."""
        self.iss = cookie
        self.snd_una = self.iss
        self.snd_nxt = self.snd_max = self.iss + 1
        self._sbuf_seq = self.iss + 1
        self.irs = client_isn
        self.rcv_nxt = self.irs + 1
        self.peer_mss = mss
        self.mss = min(self.our_mss, mss)
        self.cc.set_mss(self.mss)
        self.snd_wscale = self.rcv_wscale = 0
        self.rcv_buffer = min(self.rcv_buffer, 0xFFFF)
        self.rcv_adv = self.rcv_nxt + self.rcv_buffer
        self.snd_wl1 = self.irs
        self._set_state(
            SYN_RECEIVED,
            "a SYN cookie came back in an ACK: the handshake is rebuilt from it",
            frames,
        )

    def _take_syn_options(self, seg: TCP) -> None:
        peer_mss = seg.mss
        self.peer_mss = peer_mss
        self.mss = min(self.our_mss, peer_mss if peer_mss else DEFAULT_MSS)
        self.cc.set_mss(self.mss)
        self.sack_ok = self.layer.sack and seg.sack_permitted
        peer_shift = seg.wscale
        self._peer_wscale = peer_shift is not None
        if peer_shift is not None:
            self.snd_wscale = min(peer_shift, 14)
        else:
            self.snd_wscale = 0
            self.rcv_wscale = 0
            self.rcv_buffer = min(self.rcv_buffer, 0xFFFF)

    def _send_syn(self) -> None:
        # RFC 7323 §2.2 and RFC 2018 §2: a SYN-ACK carries window scale and SACK-permitted
        # only when the SYN offered them.
        options: tuple[TcpOption, ...] = (TcpOption.mss(self.our_mss),)
        if self.state == SYN_SENT or self._peer_wscale:
            options += (TcpOption.nop(), TcpOption.wscale(self.rcv_wscale))
        if (self.state == SYN_SENT and self.layer.sack) or self.sack_ok:
            options += (TcpOption.nop(), TcpOption.nop(), TcpOption.sack_permitted())
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
            if self.rcv_wscale or self.snd_wscale
            else "no window scaling"
        )
        peer = (
            f"peer's MSS {self.peer_mss}"
            if self.peer_mss
            else f"peer sent no MSS, so {DEFAULT_MSS}"
        )
        self.trace.emit(
            TcpOptionsAgreed(
                self.clock.now(),
                self.host.name,
                frames,
                self.local,
                self.remote,
                self.mss,
                f"ours {self.our_mss} = MTU {self.our_mss + 40} − 40, {peer}; {scale}",
            )
        )

    # --- arriving segments (RFC 9293 §3.10.7) ----------------------------------------------

    def segment_arrives(self, seg: TCP, frames: tuple[int, ...]) -> None:
        flags = seg.flags
        if (
            (flags == ACK or flags == ACK | PSH)
            and (seg.data_offset == 5 or not self.sack_ok)
            and self.predicted(seg.seq, seg.ack, flags, seg.window, seg.payload, frames)
        ):
            return
        self.unpredicted(seg, frames)

    def predicted(
        self, seq: int, ack: int, flags: int, window: int, payload: bytes, frames: tuple[int, ...]
    ) -> bool:
        """Header prediction (RFC 9293 §3.10.7.4 as Van Jacobson's fast path reads it) for an
        ACK (PSH or not) that carries no SACK blocks: the next segment in order, inside the
        window, the window unchanged, acknowledging new data or nothing outstanding. Steps 1-5
        then come down to these tests. False, having changed nothing, when the segment must
        take the full path (`unpredicted`); `seq`, `ack` and `window` as on the wire."""
        if self.state != ESTABLISHED:
            return False
        rcv_nxt = self.rcv_nxt
        n = len(payload)
        snd_una = self.snd_una
        acked = (ack - snd_una) & 0xFFFFFFFF
        ack = snd_una + acked  # beyond SND.MAX when the wire number lies behind SND.UNA
        if not (
            seq == rcv_nxt & 0xFFFFFFFF
            and ack <= self.snd_max
            and window << self.snd_wscale == self.snd_wnd
            and (n <= self.rcv_adv - rcv_nxt if n else acked or self.snd_max == snd_una)
        ):
            return False
        self.counters["segments_received"] += 1
        if self.snd_wl1 < rcv_nxt or (self.snd_wl1 == rcv_nxt and self.snd_wl2 <= ack):
            self.snd_wl1 = rcv_nxt
            self.snd_wl2 = ack
        if acked:
            self._new_ack(ack, frames)
        self._after_ack(rcv_nxt, payload, flags, frames)
        return True

    def unpredicted(self, seg: TCP, frames: tuple[int, ...]) -> None:
        """A segment that header prediction did not take: RFC 9293 §3.10.7 in full."""
        self.counters["segments_received"] += 1
        state = self.state
        flags = seg.flags
        if state == SYN_SENT:
            self._arrives_in_syn_sent(seg, frames)
            return
        if state == CLOSED:
            return
        payload = seg.payload
        rcv_nxt = self.rcv_nxt
        seq = unwrap(seg.seq, rcv_nxt)
        if state == SYN_RECEIVED and flags & (SYN | ACK) == SYN | ACK and seq == self.irs:
            # Simultaneous open (RFC 9293 Figure 7): the peer's SYN-ACK repeats the SYN we
            # already took; its ACK is what matters, so treat it as that ACK.
            flags &= ~SYN
            seq = rcv_nxt
        seglen = len(payload) + (1 if flags & SYN else 0) + (1 if flags & FIN else 0)
        wnd = self.rcv_adv - rcv_nxt
        if wnd < 0:
            wnd = 0
        # Step 1: is any of it inside the receive window?
        if seglen == 0:
            acceptable = seq == rcv_nxt if wnd == 0 else rcv_nxt <= seq < rcv_nxt + wnd
        else:
            acceptable = wnd > 0 and (
                rcv_nxt <= seq < rcv_nxt + wnd or rcv_nxt <= seq + seglen - 1 < rcv_nxt + wnd
            )
        if not acceptable:
            if flags & RST:
                return
            if state == SYN_RECEIVED and flags & SYN:
                self._send_syn()  # the peer repeated its SYN: our SYN-ACK was lost
                return
            if state == TIME_WAIT and flags & FIN:
                self._wait_timer.start(
                    2 * self.layer.msl
                )  # §3.10.7.4: the FIN again; restart 2·MSL
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
            ack = unwrap(seg.ack, self.snd_una)
            if not self.snd_una < ack <= self.snd_max:
                self.layer.send_reset(
                    self.local_ip,
                    self.remote_ip,
                    self.local_port,
                    self.remote_port,
                    seg.ack,
                    0,
                    False,
                    "the ACK in SYN-RECEIVED acknowledges nothing we sent",
                    frames,
                )
                return
            self.snd_wnd = seg.window << self.snd_wscale
            self.snd_wl1, self.snd_wl2 = seq, ack
            self._established("handshake complete: our SYN-ACK was acknowledged", frames)
            if self._shut_wr:  # closed while the handshake was under way (RFC 9293 §3.10.4)
                self._set_state(
                    FIN_WAIT_1,
                    "the application had closed during the handshake; FIN queued",
                    frames,
                )
            if self.listener is not None:
                self.listener.accepted(self)
        if not self._process_ack(seg, seq, frames):
            return
        self._after_ack(seq, payload, flags, frames)

    def _after_ack(self, seq: int, payload: bytes, flags: int, frames: tuple[int, ...]) -> None:
        """Steps 6-8 once the ACK was taken: our FIN acknowledged, then data and FIN."""
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
        if self._fin_seq is not None or self._sbuf_seq + len(self._sbuf) > self.snd_nxt:
            self._output()  # (with nothing queued to send it would find nothing to do)
        if self._ack_now:
            self._send_ack()

    def _arrives_in_syn_sent(self, seg: TCP, frames: tuple[int, ...]) -> None:
        """RFC 9293 §3.10.7.3."""
        flags = seg.flags
        ack = 0
        if flags & ACK:
            ack = unwrap(seg.ack, self.iss)
            if ack <= self.iss or ack > self.snd_max:
                if not flags & RST:
                    self.layer.send_reset(
                        self.local_ip,
                        self.remote_ip,
                        self.local_port,
                        self.remote_port,
                        seg.ack,
                        0,
                        False,
                        "its ACK does not acknowledge our SYN",
                        frames,
                    )
                return
        if flags & RST:
            if flags & ACK:
                self.trace.emit(
                    TcpReset(
                        self.clock.now(),
                        self.host.name,
                        frames,
                        self.local,
                        self.remote,
                        "received",
                        "connection refused: nothing listens on that port",
                    )
                )
                self._finish(
                    CLOSED, "connection refused (RST in answer to our SYN)", "refused", frames
                )
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
                self._set_state(
                    FIN_WAIT_1,
                    "the application had closed during the handshake; FIN queued",
                    frames,
                )
            self._send_ack()
            if self.on_connected is not None:
                self.on_connected()
            self._output()
        else:
            self.snd_wnd = seg.window
            self.snd_wl1 = self.irs
            self._set_state(
                SYN_RECEIVED, "simultaneous open: a SYN crossed ours; SYN-ACK sent", frames
            )
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
        self.trace.emit(
            TcpReset(
                self.clock.now(), self.host.name, frames, self.local, self.remote, "received", why
            )
        )
        self._finish(CLOSED, why, reason, frames)

    def _on_wait_timeout(self) -> None:
        if self.state == TIME_WAIT:
            self._finish(CLOSED, f"2·MSL = {2 * self.layer.msl:g} s of TIME-WAIT have passed", None)
        elif self.state == FIN_WAIT_2:
            self._finish(
                CLOSED,
                f"no FIN from the peer within {FIN_WAIT_2_TIMEOUT:g} s of FIN-WAIT-2",
                "closed",
            )

    # --- state ----------------------------------------------------------------------------

    def _set_state(self, new: str, why: str, frames: tuple[int, ...] = ()) -> None:
        old = self.state
        self.state = new
        self.trace.emit(
            TcpStateChanged(
                self.clock.now(), self.host.name, frames, self.local, self.remote, old, new, why
            )
        )

    def _enter_time_wait(self, why: str, frames: tuple[int, ...]) -> None:
        self._set_state(
            TIME_WAIT, f"{why}; waiting 2·MSL = {2 * self.layer.msl:g} s for stray segments", frames
        )
        self._rtx_timer.cancel()
        self._persist_timer.cancel()
        self._wait_timer.start(2 * self.layer.msl)
        self._tell_closed("closed")

    def _finish(
        self, state: str, why: str, reason: str | None, frames: tuple[int, ...] = ()
    ) -> None:
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
        self.trace.emit(
            TcpNote(self.clock.now(), self.host.name, frames, self.local, self.remote, why)
        )
        self._finish(CLOSED, why, reason, frames)

    def __repr__(self) -> str:
        return f"TcpConnection({self.local} ⇄ {self.remote} {self.state})"
