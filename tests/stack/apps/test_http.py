"""HTTP/1.1: the site's answers (Content-Length, chunked, 404, 405, 400, HEAD), and server and
client over TCP on the default lab (keep-alive, Connection: close, chunked bodies, a request
in many segments, two requests in one, bodies delimited by the close, idle timeout)."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest

from stack.apps.http_client import SEED_SIZE, HttpClient, request_for, seed_request
from stack.apps.http_server import IDLE_TIMEOUT, Page, Site, request_path
from stack.labs import build_network, load_lab
from stack.wire.http import HTTPRequest, HTTPResponse, chunk_decode
from tests.conftest import kinds

WWW = IPv4Address("172.194.72.105")
SITE = Site(
    {
        "/": Page(b"<html>Google</html>"),
        "/big": Page(b"x" * 1000, "text/plain", chunked=True),
    }
)


def get(path: str, **headers) -> HTTPRequest:
    fields = [("Host", "www.google.com")] + [(k.replace("_", "-"), v) for k, v in headers.items()]
    return HTTPRequest("GET", path, "HTTP/1.1", tuple(fields))


# --- the site alone --------------------------------------------------------------------------


def test_page_with_content_length():
    response = SITE.respond(get("/"))
    assert response.status == 200 and response.body == b"<html>Google</html>"
    assert (
        response.header("content-length") == "19" and response.header("connection") == "keep-alive"
    )
    assert response.header("content-type") == "text/html; charset=utf-8"
    assert HTTPResponse.parse(response.build()) == response


def test_chunked_page():
    response = SITE.respond(get("/big"))
    assert response.chunked and response.header("content-length") is None
    assert chunk_decode(response.body) == b"x" * 1000
    assert response.body.count(b"\r\n80\r\n") >= 6  # 128-byte chunks, so the chunking shows


def test_not_found_and_other_methods_and_missing_host():
    assert SITE.respond(get("/nope")).status == 404
    post = SITE.respond(HTTPRequest("POST", "/", "HTTP/1.1", (("Host", "x"),)))
    assert post.status == 405 and post.header("allow") == "GET, HEAD"
    assert SITE.respond(HTTPRequest("GET", "/", "HTTP/1.1")).status == 400
    assert SITE.respond(HTTPRequest("GET", "/", "HTTP/1.0")).status == 200  # 1.0 needs no Host


def test_head_has_the_headers_and_no_body():
    response = SITE.respond(HTTPRequest("HEAD", "/", "HTTP/1.1", (("Host", "x"),)))
    assert response.body == b"" and response.header("content-length") == "19"


def test_connection_close_is_said():
    assert SITE.respond(get("/"), keep_alive=False).header("connection") == "close"


def test_paths_of_targets():
    assert request_path("/a/b?q=1") == "/a/b"
    assert request_path("http://www.google.com/x?y") == "/x"
    assert request_path("http://www.google.com") == "/"
    assert request_path("*") is None


def test_seed_request_is_exactly_4960_bytes_with_the_usual_headers():
    request = seed_request("www.google.com")
    raw = request.build()
    assert len(raw) == SEED_SIZE == 4960
    assert raw.startswith(
        b"GET / HTTP/1.1\r\nHost: www.google.com\r\nConnection: keep-alive\r\nUser-Agent: Mozilla/5.0"
    )
    for name in (
        "User-Agent",
        "Accept",
        "Accept-Encoding",
        "Accept-Language",
        "Accept-Charset",
        "Cookie",
    ):
        assert request.header(name)
    assert HTTPRequest.parse(raw) == request
    plain = request_for("www.google.com", "/x")
    assert [n for n, _ in plain.headers] == ["Host", "User-Agent", "Accept", "Connection"]


# --- server and client over TCP ----------------------------------------------------------------


@pytest.fixture
def net():
    return build_network(load_lab("default"))


def fetch_all(net, client, requests):
    got = []
    for request in requests:
        client.fetch(request, got.append)
    start = net.clock.now()
    while (
        len(got) < len(requests)
        and net.clock.next_time() is not None
        and net.clock.now() < start + 60
    ):
        net.clock.step()
    return got


def syns(net):
    return [e for e in kinds(net, "tcp_state", "pc") if e.new == "SYN-SENT"]


def test_keep_alive_two_requests_one_connection(net):
    client = HttpClient(net.host("pc"), WWW)
    got = fetch_all(
        net, client, [request_for("www.google.com", "/"), request_for("www.google.com", "/doodles")]
    )
    assert [x.response.status for x in got] == [200, 200]
    assert [x.reused for x in got] == [False, True]
    assert len(syns(net)) == 1 and client.conn is not None
    assert b"Google" in got[0].response.content
    assert got[1].response.chunked and b"chunked transfer coding" in got[1].response.content
    server = net.host("www").services["http"]
    assert server.stats["connections"] == 1 and server.stats["requests"] == 2


def test_connection_close_ends_it_and_the_next_request_opens_another(net):
    client = HttpClient(net.host("pc"), WWW)
    got = fetch_all(
        net,
        client,
        [request_for("www.google.com", "/", keep_alive=False), request_for("www.google.com", "/")],
    )
    assert [x.response.status for x in got] == [200, 200]
    assert got[0].response.header("connection") == "close"
    assert [x.reused for x in got] == [False, False]
    assert len(syns(net)) == 2


def test_big_request_in_many_segments_is_framed_by_the_server(net):
    client = HttpClient(net.host("pc"), WWW)
    (exchange,) = fetch_all(net, client, [seed_request("www.google.com")])
    assert exchange.response.status == 200 and exchange.segments == 4 and exchange.mss == 1460
    (received,) = kinds(net, "http_request_received", "www")
    assert received.length == 4960
    (explained,) = kinds(net, "segmentation", "pc")
    assert explained.describe() == (
        "4,960 bytes sent as 4 segments of ≤ MSS 1,460: each fits the MTU (1,460 + 40 ≤ 1,500), no IP fragmentation"
    )
    assert kinds(net, "fragmented") == []


def test_one_segment_request_is_fragmented_by_ip_and_reassembled(net):
    client = HttpClient(net.host("pc"), WWW, one_segment=True)
    (exchange,) = fetch_all(net, client, [seed_request("www.google.com")])
    assert exchange.response.status == 200
    (cut,) = kinds(net, "fragmented", "pc")
    assert cut.total_length == 5000 and cut.lengths == (1500, 1500, 1500, 560)
    assert [e.total_length for e in kinds(net, "reassembled", "www")] == [5000]


def test_two_requests_in_one_segment_get_two_answers_in_order(net):
    pc = net.host("pc")
    data = bytearray()
    conn = pc.tcp.connect((WWW, 80))
    conn.on_data = data.extend
    conn.send(
        request_for("www.google.com", "/").build() + request_for("www.google.com", "/nope").build()
    )
    net.clock.run_until(net.clock.now() + 1)
    first = HTTPResponse.parse(_first(bytes(data)))
    assert first.status == 200
    assert b"HTTP/1.1 404 Not Found" in data and data.index(b"200 OK") < data.index(
        b"404 Not Found"
    )


def _first(stream: bytes) -> bytes:
    from stack.wire.http import message_length

    return stream[: message_length(stream, request_method="GET")]


def test_idle_connection_is_closed_by_the_server(net):
    client = HttpClient(net.host("pc"), WWW)
    fetch_all(net, client, [request_for("www.google.com", "/")])
    assert client.conn is not None
    net.clock.run_until(net.clock.now() + IDLE_TIMEOUT + 1)
    assert client.conn is None  # the server's FIN arrived and the client closed its side too
    assert any(e.new == "CLOSE-WAIT" for e in kinds(net, "tcp_state", "pc"))


def test_malformed_request_gets_400_and_a_close(net):
    pc = net.host("pc")
    data = bytearray()
    conn = pc.tcp.connect((WWW, 80))
    conn.on_data = data.extend
    conn.send(b"GET / HTTP/1.1\r\nthis is not a header\r\n\r\n")
    net.clock.run_until(net.clock.now() + 1)
    assert data.startswith(b"HTTP/1.1 400 Bad Request") and b"Connection: close" in data


def test_body_delimited_by_the_close(net):
    www = net.host("www")

    def accept(conn):
        def on_data(_):
            conn.send(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end")
            conn.close()

        conn.on_data = on_data

    www.tcp.listen(8080, on_accept=accept)
    client = HttpClient(net.host("pc"), WWW, 8080)
    (exchange,) = fetch_all(net, client, [request_for("www.google.com", "/")])
    assert exchange.response is not None and exchange.response.content == b"until the end"


def test_refused_connection_is_an_error(net):
    client = HttpClient(net.host("pc"), WWW, 81)
    (exchange,) = fetch_all(net, client, [request_for("www.google.com", "/")])
    assert exchange.response is None and exchange.error == "refused"


def test_a_page_of_megabytes_comes_whole_and_the_next_one_on_the_same_connection(net):
    """The client frames a long body as it arrives (a length its head declared), then starts
    afresh for the next response on the same connection."""
    from stack.apps.http_server import HttpServer

    large = bytes(range(256)) * 8_000  # 2,048,000 bytes, some 1,400 segments
    HttpServer(
        net.host("www"),
        Site({"/large": Page(large, "application/octet-stream"), "/": Page(b"small")}),
        8080,
    )
    client = HttpClient(net.host("pc"), WWW, 8080)
    got = fetch_all(net, client, [get("/large"), get("/")])
    assert [x.response.status for x in got] == [200, 200]
    assert got[0].response.content == large and got[1].response.content == b"small"
    assert [x.reused for x in got] == [False, True]
    assert client.conn is not None and client.conn.state == "ESTABLISHED"  # not framed at a close


def test_a_long_request_body_in_many_segments_then_another_request_on_the_connection(net):
    """The server frames a request whose body spans many segments, answers it, and then
    frames the next request on the same connection from scratch."""
    pc = net.host("pc")
    data = bytearray()
    conn = pc.tcp.connect((WWW, 80))
    conn.on_data = data.extend
    body = b"field=" + b"v" * 300_000
    post = HTTPRequest.make("POST", "/form", host="www.google.com", content=body)
    conn.send(post.build())
    net.clock.run_until(net.clock.now() + 2)
    first = HTTPResponse.parse(_first(bytes(data)))
    assert first.status == 405 and conn.state == "ESTABLISHED"
    conn.send(request_for("www.google.com", "/").build())
    net.clock.run_until(net.clock.now() + 1)
    assert b"HTTP/1.1 200 OK" in data[data.index(b"405") :]
    (posted, _) = kinds(net, "http_request_received", "www")
    assert posted.length == len(post.build())


def test_a_long_chunked_page_then_the_next_response_on_the_same_connection(net):
    """A chunked body of thousands of chunks is framed as it arrives; the next response on
    the connection starts afresh."""
    from stack.apps.http_server import CHUNK_SIZE, HttpServer

    large = bytes(range(256)) * 1_000  # 256,000 bytes: 2,000 chunks of CHUNK_SIZE
    HttpServer(
        net.host("www"),
        Site(
            {
                "/chunks": Page(large, "application/octet-stream", chunked=True),
                "/": Page(b"ok", chunked=True),
            }
        ),
        8080,
    )
    client = HttpClient(net.host("pc"), WWW, 8080)
    got = fetch_all(net, client, [get("/chunks"), get("/")])
    assert [x.response.status for x in got] == [200, 200]
    assert got[0].response.chunked and got[0].response.content == large
    assert len(large) // CHUNK_SIZE == 2_000 and got[1].response.content == b"ok"
    assert client.conn is not None and client.conn.state == "ESTABLISHED"
