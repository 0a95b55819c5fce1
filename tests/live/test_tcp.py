"""20 MB over TCP between the Linux kernel and the workbench, both ways, with digests that must
match — on a clean link and with netem dropping 5% and reordering 10% of the kernel's frames —
and each sender closing right after its last send (the data must still all arrive)."""

from __future__ import annotations

import asyncio
import hashlib
import json

import pytest

from tests.live.conftest import KERNEL_IP, impair_kernel_egress, impairment_counts
from tests.live.peer import payload
from tests.live.streams import Sink, Source, peer_argv

pytestmark = pytest.mark.live

SIZE = 20 * 1024 * 1024
PC = "192.168.1.100"


def lossy(lab) -> str:
    how = impair_kernel_egress(lab.ns, lab.tap.name)
    print(f"kernel side: {how}")
    return how


@pytest.mark.parametrize("netem", [False, True], ids=["clean", "netem-loss5-reorder10"])
async def test_20_mb_kernel_to_workbench(lab, netem):
    if netem:
        lossy(lab)
    sink = Sink(lab.host("pc"), 5001)
    code, out, err = await lab.ns.sh(*peer_argv("send", PC, 5001, SIZE, 7), timeout=240)
    assert code == 0, err
    sent = json.loads(out)
    got_bytes, got_digest = await asyncio.wait_for(sink.done, 60)
    assert got_bytes == SIZE
    assert got_digest == sent["sha256"]
    if netem:
        counts = impairment_counts(lab.ns, lab.tap.name)
        print(f"impairment: {counts}; receiver: {sink.conn.counters}")
        assert counts["dropped"] > 0
        assert sink.conn.counters["out_of_order"] > 0  # loss and reordering really happened


@pytest.mark.parametrize("netem", [False, True], ids=["clean", "netem-loss5-reorder10"])
async def test_20_mb_workbench_to_kernel(lab, netem):
    if netem:
        lossy(lab)
    receiver = await lab.ns.spawn(*peer_argv("recv", str(KERNEL_IP), 5002))
    assert json.loads(await asyncio.wait_for(receiver.stdout.readline(), 30)) == {"listening": 5002}
    data = payload(SIZE, 11)
    source = Source(lab.host("pc"), (KERNEL_IP, 5002), data)
    out, err = await asyncio.wait_for(receiver.communicate(), 240)
    assert receiver.returncode == 0, err.decode()
    got = json.loads(out)
    assert got["bytes"] == SIZE
    assert got["sha256"] == hashlib.sha256(data).hexdigest()
    reason = await asyncio.wait_for(source.done, 60)
    assert source.offset == SIZE
    assert "reset" not in reason.lower(), reason
    if netem:
        counts = impairment_counts(lab.ns, lab.tap.name)
        print(f"impairment: {counts}; sender: {source.conn.counters}")
        assert counts["dropped"] > 0  # the kernel's ACKs were lost (and some reordered)
