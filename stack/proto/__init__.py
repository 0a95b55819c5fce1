"""The protocol model: each protocol declared once, for the packet list, tree, filter and verdicts.

    from stack.proto import dissect_frame, dissect_record, fields_of, row_of

- `dissect_frame(data, link_type=1)` → `Frame`: layers, `values(name)`, `has(protocol)`,
  `fields()` (every field: filter name → tuple of values), `row()` (Protocol, Source,
  Destination, Info, colour), `meta()` (the frame pseudo-layer: number, lengths, comments).
- `dissect_record(record)` the same for a `FrameRecord` (reads `link_type`, `wire_length`,
  `comments` if the record has them); `fields_of(record)` and `row_of(record)` are its two
  most asked questions.

`model` holds the pieces (Field, Protocol, Layer, Item), `registry` the list of protocols and
their bindings, one module per protocol the declarations. Lenient where Wireshark is; the
stack's strict codecs are `stack.wire`. No scapy, no workbench.
"""

__all__ = ["Frame", "dissect_frame", "dissect_record", "fields_of", "row_of"]


def __getattr__(name: str):
    # Loaded on first use: a lab that only needs one protocol's codec (stack.proto.ntp for the
    # NTP service) does not pay for the registry of every protocol when it is built.
    if name in __all__:
        from stack.proto import frame

        return getattr(frame, name)
    raise AttributeError(f"module 'stack.proto' has no attribute {name!r}")
