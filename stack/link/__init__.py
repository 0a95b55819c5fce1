"""The link layer: NICs, the shared segment (a bus or a learning switch), seeded faults, ports."""
