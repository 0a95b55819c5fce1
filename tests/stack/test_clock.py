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


def test_realtime_clock_runs_what_a_callback_queues_in_the_same_turn_in_order():
    async def main():
        loop = asyncio.get_running_loop()
        clock = RealtimeClock(loop)
        seen = []

        def hop(n):
            seen.append(n)
            if n < 5:
                clock.call_soon(hop, n + 1)

        loop.call_soon(seen.append, "loop")  # asyncio's own callback, queued first
        clock.run_now(hop, 0)  # as a device's reader calls the segment
        assert seen == [0, 1, 2, 3, 4, 5]  # the whole chain, before the loop ran anything
        skipped = clock.call_soon(seen.append, "cancelled")
        clock.call_soon(seen.append, "after")
        skipped.cancel()
        await asyncio.sleep(0.01)
        return seen

    assert asyncio.run(main()) == [0, 1, 2, 3, 4, 5, "loop", "after"]


def test_a_lab_busy_inside_itself_still_lets_the_loop_run():
    async def main():
        loop = asyncio.get_running_loop()
        clock = RealtimeClock(loop)
        hops = 0
        seen_by_loop = []

        def hop():
            nonlocal hops
            hops += 1
            if hops < 10 * clock.BUDGET:
                clock.call_soon(hop)

        def look():  # a device read or a screen refresh, queued on the loop meanwhile
            seen_by_loop.append(hops)

        clock.run_now(hop)
        loop.call_soon(look)
        await asyncio.sleep(0.05)
        return hops, seen_by_loop

    hops, seen_by_loop = asyncio.run(main())
    assert hops == 10 * RealtimeClock.BUDGET
    assert seen_by_loop and seen_by_loop[0] < hops  # the loop got its turn in the middle


def test_a_failing_callback_is_reported_and_the_rest_still_run():
    async def main():
        loop = asyncio.get_running_loop()
        clock = RealtimeClock(loop)
        reported = []
        loop.set_exception_handler(lambda _loop, context: reported.append(context["exception"]))
        seen = []
        clock.call_soon(lambda: 1 / 0)
        clock.call_soon(seen.append, "next")
        await asyncio.sleep(0.01)
        return reported, seen

    reported, seen = asyncio.run(main())
    assert [type(e) for e in reported] == [ZeroDivisionError] and seen == ["next"]
