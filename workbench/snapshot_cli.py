"""The command line's snapshot options, checked in one place: `workbench run --snapshot FILE
--at T`, `--from FILE`, `--scratch`, and the app's `--from FILE` / `--scratch`."""

from __future__ import annotations

import argparse

from workbench.snapshot import LIVE_REFUSAL, Snapshot, SnapshotError, load_snapshot


def run_with_snapshots(
    args: argparse.Namespace, lab: str, origin_path: str | None, taps: dict, qemu: dict
) -> int:
    from stack.labs import load_lab
    from stack.labs.build import is_live
    from workbench import run

    scratch = args.run_scratch or args.scratch
    if scratch and args.snapshot_to:
        raise SnapshotError(
            "--scratch writes nothing back, so it cannot go with --snapshot: drop one of them"
        )
    if args.at is not None and not args.snapshot_to:
        raise SnapshotError("--at says when to take a --snapshot: give --snapshot FILE too")
    if taps or qemu:
        raise SnapshotError(LIVE_REFUSAL)
    origin = None
    if origin_path:
        if args.run_lab:
            raise SnapshotError("--from carries its own lab: drop --lab")
        origin = load_snapshot(origin_path)
        spec = origin.spec()
        if args.snapshot_to:
            Snapshot.check_target(args.snapshot_to, origin_path)
    else:
        spec = load_lab(lab)
    if is_live(spec):
        raise SnapshotError(LIVE_REFUSAL)
    if not origin and not args.do and args.serve_for is None:
        from workbench.shell import CommandError

        raise CommandError(
            'nothing to run: give --do "HOST: COMMAND" (repeatable), or --for SECONDS to let the lab run'
        )
    return run.main(
        lab,
        args.do,
        args.pcap,
        args.events,
        args.quiet,
        settle=args.serve_for or 0.0,
        capture_on=args.capture_on,
        snapshot_to=args.snapshot_to,
        at=args.at,
        origin=origin,
    )


def app_origin(args: argparse.Namespace) -> Snapshot:
    if args.taps or args.qemu:
        raise SnapshotError(LIVE_REFUSAL)
    return load_snapshot(args.origin)
