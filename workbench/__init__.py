"""Packet Workbench: the Textual app and the command line, on top of `stack`."""
