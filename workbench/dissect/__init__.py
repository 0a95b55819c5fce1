"""Dissection for the packet list, the dissector and `workbench dissect`.

Our fast decoder (`stack.wire.decode`) gives the packet-list rows (`rows`) and answers the
display filter (`filter`, over the names in `fields`, a frame at a time in `scan`); scapy,
loaded on first use only, gives the field tree with each field's bits (`tree`, `walker`,
`nodes`), and our codecs add their verdict (`verdict`). `capture` reads pcap and pcapng.
Nothing here imports Textual; nothing imports scapy until a frame is dissected.
"""
