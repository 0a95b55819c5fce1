"""`workbench serve --ssh|--web [ADDR:]PORT`: checks first (one sentence, exit 2), then serve."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from workbench.serve.address import is_loopback, parse_listen
from workbench.shell import CommandError


def main(args: argparse.Namespace) -> int:
    from stack.labs import load_lab

    lab = args.serve_lab or args.lab
    load_lab(lab)  # a mistake in the lab is said now, not in each session
    if args.ssh:
        host, port = parse_listen(args.ssh)
        keys = args.authorized_keys
        if not is_loopback(host) and not keys:
            raise CommandError(
                f"serving on {host} would let anyone who reaches it in: give --authorized-keys FILE, or serve on 127.0.0.1"
            )
        if keys and not Path(keys).is_file():
            raise CommandError(f"there is no authorized-keys file {keys}")
        if keys:
            import asyncssh

            try:
                asyncssh.read_authorized_keys(keys)
            except (ValueError, asyncssh.KeyImportError) as err:
                raise CommandError(
                    f"{keys} is not an OpenSSH authorized_keys file ({err})"
                ) from None
        limit = args.max_sessions if args.max_sessions is not None else 8
        if limit < 1:
            raise CommandError("--max-sessions must be at least 1")
        from workbench.serve import ssh

        key_path = Path(args.host_key) if args.host_key else ssh.default_host_key()
        try:
            asyncio.run(
                ssh.serve(host, port, lab, args.theme, keys, key_path, limit, lang=args.lang)
            )
        except OSError as err:
            raise CommandError(f"cannot serve on {host}:{port}: {err.strerror or err}") from None
        return 0
    host, port = parse_listen(args.web)
    if not is_loopback(host):
        raise CommandError(
            f"the web server has no login: it serves on loopback only (use --ssh with --authorized-keys to let others in from {host})"
        )
    from workbench.serve import web

    try:
        web.serve(host, port, lab, args.theme, lang=args.lang)
    except web.OfflinePageError as err:
        raise CommandError(str(err)) from None
    return 0
