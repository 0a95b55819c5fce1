"""`record`: a dataclass made without compiling code for each class.

`@dataclass` writes the source of up to six methods for every class and compiles it (`exec`):
about 0.5 ms a class on a quiet machine, and the ~55 event classes were 28 ms of the 72 ms it
took to import the stack and build the default lab. `record` (frozen, as
`@dataclass(frozen=True)`) and `record(frozen=False)` (as `@dataclass`) make the same class for
the part of dataclasses the stack uses, in about 20 µs:

- fields are the class's annotations after those of its dataclass bases, in order; a default
  is a plain value or `dataclasses.field(default=…, default_factory=…, init=…, repr=…,
  compare=…, metadata=…)`;
- `__init__(self, <fields>)` takes them by position or keyword, with the declared defaults,
  and fills the instance in one step (then the factories, `init=False` fields and
  `__post_init__`, for a class that has them). Its code is compiled once per number of fields
  and renamed for each class (`CodeType.replace`), so `inspect.signature`, keyword calls and
  `dataclasses.replace` see the field names;
- `__repr__`, `__eq__` and `__hash__` by value over the fields (`repr=` and `compare=`
  honoured), as a dataclass's: a mutable record is unhashable; a frozen one raises
  `FrozenInstanceError` on assignment and deletion;
- `__dataclass_fields__` holds real `dataclasses.Field`s, so `dataclasses.fields`, `replace`,
  `asdict` and `is_dataclass` work, and a `@dataclass` may extend a record; pickling and
  copying are a dataclass's.

A method written in the class body (`__init__`, `__repr__`, `__eq__`, `__hash__`) is kept, as
dataclasses does. Not supported (a TypeError says so): keyword-only fields, `InitVar`, ordering,
slots; use `@dataclass` for those.
"""

from __future__ import annotations

import dataclasses
from dataclasses import MISSING, Field, FrozenInstanceError
from functools import cache
from operator import attrgetter
from types import FunctionType

# What `dataclasses.fields` looks for to tell a field from a ClassVar or an InitVar.
_FIELD = dataclasses._FIELD

_set = object.__setattr__


class _Factory:
    """The default an `__init__` shows for a field made by its factory, as dataclasses shows it."""

    def __repr__(self) -> str:
        return "<factory>"


_FACTORY = _Factory()


def record(cls: type | None = None, /, *, frozen: bool = True):
    if cls is None:
        return lambda cls: _make(cls, frozen)
    return _make(cls, frozen)


def _make(cls: type, frozen: bool) -> type:
    fields: dict[str, Field] = {}
    for base in reversed(cls.__mro__[1:]):
        fields.update(base.__dict__.get("__dataclass_fields__", {}))
        params = base.__dict__.get("__dataclass_params__")
        if params is not None and params.frozen != frozen:
            raise TypeError(
                f"{cls.__name__}: frozen and mutable dataclasses cannot extend each other"
            )
    for name, kind in cls.__dict__.get("__annotations__", {}).items():
        if isinstance(kind, str) and kind.startswith(("ClassVar", "typing.ClassVar", "InitVar")):
            raise TypeError(f"{cls.__name__}.{name}: record takes no {kind}; use @dataclass")
        fields[name] = _field(cls, name, kind)

    names = tuple(f.name for f in fields.values() if f.init)
    defaults = []
    for f in fields.values():
        if not f.init:
            continue
        if f.default is not MISSING or f.default_factory is not MISSING:
            defaults.append(f.default if f.default_factory is MISSING else _FACTORY)
        elif defaults:
            raise TypeError(f"{cls.__name__}: non-default argument {f.name!r} follows default")

    own = cls.__dict__
    cls.__dataclass_fields__ = fields
    cls.__dataclass_params__ = _params(frozen)  # what a @dataclass extending it reads
    cls.__match_args__ = names
    if "__init__" not in own:
        finish = _finish(cls, fields.values())
        cls.__init__ = _init(cls, names, tuple(defaults), finish is not None)
        cls.__init__.__annotations__ = {f.name: f.type for f in fields.values() if f.init} | {
            "return": None
        }
        if finish is not None:
            cls.__record_finish__ = finish
    if "__repr__" not in own:
        cls.__repr__ = _repr(tuple(f.name for f in fields.values() if f.repr))
    compared = tuple(f.name for f in fields.values() if f.compare)
    value = attrgetter(*compared) if len(compared) > 1 else _one_tuple(compared)
    if "__eq__" not in own:
        cls.__eq__ = _eq(value)
    # As dataclasses decides: a __hash__ of the class body's own is kept, unless it is the None
    # that Python puts there for a class that defines __eq__.
    explicit_hash = own.get("__hash__", MISSING)
    if explicit_hash is MISSING or (explicit_hash is None and "__eq__" in own):
        cls.__hash__ = _hash(value) if frozen else None
    if frozen:
        cls.__setattr__ = _frozen_setattr
        cls.__delattr__ = _frozen_delattr
    return cls


def _field(cls: type, name: str, kind: object) -> Field:
    default = cls.__dict__.get(name, MISSING)
    if isinstance(default, Field):
        f = default
        if f.kw_only is True:
            raise TypeError(f"{cls.__name__}.{name}: record takes no keyword-only fields")
    else:
        f = dataclasses.field(default=default)
    if f.default is not MISSING and f.default.__class__.__hash__ is None:  # as dataclasses checks
        raise ValueError(
            f"{cls.__name__}.{name}: mutable default {type(f.default).__name__} is not allowed: use default_factory"
        )
    f.name = name
    f.type = kind
    f._field_type = _FIELD
    f.kw_only = False
    if f.default is MISSING:
        if name in cls.__dict__:
            delattr(cls, name)
    else:
        setattr(cls, name, f.default)  # as dataclasses leaves it: the default on the class
    return f


@cache
def _params(frozen: bool):
    """The parameters dataclasses records for a class, taken from one it made."""

    @dataclasses.dataclass(frozen=frozen)
    class Made:
        pass

    return Made.__dataclass_params__


def _finish(cls: type, fields):
    """What `__init__` does after filling the fields it was given, or None if nothing: the
    factories of defaults not given, the `init=False` fields, then `__post_init__`."""
    made = [
        (f.name, f.default_factory) for f in fields if f.init and f.default_factory is not MISSING
    ]
    fixed = [
        (f.name, f.default, f.default_factory)
        for f in fields
        if not f.init and (f.default is not MISSING or f.default_factory is not MISSING)
    ]
    post = getattr(cls, "__post_init__", None)
    if not made and not fixed and post is None:
        return None

    def __record_finish__(self) -> None:
        values = self.__dict__
        for name, factory in made:
            if values[name] is _FACTORY:
                values[name] = factory()
        for name, default, factory in fixed:
            values[name] = default if factory is MISSING else factory()
        if post is not None:
            self.__post_init__()

    return __record_finish__


@cache
def _init_code(arity: int, finish: bool):
    """The code of `__init__(self, a0, …)` filling `__dict__` in one step: compiled once per
    arity, renamed per class. A frozen dataclass's own `__init__` sets each field through
    `object.__setattr__` (past its guard), which costs twice as much."""
    params = [f"a{i}" for i in range(arity)]
    body = ", ".join(f"{p!r}: {p}" for p in params)
    source = f"def __init__(self, {', '.join(params)}):\n    _set(self, '__dict__', {{{body}}})\n"
    if finish:
        source += "    self.__record_finish__()\n"
    namespace: dict = {}
    exec(source, globals(), namespace)
    return namespace["__init__"].__code__, tuple(params)


def _init(cls: type, names: tuple[str, ...], defaults: tuple, finish: bool):
    code, params = _init_code(len(names), finish)
    rename = dict(zip(params, names, strict=True))
    rename[params] = names  # the keys of a dict display of several are one constant tuple

    def renamed(const: object) -> object:
        try:
            return rename.get(const, const)
        except TypeError:  # an unhashable constant
            return const

    code = code.replace(
        co_varnames=("self", *names),
        co_consts=tuple(renamed(c) for c in code.co_consts),
        co_qualname=f"{cls.__qualname__}.__init__",
    )
    init = FunctionType(code, globals(), "__init__", defaults or None)
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    return init


def _one_tuple(names: tuple[str, ...]):
    """What `attrgetter(*names)` gives for several names, for none or one: a tuple still."""
    get = [attrgetter(n) for n in names]
    return lambda self: tuple(g(self) for g in get)


def _repr(shown: tuple[str, ...]):
    def __repr__(self) -> str:
        inner = ", ".join(f"{n}={getattr(self, n)!r}" for n in shown)
        return f"{self.__class__.__qualname__}({inner})"

    return __repr__


def _eq(value):
    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return value(self) == value(other)
        return NotImplemented

    return __eq__


def _hash(value):
    def __hash__(self) -> int:
        return hash(value(self))

    return __hash__


def _frozen_setattr(self, name: str, value: object) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _frozen_delattr(self, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")
