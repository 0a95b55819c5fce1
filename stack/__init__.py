"""Packet Workbench's network stack: wire codecs, a clock, the trace, links, IPv4 and up.

The stack never imports the workbench (the app) nor textual; scapy is loaded only when a
vendor name is first asked for. Everything that happens is told through `stack.trace`.
"""
