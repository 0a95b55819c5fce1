"""Dissection for the packet list, the dissector and `workbench dissect`, over the protocol model.

`stack.proto` declares each protocol once; from it come the packet-list rows (`rows`), the
display filter's vocabulary (`fields`, used by `filter`, a frame at a time in `scan`) and the
field tree with each field's bits and checksum verdicts (`tree`, `nodes`). Scapy, loaded only
when a frame holds a layer nothing declares, is the tree's fallback (`walker`). `capture`
reads pcap and pcapng; `capture_state` keeps what tshark keeps across frames.
Nothing here imports Textual.
"""
