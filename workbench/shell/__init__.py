"""The command shell every front end shares: `workbench run --do`, live mode and the app.

One parser (`parse`), one target resolver (`targets`), one runner (`runner`), and the policy
that says what a host may not do (`policy`). A command is typed as "HOST: COMMAND ARGS";
`prepare` checks all of it — host, arguments, targets, policy — before anything runs, so bad
input is one sentence (`CommandError`) and nothing half-happens.

Adding a command is one place: write its `prepare(call) -> factory` in a module under
`workbench/shell/commands/`, list a `CommandSpec(name, usage, summary, prepare)` in that
module's `COMMANDS`, and make sure the module is in `registry.MODULES`. `call.parse(...)`
reads its options; `targets.on_target(...)` turns a typed target into an address (looking a
DNS name up first when it has to); raise `call.fail("...")` for anything it cannot run.
"""

from workbench.shell.registry import COMMANDS, hint, prepare
from workbench.shell.runner import Job, Outcome, run_live, run_virtual
from workbench.shell.spec import Call, CommandError, CommandSpec, Invocation

__all__ = [
    "COMMANDS",
    "Call",
    "CommandError",
    "CommandSpec",
    "Invocation",
    "Job",
    "Outcome",
    "hint",
    "prepare",
    "run_live",
    "run_virtual",
]
