"""`record` makes the class `@dataclass(frozen=True)` would, without compiling code for each
class: the same class declared both ways must behave alike in everything the trace's readers
use (construction, repr, equality, hashing, immutability, `dataclasses` functions, pickling,
copying), and every event class of the stack must be such a record."""

import copy
import dataclasses
import inspect
import pickle
import subprocess
import sys
from dataclasses import dataclass
from ipaddress import IPv4Address

import pytest

import stack.apps.events
import stack.events
import stack.link.qemu
import stack.transport.events
from stack import record as records
from stack.events import Event
from stack.record import record


def _declare(decorate, field, prefix):
    """The same two-level hierarchy under `decorate` (record, or the frozen dataclass, each with
    its `field`), named `prefix`Base and `prefix`Child at module level so pickle finds them."""

    class Base:
        time: float
        host: str

    Base.__qualname__ = Base.__name__ = f"{prefix}Base"
    Base = decorate(Base)

    class Child(Base):
        ip: IPv4Address
        hops: tuple[int, ...]
        note: bytes = field(default=b"", repr=False, compare=False, metadata={"json": False})
        count: int = 3

        kind = "child"

        def describe(self) -> str:
            return f"{self.host} {self.ip}"

    Child.__qualname__ = Child.__name__ = f"{prefix}Child"
    Child = decorate(Child)
    globals().update({Base.__name__: Base, Child.__name__: Child})
    return Base, Child


OURS = _declare(record, records.field, "Ours")
THEIRS = _declare(dataclass(frozen=True), dataclasses.field, "Theirs")


ARGS = (1.5, "pc", IPv4Address("10.0.0.1"), (1, 2))


@pytest.fixture(params=["positional", "keyword"])
def pair(request):
    made = []
    for _, child in (OURS, THEIRS):
        if request.param == "positional":
            made.append(child(*ARGS, b"x"))
        else:
            made.append(child(time=1.5, host="pc", ip=ARGS[2], hops=(1, 2), note=b"x"))
    return made


def test_fields_signature_and_defaults_are_the_dataclass_ones(pair):
    ours, theirs = pair
    assert [
        (f.name, f.type, f.default, f.repr, f.compare, dict(f.metadata))
        for f in dataclasses.fields(ours)
    ] == [
        (f.name, f.type, f.default, f.repr, f.compare, dict(f.metadata))
        for f in dataclasses.fields(theirs)
    ]
    assert str(inspect.signature(type(ours))) == str(inspect.signature(type(theirs)))
    assert type(ours).__init__.__qualname__ == "OursChild.__init__"
    assert ours.count == theirs.count == 3
    assert type(ours).count == 3  # the default stays on the class, as dataclasses leaves it
    assert type(ours).__match_args__ == type(theirs).__match_args__
    assert dataclasses.is_dataclass(ours)


def test_repr_and_equality_are_by_value(pair):
    ours, theirs = pair
    assert repr(ours) == repr(theirs).replace("Theirs", "Ours")
    assert "note" not in repr(ours)
    again = type(ours)(*ARGS, b"other note")  # note is not compared
    assert ours == again and hash(ours) == hash(again)
    assert ours != type(ours)(*ARGS[:3], (9,))
    assert ours != theirs  # another class, even with the same fields
    assert hash(ours) == hash(theirs)  # both hash the tuple of compared fields


def test_frozen_pickled_copied_replaced_as_dicts(pair):
    ours, theirs = pair
    for name in ("host", "anything"):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(ours, name, "x")
    with pytest.raises(dataclasses.FrozenInstanceError):
        del ours.host
    assert pickle.loads(pickle.dumps(ours)) == ours
    assert copy.copy(ours) == ours and copy.deepcopy(ours) == ours
    changed = dataclasses.replace(ours, host="gw")
    assert (changed.host, changed.ip, changed.note) == ("gw", ours.ip, b"x")
    assert dataclasses.asdict(ours) == dataclasses.asdict(theirs)
    assert dataclasses.astuple(ours) == dataclasses.astuple(theirs)


def test_wrong_calls_fail_as_a_dataclass_does():
    ours, theirs = OURS[1], THEIRS[1]
    for args, kwargs in [(ARGS[:3], {}), (ARGS, {"host": "x"}), (ARGS, {"colour": 1})]:
        with pytest.raises(TypeError):
            theirs(*args, **kwargs)
        with pytest.raises(TypeError):
            ours(*args, **kwargs)


def test_methods_of_the_class_body_are_kept_and_bad_declarations_refused():
    @record
    class Shown:
        a: int

        def __repr__(self) -> str:
            return "mine"

    assert repr(Shown(1)) == "mine" and Shown(1) == Shown(1)
    with pytest.raises(TypeError, match="follows default"):

        @record
        class Wrong:
            a: int = 1
            b: int

    with pytest.raises(ValueError, match="default_factory"):

        @record
        class Mutable:
            a: list = []

    with pytest.raises(TypeError, match="cannot extend a @dataclass"):

        @record
        class OverDataclass(THEIRS[0]):
            pass

    with pytest.raises(TypeError, match="frozen and mutable"):

        @record(frozen=False)
        class Thawed(OursBase):  # noqa: F821 (made by _declare)
            pass


def _declare_more(decorate, field, frozen, prefix):
    """Factories, an `init=False` field and `__post_init__`, frozen or not."""

    class Made:
        name: str
        items: list = field(default_factory=list)
        table: dict = field(default_factory=dict, repr=False)
        seen: int = field(default=0, init=False)
        cache: list = field(default_factory=list, init=False, compare=False)

        def __post_init__(self) -> None:
            (object.__setattr__ if frozen else setattr)(self, "name", self.name.upper())

    Made.__qualname__ = Made.__name__ = f"{prefix}Made"
    Made = decorate(Made)
    globals()[Made.__name__] = Made
    return Made


@pytest.mark.parametrize("frozen", [True, False])
def test_factories_init_false_and_post_init_as_a_dataclass(frozen):
    ours = _declare_more(record(frozen=frozen), records.field, frozen, f"Ours{frozen}")
    theirs = _declare_more(dataclass(frozen=frozen), dataclasses.field, frozen, f"Theirs{frozen}")
    assert str(inspect.signature(ours)) == str(inspect.signature(theirs))
    for args in [("a",), ("b", [1]), ("c", [1], {2: 3})]:
        a, b = ours(*args), theirs(*args)
        assert repr(a) == repr(b).replace("Theirs", "Ours")
        assert (a.name, a.items, a.table, a.seen, a.cache) == (b.name, b.items, b.table, 0, [])
        assert a == ours(*args) and a != ours("other")
        assert pickle.loads(pickle.dumps(a)) == a and copy.deepcopy(a) == a
        assert dataclasses.asdict(a) == dataclasses.asdict(b)
    assert ours("x").items is not ours("x").items  # one list each
    if frozen:
        assert hash(ours("x", (), ())) == hash(ours("x", (), ()))
        with pytest.raises(dataclasses.FrozenInstanceError):
            ours("x").name = "y"
    else:
        assert ours.__hash__ is None is theirs.__hash__
        made = ours("x")
        made.name = "y"
        assert made.name == "y"


def _event_classes():
    modules = (stack.events, stack.apps.events, stack.transport.events, stack.link.qemu)
    for module in modules:
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Event) and value is not Event:
                if value.__module__ == module.__name__ and "__dataclass_fields__" in vars(value):
                    yield value


def test_every_event_class_is_a_record_whose_init_takes_its_fields():
    classes = list(_event_classes())
    assert len(classes) > 50
    for cls in classes:
        names = [f.name for f in dataclasses.fields(cls)]
        assert names[:3] == ["time", "host", "frames"], cls
        assert list(inspect.signature(cls).parameters) == names, cls
        assert cls.__init__.__qualname__ == f"{cls.__qualname__}.__init__"
        args = [f"v{i}" for i in range(len(names))]
        made = cls(*args)
        assert [getattr(made, n) for n in names] == args
        assert made == cls(**dict(zip(names, args, strict=True)))
        assert repr(made).startswith(f"{cls.__qualname__}(time='v0', host='v1', frames='v2'")


def test_a_dataclass_may_extend_a_record():
    @dataclass(frozen=True)
    class Extended(OursChild):  # noqa: F821 (made by _declare)
        extra: int = 0

    made = Extended(*ARGS, extra=5)
    assert (made.host, made.count, made.extra) == ("pc", 3, 5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.extra = 1


def test_record_replace_and_fields_of_agree_with_dataclasses():
    value = OursChild(*ARGS, b"x")  # noqa: F821 (made by _declare)
    assert records.replace(value, host="gw") == dataclasses.replace(value, host="gw")
    assert records.replace(value, note=b"y").note == b"y"
    assert [f.name for f in records.fields_of(value)] == [f.name for f in dataclasses.fields(value)]
    made = _declare_more(record, records.field, True, "Replaced")
    with pytest.raises(ValueError, match="init=False"):
        records.replace(made("a"), seen=1)


def test_the_lab_build_does_not_import_dataclasses():
    """Records make their dataclasses.Fields when first asked; a plain build never asks."""
    code = (
        "import sys\n"
        "from stack.labs import build_network, load_lab\n"
        "build_network(load_lab('default'))\n"
        "print(sorted({'dataclasses', 'inspect'} & set(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("count", [0, 1, 2, 16, 17, 40, 100])
def test_any_number_of_fields_lands_in_its_own_name(count):
    """Python builds a long dict display in parts, each with its own tuple of keys."""
    names = [f"f{i}" for i in range(count)]
    ours = record(type(f"Wide{count}", (), {"__annotations__": dict.fromkeys(names, "int")}))
    theirs = dataclass(frozen=True)(
        type(f"Wide{count}", (), {"__annotations__": dict.fromkeys(names, "int")})
    )
    made = ours(*range(count))
    assert vars(made) == vars(theirs(*range(count))) == dict(zip(names, range(count), strict=True))
    assert made == ours(**dict(zip(names, range(count), strict=True)))
