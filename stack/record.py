"""`record`: a dataclass made without compiling code for each class.

`@dataclass` writes the source of up to six methods for every class and compiles it (`exec`):
about 0.5 ms a class on a quiet machine, and the ~55 event classes were 28 ms of the 72 ms it
took to import the stack and build the default lab. `record` (frozen, as
`@dataclass(frozen=True)`) and `record(frozen=False)` (as `@dataclass`) make the same class for
the part of dataclasses the stack uses, in about 20 µs:

- fields are the class's annotations after those of its record bases, in order; a default
  is a plain value or this module's `field(default=…, default_factory=…, init=…, repr=…,
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
  copying are a dataclass's. They are made when first read: a run that never asks does not
  import `dataclasses` (and `inspect` under it, 7 ms), hence this module's own `field` (same
  arguments) and `replace`, and `fields_of` for the stack's own readers.

A method written in the class body (`__init__`, `__repr__`, `__eq__`, `__hash__`) is kept, as
dataclasses does. Not supported (a TypeError says so): keyword-only fields, `InitVar`, ordering,
slots; use `@dataclass` for those.
"""

from __future__ import annotations

from functools import cache
from operator import attrgetter
from types import FunctionType

_set = object.__setattr__


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()  # no default (dataclasses' own MISSING where a Field is made)


class _Factory:
    """The default an `__init__` shows for a field made by its factory, as dataclasses shows it."""

    def __repr__(self) -> str:
        return "<factory>"


_FACTORY = _Factory()


class Field:
    """One field as `record` keeps it; `dataclasses.Field`s are made from these when asked."""

    __slots__ = (
        "name",
        "type",
        "default",
        "default_factory",
        "init",
        "repr",
        "compare",
        "metadata",
    )

    def __init__(
        self, default, default_factory, init: bool, repr: bool, compare: bool, metadata
    ) -> None:
        if default is not MISSING and default_factory is not MISSING:
            raise ValueError("cannot specify both default and default_factory")
        self.name = ""
        self.type: object = None
        self.default = default
        self.default_factory = default_factory
        self.init = init
        self.repr = repr
        self.compare = compare
        self.metadata = metadata or {}

    def __repr__(self) -> str:
        return f"Field(name={self.name!r}, default={self.default!r})"


def field(
    *,
    default=MISSING,
    default_factory=MISSING,
    init: bool = True,
    repr: bool = True,
    compare: bool = True,
    metadata: dict | None = None,
):
    """As `dataclasses.field`, for a record."""
    return Field(default, default_factory, init, repr, compare, metadata)


def fields_of(cls_or_value) -> tuple[Field, ...]:
    """A record's fields in order (record's own `Field`s: name, type, default, metadata, …)."""
    return cls_or_value.__record_fields__


def replace(value, /, **changes):
    """As `dataclasses.replace`: a copy of `value` with `changes`, made through `__init__`."""
    for f in value.__record_fields__:
        if not f.init:
            if f.name in changes:
                raise ValueError(
                    f"field {f.name} is declared with init=False, it cannot be replaced"
                )
        elif f.name not in changes:
            changes[f.name] = getattr(value, f.name)
    return value.__class__(**changes)


def record(cls: type | None = None, /, *, frozen: bool = True):
    if cls is None:
        return lambda cls: _make(cls, frozen)
    return _make(cls, frozen)


def _make(cls: type, frozen: bool) -> type:
    fields: dict[str, Field] = {}
    for base in reversed(cls.__mro__[1:]):
        if "__record_fields__" in base.__dict__:
            fields.update((f.name, f) for f in base.__dict__["__record_fields__"])
            if base.__dict__["__record_frozen__"] != frozen:
                raise TypeError(
                    f"{cls.__name__}: frozen and mutable dataclasses cannot extend each other"
                )
        elif "__dataclass_fields__" in base.__dict__:
            raise TypeError(f"{cls.__name__}: a record cannot extend a @dataclass")
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
    cls.__record_fields__ = tuple(fields.values())
    cls.__record_frozen__ = frozen
    cls.__dataclass_fields__ = _DataclassFields(cls.__record_fields__)
    cls.__dataclass_params__ = _DataclassParams(frozen)  # what a @dataclass extending it reads
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
    elif type(default).__name__ == "Field" and type(default).__module__ == "dataclasses":
        raise TypeError(f"{cls.__name__}.{name}: use stack.record.field in a record")
    else:
        f = Field(default, MISSING, True, True, True, None)
    if f.default is not MISSING and f.default.__class__.__hash__ is None:  # as dataclasses checks
        raise ValueError(
            f"{cls.__name__}.{name}: mutable default {type(f.default).__name__} is not allowed: use default_factory"
        )
    f.name = name
    f.type = kind
    if f.default is MISSING:
        if name in cls.__dict__:
            delattr(cls, name)
    else:
        setattr(cls, name, f.default)  # as dataclasses leaves it: the default on the class
    return f


class _DataclassFields:
    """`__dataclass_fields__`, the `dataclasses.Field`s, made on first read."""

    def __init__(self, fields: tuple[Field, ...]) -> None:
        self._fields = fields
        self._made: dict | None = None

    def __get__(self, instance, owner) -> dict:
        if self._made is None:
            import dataclasses

            made = {}
            for f in self._fields:
                real = dataclasses.field(
                    default=dataclasses.MISSING if f.default is MISSING else f.default,
                    default_factory=(
                        dataclasses.MISSING if f.default_factory is MISSING else f.default_factory
                    ),
                    init=f.init,
                    repr=f.repr,
                    compare=f.compare,
                    metadata=f.metadata or None,
                )
                real.name, real.type, real.kw_only = f.name, f.type, False
                real._field_type = dataclasses._FIELD  # what dataclasses.fields looks for
                made[f.name] = real
            self._made = made
        return self._made


class _DataclassParams:
    """`__dataclass_params__` (frozen or not), taken on first read from a class dataclasses made."""

    def __init__(self, frozen: bool) -> None:
        self._frozen = frozen

    def __get__(self, instance, owner):
        return _params(self._frozen)


@cache
def _params(frozen: bool):
    import dataclasses

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

    def renamed(const: object) -> object:
        # The dict display's keys are constants: one each, or tuples of them (all keys for a
        # few, the last chunk for many: the compiler builds a long display in parts).
        if type(const) is str:
            return rename.get(const, const)
        if type(const) is tuple and const and all(type(c) is str and c in rename for c in const):
            return tuple(rename[c] for c in const)
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
    from dataclasses import FrozenInstanceError

    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _frozen_delattr(self, name: str) -> None:
    from dataclasses import FrozenInstanceError

    raise FrozenInstanceError(f"cannot delete field {name!r}")
