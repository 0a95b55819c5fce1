"""HTTP/1.x (RFC 9112) on TCP ports 80 and 8080, when the bytes start like a message, and on
any other TCP port whose segment's first line ends or starts with `HTTP/1.` (Wireshark's
heuristic, which then takes the whole conversation: `workbench.dissect.messages`).

Read leniently line by line: the request or status line, each header line (the common ones
with their own filter names), the blank line, and the body as `http.file_data`. A message
whose head or body goes on in later segments is shown from this segment alone, marked.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import re

from stack.proto.model import BOOL, NONE, STRING, UINT, Field, Layer, Protocol, escaped
from stack.wire import http as wire

REQUEST = Field("http.request", "Request", BOOL, hidden=True)
RESPONSE = Field("http.response", "Response", BOOL, hidden=True)
LINE = Field("http.line", "Line", NONE, filterable=False)
METHOD = Field("http.request.method", "Request Method", STRING)
URI = Field("http.request.uri", "Request URI", STRING)
REQ_VERSION = Field("http.request.version", "Request Version", STRING)
RESP_VERSION = Field("http.response.version", "Response Version", STRING)
CODE = Field("http.response.code", "Status Code", UINT)
CODE_DESC = Field("http.response.code.desc", "Status Code Description", STRING)
PHRASE = Field("http.response.phrase", "Response Phrase", STRING)
REQUEST_LINE = Field("http.request.line", "Request line", STRING, hidden=True)
RESPONSE_LINE = Field("http.response.line", "Response line", STRING, hidden=True)
# the same two shown: the line of a header tshark has no field for is one of these, in sight
SHOWN_LINE = {
    line.name: dataclasses.replace(line, hidden=False) for line in (REQUEST_LINE, RESPONSE_LINE)
}
# the header fields tshark 4.0 names (`tshark -G fields`); a line of any other header is an
# `http.request.line` / `http.response.line` shown as it is, as tshark shows it
HEADERS = {
    name.lower(): Field(f"http.{key}", label, STRING)
    for name, key, label in (
        ("Host", "host", "Host"),
        ("User-Agent", "user_agent", "User-Agent"),
        ("Accept", "accept", "Accept"),
        ("Accept-Language", "accept_language", "Accept-Language"),
        ("Accept-Encoding", "accept_encoding", "Accept Encoding"),
        ("Referer", "referer", "Referer"),
        ("Cookie", "cookie", "Cookie"),
        ("Set-Cookie", "set_cookie", "Set-Cookie"),
        ("Authorization", "authorization", "Authorization"),
        ("Proxy-Authorization", "proxy_authorization", "Proxy-Authorization"),
        ("Proxy-Authenticate", "proxy_authenticate", "Proxy-Authenticate"),
        ("WWW-Authenticate", "www_authenticate", "WWW-Authenticate"),
        ("Content-Type", "content_type", "Content-Type"),
        ("Content-Length", "content_length_header", "Content-Length"),
        ("Content-Encoding", "content_encoding", "Content-Encoding"),
        ("Transfer-Encoding", "transfer_encoding", "Transfer-Encoding"),
        ("Upgrade", "upgrade", "Upgrade"),
        ("Server", "server", "Server"),
        ("Connection", "connection", "Connection"),
        ("Location", "location", "Location"),
        ("Date", "date", "Date"),
        ("Cache-Control", "cache_control", "Cache-Control"),
        ("Last-Modified", "last_modified", "Last-Modified"),
        ("X-Forwarded-For", "x_forwarded_for", "X-Forwarded-For"),
        ("HTTP2-Settings", "http2_settings", "HTTP2-Settings"),
        ("Sec-WebSocket-Accept", "sec_websocket_accept", "Sec-WebSocket-Accept"),
        ("Sec-WebSocket-Extensions", "sec_websocket_extensions", "Sec-WebSocket-Extensions"),
        ("Sec-WebSocket-Key", "sec_websocket_key", "Sec-WebSocket-Key"),
        ("Sec-WebSocket-Protocol", "sec_websocket_protocol", "Sec-WebSocket-Protocol"),
        ("Sec-WebSocket-Version", "sec_websocket_version", "Sec-WebSocket-Version"),
    )
}
COOKIE_PAIR = Field("http.cookie_pair", "Cookie pair", STRING)
CREDENTIALS = Field("http.authbasic", "Credentials", STRING)  # Basic credentials, decoded
# tshark 4.0 registers it and fills it for no line it reads: a filter on it is valid, and empty
UNKNOWN = Field("http.unknown_header", "Unknown header", STRING)
CONTENT_LENGTH = Field("http.content_length", "Content length", generated=True)
FILE_DATA = Field("http.file_data", "File Data", STRING)  # tshark 4.0's type: text
PARTIAL = Field("http.partial", "Partial message", NONE, generated=True, filterable=False)


# tshark 4.0's HTTP ports, and 8000 (`python3 -m http.server`), which its heuristic takes
TCP_PORTS = (80, 3128, 3132, 5985, 8000, 8080, 8088, 11371)


def _looks(data: bytes) -> bool:
    return wire.looks_like_http(data)


def find_line_end(data: bytes, start: int, end: int) -> int:
    """Where the line starting at `start` ends (its CR or LF, whichever comes first) before
    `end`, -1 if none does: Wireshark's `tvb_find_line_end`."""
    lf = data.find(b"\n", start, end)
    cr = data.find(b"\r", start, end if lf < 0 else lf)
    return cr if cr >= 0 else lf


def claims(data: bytes, start: int, end: int) -> bool:
    """Wireshark's HTTP heuristic on a TCP port nothing is bound at: the first line, ended by
    CR or LF and not 8 bytes long, starts or ends with `HTTP/1.` (any case) and a digit."""
    line_end = find_line_end(data, start, end)
    length = line_end - start
    if line_end < 0 or length == 8:
        return False
    if data[start : start + 7].lower() == b"http/1.":
        return True
    return length > 8 and data[line_end - 8 : line_end - 1].lower() == b"http/1."


# Bodies tshark 4.0 hands to a dissector of their media type: the protocol that then shows in
# frame.protocols, the Protocol column (JSON and XML put their name beside HTTP's) and what
# Info says after the first line (text names its media type: `GET / HTTP/1.0  (text/html)`);
# any other type goes to plain data, and Info says nothing of it.
MEDIA_DISSECTORS = {
    "application/x-www-form-urlencoded": ("urlencoded-form", "HTTP", " ({})"),
    "application/json": ("json", "HTTP/JSON", ", JavaScript Object Notation ({})"),
    "application/xml": ("xml", "HTTP/XML", ""),
    "text/xml": ("xml", "HTTP/XML", ""),
    "image/svg+xml": ("xml", "HTTP/XML", ""),
    "message/http": ("message-http", "HTTP", " ({})"),
    "image/png": ("png", "HTTP", " ({})"),
    "image/jpeg": ("image-jfif", "HTTP", " ({})"),
    "image/gif": ("image-gif", "HTTP", " ({})"),
}
_TEXT = ("data-text-lines", "HTTP", " ({})")
_MEDIA = ("media", "HTTP", " ({})")
# types tshark hands to dissectors of their own that the model does not declare: plain data here
_OWN_DISSECTORS = ("multipart/", "message/")
# Media protocols declared in the model (`stack.proto.text_lines`, `json_body`); the others are named in
# frame.protocols by the capture's pass (workbench.dissect.messages) but shown as File Data only
MEDIA_LAYERS = frozenset(("data-text-lines", "json"))
_CONTENT_TYPE = re.compile(rb"\r?\ncontent-type:[ \t]*([^;\r\n]*)", re.IGNORECASE)


def media_dissector(media: str | None) -> tuple[str, str, str] | None:
    """(protocol, Protocol column, Info after the first line and a space) of the dissector
    tshark hands a body of type `media`, or None: plain data."""
    if not media:
        return None
    media = media.strip().lower()
    found = MEDIA_DISSECTORS.get(media)
    if found is not None:
        return found
    if media.startswith("text/"):
        return _TEXT
    if media == "application/octet-stream" or media.startswith(_OWN_DISSECTORS):
        return None
    return _MEDIA  # any other type (a script, a PDF, a font): tshark's catch-all "media"


def media_info(first_line: str, media: str | None) -> str:
    """Info of a whole message with a body of type `media`, as tshark words it."""
    found = media_dissector(media)
    return f"{first_line} " + (found[2].format(media) if found else "")


def head_media(head: bytes) -> str | None:
    """The media type a message's head names (`Content-Type`, without its parameters)."""
    match = _CONTENT_TYPE.search(head)
    return match.group(1).strip().decode("latin-1") if match else None


def _walk(layer: Layer) -> None:
    layer.header_end = layer.end
    data = layer.data[layer.start : layer.end]
    head = wire.head_length(data)
    layer.state["head"] = head  # None: the head goes on in later segments
    first = data.split(b"\n", 1)[0].rstrip(b"\r").decode("utf-8", "replace")
    layer.state["first"] = first
    layer.state["request"] = not first.startswith("HTTP/")
    if head is not None and head < len(data):  # a body: JSON and XML name themselves
        media_type = head_media(data[:head])
        media = media_dissector(media_type)
        if media is not None:
            layer.column = media[1]
            if media[0] in MEDIA_LAYERS:  # the body is dissected as a layer of its own
                layer.state["media"] = media_type
                layer.next = ("http.media", media[0])
                layer.header_end = layer.start + head
        else:  # a body of no type tshark reads (or none named): Data, as tshark
            layer.next = ("http.media", "")
            layer.header_end = layer.start + head


def _headers(layer: Layer):
    data = layer.data[layer.start : layer.end]
    head = layer.state["head"]
    text = data[: head if head is not None else len(data)]
    pos = 0
    lines = text.split(b"\n")
    if lines and not lines[-1]:
        lines.pop()  # the head ends with its blank line's newline
    for raw in lines:
        yield pos, raw
        pos += len(raw) + 1


def _items(layer: Layer, out: list) -> None:
    request = layer.state["request"]
    out.append(_hidden(layer, REQUEST if request else RESPONSE))
    size = layer.end - layer.start
    lines = list(_headers(layer))
    declared = None
    for n, (pos, raw) in enumerate(lines):
        size = min(len(raw) + 1, layer.end - layer.start - pos)
        raw = raw.rstrip(b"\r")
        line = text_value(raw)
        if n == 0:
            parts = line.split(" ", 2)
            children = []
            if request and len(parts) >= 2:  # a cut line still has its method and URI
                method, uri, version = (*parts, "")[:3]
                version_at = min(pos + len(method) + len(uri) + 2, size - len(version))
                children = [
                    layer.add([], METHOD, pos, len(method), method),
                    layer.add([], URI, pos + len(method) + 1, len(uri), uri),
                    layer.add([], REQ_VERSION, version_at, len(version), version),
                ]
            elif not request and len(parts) >= 2:
                version, code = parts[0], parts[1]
                phrase = parts[2] if len(parts) > 2 else ""
                phrase_at = min(pos + len(version) + len(code) + 2, size - len(phrase))
                code_value = int(code) if code.isascii() and code.isdigit() else 0
                children = [
                    layer.add([], RESP_VERSION, pos, len(version), version),
                    layer.add([], CODE, pos + len(version) + 1, len(code), code_value),
                    layer.add(
                        [],
                        CODE_DESC,
                        pos + len(version) + 1,
                        len(code),
                        wire.REASONS.get(code_value, phrase),
                        text=f"[Status Code Description: {wire.REASONS.get(code_value, phrase)}]",
                    ),
                    layer.add([], PHRASE, phrase_at, len(phrase), phrase),
                ]
            layer.add(
                out, LINE, pos, size, None, children=children, text=f"{shown_line(raw)}\\r\\n"
            )
            continue
        if not line:
            layer.add(out, LINE, pos, size, None, text="\\r\\n")
            continue
        name, _, value = line.partition(":")
        value = value.strip()
        field = HEADERS.get(name.lower())
        line_field = REQUEST_LINE if request else RESPONSE_LINE
        shown = f"{shown_line(raw)}\\r\\n"
        if field is None:  # a header tshark has no field for: its line, shown
            layer.add(out, SHOWN_LINE[line_field.name], pos, size, line + "\r\n", text=shown)
            continue
        children = [
            layer.add(
                [], line_field, pos, size, line + "\r\n", text=f"[{line_field.label}: {line}]"
            )
        ]
        item = layer.add(out, field, pos, size, value, children=children, text=shown)
        value_at = pos + line.find(value, len(name) + 1) if value else pos
        if field is HEADERS["cookie"]:
            item.children += _cookie_pairs(layer, value, value_at)
        elif field in _AUTHORIZATION and value[:6].lower() == "basic ":
            item.children += _credentials(layer, value, value_at)
        if field is HEADERS["content-length"] and value.isascii() and value.isdigit():
            declared = int(value)
            item.children.append(
                layer.add(
                    [], CONTENT_LENGTH, pos, size, declared, text=f"[Content length: {declared}]"
                )
            )
    head = layer.state["head"]
    total = layer.end - layer.start
    if head is None:
        layer.add(out, PARTIAL, 0, 0, None, text="[The message's head goes on in a later segment]")
        return
    body = total - head
    if body > 0:
        layer.add(
            out,
            FILE_DATA,
            head,
            body,
            text_value(layer.bytes_at(head, body)),
            text=f"File Data: {body} bytes",
        )
    if declared is not None and declared > body:
        layer.add(
            out,
            PARTIAL,
            head,
            0,
            None,
            text=f"[Partial message: {body} of {declared} body bytes in this segment]",
        )


_AUTHORIZATION = (HEADERS["authorization"], HEADERS["proxy-authorization"])


def _cookie_pairs(layer: Layer, value: str, at: int) -> list:
    """Each `name=value` of a Cookie line, as tshark lists them."""
    out, offset = [], 0
    for part in value.split(";"):
        pair = part.strip(" ")
        if pair:
            start = at + offset + part.index(pair)
            out.append(layer.add([], COOKIE_PAIR, start, len(pair), pair))
        offset += len(part) + 1
    return out


def _credentials(layer: Layer, value: str, at: int) -> list:
    """Basic credentials (RFC 7617), decoded as tshark shows them: `user:password`."""
    token = value[6:].strip(" ")
    try:
        decoded = base64.b64decode(token + "=" * (-len(token) % 4))
    except (ValueError, binascii.Error):
        return []
    return [layer.add([], CREDENTIALS, at + value.index(token), len(token), text_value(decoded))]


def text_value(raw: bytes) -> str:
    """HTTP text as tshark 4.0's fields hold it (ASCII): each byte past 0x7f is U+FFFD, so a
    value has a character for each of its bytes (and a NUL ends it when printed)."""
    return raw.decode("ascii", "replace")


def shown_line(raw: bytes) -> str:
    """A line as the tree shows it: UTF-8, control characters escaped (`\\001`)."""
    return escaped(raw.decode("utf-8", "replace"))


def _hidden(layer: Layer, field: Field):
    from stack.proto.model import Item

    return Item(field, layer.start, 0, True, text=f"[{field.label}: True]")


def _info(layer: Layer) -> str:
    first = layer.state["first"]
    head = layer.state["head"]
    data = layer.data[layer.start : layer.end]
    if head is None:
        return f"{first} [partial message]" if wire.looks_like_http(data) else "Continuation"
    text = first
    length = None
    ctype = None
    for _pos, raw in _headers(layer):
        name, _, value = raw.decode("latin-1").partition(":")
        key = name.strip().lower()
        if key == "content-length" and value.strip().isascii() and value.strip().isdigit():
            length = int(value.strip())
        elif key == "content-type":
            ctype = value.strip()
    body = len(data) - head
    if length is not None and length > body:
        text += f" [partial message: {len(data)} of {head + length} bytes]"
    elif ctype and body:
        text = media_info(text, ctype.split(";")[0].strip())
    return text


PROTOCOL = Protocol(
    "http",
    "Hypertext Transfer Protocol",
    "HTTP",
    fields=(
        REQUEST,
        RESPONSE,
        LINE,
        METHOD,
        URI,
        REQ_VERSION,
        RESP_VERSION,
        CODE,
        CODE_DESC,
        PHRASE,
        REQUEST_LINE,
        RESPONSE_LINE,
        *HEADERS.values(),
        UNKNOWN,
        COOKIE_PAIR,
        CREDENTIALS,
        CONTENT_LENGTH,
        FILE_DATA,
        PARTIAL,
    ),
    walk=_walk,
    items=_items,
    info=_info,
    heuristic=_looks,
    binds=tuple(("tcp.port", port) for port in TCP_PORTS),
    heuristic_on=("tcp.port",),
    claims=claims,
    colour="http",
)
