"""HTTP requests and responses paired as tshark 4.0's single pass pairs them.

Each TCP conversation numbers its exchanges. A request opens a new one; a response joins the
newest if that one has no response yet, else opens one of its own (its request was not in
the capture) — so with pipelined requests a response is paired with the latest request, as
tshark pairs it. A request's frame gets `[Full request URI: http://host/path]` and `[HTTP
request n/N]`; a response's, `[HTTP response n/N]`, `[Time since request]`, `[Request in
frame]` and `[Request URI]` (the conversation's latest request URI); both name the exchange
before theirs (`[Prev request in frame]`; a response also `[Prev response in frame]`). N is how many the
conversation had when the frame was read: a single pass does not know the ones to come.
"""

from __future__ import annotations


class Numbered(int):
    """`n` of `total`: an int to filters and `-T fields`, "n/total" in the tree's label."""

    total: int

    def __new__(cls, n: int, total: int) -> Numbered:
        value = super().__new__(cls, n)
        value.total = total
        return value

    def __getnewargs__(self) -> tuple[int, int]:  # frame notes are pickled
        return int(self), self.total


class _Exchange:
    __slots__ = ("number", "request", "request_ns", "response", "prev")

    def __init__(self, number: int, prev: _Exchange | None) -> None:
        self.number = number
        self.request = self.response = 0  # frame numbers, 0: not seen
        self.request_ns = 0
        self.prev = prev


class _Conversation:
    __slots__ = ("count", "tail", "uri")

    def __init__(self) -> None:
        self.count = 0
        self.tail: _Exchange | None = None
        self.uri: str | None = None  # the latest request's full URI

    def open(self) -> _Exchange:
        self.count += 1
        tail = self.tail
        if tail is not None:
            tail.prev = None  # only the newest exchange and the one before it are ever shown
        self.tail = _Exchange(self.count, tail)
        return self.tail


class HttpLinks:
    def __init__(self) -> None:
        self._conversations: dict[int, _Conversation] = {}

    def add(self, notes, stream: int, number: int, ns: int, head: bytes) -> None:
        """Note the pairing fields of the HTTP message whose head `head` completes on frame
        `number` of TCP conversation `stream`."""
        conversation = self._conversations.get(stream)
        if conversation is None:
            conversation = self._conversations[stream] = _Conversation()
        if head.startswith(b"HTTP/"):
            exchange = conversation.tail
            if exchange is None or exchange.response:
                exchange = conversation.open()
            exchange.response = number
            notes.note("http.response_number", (Numbered(exchange.number, conversation.count),))
            if exchange.request:
                notes.note("http.time", ((ns - exchange.request_ns) / 1e9,))
            prev = exchange.prev
            if prev is not None and prev.request:
                notes.note("http.prev_request_in", (prev.request,))
            if prev is not None and prev.response:
                notes.note("http.prev_response_in", (prev.response,))
            if exchange.request:
                notes.note("http.request_in", (exchange.request,))
            if conversation.uri is not None:
                notes.note("http.response_for.uri", (conversation.uri,))
            return
        exchange = conversation.open()
        exchange.request, exchange.request_ns = number, ns
        uri = full_uri(head)
        if uri is not None:
            conversation.uri = uri
            notes.note("http.request.full_uri", (uri,))
        notes.note("http.request_number", (Numbered(exchange.number, conversation.count),))
        prev = exchange.prev
        if prev is not None and prev.request:  # (a request names no earlier response)
            notes.note("http.prev_request_in", (prev.request,))


def full_uri(head: bytes) -> str | None:
    """`http://` + the Host header + the request's URI (the URI alone when it is absolute, or
    the request a CONNECT); None without a Host header. As tshark 4.0 writes it: the URI as
    its field holds it (a byte past 0x7f is U+FFFD), the host as UTF-8."""
    lines = head.split(b"\r\n")
    words = lines[0].split(b" ")
    if len(words) < 3:
        return None
    method, target = words[0], words[1].decode("ascii", "replace")
    host = None
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if colon and name.strip().lower() == b"host":
            host = value.strip().decode("utf-8", "replace")
    if host is None:
        return None
    if target.lower().startswith(("http://", "https://")) or method == b"CONNECT":
        return target
    return f"http://{host}{target}"
