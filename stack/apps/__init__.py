"""Applications on the stack. Each long-running one is a `Program`: start it, let the clock
run, read `done`, `ok` and `lines` (what the Linux tool of the same name would print)."""
