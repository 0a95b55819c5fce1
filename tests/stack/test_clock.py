import asyncio

from stack.clock import RealtimeClock, VirtualClock


def test_timers_fire_in_time_order_and_ties_in_scheduling_order():
    clock = VirtualClock()
    fired = []
    clock.call_later(2.0, fired.append, "b")
    clock.call_later(1.0, fired.append, "a")
    clock.call_later(2.0, fired.append, "c")
    clock.call_soon(fired.append, "now")
    assert clock.run_until_idle() == 4
    assert fired == ["now", "a", "b", "c"]
    assert clock.now() == 2.0


def test_cancelled_timers_never_fire_and_run_until_stops_at_the_time():
    clock = VirtualClock()
    fired = []
    timer = clock.call_later(1.0, fired.append, 1)
    clock.call_later(3.0, fired.append, 3)
    timer.cancel()
    clock.run_until(2.0)
    assert fired == [] and clock.now() == 2.0
    assert clock.next_time() == 3.0
    assert clock.step() and fired == [3]
    assert not clock.step()


def test_timers_scheduled_by_timers_run_in_the_same_idle_run():
    clock = VirtualClock()
    seen = []

    def tick(n):
        seen.append((clock.now(), n))
        if n < 3:
            clock.call_later(0.5, tick, n + 1)

    clock.call_soon(tick, 0)
    clock.run_until_idle()
    assert seen == [(0.0, 0), (0.5, 1), (1.0, 2), (1.5, 3)]


def test_realtime_clock_runs_timers_on_the_asyncio_loop():
    async def main():
        clock = RealtimeClock(asyncio.get_running_loop())
        done = asyncio.get_running_loop().create_future()
        start = clock.now()
        clock.call_later(0.02, done.set_result, True)
        await asyncio.wait_for(done, 2)
        return clock.now() - start

    elapsed = asyncio.run(main())
    assert 0.015 <= elapsed < 1.0


def test_posted_callbacks_keep_their_place_among_timers():
    """A segment posts its deliveries without a timer object: they fire in the same order,
    count as fired and pending, and a cancelled timer beside them still never fires."""
    clock = VirtualClock()
    fired = []
    clock.call_later(1.0, fired.append, "timer at 1")
    clock.post(1.0, fired.append, "posted at 1")
    cancelled = clock.call_later(0.5, fired.append, "cancelled")
    clock.post(0.0, fired.append, "posted now")
    clock.post(-1.0, fired.append, "posted in the past, so now")
    cancelled.cancel()
    assert clock.pending() == 4
    assert clock.next_time() == 0.0
    assert clock.run_until_idle() == 4
    assert fired == ["posted now", "posted in the past, so now", "timer at 1", "posted at 1"]
    assert clock.fired == 4 and clock.now() == 1.0 and clock.pending() == 0


def test_a_realtime_clock_posts_on_its_loop():
    loop = asyncio.new_event_loop()
    try:
        clock = RealtimeClock(loop)
        fired = []
        clock.post(0.01, fired.append, "later")
        clock.post(0, fired.append, "soon")
        loop.run_until_complete(asyncio.sleep(0.05))
        assert fired == ["soon", "later"]
    finally:
        loop.close()
