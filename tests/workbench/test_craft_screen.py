"""The craft screen driven with keys, as a person would: templates, the form, the bytes, and
sends whose effect shows in the ARP pane and the event log."""

from __future__ import annotations

from snapshot_app import WIDE, make_app, run_command, settle

from workbench.craft.expression import parse
from workbench.screens.craft import CraftScreen
from workbench.session import OutputLine

PC3_MAC, GW_MAC = "00:1c:b3:77:20:66", "50:c7:bf:a1:00:01"


async def run_until_quiet(pilot, limit: int = 400) -> None:
    """Step (n) until nothing is left to happen."""
    session = pilot.app.session
    for _ in range(limit):
        if session.clock.next_time() is None and not session.programs:
            break
        await pilot.press("n")
    await settle(pilot)


async def open_craft(pilot, template_index: int | None = None) -> CraftScreen:
    """x, then the template at `template_index` in the chooser (None: Enter on the one offered)."""
    await pilot.press("x")
    await settle(pilot)
    chooser = pilot.app.screen
    if template_index is not None:
        chooser.query_one("#template-list").highlighted = template_index
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, CraftScreen)
    return screen


async def type_into(pilot, screen: CraftScreen, name: str, text: str) -> None:
    field = screen.field_input(name)
    field.focus()
    field.value = text
    await settle(pilot)


async def pick_layer(pilot, screen: CraftScreen, name: str) -> None:
    screen.query_one("#craft-layers").highlighted = next(
        i for i, call in enumerate(screen.calls) if call.name == name
    )
    await settle(pilot)


def log_text(app) -> str:
    return "\n".join(f"{e.host} {e.describe()}" for e in app.session.log)


def index_of(screen: CraftScreen, key: str) -> int:
    keys = [t.key for t in screen.workshop.templates()]
    frame_offset = 1 if screen.frame_id is not None else 0
    return keys.index(key) + frame_offset


class TestPoisoning:
    async def test_a_gratuitous_arp_reply_from_pc3_claiming_the_gateway_poisons_pc(self):
        """pc has cached the gateway; on the craft screen the gratuitous ARP template, sent by
        pc3 with its claimed address changed to 192.168.1.1, leaves pc's gateway entry CHANGED in
        the ARP pane, and the event log explains what the frame did at each host."""
        app = make_app()
        async with app.run_test(size=WIDE) as pilot:
            await settle(pilot)
            await run_command(pilot, "pc: ping 192.168.1.1 -c 1")
            await run_until_quiet(pilot)
            screen = await open_craft(pilot, template_index=None)
            await pilot.press("ctrl+t")
            await settle(pilot)
            app.screen.query_one("#template-list").highlighted = index_of(screen, "gratuitous-arp")
            await pilot.press("enter")
            await settle(pilot)
            screen.query_one("#craft-origin").value = "pc3"
            await settle(pilot)
            await type_into(pilot, screen, "psrc", "192.168.1.1")
            await type_into(pilot, screen, "pdst", "192.168.1.1")
            command = screen.query_one("#craft-command").value
            assert command.startswith(
                'pc3: send Ether(dst="ff:ff:ff:ff:ff:ff")/ARP(op=2, psrc="192.168.1.1"'
            )
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert not isinstance(app.screen, CraftScreen)
            await run_until_quiet(pilot)
            (row,) = app.session.arp_rows("pc")
            assert (row.mac, row.previous) == (PC3_MAC, GW_MAC)
            assert str(app.screen.query_one("#arp-table").get_row_at(0)[2]) == "CHANGED"
            text = log_text(app)
            assert f"pc ARP cache: 192.168.1.1 CHANGED {GW_MAC} → {PC3_MAC}" in text
            assert "pc2 ignores ARP from 192.168.1.1: a gratuitous announcement" in text
            outputs = [
                e.text for e in app.session.log if isinstance(e, OutputLine) and e.host == "pc3"
            ]
            assert (
                any(line.startswith("what #") for line in outputs)
                and "1 of 1 frame sent by pc3" in outputs
            )


class TestEditAndResend:
    async def test_a_captured_dns_query_with_a_new_name_gets_an_answer_for_it(self):
        """pc resolves www.google.com; its query, selected in the packet list, opens on the craft
        screen as the first choice; the name changed to mail.google.com and sent again from pc,
        8.8.8.8 answers for mail.google.com (a CNAME to www and its address)."""
        app = make_app()
        async with app.run_test(size=WIDE) as pilot:
            await settle(pilot)
            await run_command(pilot, "pc: resolve www.google.com")
            await run_until_quiet(pilot)
            session = app.session
            query = next(
                f
                for f in session.trace.frames
                if f.segment == "lan"
                and b"\x03www\x06google" in f.data
                and f.data[6:12] == bytes.fromhex("001b213a4f64")
            )
            app.screen.query_one("#packet-list").select_frame(query.id)
            await settle(pilot)
            screen = await open_craft(pilot, template_index=0)  # "Frame #N: edit and resend"
            assert screen.origin.name == "pc" and [c.name for c in screen.calls] == [
                "Ether",
                "IP",
                "UDP",
                "DNS",
            ]
            await pick_layer(pilot, screen, "DNS")
            qd = screen.field_input("qd")
            assert "www.google.com." in qd.value
            await type_into(
                pilot, screen, "qd", qd.value.replace("www.google.com.", "mail.google.com.")
            )
            assert not screen.problems
            before = len(session.trace.frames)
            await pilot.press("ctrl+s")
            await settle(pilot)
            await run_until_quiet(pilot)
            from scapy.layers.dns import DNS
            from scapy.layers.l2 import Ether

            answers = [
                Ether(f.data)
                for f in session.trace.frames[before:]
                if f.segment == "lan" and f.data[:6] == bytes.fromhex("001b213a4f64")
            ]
            dns = [p[DNS] for p in answers if p.haslayer(DNS) and p[DNS].qr == 1]
            assert (
                dns
                and dns[-1].qd[0].qname == b"mail.google.com."
                and dns[-1].an[0].rdata == b"www.google.com."
            )
            outputs = [e.text for e in session.log if isinstance(e, OutputLine) and e.host == "pc"]
            assert any(
                "got back" in line and "mail.google.com CNAME www.google.com" in line
                for line in outputs
            )


class TestSyn:
    async def test_a_crafted_syn_to_a_closed_port_gets_a_rst_shown_and_explained(self):
        app = make_app()
        async with app.run_test(size=WIDE) as pilot:
            await settle(pilot)
            screen = await open_craft(pilot)
            await pilot.press("ctrl+t")
            await settle(pilot)
            app.screen.query_one("#template-list").highlighted = index_of(screen, "tcp-syn")
            await pilot.press("enter")
            await settle(pilot)
            screen.query_one("#craft-origin").value = "pc3"
            await settle(pilot)
            await type_into(pilot, screen, "dport", "81")
            await pick_layer(pilot, screen, "IP")
            await type_into(pilot, screen, "dst", "192.168.1.100")
            await pilot.press("ctrl+s")
            await settle(pilot)
            await run_until_quiet(pilot)
            text = log_text(app)
            assert (
                "pc TCP 192.168.1.100:81 sends RST to 192.168.1.102:40000: nothing listens on port 81"
                in text
            )
            assert "pc3 pc3 got back #" in text and "[RST, ACK]" in text


class TestForm:
    async def test_a_wrong_value_is_one_sentence_and_nothing_is_sent(self):
        app = make_app()
        async with app.run_test(size=WIDE) as pilot:
            await settle(pilot)
            screen = await open_craft(pilot)
            await pilot.press("ctrl+t")
            await settle(pilot)
            app.screen.query_one("#template-list").highlighted = index_of(screen, "icmp-echo")
            await pilot.press("enter")
            await settle(pilot)
            await pick_layer(pilot, screen, "IP")
            await type_into(pilot, screen, "ttl", "300")
            problem = str(screen.query_one("#craft-problem").render())
            assert problem == "IP ttl: 300 is outside 0–255"
            assert screen.rows["ttl"][0].has_class("-wrong")
            frames = len(app.session.trace.frames)
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert isinstance(app.screen, CraftScreen) and not app.session.programs
            assert len(app.session.trace.frames) == frames

    async def test_a_computed_field_is_automatic_until_written_then_marked_as_an_override(self):
        app = make_app()
        async with app.run_test(size=WIDE) as pilot:
            await settle(pilot)
            screen = await open_craft(pilot)
            await pilot.press("ctrl+t")
            await settle(pilot)
            app.screen.query_one("#template-list").highlighted = index_of(screen, "udp")
            await pilot.press("enter")
            await settle(pilot)
            await pick_layer(pilot, screen, "UDP")
            row, field, note = screen.rows["chksum"]
            assert (
                field.value == ""
                and row.has_class("-automatic")
                and str(note.render()).startswith("auto: 0x")
            )
            await type_into(pilot, screen, "chksum", "0x1234")
            assert row.has_class("-override") and "override" in str(note.render())
            assert "chksum=4660" in screen.query_one("#craft-command").value
            assert screen.current.frame[14 + 20 + 6 : 14 + 20 + 8] == b"\x12\x34"

    async def test_the_field_being_edited_lights_its_bytes(self):
        app = make_app()
        async with app.run_test(size=WIDE) as pilot:
            await settle(pilot)
            screen = await open_craft(pilot)  # ARP reply: Ether / ARP, the ARP layer selected
            screen.field_input("psrc").focus()
            await settle(pilot)
            assert screen.query_one("#craft-hex").highlighted == (28, 32)  # ARP sender IP
            await pick_layer(pilot, screen, "Ether")
            screen.field_input("dst").focus()
            await settle(pilot)
            assert screen.query_one("#craft-hex").highlighted == (0, 6)

    async def test_layers_are_added_from_scapys_registry_and_removed(self):
        app = make_app()
        async with app.run_test(size=WIDE) as pilot:
            await settle(pilot)
            screen = await open_craft(pilot)
            await pilot.press("ctrl+n")
            await settle(pilot)
            picker = app.screen
            picker.query_one("#layer-filter").value = "Dot1Q"
            await settle(pilot)
            await pilot.press("enter")
            await settle(pilot)
            assert [c.name for c in screen.calls] == ["Ether", "ARP", "Dot1Q"]
            await pilot.press("ctrl+r")
            await settle(pilot)
            assert [c.name for c in screen.calls] == ["Ether", "ARP"]

    async def test_the_command_line_reads_an_expression_back_into_the_form(self):
        app = make_app()
        async with app.run_test(size=WIDE) as pilot:
            await settle(pilot)
            screen = await open_craft(pilot)
            command = screen.query_one("#craft-command")
            command.focus()
            command.value = 'pc5: send IP(dst="192.168.1.1", ttl=7)/ICMP()'
            await pilot.press("enter")
            await settle(pilot)
            assert [c.name for c in screen.calls] == ["IP", "ICMP"]
            assert screen.calls[0].get("ttl") == 7
            command.value = "pc5: send __import__('os').system('true')"
            await pilot.press("enter")
            await settle(pilot)
            assert "attribute access" in str(screen.query_one("#craft-problem").render())
            assert [c.name for c in screen.calls] == ["IP", "ICMP"]

    async def test_save_and_load_a_crafted_packet(self, tmp_path):
        app = make_app()
        path = tmp_path / "arp.txt"
        async with app.run_test(size=WIDE) as pilot:
            await settle(pilot)
            screen = await open_craft(pilot)
            expected = screen.query_one("#craft-command").value.split("send ", 1)[1]
            await pilot.press("f2")
            await settle(pilot)
            app.screen.query_one("#prompt-input").value = str(path)
            await pilot.press("enter")
            await settle(pilot)
            assert expected in path.read_text()
            path.write_text('IP(dst="192.168.1.1")/UDP(dport=9)\n')
            await pilot.press("f3")
            await settle(pilot)
            app.screen.query_one("#prompt-input").value = str(path)
            await pilot.press("enter")
            await settle(pilot)
            assert tuple(screen.calls) == parse('IP(dst="192.168.1.1")/UDP(dport=9)')
