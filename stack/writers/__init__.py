"""Trace subscribers that write: readable text, JSON Lines, pcap/pcapng."""
