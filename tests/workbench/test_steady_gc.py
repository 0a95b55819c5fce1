"""SteadyGC: no full collection (a pause of up to a second over a big trace) while the lab is
busy, one when it is quiet, and garbage in reference cycles frozen meanwhile is freed then."""

import gc
import weakref

from workbench.live import SteadyGC


class TickByHand:
    """A loop whose timer the test fires itself."""

    def call_later(self, delay, callback):
        self.callback = callback
        return self

    def cancel(self):
        pass


class Cycle:
    def __init__(self):
        self.me = self


def _busy_interval():
    # What a second of traffic does to the young generation: many collections.
    junk = []
    for _ in range(20):
        junk.extend([[] for _ in range(800)])
        gc.collect(0)
        junk.clear()


def test_full_collections_wait_for_a_quiet_lab_and_free_frozen_cycles():
    loop = TickByHand()
    steady = SteadyGC(loop)
    try:
        cycle = Cycle()
        gone = weakref.ref(cycle)
        loop.callback()  # the cycle survives a tick and is frozen
        del cycle
        for _ in range(SteadyGC.FULL_EVERY * 2):
            _busy_interval()
            loop.callback()
        assert steady.full == 0  # busy: no full collection however long
        assert gone() is not None  # the frozen cycle waits
        loop.callback()  # a quiet interval
        assert steady.full == 1
        assert gone() is None
    finally:
        steady.stop()


def test_a_lab_never_quiet_still_gets_a_full_collection_now_and_then(monkeypatch):
    monkeypatch.setattr(SteadyGC, "FULL_AT_MOST", 40)
    loop = TickByHand()
    steady = SteadyGC(loop)
    try:
        for _ in range(40):
            _busy_interval()
            loop.callback()
        assert steady.full == 1
    finally:
        steady.stop()
