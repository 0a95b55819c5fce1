"""A scapy-like expression language, read safely: `Ether(dst="ff:ff:ff:ff:ff:ff")/ARP(op=2)`.

What is accepted: layer constructors named from scapy's registry, keyword arguments whose
values are literals (strings, bytes, integers in any base, floats, True/False/None, negative
numbers, lists and tuples of those, and nested layers such as `DNS(qd=DNSQR(qname="a.b"))`),
a string or bytes operand as a payload (`IP()/UDP()/"hello"`), and `/`. The text is read with
`ast` and walked node by node; nothing is ever passed to `eval`, and anything else —
attribute access, subscripts, other calls, names, lambdas, comprehensions, operators other
than `/` — is refused in one sentence (`ExpressionError`).

`parse` gives `LayerCall`s (plain values), `build` makes the scapy packet, `render` writes the
canonical text back, and `from_packet` reads a packet (a captured frame) as an expression.
"""

from __future__ import annotations

import ast
import warnings
from dataclasses import dataclass

from workbench.craft.layers import registry

MAX_LENGTH = 20_000  # characters: an expression is something a person types or saves


class ExpressionError(ValueError):
    """An expression that cannot be used; the message is one sentence."""


@dataclass(frozen=True)
class LayerCall:
    """One layer as written: its name and the fields given, in order."""

    name: str
    fields: tuple[tuple[str, object], ...] = ()

    def get(self, field: str, default=None):
        for name, value in self.fields:
            if name == field:
                return value
        return default

    def with_field(self, field: str, value) -> LayerCall:
        """This layer with `field` set to `value` (None removes it, so it goes back to automatic)."""
        kept = [(n, v) for n, v in self.fields if n != field]
        if value is None:
            return LayerCall(self.name, tuple(kept))
        if any(n == field for n, _ in self.fields):
            return LayerCall(
                self.name, tuple((n, value if n == field else v) for n, v in self.fields)
            )
        return LayerCall(self.name, (*kept, (field, value)))


Expression = tuple[LayerCall, ...]

_NAMES = {
    ast.Attribute: "attribute access (a dot after a value)",
    ast.Subscript: "subscripts ([…])",
    ast.Lambda: "lambda",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "generator expressions",
    ast.IfExp: "conditional expressions",
    ast.BoolOp: "and/or",
    ast.Compare: "comparisons",
    ast.NamedExpr: "assignment (:=)",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.JoinedStr: "f-strings",
    ast.Starred: "starred arguments",
    ast.Dict: "dictionaries",
    ast.Set: "sets",
    ast.Slice: "slices",
}
_GRAMMAR = 'an expression is layers like IP(dst="10.0.0.1") joined by /, with literal values'


def _read(text: str) -> ast.Expression:
    # Python warns on stderr about text like `3or 1`; on a terminal the app owns, that would be
    # drawn over the screen, and the one sentence we give already says what is wrong.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyntaxWarning, and "invalid escape sequence" too
        return ast.parse(text, mode="eval")


def parse(text: str) -> Expression:
    """The layers of `text`, every name and field checked against scapy's registry."""
    text = text.strip()
    if not text:
        raise ExpressionError(f"the expression is empty: {_GRAMMAR}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"the expression is {len(text):,} characters long; at most {MAX_LENGTH:,} are read"
        )
    try:
        tree = _read(text)
    except SyntaxError as err:
        where = f" at column {err.offset}" if err.offset else ""
        raise ExpressionError(
            f"cannot read the expression{where}: {err.msg} ({_GRAMMAR})"
        ) from None
    except (ValueError, MemoryError, RecursionError) as err:
        raise ExpressionError(f"cannot read the expression: {err}") from None
    try:
        return tuple(_stack(tree.body))
    except RecursionError:
        raise ExpressionError("the expression is nested too deeply to read") from None


def _stack(node: ast.AST) -> list[LayerCall]:
    if isinstance(node, ast.BinOp):
        if not isinstance(node.op, ast.Div):
            raise ExpressionError(f"only / joins layers, not {_op_text(node.op)} ({_GRAMMAR})")
        return _stack(node.left) + _stack(node.right)
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)):
        return [LayerCall("Raw", (("load", node.value),))]
    return [_layer(node)]


def _layer(node: ast.AST) -> LayerCall:
    if isinstance(node, ast.Name):
        _check_layer_name(node.id, called=False)
        return LayerCall(node.id)
    if not isinstance(node, ast.Call):
        raise _refusal(node)
    func = node.func
    if isinstance(func, ast.Attribute):
        raise ExpressionError(
            f"attribute access ({ast.unparse(func)}) cannot be used here: {_GRAMMAR}"
        )
    if not isinstance(func, ast.Name):
        raise ExpressionError(f"{ast.unparse(func)!s}(…) is not a layer: {_GRAMMAR}")
    cls = _check_layer_name(func.id, called=True)
    fields: list[tuple[str, object]] = []
    if node.args:
        # Raw("text") and Padding(b"...") read naturally; any other positional is refused.
        if len(node.args) == 1 and func.id in ("Raw", "Padding") and not node.keywords:
            return LayerCall(func.id, (("load", _literal(node.args[0])),))
        raise ExpressionError(
            f"{func.id}(…) takes field=value arguments, not positional ones ({_GRAMMAR})"
        )
    known = {f.name for f in cls.fields_desc}
    for keyword in node.keywords:
        if keyword.arg is None:
            raise ExpressionError(f"**… is not allowed in {func.id}(…): {_GRAMMAR}")
        if keyword.arg not in known:
            raise ExpressionError(
                f"{func.id} has no field {keyword.arg!r} (its fields: {', '.join(f.name for f in cls.fields_desc)})"
            )
        fields.append((keyword.arg, _literal(keyword.value)))
    return LayerCall(func.id, tuple(fields))


def _check_layer_name(name: str, called: bool) -> type:
    cls = registry().get(name)
    if cls is None:
        what = "a call may only build a layer" if called else "a name may only be a layer"
        raise ExpressionError(
            f'{name} is not a layer scapy knows ({what}, like IP(dst="10.0.0.1"))'
        )
    return cls


def _literal(node: ast.AST):
    if (
        isinstance(node, ast.Constant)
        and not isinstance(node.value, type(Ellipsis))
        and not isinstance(node.value, complex)
    ):
        return node.value
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, (ast.USub, ast.UAdd))
        and isinstance(node.operand, ast.Constant)
        and isinstance(node.operand.value, (int, float))
        and not isinstance(node.operand.value, bool)
    ):
        return -node.operand.value if isinstance(node.op, ast.USub) else node.operand.value
    if isinstance(node, ast.List):
        return [_literal(item) for item in node.elts]
    if isinstance(node, ast.Tuple):
        return tuple(_literal(item) for item in node.elts)
    if isinstance(node, (ast.Call, ast.BinOp)) and _looks_like_layers(node):
        return _stack(node) if isinstance(node, ast.BinOp) else _layer(node)
    raise _refusal(node)


def _looks_like_layers(node: ast.AST) -> bool:
    if isinstance(node, ast.BinOp):
        return isinstance(node.op, ast.Div)
    return isinstance(node, ast.Call)


def _refusal(node: ast.AST) -> ExpressionError:
    if isinstance(node, ast.Name):
        return ExpressionError(
            f'{node.id} is not a value: a field takes a literal such as "text", 42, 0x1f or [1, 2] ({_GRAMMAR})'
        )
    if isinstance(node, ast.BinOp):
        return ExpressionError(
            f"arithmetic ({_op_text(node.op)}) is not allowed: a field takes a literal value ({_GRAMMAR})"
        )
    what = _NAMES.get(type(node), type(node).__name__)
    return ExpressionError(f"{what} cannot be used here: {_GRAMMAR}")


def _op_text(op: ast.operator) -> str:
    return {
        ast.Add: "+",
        ast.Sub: "-",
        ast.Mult: "*",
        ast.FloorDiv: "//",
        ast.Mod: "%",
        ast.Pow: "**",
        ast.BitOr: "|",
        ast.BitAnd: "&",
        ast.BitXor: "^",
        ast.LShift: "<<",
        ast.RShift: ">>",
        ast.MatMult: "@",
    }.get(type(op), type(op).__name__)


# --- packets ---------------------------------------------------------------------------------


def build(layers: Expression):
    """The scapy packet these layers make (not yet turned into bytes)."""
    if not layers:
        raise ExpressionError(f"the expression has no layers: {_GRAMMAR}")
    packet = None
    for call in layers:
        made = _make(call)
        packet = made if packet is None else packet / made
    return packet


def _make(call: LayerCall):
    cls = registry()[call.name]
    kwargs = {name: _value(value) for name, value in call.fields}
    for name, value in kwargs.items():
        problem = address_problem(cls, name, value)
        if problem:
            raise ExpressionError(problem)
    try:
        return cls(**kwargs)
    except Exception as err:  # scapy's own checks: one sentence naming the layer
        raise ExpressionError(f"{call.name}(…) cannot be made: {_scapy_problem(err)}") from None


def _value(value):
    if isinstance(value, LayerCall):
        return _make(value)
    if isinstance(value, list):
        if value and all(isinstance(v, LayerCall) for v in value):
            return [_make(v) for v in value]
        return [_value(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_value(v) for v in value)
    return value


def to_bytes(packet) -> bytes:
    """Scapy's build, its errors as one sentence."""
    try:
        return bytes(packet)
    except Exception as err:
        raise ExpressionError(f"cannot build {_name(packet)}: {_scapy_problem(err)}") from None


def _name(packet) -> str:
    """The packet's summary, or its layers' names when a bad field value breaks the summary too."""
    try:
        return packet.summary()
    except Exception:
        names = []
        while (
            packet is not None
            and hasattr(packet, "payload")
            and type(packet).__name__ != "NoPayload"
        ):
            names.append(type(packet).__name__)
            packet = packet.payload
        return " / ".join(names) or "the packet"


def _scapy_problem(err: Exception) -> str:
    text = " ".join(str(err).split()) or type(err).__name__
    text = text.split(" To inject bytes into the field")[
        0
    ]  # scapy's advice on its own API, not ours
    return text[:200]


# --- writing expressions ---------------------------------------------------------------------


def render(layers: Expression) -> str:
    return "/".join(_render_call(call) for call in layers)


def _render_call(call: LayerCall) -> str:
    inner = ", ".join(f"{name}={render_value(value)}" for name, value in call.fields)
    return f"{call.name}({inner})"


def render_value(value) -> str:
    if isinstance(value, LayerCall):
        return _render_call(value)
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, str):
        return (
            '"' + repr(value)[1:-1].replace('"', '\\"').replace("\\'", "'") + '"'
            if "'" in value or '"' in value
            else f'"{repr(value)[1:-1]}"'
        )
    if isinstance(value, bytes):
        if all(32 <= b < 127 for b in value):
            return repr(value)
        return 'b"' + "".join(f"\\x{b:02x}" for b in value) + '"'  # binary reads best as all hex
    if isinstance(value, list):
        if value and all(isinstance(v, LayerCall) for v in value):
            return "[" + ", ".join(_render_call(v) for v in value) + "]"
        return "[" + ", ".join(render_value(v) for v in value) + "]"
    if isinstance(value, tuple):
        inner = ", ".join(render_value(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    return repr(str(value))


def in_declared_order(call: LayerCall) -> LayerCall:
    """The fields in the order scapy declares them (Ether: dst, src, type), as a person reads them."""
    cls = registry()[call.name]
    order = {f.name: i for i, f in enumerate(cls.fields_desc)}
    return LayerCall(
        call.name, tuple(sorted(call.fields, key=lambda f: order.get(f[0], len(order))))
    )


AUTOMATIC_NAMES = {
    "chksum",
    "cksum",
    "checksum",
    "len",
    "length",
    "ihl",
    "dataofs",
    "hwlen",
    "plen",
}


def is_automatic(cls: type, field_name: str) -> bool:
    """A field scapy computes when it is left out — lengths, checksums, counts, header sizes:
    its default is None and it holds a length or a sum (an address left out is not computed
    but taken from the machine, which a lab host never wants; an HTTP header left out is
    simply not sent)."""
    from scapy.fields import FieldLenField, LenField

    for fld in cls.fields_desc:
        if fld.name == field_name:
            if fld.default is not None or _is_address(fld):
                return False
            inner = getattr(fld, "fld", fld)
            return (
                isinstance(inner, (FieldLenField, LenField))
                or "Len" in type(inner).__name__
                or field_name in AUTOMATIC_NAMES
                or field_name.endswith("count")
            )
    return False


def parse_value(text: str):
    """One literal as the form's inputs take it (`[DNSQR(qname="a.b")]`, `b"\\x01"`, `0x1f`)."""
    try:
        tree = _read(text.strip())
    except SyntaxError as err:
        raise ExpressionError(f"cannot read {text.strip()!r}: {err.msg}") from None
    except (ValueError, MemoryError, RecursionError) as err:
        raise ExpressionError(f"cannot read the value: {err}") from None
    return _literal(tree.body)


def address_problem(cls: type, field_name: str, value) -> str | None:
    """Why `value` is no address for an address field, or None. Scapy would take a host name
    there and look it up in this machine's DNS; a crafted packet takes only literals."""
    fld = next((f for f in cls.fields_desc if f.name == field_name), None)
    if fld is None or not isinstance(value, str):
        return None  # bytes are raw, numbers and lists are scapy's to judge
    kinds = _address_kinds(fld)
    if not kinds or any(_ADDRESS_CHECKS[kind](value) for kind in kinds):
        return None
    want = {
        "ipv4": "an IPv4 address (four numbers, like 192.168.1.1)",
        "ipv6": "an IPv6 address",
        "mac": "a MAC address (six hex pairs, like 00:1b:21:3a:4f:64)",
    }
    return f"{cls.__name__} {field_name} {value!r} is not {' or '.join(want[k] for k in kinds)}"


def _address_kinds(fld) -> list[str]:
    from scapy.fields import IPField, MACField

    found: list[str] = []
    stack = [fld]
    while stack:
        f = stack.pop()
        stack.extend(alt for alt, _cond in getattr(f, "flds", ()))
        for attr in ("fld", "dflt"):
            inner = getattr(f, attr, None)
            if inner is not None and inner is not f:
                stack.append(inner)
        kind = (
            "ipv4"
            if isinstance(f, IPField)
            else "ipv6"
            if "IP6Field" in type(f).__name__
            else "mac"
            if isinstance(f, MACField)
            else None
        )
        if kind and kind not in found:
            found.append(kind)
    return sorted(found, key=["ipv4", "mac", "ipv6"].index)


def _is_ipv4(text: str) -> bool:
    import ipaddress

    try:
        ipaddress.IPv4Address(text)
        return True
    except ValueError:
        return False


def _is_ipv6(text: str) -> bool:
    import ipaddress

    try:
        ipaddress.IPv6Address(text)
        return True
    except ValueError:
        return False


def _is_mac(text: str) -> bool:
    import re

    return re.fullmatch(r"[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5}", text) is not None


_ADDRESS_CHECKS = {"ipv4": _is_ipv4, "ipv6": _is_ipv6, "mac": _is_mac}


def _is_address(fld) -> bool:
    return bool(_address_kinds(fld))


def from_packet(packet) -> Expression:
    """A packet (a dissected frame, say) as layers: every field that differs from its layer's
    default, leaving out what scapy computes (lengths, checksums), so an edited packet is
    computed afresh."""
    layers: list[LayerCall] = []
    layer = packet
    while layer is not None and type(layer).__name__ != "NoPayload":
        cls = type(layer)
        fields = []
        for fld in cls.fields_desc:
            if fld.name not in layer.fields:
                continue
            value = layer.fields[fld.name]
            if (
                is_automatic(cls, fld.name)
                or _same(value, fld.default)
                or (not fld.default and value in ([], b"", ""))
            ):
                continue
            bound = _bound(layer, fld.name)
            if bound is not _UNSET and _same(value, bound):
                continue  # what the layer above puts there anyway (Ether type, IP proto)
            fields.append((fld.name, _plain(value)))
        layers.append(LayerCall(cls.__name__, tuple(fields)))
        layer = layer.payload if layer.payload is not None else None
        if layer is not None and not layer:
            break
    return tuple(layers)


def _bound(layer, field_name: str):
    """The value the layer above sets in `layer`'s field by binding (TCP over IP: proto 6)."""
    overloads = getattr(layer.payload, "overload_fields", None)
    if not isinstance(overloads, dict):
        return _UNSET
    return overloads.get(type(layer), {}).get(field_name, _UNSET)


_UNSET = object()


def _same(a, b) -> bool:
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def _plain(value):
    """A field's value as a literal the language can write."""
    from scapy.base_classes import Packet_metaclass  # noqa: F401  (scapy loaded)
    from scapy.packet import Packet

    if isinstance(value, Packet):
        inner = from_packet(value)
        return inner[0] if len(inner) == 1 else list(inner)
    if isinstance(value, list):
        if value and all(isinstance(v, Packet) for v in value):
            return [from_packet(v)[0] for v in value]
        return [_plain(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    if isinstance(value, bytes) and all(32 <= b < 127 or b in (9, 10, 13) for b in value):
        return value.decode("ascii")  # names and text read better as strings; scapy takes either
    if isinstance(value, (bool, int, float, str, bytes)) or value is None:
        if type(value) not in (bool, int, float, str, bytes) and value is not None:
            return str(value) if not isinstance(value, int) else int(value)
        return value
    if (
        hasattr(value, "value")
        and isinstance(value.value, int)
        and type(value).__name__ == "FlagValue"
    ):
        return str(value)
    return str(value)
