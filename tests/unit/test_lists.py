"""Changes to the blocklist and allowlists: one audit entry each, the same from the command line and the
page, and the two-person rule."""
from __future__ import annotations

import getpass
import io
from dataclasses import asdict, replace

import pytest

from screener import lists
from screener.listfile import read_rows
from screener.numbers import InvalidNumber
from screener.store.blocklist import EntryMeta
from tests.conftest import LINE
from tests.integration.web_support import as_role, make_user, web  # noqa: F401 - fixtures

NUMBER = "+375291234567"
CLI_ACTOR = f"cli:{getpass.getuser()}"
THREATS = lists.Details(reason="threats", category="intimidation", evidence="voicemail of 3 May", source="manual")
ENTRY_FORM = {"entry": "+375 29 123 45 67", "region": "", "category": "intimidation", "reason": "threats",
              "evidence": "voicemail of 3 May", "source": "manual"}


def _fixed_clock() -> float:
    return 1_700_000_000.5


def _last(svc, action: str) -> dict:
    return [e for e in svc.audit.entries() if e["action"] == action][-1]


def _without_who_and_when(entry: dict) -> dict:
    """An audit entry as it would be whoever made the change, whenever."""
    def strip(payload):
        if isinstance(payload, dict):
            return {k: v for k, v in payload.items() if k not in {"added_by", "added_at", "uploaded_by"}}
        return payload
    return {"action": entry["action"], "target": entry["target"], "before": strip(entry["before"]),
            "after": strip(entry["after"])}


@pytest.fixture
def two_person(svc):
    svc.web = replace(svc.web, two_person_rule=True)
    return svc


# --- the same entry from the command line and the page ---------------------------------------------


def test_an_addition_is_audited_alike_from_the_command_line_and_the_page(cli, as_role, svc):
    cli("blocklist", "add", NUMBER, "--reason", "threats", "--evidence", "voicemail of 3 May")
    from_cli = _last(svc, "blocklist.add")
    cli("blocklist", "remove", NUMBER)
    curator = as_role("curator")
    assert curator.post("/blocklist/new", ENTRY_FORM, token_from="/blocklist/new").status_code == 302
    from_page = _last(svc, "blocklist.add")
    assert (from_cli["actor"], from_page["actor"]) == (CLI_ACTOR, "web:curator1")
    assert _without_who_and_when(from_cli) == _without_who_and_when(from_page)
    assert from_page["before"] is None
    assert from_page["after"] == {"category": "intimidation", "reason": "threats", "evidence": "voicemail of 3 May",
                                  "source": "manual", "added_by": "web:curator1",
                                  "added_at": from_page["after"]["added_at"], "action": "block"}


def test_a_removal_is_audited_alike_from_the_command_line_and_the_page(cli, as_role, svc):
    def added_at_one_time():  # both removals remove the same entry, added in the same second
        return 1_700_000_000

    lists.add(svc, "web:anna", NUMBER, THREATS, clock=added_at_one_time)
    cli("blocklist", "remove", NUMBER)
    from_cli = _last(svc, "blocklist.remove")
    lists.add(svc, "web:anna", NUMBER, THREATS, clock=added_at_one_time)
    curator = as_role("curator")
    curator.post(f"/blocklist/{NUMBER[1:]}/remove", {"why": "number reassigned"},
                 token_from=f"/blocklist/{NUMBER[1:]}/edit")
    from_page = _last(svc, "blocklist.remove")
    assert from_cli["before"] == from_page["before"] and from_page["before"]["reason"] == "threats"
    assert from_cli["after"] == {"removed": True, "why": ""}
    assert from_page["after"] == {"removed": True, "why": "number reassigned"}
    assert from_cli["target"] == from_page["target"] == NUMBER


def test_trusting_a_caller_is_audited_alike_from_the_command_line_and_the_page(cli, as_role, svc, line):
    cli("allowlist", "add", "+1 202 555 0123", "--line", LINE)
    from_cli = _last(svc, "allowlist.add")
    svc.lines.disallow(LINE, "+12025550123")
    curator = as_role("curator")
    curator.post(f"/lines/{LINE[1:]}/allowlist", {"number": "(202) 555-0123"},
                 token_from=f"/lines/{LINE[1:]}/allowlist")
    from_page = _last(svc, "allowlist.add")
    assert _without_who_and_when(from_cli) == _without_who_and_when(from_page) == {
        "action": "allowlist.add", "target": f"{LINE}:+12025550123", "before": None, "after": "+12025550123"}


def test_an_import_is_audited_alike_from_the_command_line_and_the_page(cli, as_role, svc, tmp_path):
    text = "number,reason,category\n+375291234567,threats,intimidation\nnot a number,x,y\n"
    path = tmp_path / "list.csv"
    path.write_text(text)
    cli("blocklist", "import", str(path))
    from_cli = _last(svc, "blocklist.import")
    svc.blocklist.remove(NUMBER)
    curator = as_role("curator")
    upload = curator.client.post("/blocklist/import", content_type="multipart/form-data",
                                 data={"csrf_token": curator.token("/blocklist/import"), "region": "", "source": "",
                                       "file": (io.BytesIO(text.encode()), "list.csv")})
    curator.post(upload.headers["Location"] + "/commit", token_from=upload.headers["Location"])
    from_page = _last(svc, "blocklist.import")
    assert _without_who_and_when(from_cli) == _without_who_and_when(from_page)
    assert from_page["after"] == {"sha256": from_cli["after"]["sha256"], "rows": 2, "valid": 1, "added": 1,
                                  "rejected": 1, "uploaded_by": "web:curator1"}
    assert from_cli["after"]["uploaded_by"] == from_cli["actor"] == CLI_ACTOR


# --- one operation, one audit entry -----------------------------------------------------------------


def test_add_stamps_who_and_when_and_writes_one_entry(svc):
    entry = lists.add(svc, "web:anna", "8 029 123-45-67", THREATS, region="BY", clock=_fixed_clock)
    assert entry.entry == NUMBER and svc.blocklist.get(NUMBER).meta == entry.meta
    assert (entry.meta.added_by, entry.meta.added_at) == ("web:anna", 1_700_000_000)
    [audited] = svc.audit.entries()
    assert (audited["actor"], audited["action"], audited["target"]) == ("web:anna", "blocklist.add", NUMBER)


def test_adding_a_listed_entry_is_refused_and_keeps_the_first_reason(svc):
    lists.add(svc, "web:anna", NUMBER, THREATS)
    with pytest.raises(lists.AlreadyListed):
        lists.add(svc, "web:boris", NUMBER, replace(THREATS, reason="other"))
    assert svc.blocklist.get(NUMBER).meta.reason == "threats"
    assert [e["action"] for e in svc.audit.entries()] == ["blocklist.add"]


def test_junk_is_refused_and_nothing_is_stored_or_audited(svc):
    with pytest.raises(InvalidNumber):
        lists.add(svc, "web:anna", "call me maybe", THREATS)
    assert svc.blocklist.count() == 0 and svc.audit.entries() == []


def test_editing_keeps_who_added_it_and_that_it_is_screened_not_blocked(svc):
    lists.add(svc, "web:anna", NUMBER, replace(THREATS, action="screen"), clock=_fixed_clock)
    assert lists.edit(svc, "web:boris", NUMBER, category="spam", reason="robocalls", evidence="", source="manual")
    meta = svc.blocklist.get(NUMBER).meta
    assert (meta.reason, meta.action) == ("robocalls", "screen")
    assert (meta.added_by, meta.added_at) == ("web:anna", 1_700_000_000)
    edited = _last(svc, "blocklist.edit")
    assert edited["actor"] == "web:boris"
    assert edited["before"]["reason"] == "threats" and edited["after"]["reason"] == "robocalls"


def test_an_edit_that_changes_nothing_is_not_audited(svc):
    lists.add(svc, "web:anna", NUMBER, THREATS)
    assert not lists.edit(svc, "web:boris", NUMBER, category=THREATS.category, reason=THREATS.reason,
                          evidence=THREATS.evidence, source=THREATS.source)
    assert [e["action"] for e in svc.audit.entries()] == ["blocklist.add"]


def test_removing_an_unlisted_entry_is_refused_and_not_audited(svc):
    with pytest.raises(lists.NotListed):
        lists.remove(svc, "web:anna", NUMBER, why="mistake")
    assert svc.audit.entries() == []


def test_a_caller_is_trusted_in_the_lines_country(svc, line):
    assert lists.allow(svc, "web:anna", LINE, "(202) 555-0123") == "+12025550123"
    with pytest.raises(lists.AlreadyAllowed):
        lists.allow(svc, "web:anna", LINE, "+12025550123")
    lists.disallow(svc, "web:boris", LINE, "+12025550123")
    assert svc.lines.allowlist(LINE) == set()
    assert [(e["action"], e["before"], e["after"]) for e in svc.audit.entries()] == [
        ("allowlist.add", None, "+12025550123"), ("allowlist.remove", "+12025550123", None)]


def test_trusting_a_caller_on_a_missing_line_is_refused(svc):
    with pytest.raises(lists.UnknownLine):
        lists.allow(svc, "web:anna", LINE, "+12025550123")
    assert svc.audit.entries() == []


def test_an_import_adds_new_rows_only_and_writes_one_entry(svc):
    lists.add(svc, "web:anna", NUMBER, THREATS)
    parsed = read_rows(io.StringIO(f"{NUMBER},old\n+375291234568,new\n+3751720012*,exchange\n"))
    added = lists.import_rows(svc, "cli:ops", parsed, filename="shared.csv", sha256="ab" * 32)
    assert added == 2 and svc.blocklist.get(NUMBER).meta.reason == "threats"
    assert svc.blocklist.get("+3751720012*").meta.source == "import:shared.csv"
    assert [e["action"] for e in svc.audit.entries()] == ["blocklist.add", "blocklist.import"]


# --- the two-person rule ----------------------------------------------------------------------------


def test_without_the_rule_a_curator_adds_at_once(svc):
    added = lists.add_or_propose(svc, "web:anna", NUMBER, THREATS)
    assert added.entry == NUMBER and svc.blocklist.get(NUMBER) is not None
    assert svc.proposals.all() == []


def test_under_the_rule_an_addition_is_only_proposed(two_person):
    svc = two_person
    proposal = lists.add_or_propose(svc, "web:anna", "+375 29 123 45 67", THREATS)
    assert (proposal.entry, proposal.proposed_by) == (NUMBER, "web:anna")
    assert svc.blocklist.get(NUMBER) is None
    proposed = _last(svc, "blocklist.propose")
    assert (proposed["actor"], proposed["before"], proposed["after"]["reason"]) == ("web:anna", None, "threats")


def test_the_proposer_cannot_confirm_their_own_proposal(two_person):
    svc = two_person
    lists.add_or_propose(svc, "web:anna", NUMBER, THREATS)
    with pytest.raises(lists.OwnProposal):
        lists.confirm(svc, "web:anna", NUMBER)
    assert svc.blocklist.get(NUMBER) is None
    assert svc.proposals.get(NUMBER).proposed_by == "web:anna"  # still waiting for someone else
    assert "blocklist.confirm" not in [e["action"] for e in svc.audit.entries()]


def test_another_curator_confirms_and_the_audit_names_both(two_person):
    svc = two_person
    lists.add_or_propose(svc, "web:anna", NUMBER, THREATS)
    lists.confirm(svc, "web:boris", NUMBER, clock=_fixed_clock)
    meta = svc.blocklist.get(NUMBER).meta
    assert (meta.added_by, meta.added_at, meta.reason) == ("web:anna, confirmed by web:boris", 1_700_000_000, "threats")
    confirmed = _last(svc, "blocklist.confirm")
    assert confirmed["actor"] == "web:boris" and confirmed["target"] == NUMBER
    assert confirmed["before"]["proposed_by"] == "web:anna"
    assert confirmed["after"] == asdict(svc.blocklist.get(NUMBER).meta)
    assert svc.proposals.all() == []


def test_a_proposal_is_confirmed_once(two_person):
    svc = two_person
    lists.add_or_propose(svc, "web:anna", NUMBER, THREATS)
    lists.confirm(svc, "web:boris", NUMBER)
    with pytest.raises(lists.NoProposal):
        lists.confirm(svc, "web:carla", NUMBER)
    assert [e["action"] for e in svc.audit.entries()].count("blocklist.confirm") == 1


def test_under_the_rule_a_listed_entry_is_refused_not_proposed(two_person):
    svc = two_person
    svc.blocklist.add_many([NUMBER], EntryMeta(reason="threats"))
    with pytest.raises(lists.AlreadyListed):
        lists.add_or_propose(svc, "web:anna", NUMBER, THREATS)
    assert svc.proposals.all() == []


def test_the_same_entry_cannot_be_proposed_twice(two_person):
    svc = two_person
    lists.add_or_propose(svc, "web:anna", NUMBER, THREATS)
    with pytest.raises(lists.AlreadyProposed):
        lists.add_or_propose(svc, "web:boris", NUMBER, THREATS)
    assert [e["action"] for e in svc.audit.entries()] == ["blocklist.propose"]


def test_a_discarded_proposal_is_audited_with_what_was_proposed(two_person):
    svc = two_person
    lists.add_or_propose(svc, "web:anna", NUMBER, THREATS)
    lists.discard(svc, "web:boris", NUMBER)
    discarded = _last(svc, "blocklist.discard_proposal")
    assert discarded["actor"] == "web:boris" and discarded["before"]["added_by"] == "web:anna"
    assert discarded["after"] is None and svc.proposals.all() == []


def test_under_the_rule_the_uploader_cannot_commit_their_own_import(two_person):
    with pytest.raises(lists.OwnImport):
        lists.check_commit(two_person, "web:anna", "web:anna", "list.csv")
    lists.check_commit(two_person, "web:admin", "web:anna", "list.csv")


def test_an_import_committed_by_another_person_names_both(svc):
    parsed = read_rows(io.StringIO(f"{NUMBER},threats\n"))
    lists.import_rows(svc, "web:ada", parsed, filename="l.csv", sha256="0" * 64, uploaded_by="web:anna")
    assert svc.blocklist.get(NUMBER).meta.added_by == "web:anna, confirmed by web:ada"
    imported = _last(svc, "blocklist.import")
    assert imported["actor"] == "web:ada" and imported["after"]["uploaded_by"] == "web:anna"


def test_an_import_committed_by_the_worker_names_who_committed_it(as_role, svc, run_worker):
    svc.web = replace(svc.web, sync_import_max_bytes=0, two_person_rule=True)  # every file goes to the worker
    curator = as_role("curator")
    upload = curator.client.post("/blocklist/import", content_type="multipart/form-data",
                                 data={"csrf_token": curator.token("/blocklist/import"), "region": "", "source": "",
                                       "file": (io.BytesIO(f"{NUMBER},threats\n".encode()), "list.csv")})
    status_url = upload.headers["Location"]
    run_worker()
    admin = as_role("admin")
    admin.post(status_url + "/commit", token_from=status_url)
    run_worker()
    assert svc.blocklist.get(NUMBER).meta.added_by == "web:curator1, confirmed by web:admin1"
    imported = _last(svc, "blocklist.import")
    assert imported["actor"] == "web:admin1" and imported["after"]["uploaded_by"] == "web:curator1"
