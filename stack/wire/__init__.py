"""Wire codecs: bytes in, frozen value out; value in, bytes out.

The contract, once for every module in this package:

- `X.parse(data)` checks lengths and the fields the protocol fixes before it builds the value,
  so once it returns nothing downstream can raise on those bytes. Bad bytes raise `WireError`
  naming the layer, the field and the offset, never `IndexError` or `struct.error`.
- `x.build()` returns the bytes; `X.parse(x.build()) == x` and, for bytes that parse,
  `X.parse(data).build() == data` (checksums and lengths are kept as read, not recomputed, so a
  bad checksum survives a round trip and is visible). The constructor is that raw
  representation, so a fresh packet comes from `X.make(...)`, which computes lengths and
  checksums; a value built field by field with zero lengths does not parse back.
- No clock, no I/O, no globals. Addresses are `ipaddress.IPv4Address` and `stack.wire.mac.MAC`.
- Payloads stay bytes. These codecs are strict: they are what hosts act on. Showing frames
  (leniently, as Wireshark does) is the protocol model's job: `stack.proto`.
"""

from stack.wire.errors import WireError

__all__ = ["WireError"]
