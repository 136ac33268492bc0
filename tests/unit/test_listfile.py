"""Reading blocklist CSVs with per-row errors, and formula-safe export."""
import csv
import io

from screener.listfile import export_rows, read_rows, safe_cell
from screener.store.blocklist import BlocklistEntry, EntryMeta


def test_rows_are_normalised_and_bad_rows_reported_with_line_numbers():
    text = "number,reason,category\n+375 29 123-45-67,threats,intimidation\nnot a number,x\n\n+3751720012*,prefix\n=cmd|calc,evil\n"
    parsed = read_rows(io.StringIO(text), None)
    assert parsed.valid == 2
    assert [(r.line, r.text) for r in parsed.rejected] == [(3, "not a number"), (6, "=cmd|calc")]
    assert parsed.groups[("threats", "intimidation")] == ["+375291234567"]
    assert parsed.groups[("prefix", "intimidation")] == ["+3751720012*"]


def test_duplicates_in_one_file_count_once():
    parsed = read_rows(io.StringIO("+375291234567\n+375 29 1234567\n"), None)
    assert parsed.valid == 1 and not parsed.rejected


def test_region_reads_national_numbers():
    parsed = read_rows(io.StringIO("8 029 123 45 67\n"), "BY")
    assert parsed.groups[("", "intimidation")] == ["+375291234567"]


def test_formula_cells_are_exported_as_text():
    for value in ["=HYPERLINK(\"http://x\")", "+1+1", "-2", "@SUM(A1)", "\t=1"]:
        assert safe_cell(value).startswith("'")
    assert safe_cell("threats to family") == "threats to family"


def test_export_neutralises_free_text_and_keeps_numbers_exact():
    entries = [BlocklistEntry("+375291234567", EntryMeta(reason="=HYPERLINK(\"http://evil\",\"x\")", source="@ops"))]
    rows = list(csv.reader(io.StringIO("".join(export_rows(entries)))))
    assert rows[0][0] == "number"
    assert rows[1][0] == "+375291234567"
    assert rows[1][2] == "'=HYPERLINK(\"http://evil\",\"x\")"
    assert rows[1][4] == "'@ops"


def test_an_exported_file_imports_back_to_the_same_entries():
    entries = [BlocklistEntry("+375291234567", EntryMeta(reason="-threats", category="intimidation"))]
    parsed = read_rows(io.StringIO("".join(export_rows(entries))), None)
    assert parsed.groups == {("-threats", "intimidation"): ["+375291234567"]}


def test_a_formula_after_a_semicolon_is_exported_as_text_and_imports_back():
    # Spreadsheets in ru/be/pl locales split CSV cells on `;`: each piece must not start a formula.
    reason = 'x;=HYPERLINK("http://evil","click")'
    exported = "".join(export_rows([BlocklistEntry("+375291234567", EntryMeta(reason=reason, source="a; -1"))]))
    for cell in list(csv.reader(io.StringIO(exported)))[1][1:]:
        for piece in cell.split(";"):
            assert not piece.lstrip(" ").startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert list(read_rows(io.StringIO(exported)).groups) == [(reason, "intimidation")]


def test_an_import_rejects_a_prefix_too_wide_to_land_without_a_second_admin():
    parsed = read_rows(io.StringIO("+375*,country\n+37529*,operator\n+3751720012*,exchange\n"))
    assert [(r.line, r.text) for r in parsed.rejected] == [(1, "+375*"), (2, "+37529*")]
    assert "country code" in parsed.rejected[0].reason and "second admin" in parsed.rejected[1].reason
    assert parsed.groups == {("exchange", "intimidation"): ["+3751720012*"]}
