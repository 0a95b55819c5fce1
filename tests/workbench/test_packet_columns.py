"""The packet list's columns at the widths people use: at 80 columns a MAC address is cut in
the middle so it still reads as a MAC and keeps the octets that tell NICs apart."""

from __future__ import annotations

from workbench.dissect.rows import Columns, ColumnWidths, Row, fit_address


def test_a_mac_cut_for_80_columns_keeps_its_start_and_its_last_three_octets():
    assert fit_address("00:1b:21:3a:4f:64", 15) == "00:1b…3a:4f:64"
    assert fit_address("00:1b:21:3a:4f:64", 17) == "00:1b:21:3a:4f:64"
    assert fit_address("00:1b:21:3a:4f:64", 10) == "…:3a:4f:64"
    assert fit_address("192.168.100.200", 15) == "192.168.100.200"
    assert fit_address("fe80::21b:21ff:fe3a:4f64", 15) == "fe80::21b:21ff…"


def test_two_nics_of_one_vendor_stay_apart_in_an_80_column_line():
    wants = ColumnWidths()
    row = Row(
        "ARP",
        "00:1b:21:3a:4f:64",
        "00:1b:21:3a:4f:65",
        "Who has 192.168.1.1? Tell 192.168.1.100",
        "arp",
    )
    wants.grow(row, 60, "lan")
    columns = Columns.fit(80, wants, 30, "4.006448")
    line = columns.line(1, 0.0, 60, row, "lan")
    assert len(line) <= 80
    assert line.split()[3:5] == ["00:1b…3a:4f:64", "00:1b…3a:4f:65"] and "Who has" in line
