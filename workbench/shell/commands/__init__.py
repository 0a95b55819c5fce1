"""The commands, one module per kind: `show` (what a host knows), `probe` (ping, traceroute),
`apps` (the application programs). Each module lists its `COMMANDS`; `registry` gathers them."""
