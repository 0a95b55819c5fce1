"""The sending side of a TCP connection: the send buffer, the sliding window and congestion
window, segmentation by MSS (and the seed's one-segment demonstration), Nagle (RFC 896),
ACK processing with fast retransmit and NewReno or SACK-based recovery (RFC 5681, 6582,
6675), the retransmission timer (RFC 6298) and zero-window probes (RFC 9293 §3.8.6.1).

`SendSide` is half of `TcpConnection`; it uses the state that class sets up.
"""

from __future__ import annotations

import struct

from stack.transport.events import TcpNote, TcpOneSegment, TcpRetransmit, TcpWindowChanged
from stack.transport.tcp.seq import (
    CLOSE_WAIT,
    CLOSED,
    CLOSING,
    DATA_RETRIES,
    ESTABLISHED,
    FIN_WAIT_1,
    FIN_WAIT_2,
    LAST_ACK,
    LISTEN,
    MOD,
    PERSIST_MAX,
    SYN_RECEIVED,
    SYN_RETRIES,
    SYN_SENT,
    TIME_WAIT,
    unwrap,
)
from stack.wire.checksum import internet_checksum
from stack.wire.tcp import ACK, FIN, PROTO, PSH, SYN, TCP, TcpOption

_NOP = TcpOption.nop()
_pack_header = struct.Struct("!HHIIHHHH").pack
_SEND_STATES = frozenset((ESTABLISHED, CLOSE_WAIT, FIN_WAIT_1, CLOSING, LAST_ACK))
_CAN_QUEUE = frozenset((SYN_SENT, SYN_RECEIVED, ESTABLISHED, CLOSE_WAIT))


class SendSide:
    """The sending half of `TcpConnection` (it sets up the state used here)."""

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
        if len(self._sbuf) >= self.send_buffer_limit:
            self._want_writable = True  # on_writable once it has drained to half
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

    # --- ACK processing -------------------------------------------------------------------

    def _process_ack(self, seg: TCP, seq: int, frames: tuple[int, ...]) -> bool:
        """Step 5 for synchronized states. False when the segment must be dropped."""
        snd_una = self.snd_una
        ack = unwrap(seg.ack, snd_una)
        if ack > self.snd_max:
            self._send_ack()  # it acknowledges data we never sent
            return False
        if self.sack_ok and seg.data_offset > 5:
            self._take_sack_blocks(seg, ack)
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
            ack == snd_una
            and self.snd_max > snd_una
            and not seg.payload
            and not seg.flags & (SYN | FIN)
            and not window_changed
            and self.snd_wnd
        ):
            self._duplicate_ack(frames)
        return True

    def _take_sack_blocks(self, seg: TCP, ack: int) -> None:
        """RFC 2018: note which blocks above the cumulative ACK the peer holds."""
        sacked = self._sacked
        base = ack if ack > self.snd_una else self.snd_una
        snd_max = self.snd_max
        for left, right in seg.sack_blocks:
            left, right = unwrap(left, base), unwrap(right, base)
            if base <= left < right <= snd_max:
                sacked.add(left, right)
            elif left < base < right <= snd_max:
                sacked.add(base, right)

    def _pipe(self, nxt: int) -> int:
        """Bytes still in the network (RFC 6675 §4, simplified): sent, minus what the peer
        SACKed, minus the holes below the highest SACK (or, after a timeout, below SND.MAX)
        that we have not resent yet — those count as lost."""
        sacked = self._sacked
        lost_end = sacked.high if self.cc.in_recovery else self.snd_max
        lost = 0
        if lost_end > nxt:
            lost = (lost_end - nxt) - sacked.covered_in(nxt, lost_end)
        return self.snd_max - self.snd_una - sacked.total - lost

    def _peer_window(self, window: int, frames: tuple[int, ...]) -> None:
        self.snd_wnd = window
        if window > self.max_snd_wnd:
            self.max_snd_wnd = window
        if window == 0:
            if not self._peer_zero:
                self._peer_zero = True
                self.counters["zero_windows"] += 1
                self.trace.emit(
                    TcpWindowChanged(
                        self.clock.now(),
                        self.host.name,
                        frames,
                        self.local,
                        self.remote,
                        "peer",
                        "zero",
                        0,
                    )
                )
        elif self._peer_zero:
            self._peer_zero = False
            self._persist_timer.stop()
            self._persist_backoff = 0
            self.trace.emit(
                TcpWindowChanged(
                    self.clock.now(),
                    self.host.name,
                    frames,
                    self.local,
                    self.remote,
                    "peer",
                    "reopened",
                    window,
                )
            )

    def _new_ack(self, ack: int, frames: tuple[int, ...]) -> None:
        acked = ack - self.snd_una
        if self.snd_una == self.iss:
            acked -= 1  # the SYN's sequence number is not data
        self.snd_una = ack
        if self.snd_nxt < ack:
            self.snd_nxt = ack
        self._dupacks = 0
        self._limited_transmit = 0
        self._retries = 0
        if self._sacked.starts:
            self._sacked.drop_below(ack)
        # Drop acknowledged bytes (not the FIN's sequence number) from the send buffer.
        data_end = self._sbuf_seq + len(self._sbuf)
        drop = (ack if ack < data_end else data_end) - self._sbuf_seq
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
                if self.sack_ok:
                    cc.exit_sack_recovery()
                else:
                    cc.exit_recovery(self.snd_max - ack)
            elif self.sack_ok:
                pass  # the scoreboard already steers _output to the next hole
            else:
                # RFC 6582 partial ACK: the next hole is lost too; resend it at once.
                cc.on_partial_ack(acked)
                self._retransmit_first(
                    "NewReno partial ACK: the next segment is missing too", frames
                )
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
        if cc.in_recovery or self.snd_una < cc.recover:
            if self._dupacks > 3 and cc.in_recovery and not self.sack_ok:
                cc.on_duplicate_in_recovery()
            return
        if self._dupacks <= 2:
            # RFC 3042 limited transmit: each of the first two duplicate ACKs lets one new
            # segment out, so that a small window still produces a third duplicate.
            self._limited_transmit = self._dupacks * self.mss
        # RFC 5681 §3.2: three duplicate ACKs; RFC 6675 §5: or SACKed data of three segments.
        if self._dupacks < 3 and self._sacked.total < 3 * self.mss:
            return
        self._limited_transmit = 0
        self.counters["fast_retransmits"] += 1
        what = f"{self._dupacks} duplicate ACKs for {self._wire_ack(self.snd_una)}"
        if self.sack_ok:
            cc.enter_sack_recovery(self.snd_max - self.snd_una - self._sacked.total, self.snd_max)
            self.trace.emit(
                TcpRetransmit(
                    self.clock.now(),
                    self.host.name,
                    frames,
                    self.local,
                    self.remote,
                    self.snd_una - self.iss,
                    min(self.mss, self.snd_max - self.snd_una),
                    f"fast retransmit: {what}, the peer SACKs {self._sacked.total:,} bytes beyond; "
                    f"ssthresh {cc.ssthresh:,}, cwnd {cc.cwnd:,} (SACK recovery: resend only the holes)",
                    self.rto.rto,
                    self._dupacks,
                )
            )
            self._timed_seq = None
            self.snd_nxt = self.snd_una  # _output walks the holes, skipping what was SACKed
            self._rtx_timer.start(self.rto.rto)
            return
        cc.enter_fast_recovery(self.snd_max - self.snd_una, self.snd_max)
        self._retransmit_first(
            f"fast retransmit: {what}; ssthresh {cc.ssthresh:,}, cwnd {cc.cwnd:,} "
            "(NewReno recovery)",
            frames,
        )

    def _wire_ack(self, seq: int) -> str:
        return f"seq {seq % MOD} (relative {seq - self.iss})"

    def _retransmit_first(self, why: str, frames: tuple[int, ...]) -> None:
        """Resend one segment from SND.UNA (after a loss signal other than the timer)."""
        seq = self.snd_una
        data_end = self._sbuf_seq + len(self._sbuf)
        n = min(self.mss, data_end - seq)
        self._timed_seq = None  # Karn: no RTT sample from anything in flight now
        self.trace.emit(
            TcpRetransmit(
                self.clock.now(),
                self.host.name,
                frames,
                self.local,
                self.remote,
                seq - self.iss,
                max(n, 0),
                why,
                self.rto.rto,
                self._dupacks,
            )
        )
        resume = self.snd_nxt
        if n > 0:
            fin = self._fin_seq is not None and seq + n == self._fin_seq
            self._send_segment(seq, n, fin)
        elif self._fin_seq is not None and seq == self._fin_seq:
            self.counters["retransmits"] += 1
            self._transmit(seq, FIN | ACK, b"")
        if self.snd_nxt < resume:
            self.snd_nxt = resume  # one segment resent; new data carries on where it was
        self._rtx_timer.start(self.rto.rto)

    # --- sending --------------------------------------------------------------------------

    def _output(self) -> None:
        """Send what the windows allow (RFC 9293 §3.8.6.2.1, RFC 5681, RFC 896)."""
        if self.state not in _SEND_STATES:
            return
        mss = self.mss
        size = mss
        if mss == self.our_mss and self.host.ip.merging:  # segments fill the MTU, as cut
            merged = self.host.ip.merge_size(self.remote_ip)
            if merged:
                # The way ends at a TAP device that has the kernel cut merged segments (TSO).
                size = (merged - 20) // mss * mss
                self.cc.step = size
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
            cwnd = self.cc.cwnd + self._limited_transmit
            wnd = self.snd_wnd if self.snd_wnd < cwnd else cwnd
            n = avail if avail < size else size
            sacked = self._sacked
            if sacked.starts:  # the list, not Intervals.__bool__: a Python call per segment
                if nxt < self.snd_max:
                    k = sacked.containing(nxt)
                    if k >= 0:
                        self.snd_nxt = sacked.ends[k]  # the peer has this: skip it
                        continue
                    if self.cc.in_recovery and nxt >= sacked.high:
                        self.snd_nxt = self.snd_max  # beyond the last SACK nothing is known lost
                        continue
                    nxt_sacked = sacked.next_start(nxt)
                    if nxt_sacked is not None and nxt_sacked - nxt < n:
                        n = nxt_sacked - nxt
                in_flight = self._pipe(nxt)
            else:
                in_flight = nxt - self.snd_una
            usable = wnd - in_flight
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
                    self.trace.emit(
                        TcpOneSegment(
                            self.clock.now(), self.host.name, (), self.local, self.remote, n, mss
                        )
                    )
                    self._send_segment(
                        nxt, n, self._fin_seq is not None and nxt + n == self._fin_seq
                    )
                    continue
                if n > start - nxt:
                    n = start - nxt
            if n > usable:
                # Window-limited. Sender SWS avoidance: a fraction of a segment only when it is
                # at least half the largest window the peer ever offered, or nothing is in flight.
                if size > mss and usable >= mss:
                    n = usable - usable % mss  # a merged send of the whole segments that fit
                elif usable <= 0 or (usable < self.max_snd_wnd // 2 and in_flight > 0):
                    break
                else:
                    n = usable
            elif (
                n < mss
                and in_flight > 0
                and self.nagle
                and nxt >= self.snd_max
                and self._fin_seq is None
            ):
                break  # Nagle: a small segment waits while data is unacknowledged
            self._send_segment(nxt, n, self._fin_seq is not None and nxt + n == self._fin_seq)
        if (
            self.snd_wnd == 0
            and self.snd_max == self.snd_una
            and self._sbuf_seq + len(self._sbuf) > self.snd_nxt
        ):
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
        if self._rtx_timer.deadline is None:  # not armed (the property, without the call)
            self._rtx_timer.start(self.rto.rto)

    def _transmit(
        self, seq: int, flags: int, payload: bytes, window: int | None = None, options: tuple = ()
    ) -> None:
        if window is None:
            # The window field for this segment; it never moves the right edge left.
            free = self.rcv_buffer - len(self._rx)
            rcv_nxt = self.rcv_nxt
            offered = self.rcv_adv - rcv_nxt
            if free < offered:
                free = offered  # RFC 9293 §3.8.6.2.2: do not shrink the window
            elif (
                offered > 0
                and free - offered < self.mss
                and free - offered < self.rcv_buffer // 2  # below both, without min()
            ):
                free = offered  # receiver SWS avoidance: do not offer a small increase
            window = free >> self.rcv_wscale
            if window > 0xFFFF:
                window = 0xFFFF
            self.rcv_adv = rcv_nxt + (window << self.rcv_wscale)
            if window == 0 and not self._our_zero:
                self._our_zero = True
                self._our_window_changed("zero", 0)
        if flags & ACK:
            ack = self.rcv_nxt % MOD
            self._ack_pending = 0
            self._ack_segments = 0
            self._ack_now = False
            self._delack_timer.deadline = None  # LazyTimer.stop, without the call
            ranges = self._ooo.ranges
            if ranges.starts and self.sack_ok and not options:
                # RFC 2018: report what sits beyond the hole, as room in the segment allows.
                room = min(4, (self.our_mss - len(payload) - 4) // 8)
                if room > 0:
                    blocks = ranges.blocks(self._ooo.latest, room)
                    options = (_NOP, _NOP, TcpOption.sack([(a % MOD, b % MOD) for a, b in blocks]))
        else:
            ack = 0
        self.counters["segments_sent"] += 1
        seq %= MOD
        if options:
            self.layer.transmit(self, seq, ack, flags, window, payload, options)
            return
        # A 20-byte header, checksum included. Each 16-bit-aligned header field counts as its
        # own value in the checksum modulo 0xFFFF (a 32-bit one too, as 2^16 ≡ 1;
        # stack.wire.checksum), so the sum is the connection's fixed part plus the fields that
        # change, and the header is packed once.
        csum = internet_checksum(
            payload, self._header_sum + len(payload) + seq + ack + flags + window
        )
        self.host.ip.send(
            self.remote_ip,
            PROTO,
            _pack_header(
                self.local_port, self.remote_port, seq, ack, 0x5000 | flags, window, csum, 0
            )
            + payload,
            src=self.local_ip,
        )

    def _send_ack(self) -> None:
        if self.state in (CLOSED, LISTEN, SYN_SENT):
            return
        # SND.MAX, not SND.NXT: after a timeout SND.NXT steps back to resend, and an ACK
        # numbered below what the peer already has would fail its acceptability test.
        self._transmit(self.snd_max, ACK, b"")

    # --- timers ---------------------------------------------------------------------------

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
            self.trace.emit(
                TcpNote(
                    self.clock.now(),
                    self.host.name,
                    (),
                    self.local,
                    self.remote,
                    f"gave up after {limit} retransmissions without an answer",
                )
            )
            if state == SYN_RECEIVED and self.listener is not None:
                self._finish(CLOSED, "the handshake timed out", "timed out")
            else:
                self._finish(CLOSED, "retransmissions timed out", "timed out")
            return
        fired = self.rto.rto
        self.rto.back_off()
        self._timed_seq = None  # Karn's rule
        self._dupacks = 0
        self._limited_transmit = 0
        if state in (SYN_SENT, SYN_RECEIVED):
            what = "SYN" if state == SYN_SENT else "SYN-ACK"
            self.trace.emit(
                TcpRetransmit(
                    self.clock.now(),
                    self.host.name,
                    (),
                    self.local,
                    self.remote,
                    0,
                    0,
                    f"no answer to our {what} within {fired * 1000:.0f} ms; next wait {self.rto.rto * 1000:.0f} ms",
                    fired,
                    self._retries + 1,
                )
            )
            self._send_syn()
            return
        flight = self.snd_max - self.snd_una
        self.cc.on_timeout(flight, self.snd_max)
        self.trace.emit(
            TcpRetransmit(
                self.clock.now(),
                self.host.name,
                (),
                self.local,
                self.remote,
                self.snd_una - self.iss,
                min(self.mss, max(flight, 0)),
                f"retransmission timer expired after {fired * 1000:.0f} ms ({self.rto.explain()}); "
                f"cwnd 1 MSS, ssthresh {self.cc.ssthresh:,}, going back to SND.UNA",
                fired,
                self._retries + 1,
            )
        )
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
        self.trace.emit(
            TcpWindowChanged(
                self.clock.now(), self.host.name, (), self.local, self.remote, "peer", "probe", 0
            )
        )
        off = seq - self._sbuf_seq
        self._transmit(seq, ACK, bytes(self._sbuf[off : off + 1]))
        if self.snd_max < seq + 1:
            self.snd_max = seq + 1
        self._persist_backoff = min(self._persist_backoff + 1, 10)
        self._persist_timer.start(self._persist_interval())
