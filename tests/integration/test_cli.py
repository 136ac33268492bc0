"""The `screener` command line contract: lines, lists, import/export, verify, simulated calls."""
import csv
import io
import json
import re

import pytest

from screener.model import Line
from screener.store.blocklist import EntryMeta
from screener.store.redis_process import free_port
from tests.conftest import LINE


def test_line_add_normalises_numbers(cli, svc):
    result = cli("line", "add", "--number", "+1 (202) 555-0143", "--forward-to", "+48 601 234 567",
                 "--country", "us", "--alert-sms", "+49 151 12345678", "--star-on-forward")
    assert result.exit_code == 0, result.output
    line = svc.lines.get(LINE)
    assert line.forward_to == "+48601234567" and line.country == "US" and line.alert_sms == ("+4915112345678",)
    assert line.star_on_forward


def test_line_add_refuses_a_bad_number_with_a_clear_message(cli, svc):
    result = cli("line", "add", "--number", "12345", "--forward-to", "+48601234567", "--country", "US")
    assert result.exit_code != 0
    assert "--number" in result.output and "12345" in result.output
    assert svc.lines.all() == {}


def test_line_add_refuses_forwarding_withheld_callers(cli, svc):
    result = cli("line", "add", "--number", LINE, "--forward-to", "+48601234567", "--country", "US",
                 "--policy", "anonymous=forward")
    assert result.exit_code != 0 and "screening" in result.output
    assert svc.lines.all() == {}


@pytest.mark.parametrize(
    "args, expected",
    [
        (["+375 (29) 123-45-67"], "+375291234567"),
        (["8 029 123 45 67", "--region", "BY"], "+375291234567"),
        (["tel:+48-22-123-45-67"], "+48221234567"),
        (["+375 17 200 12*"], "+3751720012*"),
    ],
)
def test_blocklist_add_accepts_numbers_as_people_paste_them(cli, svc, args, expected):
    result = cli("blocklist", "add", *args, "--reason", "threats")
    assert result.exit_code == 0, result.output
    assert svc.blocklist.get(expected).meta.reason == "threats"


def test_blocklist_add_refuses_junk_and_stores_nothing(cli, svc):
    result = cli("blocklist", "add", "call me maybe", "--reason", "x")
    assert result.exit_code != 0 and "Not a phone number" in result.output
    assert svc.blocklist.count() == 0


@pytest.mark.parametrize("args, says", [
    (["blocklist", "add", "029 123 45 67", "--reason", "x"], "Or give its country with --region"),
    (["blocklist", "add", "call me maybe", "--reason", "x"], "Write it in international format"),
    (["blocklist", "add", "+375 29 1", "--reason", "x"], "Not a valid number for its country."),
    (["blocklist", "add", "+375 17", "--reason", "x"], "Not a valid number for its country."),
    (["blocklist", "add", "+375*", "--reason", "x"], "A prefix must give more than the country code"),
    (["line", "add", "--number", "twelve", "--forward-to", "+48601234567", "--country", "US"],
     "Write it in international format"),
])
def test_number_errors_on_the_command_line_say_what_to_do_in_plain_words(cli, svc, args, says):
    result = cli(*args)
    assert result.exit_code != 0 and says in result.output, result.output
    assert "Missing or invalid" not in result.output and "(0)" not in result.output
    assert svc.blocklist.count() == 0 and not svc.lines.all()


def test_an_import_of_national_numbers_without_a_region_says_to_give_one(cli, svc, tmp_path):
    path = tmp_path / "list.csv"
    path.write_text("number,reason\n8 029 123 45 67,threats\n+375447654321,spam\n")
    result = cli("blocklist", "import", str(path))
    assert result.exit_code == 3
    assert "list.csv:2: rejected '8 029 123 45 67': A number in national format needs its country" in result.output
    assert "import the file again with --region, such as --region BY" in result.output
    assert svc.blocklist.get("+375447654321") is not None  # the valid row landed


def test_the_command_line_and_the_page_give_the_same_reason_for_each_refused_number(app):
    from screener.numbers import EXPLANATIONS, InvalidNumber
    from screener.web.number_errors import number_error

    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert {reason: number_error(InvalidNumber(text, reason)) for reason, text in EXPLANATIONS.items()} \
            == EXPLANATIONS


def test_blocklist_add_twice_says_so(cli, svc):
    cli("blocklist", "add", "+375291234567", "--reason", "first")
    result = cli("blocklist", "add", "+375291234567", "--reason", "second")
    assert "already" in result.output
    assert svc.blocklist.get("+375291234567").meta.reason == "first"
    assert svc.blocklist.count() == 1


def test_blocklist_changes_are_audited_and_verify(cli, svc):
    cli("blocklist", "add", "+375291234567", "--reason", "threats")
    cli("blocklist", "remove", "+375291234567")
    actions = [e["action"] for e in svc.audit.entries()]
    assert actions == ["blocklist.add", "blocklist.remove"]
    assert svc.audit.entries()[1]["before"]["reason"] == "threats"
    result = cli("verify")
    assert result.exit_code == 0 and "2 entries" in result.output


def test_verify_detects_an_edited_audit_entry(cli, svc, redis_client):
    cli("blocklist", "add", "+375291234567", "--reason", "threats")
    cli("blocklist", "add", "+375291234568", "--reason", "threats")
    entry = json.loads(redis_client.lindex(svc.keys.audit_log(), 0))
    entry["actor"] = "someone-else"
    redis_client.lset(svc.keys.audit_log(), 0, json.dumps(entry))
    result = cli("verify")
    assert result.exit_code == 1 and "BROKEN at entry 0" in result.output


IMPORT = """number,reason,category
+375291234567,threats,intimidation
+375 29 123-45-68,"called my mother",family
not-a-number,junk
+3751720012*,exchange
8 029 123 45 69
=HYPERLINK(""http://evil""),x
"""


def test_import_lands_valid_rows_and_reports_each_rejected_row(cli, svc, tmp_path):
    path = tmp_path / "list.csv"
    path.write_text(IMPORT)
    result = cli("blocklist", "import", str(path), "--region", "BY")
    assert result.exit_code == 3  # some rows rejected: scripts can tell
    assert "list.csv:4: rejected 'not-a-number'" in result.output
    assert "list.csv:7: rejected '=HYPERLINK" in result.output
    assert "6 rows: 4 added, 0 already on the list, 2 rejected" in result.output
    assert svc.blocklist.get("+375291234568").meta.category == "family"
    assert svc.blocklist.get("+375291234569") is not None
    assert svc.blocklist.count() == 4


def test_import_is_idempotent(cli, svc, tmp_path):
    path = tmp_path / "list.csv"
    path.write_text("+375291234567\n+3751720012*\n")
    assert cli("blocklist", "import", str(path)).exit_code == 0
    again = cli("blocklist", "import", str(path))
    assert again.exit_code == 0 and "0 added, 2 already on the list" in again.output
    assert svc.blocklist.count() == 2


def test_import_summary_adds_up_when_a_file_repeats_a_number(cli, svc, tmp_path):
    svc.blocklist.add_many(["+375291234567"], EntryMeta(reason="known"))
    path = tmp_path / "list.csv"
    path.write_text("+375291234567\n+375297654321\n+375 29 765-43-21\n+375297654321,again\nnonsense\n")
    result = cli("blocklist", "import", str(path))
    assert "5 rows: 1 added, 1 already on the list, 2 repeated in the file, 1 rejected" in result.output
    assert svc.blocklist.count() == 2


def test_import_of_a_binary_file_is_refused_and_changes_nothing(cli, svc, tmp_path):
    path = tmp_path / "list.csv"
    path.write_bytes(b"\xff\xfe\x00junk")
    result = cli("blocklist", "import", str(path))
    assert result.exit_code != 0 and "not UTF-8" in result.output
    assert svc.blocklist.count() == 0


def test_export_is_csv_with_numbers_first_and_no_live_formulas(cli, svc):
    cli("blocklist", "add", "+375291234567", "--reason", "=HYPERLINK(\"http://evil\",\"click\")", "--category", "@x")
    cli("blocklist", "add", "+3751720012*", "--reason", "exchange")
    result = cli("blocklist", "export")
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert {r["number"] for r in rows} == {"+375291234567", "+3751720012*"}
    for row in rows:
        for column, value in row.items():
            if column != "number":
                assert not value.startswith(("=", "+", "-", "@")), (column, value)
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", row["added_at"]), row["added_at"]


def test_export_then_import_restores_the_list(cli, svc, redis_client, tmp_path):
    cli("blocklist", "add", "+375291234567", "--reason", "-threats", "--category", "family")
    exported = cli("blocklist", "export").output
    redis_client.flushall()
    path = tmp_path / "export.csv"
    path.write_text(exported)
    assert cli("blocklist", "import", str(path)).exit_code == 0
    meta = svc.blocklist.get("+375291234567").meta
    assert (meta.reason, meta.category) == ("-threats", "family")


def test_allowlist_add_needs_an_existing_line(cli, svc):
    result = cli("allowlist", "add", "+33612345678", "--line", LINE)
    assert result.exit_code != 0 and "no line" in result.output
    svc.lines.save(Line(LINE, "+48601234567", "US"))
    result = cli("allowlist", "add", "+33 6 12 34 56 78", "--line", LINE)
    assert result.exit_code == 0
    assert svc.lines.allowlist(LINE) == {"+33612345678"}


@pytest.fixture
def served(serve):
    """`screener serve` running on a free port (a real gunicorn)."""
    return serve(workers=1)


@pytest.mark.slow
def test_screener_call_prints_block_and_forward_twiml(cli, svc, served):
    svc.lines.save(Line(LINE, "+48601234567", "US"))
    cli("blocklist", "add", "+375291234567", "--reason", "threats")
    blocked = cli("call", "--from", "+375291234567", "--url", served)
    assert blocked.exit_code == 0 and '<Reject reason="busy" />' in blocked.output
    forwarded = cli("call", "--from", "+442079460123", "--url", served, "--status", "completed")
    assert "<Number>+48601234567</Number>" in forwarded.output
    assert {c["status"] for c in svc.calls.recent()} == {"ringing", "completed"}


@pytest.mark.slow
@pytest.mark.parametrize("keys, last", [("2", "<Record"), ("9", "This call has ended"), ("1*", "This call has ended")])
def test_screener_call_walks_the_screening_dialogue(cli, svc, served, outbox, keys, last):
    svc.lines.save(Line(LINE, "+48601234567", "US"))
    result = cli("call", "--from", "anonymous", "--url", served, "--press", keys)
    assert result.exit_code == 0, result.output
    assert "-- press secretary answers: the whisper" in result.output and "<Gather" in result.output
    assert result.output.rstrip().splitlines()[-1].count(last) == 1
    [rung] = outbox.calls
    assert rung["To"] == "+48601234567"


def test_screener_call_without_a_server_fails_clearly(cli, svc):
    svc.lines.save(Line(LINE, "+48601234567", "US"))
    result = cli("call", "--from", "+442079460123", "--url", f"http://127.0.0.1:{free_port()}")
    assert result.exit_code != 0 and "cannot reach" in result.output


def test_line_add_takes_quiet_hours_and_refuses_a_bad_window(cli, svc):
    ok = cli("line", "add", "--number", LINE, "--forward-to", "+48601234567", "--country", "US",
             "--timezone", "Europe/Vilnius", "--quiet-hours", "22:00-07:00")
    assert ok.exit_code == 0 and svc.lines.get(LINE).quiet_hours == "22:00-07:00"
    bad = cli("line", "add", "--number", LINE, "--forward-to", "+48601234567", "--country", "US",
              "--quiet-hours", "late")
    assert bad.exit_code != 0 and "22:00-07:00" in bad.output
