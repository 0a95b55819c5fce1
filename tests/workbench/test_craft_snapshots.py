"""Snapshot tests of the craft screen (x): the template chooser, a form with a validation error,
an override marked, the bytes of the field being edited lit. Each was looked at as a picture."""

from __future__ import annotations

from snapshot_app import WIDE, make_app, settle

CRAFT = (120, 36)


async def _open(pilot, template: str | None = None) -> None:
    await settle(pilot)
    await pilot.press("x")
    await settle(pilot)
    if template is not None:
        chooser = pilot.app.screen
        options = chooser.query_one("#template-list")
        options.highlighted = next(
            i for i in range(options.option_count) if options.get_option_at_index(i).id == template
        )
    await pilot.press("enter")
    await settle(pilot)


async def _pick_layer(pilot, name: str) -> None:
    screen = pilot.app.screen
    screen.query_one("#craft-layers").highlighted = next(
        i for i, c in enumerate(screen.calls) if c.name == name
    )
    await settle(pilot)


async def _type(pilot, name: str, text: str) -> None:
    field = pilot.app.screen.field_input(name)
    field.focus()
    field.value = text
    field.cursor_position = len(text)
    await settle(pilot)


class TestCraftScreen:
    def test_template_chooser(self, snap_compare):
        """x over the lab: the chooser lists every template with what it does, the ARP reply
        (the old x: pc5 poisoning pc) highlighted."""

        async def run_before(pilot):
            await settle(pilot)
            await pilot.press("x")
            await settle(pilot)

        assert snap_compare(make_app(), terminal_size=CRAFT, run_before=run_before)

    def test_validation_error(self, snap_compare):
        """ICMP echo, IP layer, ttl 300: the row's note and the line under the command say in one
        sentence that 300 is outside 0–255; the input is marked."""

        async def run_before(pilot):
            await _open(pilot, "icmp-echo")
            await _pick_layer(pilot, "IP")
            await _type(pilot, "ttl", "300")

        assert snap_compare(make_app(), terminal_size=CRAFT, run_before=run_before)

    def test_override_marked(self, snap_compare):
        """UDP datagram, UDP layer: len still automatic (its computed value shown), chksum written
        by hand — its name and note in the warning colour, "✎ override"; the command carries it."""

        async def run_before(pilot):
            await _open(pilot, "udp")
            await _pick_layer(pilot, "UDP")
            await _type(pilot, "chksum", "0x1234")

        assert snap_compare(make_app(), terminal_size=CRAFT, run_before=run_before)

    def test_hex_preview_with_a_field_lit(self, snap_compare):
        """ARP reply, the psrc field being edited: its four bytes (c0 a8 01 01) lit in the hex
        view, as the dissector lights a field's bytes."""

        async def run_before(pilot):
            await _open(pilot)
            pilot.app.screen.field_input("psrc").focus()
            await settle(pilot)

        assert snap_compare(make_app(), terminal_size=WIDE, run_before=run_before)
