"""The sending side's arithmetic: the retransmission timeout (RFC 6298) and congestion
control (RFC 5681 slow start and congestion avoidance, RFC 6582 NewReno fast recovery).

Both are small state objects with no I/O; `TcpConnection` feeds them ACKs and timeouts and
asks them how much it may send and how long to wait.
"""

from __future__ import annotations

INITIAL_RTO = 1.0  # RFC 6298 §2.1
MIN_RTO = 0.2  # Linux's floor (RFC 6298 says 1 s; §2.4 allows less)
MAX_RTO = 60.0  # RFC 6298 §2.5
GRANULARITY = 0.001  # G: the clock ticks we pretend to have


class RtoEstimator:
    """SRTT, RTTVAR and RTO per RFC 6298, with exponential back-off."""

    __slots__ = ("srtt", "rttvar", "rto", "backoffs", "samples")

    def __init__(self) -> None:
        self.srtt: float | None = None
        self.rttvar = 0.0
        self.rto = INITIAL_RTO
        self.backoffs = 0
        self.samples = 0

    def sample(self, r: float) -> None:
        """A round-trip measurement from a segment that was not retransmitted (Karn)."""
        self.samples += 1
        if self.srtt is None:
            self.srtt = r  # §2.2
            self.rttvar = r / 2
        else:  # §2.3, alpha = 1/8, beta = 1/4
            self.rttvar = 0.75 * self.rttvar + 0.25 * abs(self.srtt - r)
            self.srtt = 0.875 * self.srtt + 0.125 * r
        self.rto = min(MAX_RTO, max(MIN_RTO, self.srtt + max(GRANULARITY, 4 * self.rttvar)))
        self.backoffs = 0

    def back_off(self) -> None:
        """§5.5: the timer expired; double the RTO (up to the maximum)."""
        self.backoffs += 1
        self.rto = min(MAX_RTO, self.rto * 2)

    def explain(self) -> str:
        if self.srtt is None:
            base = "no RTT sample yet, initial RTO 1 s"
        else:
            base = f"SRTT {self.srtt * 1000:.1f} ms, RTTVAR {self.rttvar * 1000:.1f} ms"
        if self.backoffs:
            base += f", backed off ×{2**self.backoffs}"
        return f"RTO {self.rto * 1000:.0f} ms ({base})"


class Congestion:
    """cwnd and ssthresh in bytes; `recover` marks NewReno's recovery point."""

    __slots__ = ("mss", "step", "cwnd", "ssthresh", "in_recovery", "recover", "_acked_in_ca")

    def __init__(self, mss: int) -> None:
        self.mss = mss
        # Slow start's most per ACK (RFC 3465's L): one MSS, or a merged segment's worth when
        # the peer's one ACK covers many (TSO: Linux counts the segments it acknowledges).
        self.step = mss
        self.cwnd = min(10 * mss, max(2 * mss, 14600))  # RFC 6928 initial window
        self.ssthresh = 1 << 30
        self.in_recovery = False
        self.recover = 0
        self._acked_in_ca = 0

    def set_mss(self, mss: int) -> None:
        self.mss = self.step = mss
        self.cwnd = min(10 * mss, max(2 * mss, 14600))

    def on_new_ack(self, acked: int) -> None:
        """Cumulative ACK outside recovery: slow start below ssthresh, else +1 MSS per window
        (appropriate byte counting, RFC 3465)."""
        if self.cwnd < self.ssthresh:
            step = self.step
            self.cwnd += acked if acked < step else step  # min(), without the call: every ACK
        else:
            self._acked_in_ca += acked
            if self._acked_in_ca >= self.cwnd:
                self._acked_in_ca -= self.cwnd
                self.cwnd += self.mss

    def enter_fast_recovery(self, flight: int, snd_max: int) -> None:
        """RFC 5681 §3.2 steps 2–3 and RFC 6582's recovery point."""
        self.ssthresh = max(flight // 2, 2 * self.mss)
        self.cwnd = self.ssthresh + 3 * self.mss
        self.in_recovery = True
        self.recover = snd_max

    def enter_sack_recovery(self, pipe: int, snd_max: int) -> None:
        """RFC 6675 §5: with a scoreboard, cwnd = ssthresh and the pipe estimate (not
        inflation by duplicate ACKs) decides how much may be in flight."""
        self.ssthresh = max(pipe // 2, 2 * self.mss)
        self.cwnd = self.ssthresh
        self.in_recovery = True
        self.recover = snd_max

    def exit_sack_recovery(self) -> None:
        self.in_recovery = False
        self.cwnd = self.ssthresh
        self._acked_in_ca = 0

    def on_duplicate_in_recovery(self) -> None:
        self.cwnd += self.mss  # §3.2 step 4: each dup ACK means a segment left the network

    def on_partial_ack(self, acked: int) -> None:
        """RFC 6582 §3.2 step 5: deflate by what was acked, add back one MSS."""
        self.cwnd = max(self.cwnd - acked + self.mss, self.mss)

    def exit_recovery(self, flight: int) -> None:
        self.in_recovery = False
        self.cwnd = min(self.ssthresh, max(flight, self.mss) + self.mss)
        self._acked_in_ca = 0

    def on_timeout(self, flight: int, snd_max: int) -> None:
        """RFC 5681 §3.1 (4): loss window of one segment; RFC 6582 §4: no fast recovery for
        losses from before the timeout."""
        self.ssthresh = max(flight // 2, 2 * self.mss)
        self.cwnd = self.mss
        self.in_recovery = False
        self.recover = snd_max
        self._acked_in_ca = 0
