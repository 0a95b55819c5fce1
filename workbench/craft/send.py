"""Sending crafted frames as a shell program: once or as a burst (count, interval), from a host
through its stack, out of its NIC as written, or onto a segment as from a TAP device — and then
saying what each frame did at each host, from the trace events that name it.

Each frame goes at a lab time (the clock's `call_later`), so a burst is as deterministic as any
other command. After the last frame the program waits `SETTLE` seconds for the answers (an ARP
cache change, a RST) and then prints the story of the first few frames.
"""

from __future__ import annotations

from collections.abc import Callable

from stack.apps.program import Program
from stack.events import Event, FrameReceived, FrameSent, FramesFiltered
from stack.host import Host
from stack.link.segment import Segment
from stack.network import Network
from stack.proto.frame import dissect_frame
from workbench.craft.expression import ExpressionError
from workbench.craft.fill import Plan

SETTLE = 0.5  # seconds after the last frame to collect what it caused
ARP_PATIENCE = 3.5  # an IP packet waiting on ARP may leave this late (three tries a second apart)
EXPLAINED = 3  # frames whose consequences are told one by one


class Sender:
    """Where crafted frames go: a host's stack or NIC, or a segment."""

    def __init__(
        self, net: Network, host: Host | None = None, segment: Segment | None = None
    ) -> None:
        self.net = net
        self.host = host
        self.segment = segment

    @property
    def label(self) -> str:
        return self.host.name if self.host is not None else f"crafted onto {self.segment.name}"

    def put(self, plan: Plan) -> int | None:
        """Send one; the frame id, or None when the host's ARP has it waiting."""
        host = self.host
        if host is None:
            return self.segment.inject("crafted port", plan.data)
        if plan.kind == "frame":
            iface = host.interfaces[plan.interface] if plan.interface else host.primary
            return iface.nic.send(plan.data)
        decision = host.ip.decide(
            plan.dst
        )  # says the mask arithmetic, as the host's own packets do
        if decision.route is None or decision.next_hop is None:
            return None
        host.arp.transmit(host.interfaces[decision.route.interface], decision.next_hop, plan.data)
        return None


class CraftedSend(Program):
    name = "send"

    def __init__(
        self,
        sender: Sender,
        make_plans: Callable[[], list[Plan]],
        count: int = 1,
        interval: float = 1.0,
    ) -> None:
        super().__init__()
        self.sender = sender
        self.make_plans = make_plans
        self.count = count
        self.interval = interval
        self.sent: list[int] = []  # frame ids, in order
        self._waiting: list[bytes] = []  # IP packets handed to ARP, not yet seen leaving
        self._events: dict[int, list[Event]] = {}
        self._unsubscribe: Callable[[], None] | None = None
        self._last = 0.0
        self._last_frame: FrameSent | None = None
        self.answers: list[int] = []  # frames addressed to the sending host while it waited

    def start(self) -> CraftedSend:
        net = self.sender.net
        try:
            self.plans = (
                self.make_plans()
            )  # filled in now: the host may have changed since it was typed
        except ExpressionError as err:
            self.lines.append(f"send: {err}")
            self.finish(False)
            return self
        self._unsubscribe = net.trace.subscribe(self._on_event)
        self._send(0)
        return self

    def _send(self, round_: int) -> None:
        clock = self.sender.net.clock
        for plan in self.plans:
            frame_id = self.sender.put(plan)
            if frame_id is None and plan.kind == "ip":
                self._waiting.append(plan.data)
            elif frame_id:
                self._note(frame_id)
                seen = self._last_frame
                self.lines.append(
                    f"sent #{frame_id}: {seen.summary if seen is not None and seen.frames[0] == frame_id else plan.expression}"
                )
        self._last = clock.now()
        if round_ + 1 < self.count:
            clock.call_later(self.interval, self._send, round_ + 1)
        else:
            clock.call_later(SETTLE, self._settle)

    def _note(self, frame_id: int) -> None:
        if frame_id not in self._events:
            self.sent.append(frame_id)
            self._events[frame_id] = []

    def _on_event(self, event: Event) -> None:
        if type(event) is FrameSent:
            self._last_frame = event
        if (
            type(event) is FrameSent
            and self._waiting
            and event.host == getattr(self.sender.host, "name", None)
        ):
            ip = event.data[14:]
            for i, packet in enumerate(self._waiting):
                if ip[: len(packet)] == packet:
                    del self._waiting[i]
                    self._note(event.frames[0])
                    self.lines.append(f"sent #{event.frames[0]}: {event.summary}")
                    return
        if (
            type(event) is FrameReceived
            and event.accepted
            and event.reason == "addressed to me"
            and self.sender.host is not None
            and event.host == self.sender.host.name
            and event.frames[0] not in self._events
        ):
            self.answers.append(event.frames[0])
        for frame_id in event.frames:
            story = self._events.get(frame_id)
            if story is not None and not (type(event) is FrameSent and event.frames[0] == frame_id):
                # A bus's dropped copies are one record: each NIC's verdict is a line of its own here.
                story.extend(event.expand() if type(event) is FramesFiltered else (event,))

    def _settle(self) -> None:
        clock = self.sender.net.clock
        if self._waiting and clock.now() - self._last < ARP_PATIENCE:
            clock.call_later(SETTLE, self._settle)
            return
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        for frame_id in self.sent[:EXPLAINED]:
            self.lines.append(f"what #{frame_id} did:")
            story = self._events[frame_id]
            if not story:
                self.lines.append("  nothing heard it")
            for event in story:
                self.lines.append(f"  {event.host:<8} {event.describe()}")
        if self.answers:
            trace = self.sender.net.trace
            for frame_id in self.answers[:EXPLAINED]:
                summary = dissect_frame(trace.frame(frame_id).data).row(check=False)
                self.lines.append(
                    f"{self.sender.label} got back #{frame_id}: {summary.protocol} {summary.source} → {summary.destination} {summary.info}"
                )
            if len(self.answers) > EXPLAINED:
                self.lines.append(
                    f"(and {len(self.answers) - EXPLAINED} more frames for {self.sender.label})"
                )
        if len(self.sent) > EXPLAINED:
            self.lines.append(f"(#{self.sent[EXPLAINED]}…#{self.sent[-1]}: see the trace)")
        if self._waiting:
            self.lines.append(
                f"{len(self._waiting)} packet(s) never left {self.sender.label}: ARP for the next hop got no answer"
            )
        total = self.count * len(self.plans)
        self.lines.append(
            f"{len(self.sent)} of {total} frame{'s' if total != 1 else ''} sent by {self.sender.label}"
        )
        self.finish(not self._waiting and len(self.sent) == total)
