"""The base of the codecs' frozen values: a named tuple that compares as a frozen dataclass does.

Parsing makes one value per layer per frame, so making one must be cheap: `tuple.__new__(cls,
fields)` is one C call (~0.3 µs for a dozen fields), where a frozen dataclass costs ~0.7 µs
even with its `__init__` skipped (its `__setattr__` guard rules out the interpreter's fast
attribute stores). Fields read through C descriptors and cannot be assigned.

`Value` goes first in the bases, before the `namedtuple` that declares the fields, so that a
value equals only a value of the same class with equal fields (never a plain tuple), hashes by
its fields, and has no ordering — what the frozen dataclasses these replace promised.

Each codec's `parse` is a plain function in the class body that names its own class, with no
`self`: it is always called on the class (`Ethernet.parse(data)`), never on a value. CPython
3.11 specialises that lookup (LOAD_METHOD_CLASS: a version check, then the function), where a
staticmethod's goes through the type's attribute lookup and the descriptor every time and a
classmethod's also makes a bound method: a plain function saves ~13 ns a call against a
staticmethod (timeit), ~4% of a TCP SYN's three-layer parse. A subclass's `parse` would make
the base class's value; no codec is subclassed.
"""

from __future__ import annotations


class Value:
    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            # Not NotImplemented for a tuple: tuple's own reflected == would compare fields.
            return False if isinstance(other, tuple) else NotImplemented
        return tuple.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return True if isinstance(other, tuple) else NotImplemented
        return tuple.__ne__(self, other)

    __hash__ = tuple.__hash__

    def __lt__(self, other: object) -> bool:
        return NotImplemented

    __le__ = __gt__ = __ge__ = __lt__
