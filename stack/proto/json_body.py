"""JavaScript Object Notation: an HTTP body of type application/json, as Wireshark's `json`
shows it — `Object` › `Member: key` › its value (`Number value: 1`, `String value: x`, `True
value` …), `Key: key`, `[Path: /a/b]`, and for a value that is no object or array `[Path with
value: /a:1]` and `[Member with value: a:1]`; an array's elements under `Array`, their path
`…/[]`. Strings are shown with their escapes undone (`\\u00e9` is é; a control character is written
as a label writes it), numbers as written.

A body that is not JSON leaves the layer empty and goes on to `Line-based text data`; text
after a whole value goes there too, as tshark 4.0 shows them. The columns stay HTTP's (HTTP itself says `HTTP/JSON`).
"""

from __future__ import annotations

import json

from stack.proto.model import NONE, STRING, Field, Layer, Protocol, escaped

OBJECT = Field("json.object", "Object", NONE)
ARRAY = Field("json.array", "Array", NONE)
MEMBER = Field("json.member", "Member", STRING)
KEY = Field("json.key", "Key", STRING)
PATH = Field("json.path", "Path", STRING, generated=True)
PATH_WITH_VALUE = Field("json.path_with_value", "Path with value", STRING, generated=True)
MEMBER_WITH_VALUE = Field("json.member_with_value", "Member with value", STRING, generated=True)
VALUES = {
    "string": Field("json.value.string", "String value", STRING),
    "number": Field("json.value.number", "Number value", STRING),
    "true": Field("json.value.true", "True value", NONE),
    "false": Field("json.value.false", "False value", NONE),
    "null": Field("json.value.null", "Null value", NONE),
}
_WHITE = b" \t\r\n"
_NUMBER = frozenset(b"+-0123456789.eE")


class _Bad(ValueError):
    pass


def _walk(layer: Layer) -> None:
    layer.header_end = layer.end
    below = layer.frame.layer_before(layer)
    media = below.state.get("media") if below is not None else None
    layer.state["media"] = media
    body = bytes(layer.data[layer.start : layer.end])
    try:
        value, end = _value(body, _skip(body, 0))
        json.loads(body[:end], parse_constant=_refuse)  # the strict reading decides
    except (ValueError, IndexError, RecursionError):  # not JSON: lines of text, as tshark's
        layer.state["value"] = None
        layer.next = ("http.media", "data-text-lines")
        layer.header_end = layer.start
        return
    layer.state["value"] = value
    rest = _skip(body, end)
    if rest < len(body):  # text after the value: shown as lines after it, as tshark does
        layer.next = ("http.media", "data-text-lines")
        layer.header_end = layer.start + rest


def _refuse(name: str):
    raise _Bad(name)


def _skip(body: bytes, at: int) -> int:
    while at < len(body) and body[at] in _WHITE:
        at += 1
    return at


def _value(body: bytes, at: int) -> tuple[tuple, int]:
    """(kind, start, end, content) of the value at `at`, and where it ends."""
    if at >= len(body):
        raise _Bad("end of body")
    c = body[at]
    if c == 0x7B:  # {
        members, at = [], _skip(body, at + 1)
        start = at - 1
        while body[at] != 0x7D:
            key, after = _string(body, at)
            colon = _skip(body, after)
            value, end = _value(body, _skip(body, colon + 1))
            members.append((key, at, after, value))
            at = _skip(body, end)
            if body[at] == 0x2C:
                at = _skip(body, at + 1)
        return ("object", start, at + 1, members), at + 1
    if c == 0x5B:  # [
        items, at = [], _skip(body, at + 1)
        start = at - 1
        while body[at] != 0x5D:
            value, end = _value(body, at)
            items.append(value)
            at = _skip(body, end)
            if body[at] == 0x2C:
                at = _skip(body, at + 1)
        return ("array", start, at + 1, items), at + 1
    if c == 0x22:  # "
        text, end = _string(body, at)
        return ("string", at, end, text), end
    for word in ("true", "false", "null"):
        if body.startswith(word.encode(), at):
            return (word, at, at + len(word), word), at + len(word)
    end = at
    while end < len(body) and body[end] in _NUMBER:
        end += 1
    return ("number", at, end, body[at:end].decode("ascii")), end


def _string(body: bytes, at: int) -> tuple[str, int]:
    """The string at `at`, its escapes undone (as tshark shows it), and where it ends."""
    end = at + 1
    while body[end] != 0x22:
        end += 2 if body[end] == 0x5C else 1
    return escaped(json.loads(body[at : end + 1])), end + 1


def _items(layer: Layer, out: list) -> None:
    value = layer.state.get("value")
    if value is not None:
        _show(layer, out, value, "", "")


def _show(layer: Layer, out: list, value: tuple, path: str, name: str) -> None:
    """`value` as tshark lays it out where it sits: in an array (`name` "[]") or a member."""
    kind, start, end, content = value
    if kind in ("object", "array"):
        children: list = []
        if kind == "object":
            for key, key_at, key_end, member in content:
                _member(layer, children, key, (key_at, key_end), member, f"{path}/{key}")
        else:
            for item in content:
                _show(layer, children, item, f"{path}/[]", "[]")
        field = OBJECT if kind == "object" else ARRAY
        layer.add(out, field, start, end - start, None, children=children, text=field.label)
        return
    written = content
    layer.add(
        out,
        PATH_WITH_VALUE,
        start,
        end - start,
        f"{path}:{written}",
        text=f"[Path with value: {path}:{written}]",
    )
    layer.add(
        out,
        MEMBER_WITH_VALUE,
        start,
        end - start,
        f"{name}:{written}",
        text=f"[Member with value: {name}:{written}]",
    )
    field = VALUES[kind]
    if kind in ("string", "number"):
        layer.add(out, field, start, end - start, written, text=f"{field.label}: {written}")
    else:
        layer.add(out, field, start, end - start, None, text=field.label)


def _member(layer: Layer, out: list, key: str, place: tuple, value: tuple, path: str) -> None:
    key_at, key_end = place  # the quoted string, as tshark places the key
    end = value[2]
    children: list = []
    _show(layer, children, value, path, key)
    children.append(layer.add([], KEY, key_at, key_end - key_at, key, text=f"Key: {key}"))
    children.append(layer.add([], PATH, key_at, end - key_at, path, text=f"[Path: {path}]"))
    layer.add(out, MEMBER, key_at, end - key_at, key, children=children, text=f"Member: {key}")


def _summary(layer: Layer) -> str:
    media = layer.state.get("media")
    return f": {media}" if media else ""


PROTOCOL = Protocol(
    "json",
    "JavaScript Object Notation",
    "JSON",
    fields=(
        OBJECT,
        ARRAY,
        MEMBER,
        KEY,
        PATH,
        PATH_WITH_VALUE,
        MEMBER_WITH_VALUE,
        *VALUES.values(),
    ),
    walk=_walk,
    items=_items,
    summary=_summary,
    binds=(("http.media", "json"),),
    columns=False,
)
