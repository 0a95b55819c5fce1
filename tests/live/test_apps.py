"""Real daemons and clients as the workbench's peers: curl and dig against the workbench's web
and DNS servers (through its two routers), `browse` against Python's http.server, busybox
udhcpc leasing from gw-a's DHCP server, and the workbench's DHCP client leasing from dnsmasq."""

from __future__ import annotations

import asyncio
import hashlib

import pytest

from stack.labs.load import parse_lab, read_lab_text
from tests.live.conftest import KERNEL_IP, need_tools

pytestmark = pytest.mark.live

WWW = "172.194.72.105"


def via_gw_a(lab) -> None:
    lab.ns.ip("route", "add", "default", "via", "192.168.1.1")  # inside the test namespace only


async def test_curl_fetches_a_page_from_the_workbench_web_server(lab):
    need_tools("curl")
    via_gw_a(lab)
    code, out, err = await lab.ns.sh(
        "curl", "-sS", "--max-time", "20", "-H", "Host: www.google.com", f"http://{WWW}/"
    )
    assert code == 0, err
    assert "<title>Google</title>" in out
    code, out, err = await lab.ns.sh(
        "curl", "-sS", "-i", "--max-time", "20", f"http://{WWW}/doodles"
    )
    assert code == 0, err
    assert "Transfer-Encoding: chunked" in out and "<h1>Doodles</h1>" in out
    code, out, err = await lab.ns.sh(
        "curl",
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "--max-time",
        "20",
        f"http://{WWW}/nothing-here",
    )
    assert out == "404"
    assert [e for e in lab.events("forwarded", "gw-b") if e.src == KERNEL_IP]


async def test_curl_fetches_a_large_page_from_a_lan_host(lab):
    need_tools("curl")
    from stack.apps.http_server import HttpServer, Page, Site

    body = bytes(range(256)) * 4096  # 1 MiB
    HttpServer(lab.host("pc2"), Site({"/big.bin": Page(body, "application/octet-stream")}), 8080)
    code, out, err = await lab.ns.sh(
        "sh", "-c", "curl -sS --max-time 60 http://192.168.1.101:8080/big.bin | sha256sum"
    )
    assert code == 0, err
    assert out.split()[0] == hashlib.sha256(body).hexdigest()


async def test_browse_fetches_from_python_http_server_in_the_namespace(lab, tmp_path):
    (tmp_path / "hello.txt").write_text("hello from the kernel's side\n")
    (tmp_path / "big.bin").write_bytes(bytes(range(256)) * 2048)
    server = await lab.ns.spawn(
        "python3",
        "-m",
        "http.server",
        "8000",
        "--bind",
        str(KERNEL_IP),
        "--directory",
        str(tmp_path),
    )
    await _wait_for_port(lab, 8000)
    browse = await lab.do(
        f"pc: browse http://{KERNEL_IP}:8000/hello.txt http://{KERNEL_IP}:8000/big.bin", timeout=60
    )
    text = "\n".join(browse.lines)
    assert browse.ok, text
    assert "< HTTP/1.0 200 OK" in text
    assert "hello from the kernel's side" in text
    assert "Content-Length: 524288" in text
    assert server.returncode is None


async def test_dig_asks_the_workbench_dns_server(lab):
    need_tools("dig")
    via_gw_a(lab)
    code, out, err = await lab.ns.sh(
        "dig", "@8.8.8.8", "+short", "+time=3", "+tries=2", "www.google.com"
    )
    assert code == 0, err
    assert out.strip() == WWW
    code, out, err = await lab.ns.sh("dig", "@8.8.8.8", "+time=3", "+tries=2", "mail.google.com")
    assert code == 0, err
    assert "status: NOERROR" in out and "CNAME" in out and "www.google.com." in out and WWW in out
    assert "flags: qr aa" in out
    code, out, err = await lab.ns.sh("dig", "@8.8.8.8", "+time=3", "+tries=2", "nosuch.google.com")
    assert "status: NXDOMAIN" in out, out


async def _udhcpc(lab, tmp_path) -> dict[str, str]:
    """busybox udhcpc on the kernel's side of the TAP device; the lease its hook was given."""
    need_tools("busybox")
    lab.ns.ip("addr", "flush", "dev", lab.tap.name)  # the kernel starts without an address
    record = tmp_path / "lease.txt"
    script = tmp_path / "hook.sh"
    script.write_text(
        f'#!/bin/sh\necho "$1 ip=$ip subnet=$subnet router=$router dns=$dns serverid=$serverid lease=$lease" >> {record}\n'
    )
    script.chmod(0o755)
    code, out, err = await lab.ns.sh(
        "busybox",
        "udhcpc",
        "-i",
        lab.tap.name,
        "-f",
        "-q",
        "-n",
        "-t",
        "5",
        "-T",
        "1",
        "-s",
        str(script),
        timeout=30,
    )
    assert code == 0, out + err
    bound = [line for line in record.read_text().splitlines() if line.startswith("bound")]
    assert bound, record.read_text()
    return dict(part.split("=", 1) for part in bound[0].split()[1:])


async def test_busybox_udhcpc_leases_from_the_workbench_dhcp_server(lab, tmp_path):
    fields = await _udhcpc(lab, tmp_path)
    assert fields["subnet"] == "255.255.255.0"
    assert fields["router"] == "192.168.1.1"
    assert fields["dns"] == "8.8.8.8"
    assert fields["serverid"] == "192.168.1.1"
    assert fields["lease"] == "3600"
    assert 100 <= int(fields["ip"].rsplit(".", 1)[1]) <= 199
    assert fields["ip"] in "\n".join(e.describe() for e in lab.net.trace.events if e.host == "gw-a")


async def test_the_dhcp_server_does_not_lease_an_address_a_lab_host_uses(lab, tmp_path):
    fields = await _udhcpc(lab, tmp_path)
    taken = {str(a) for h in lab.net.hosts.values() for a in h.addresses}
    assert fields["ip"] not in taken


async def test_workbench_dhcp_client_leases_from_dnsmasq(lab_factory, tap, tmp_path):
    need_tools("dnsmasq")
    text, source = read_lab_text("dhcp")
    # gw-a's DHCP server stays out of this one: dnsmasq in the namespace is the only server.
    text = (
        text[: text.index("[routers.gw-a.services.dhcp]")]
        + text[text.index("[hosts.dns.services.dns]") :]
    )
    lab = await lab_factory(parse_lab(text, source))
    leases = tmp_path / "leases"
    dnsmasq = await lab.ns.spawn(
        "dnsmasq",
        "--keep-in-foreground",
        "--conf-file=/dev/null",
        "--bind-interfaces",
        f"--interface={tap.name}",
        "--dhcp-range=192.168.1.150,192.168.1.199,255.255.255.0,1h",
        f"--dhcp-leasefile={leases}",
        "--no-resolv",
        "--no-hosts",
        "--no-ping",
        "--host-record=kernel.test,192.168.1.50",
        "--pid-file=",
        "--dhcp-option=option:router,192.168.1.1",
        f"--dhcp-option=option:dns-server,{KERNEL_IP}",
        f"--log-facility={tmp_path / 'dnsmasq.log'}",
        "--log-dhcp",
    )
    await asyncio.sleep(0.3)
    assert dnsmasq.returncode is None, (await dnsmasq.stderr.read()).decode()
    run = await lab.do("pc: dhcp", timeout=30)
    text = "\n".join(run.lines)
    assert run.ok, text
    pc = lab.host("pc")
    address = pc.primary.ip
    assert (
        str(address).startswith("192.168.1.1") and 150 <= int(str(address).rsplit(".", 1)[1]) <= 199
    )
    assert pc.dns_servers == [KERNEL_IP]
    assert str(address) in leases.read_text()
    resolved = await lab.do("pc: resolve kernel.test", timeout=20)
    assert "192.168.1.50" in "\n".join(resolved.lines), resolved.lines
    ping = await lab.do(f"pc: ping {KERNEL_IP} -c 2 -i 0.2")
    assert ping.ok, ping.lines


async def _wait_for_port(lab, port: int, timeout: float = 20) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        code, out, _ = await lab.ns.sh("ss", "-ltnH", f"sport = :{port}")
        if out.strip():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"nothing listens on port {port} in {lab.ns.name}")


async def test_curl_gets_its_page_while_10000_spoofed_syns_flood_www(lab):
    """A SYN flood over TAP from the namespace: www answers it with SYN cookies, its backlog
    stays at 128, and a real client (curl, the kernel's TCP) still gets its page."""
    import sys
    from pathlib import Path

    from stack.transport.tcp.layer import BACKLOG

    need_tools("curl")
    via_gw_a(lab)
    flooder = str(Path(__file__).with_name("flood.py"))
    gw_mac = str(lab.host("gw-a").interfaces["eth0"].nic.mac)
    flood = await lab.ns.spawn(
        sys.executable, flooder, "syn", lab.tap.name, gw_mac, WWW, "80", "10000"
    )
    sent, _ = await asyncio.wait_for(flood.communicate(), 120)
    assert flood.returncode == 0 and int(sent) == 10000
    await asyncio.sleep(0.5)  # the lab works through what the flood queued
    listener = next(lst for lst in lab.host("www").tcp.listeners() if lst.port == 80)
    assert len(listener.pending) == BACKLOG  # full: without cookies a new SYN would be dropped
    code, out, err = await lab.ns.sh(
        "curl", "-sS", "--max-time", "20", "-H", "Host: www.google.com", f"http://{WWW}/"
    )
    assert code == 0 and "<html" in out.lower(), err
    assert len(listener.pending) <= BACKLOG
    # The kernel's TAP queue (1,000 frames) drops much of a burst this fast; what got in met cookies.
    assert listener.cookies["sent"] > 1000
    accepted = [e for e in lab.events("tcp_syn_cookie", "www") if e.action == "accepted"]
    assert any(e.remote.startswith(f"{KERNEL_IP}:") for e in accepted)
    cookie_events = lab.events("tcp_syn_cookie", "www")
    assert any("a SYN flood?" in e.describe() for e in cookie_events)


async def test_the_kernels_fragmented_ping_gets_through_a_fragment_flood(lab):
    """10,000 first fragments that never complete, spoofed, over TAP onto pc2: its reassembly
    table stays at 1,024 datagrams (the oldest gives way, as Linux evicts), and the kernel's
    `ping -s 4000` (three datagrams of three fragments each) is answered right after."""
    import sys
    from pathlib import Path

    from stack.net import fragment as frag

    need_tools("ping")
    pc2 = lab.host("pc2")
    flooder = str(Path(__file__).with_name("flood.py"))
    flood = await lab.ns.spawn(
        sys.executable,
        flooder,
        "frag",
        lab.tap.name,
        str(pc2.primary.nic.mac),
        "192.168.1.101",
        "0",
        "10000",
    )
    sent, _ = await asyncio.wait_for(flood.communicate(), 120)
    assert flood.returncode == 0 and int(sent) == 10000
    await asyncio.sleep(0.5)  # the lab works through what the flood queued
    table = pc2.ip.reassembler
    assert len(table.datagrams) == frag.MAX_DATAGRAMS and table.memory <= frag.MEMORY_LIMIT
    code, out, err = await lab.ns.sh(
        "ping", "-c", "3", "-i", "0.2", "-W", "2", "-s", "4000", "192.168.1.101"
    )
    assert code == 0 and "3 received" in out, out + err
    given_up = [e for e in lab.events("reassembly_failed", "pc2") if "gave way" in e.reason]
    assert given_up and all(str(e.src).startswith("100.") for e in given_up)
