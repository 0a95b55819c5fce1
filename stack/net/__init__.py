"""The network layer: interfaces, routing, ARP, IPv4 with fragments, ICMP, forwarding."""
