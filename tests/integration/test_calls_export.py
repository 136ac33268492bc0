"""`screener calls export`: the call log from the command line, one row per call."""
import csv
import io
import json

from screener.store.blocklist import EntryMeta
from tests.conftest import LINE

BLOCKED = "+375291234567"
ORDINARY = "+442079460123"


def _calls(twilio, svc):
    svc.blocklist.add_many([BLOCKED], EntryMeta(reason="threats"))
    return [twilio.call(BLOCKED).sim.sid, twilio.call(ORDINARY).sim.sid, twilio.call("anonymous").sim.sid]


def test_export_lists_every_call_oldest_first_with_the_caller_as_stored(cli, svc, line, twilio):
    sids = _calls(twilio, svc)
    result = cli("calls", "export")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [r["sid"] for r in rows] == sids
    blocked, ordinary, withheld = rows
    assert (blocked["caller"], blocked["decision"], blocked["rule"]) == (BLOCKED, "block", "blocklist")
    assert ordinary["caller"].startswith("'+4420") and "•" in ordinary["caller"]  # masked, never runnable
    assert ORDINARY not in result.output
    assert (withheld["caller"], withheld["decision"]) == ("anonymous", "screen")
    assert all(r["line"] == LINE and r["time_utc"].endswith("Z") and r["status"] == "ringing" for r in rows)


def test_export_as_json_lines_filtered_by_line_and_time(cli, svc, line, twilio):
    _calls(twilio, svc)
    rows = [json.loads(text) for text in cli("calls", "export", "--format", "json").output.splitlines()]
    assert [r["decision"] for r in rows] == ["block", "forward", "screen"]
    assert cli("calls", "export", "--format", "json", "--line", "+12025550199").output == ""
    assert cli("calls", "export", "--format", "json", "--since", "2999-01-01").output == ""
    assert len(cli("calls", "export", "--format", "json", "--since", "2020-01-01T00:00").output.splitlines()) == 3


def test_a_bad_date_is_refused_naming_the_option(cli, svc):
    result = cli("calls", "export", "--since", "yesterday")
    assert result.exit_code == 2 and "--since" in result.output
