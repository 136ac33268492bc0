"""The two-person rule beyond additions: what lets an intimidator through or keeps a real caller out (a
removal, block turned into screen, trusting a caller, rerouting a line, a new admin) waits for a second
person, on the page and from the command line."""
import dataclasses

import pytest

from screener import create_app
from screener.config import load_settings
from screener.model import Line
from screener.store.blocklist import EntryMeta
from screener.store.users import Role
from tests.conftest import DESTINATION, LINE, Twilio
from tests.integration.web_support import (WebUser, admins, app_with_the_two_person_rule, curators,  # noqa: F401
                                          make_user, web)  # fixtures: `app` here has the two-person rule on
from tests.integration.web_support import PASSWORD

AGENT = "+375291234567"
META = EntryMeta(category="intimidation", reason="threats", added_by="web:ada", added_at=1)


@pytest.fixture
def blocked(svc):
    svc.blocklist.add_many([AGENT], META)
    return AGENT


def _pending_id(svc, kind):
    [change] = svc.pending.all(kind)
    return change.id


def test_a_removal_keeps_the_caller_blocked_until_a_second_curator_confirms(app, svc, line, blocked, curators):
    anna, boris = curators
    twilio = Twilio(app.test_client())
    anna.post("/blocklist/375291234567/remove", {"why": "a mistake"}, token_from="/blocklist/375291234567/edit")
    assert b"<Reject" in twilio.call(AGENT).data
    page = boris.get("/blocklist/").get_data(as_text=True)
    assert "Changes waiting for a second person" in page and "blocklist.remove" in page and "threats" in page
    boris.post(f"/blocklist/pending/{_pending_id(svc, 'blocklist.remove')}/confirm", token_from="/blocklist/")
    assert svc.blocklist.get(AGENT) is None
    assert b"<Dial" in twilio.call(AGENT).data


def test_the_proposer_cannot_confirm_their_own_removal(svc, blocked, curators):
    anna, _ = curators
    anna.post("/blocklist/375291234567/remove", {"why": "a mistake"}, token_from="/blocklist/375291234567/edit")
    anna.post(f"/blocklist/pending/{_pending_id(svc, 'blocklist.remove')}/confirm", token_from="/blocklist/")
    assert svc.blocklist.get(AGENT) is not None
    assert "Another person must confirm" in anna.get("/blocklist/").get_data(as_text=True)


def test_a_confirmed_removal_is_audited_with_both_people(svc, blocked, curators):
    anna, boris = curators
    anna.post("/blocklist/375291234567/remove", {"why": "a mistake"}, token_from="/blocklist/375291234567/edit")
    boris.post(f"/blocklist/pending/{_pending_id(svc, 'blocklist.remove')}/confirm", token_from="/blocklist/")
    propose, confirm = svc.audit.entries()[-2:]
    assert (propose["actor"], propose["action"]) == ("web:anna", "blocklist.remove.propose")
    assert (confirm["actor"], confirm["action"]) == ("web:boris", "blocklist.remove.confirm")
    assert confirm["before"]["proposed_by"] == "web:anna"


def test_a_discarded_removal_leaves_the_entry_blocking(svc, blocked, curators):
    anna, boris = curators
    anna.post("/blocklist/375291234567/remove", {"why": "a mistake"}, token_from="/blocklist/375291234567/edit")
    boris.post(f"/blocklist/pending/{_pending_id(svc, 'blocklist.remove')}/discard", token_from="/blocklist/")
    assert svc.blocklist.get(AGENT) is not None and svc.pending.all() == []
    assert svc.audit.entries()[-1]["action"] == "blocklist.remove.discard"


def test_turning_block_into_screen_waits_for_a_second_curator(svc, blocked, curators):
    anna, boris = curators
    form = {"category": "intimidation", "reason": "threats", "evidence": "", "source": "press office", "action": "screen"}
    anna.post("/blocklist/375291234567/edit", form, token_from="/blocklist/375291234567/edit")
    assert svc.blocklist.get(AGENT).meta.action == "block"
    page = boris.get("/blocklist/").get_data(as_text=True)
    assert '<th scope="row">action</th><td class="mono">block</td><td class="mono">screen</td>' in page
    boris.post(f"/blocklist/pending/{_pending_id(svc, 'blocklist.edit')}/confirm", token_from="/blocklist/")
    assert svc.blocklist.get(AGENT).meta.action == "screen"


def test_an_allowlisted_caller_is_not_trusted_until_a_second_curator_confirms(app, svc, line, blocked, curators):
    anna, boris = curators
    twilio = Twilio(app.test_client())
    page = f"/lines/{line.number[1:]}/allowlist"
    anna.post(page, {"number": AGENT}, token_from=page)
    assert AGENT not in svc.lines.allowlist(line.number)
    assert b"<Reject" in twilio.call(AGENT).data
    assert "allowlist.add" in boris.get(page).get_data(as_text=True)
    boris.post(f"/blocklist/pending/{_pending_id(svc, 'allowlist.add')}/confirm", token_from=page)
    assert AGENT in svc.lines.allowlist(line.number)
    assert b"<Dial" in twilio.call(AGENT).data
    assert [(e["actor"], e["action"]) for e in svc.audit.entries()[-2:]] == [
        ("web:anna", "allowlist.add.propose"), ("web:boris", "allowlist.add.confirm")]


def test_the_proposer_cannot_confirm_their_own_allowlist_addition(svc, line, curators):
    anna, _ = curators
    page = f"/lines/{line.number[1:]}/allowlist"
    anna.post(page, {"number": AGENT}, token_from=page)
    anna.post(f"/blocklist/pending/{_pending_id(svc, 'allowlist.add')}/confirm", token_from=page)
    assert AGENT not in svc.lines.allowlist(line.number)


def test_cli_removal_is_only_proposed_and_confirmed_on_the_page(app, svc, blocked, cli, curators):
    _, boris = curators
    result = cli("blocklist", "remove", AGENT)
    assert result.exit_code == 0 and "second person" in result.output
    assert svc.blocklist.get(AGENT) is not None
    [change] = svc.pending.all("blocklist.remove")
    assert change.proposed_by.startswith("cli:")
    boris.post(f"/blocklist/pending/{change.id}/confirm", token_from="/blocklist/")
    assert svc.blocklist.get(AGENT) is None


def test_cli_allowlist_addition_is_only_proposed(svc, line, cli):
    result = cli("allowlist", "add", AGENT, "--line", line.number)
    assert result.exit_code == 0 and "second person" in result.output
    assert AGENT not in svc.lines.allowlist(line.number)
    assert svc.pending.all("allowlist.add")[0].after == AGENT


def test_a_new_admin_account_waits_for_a_second_admin(svc, admins):
    ada, bea = admins
    ada.post("/users", {"name": "mallory", "role": "admin"}, token_from="/users")
    assert svc.users.get("mallory") is None
    page = bea.get("/users").get_data(as_text=True)
    assert "user.add" in page and "mallory" in page
    shown = bea.post(f"/users/pending/{_pending_id(svc, 'user.add')}/confirm", token_from="/users")
    assert svc.users.get("mallory").role.value == "admin"
    assert "One-time password for mallory" in shown.get_data(as_text=True)
    assert [(e["actor"], e["action"]) for e in svc.audit.entries()[-2:]] == [
        ("web:ada", "user.add.propose"), ("web:bea", "user.add.confirm")]


def test_the_proposer_cannot_confirm_their_own_admin(svc, admins):
    ada, _ = admins
    ada.post("/users", {"name": "mallory", "role": "admin"}, token_from="/users")
    ada.post(f"/users/pending/{_pending_id(svc, 'user.add')}/confirm", token_from="/users")
    assert svc.users.get("mallory") is None


def test_a_curator_cannot_confirm_a_new_admin(svc, admins, curators):
    ada, _ = admins
    anna, _ = curators
    ada.post("/users", {"name": "mallory", "role": "admin"}, token_from="/users")
    anna.post(f"/blocklist/pending/{_pending_id(svc, 'user.add')}/confirm", token_from="/blocklist/")
    assert svc.users.get("mallory") is None


def test_making_someone_an_admin_waits_for_a_second_admin(svc, admins):
    ada, bea = admins
    svc.users.create("mallory", Role.VIEWER, PASSWORD)
    ada.post("/users/mallory", {"role": "admin"}, token_from="/users/mallory")
    assert svc.users.get("mallory").role is Role.VIEWER  # nothing yet
    assert "user.promote" in bea.get("/users").get_data(as_text=True)
    ada.post(f"/users/pending/{_pending_id(svc, 'user.promote')}/confirm", token_from="/users")
    assert svc.users.get("mallory").role is Role.VIEWER  # the proposer cannot confirm it
    bea.post(f"/users/pending/{_pending_id(svc, 'user.promote')}/confirm", token_from="/users")
    assert svc.users.get("mallory").role is Role.ADMIN
    assert [(e["actor"], e["action"]) for e in svc.audit.entries()[-2:]] == [
        ("web:ada", "user.promote.propose"), ("web:bea", "user.promote.confirm")]


def test_other_role_changes_land_at_once_under_the_rule(svc, admins):
    ada, _ = admins
    svc.users.create("mallory", Role.VIEWER, PASSWORD)
    ada.post("/users/mallory", {"role": "curator"}, token_from="/users/mallory")
    assert svc.users.get("mallory").role is Role.CURATOR and svc.pending.all() == []


def test_cli_admin_account_is_only_proposed(svc, cli):
    result = cli("user", "add", "mallory", "--role", "admin")
    assert result.exit_code == 0 and "second admin" in result.output
    assert svc.users.get("mallory") is None
    assert svc.pending.all("user.add")[0].proposed_by.startswith("cli:")


@pytest.fixture
def without_rule(settings, monkeypatch):
    """The rule off: a curator signed in to an app of its own, and its services."""
    monkeypatch.setenv("SCREENER_TWO_PERSON_RULE", "0")
    app = create_app({"TESTING": True}, settings=load_settings())
    svc = app.extensions["screener"]
    svc.blocklist.add_many([AGENT], META)
    svc.users.create("anna", Role.CURATOR, PASSWORD)
    anna = WebUser(app.test_client())
    assert anna.login("anna").status_code == 302
    return svc, anna


def test_without_the_rule_turning_block_into_screen_lands_at_once(without_rule):
    svc, anna = without_rule
    form = {"category": "intimidation", "reason": "threats", "evidence": "", "source": "press office", "action": "screen"}
    anna.post("/blocklist/375291234567/edit", form, token_from="/blocklist/375291234567/edit")
    assert svc.blocklist.get(AGENT).meta.action == "screen" and svc.pending.all() == []


def test_without_the_rule_a_removal_lands_at_once(without_rule):
    svc, anna = without_rule
    anna.post("/blocklist/375291234567/remove", {"why": "a mistake"}, token_from="/blocklist/375291234567/edit")
    assert svc.blocklist.get(AGENT) is None and svc.pending.all() == []


def test_without_the_rule_a_caller_is_trusted_at_once(without_rule):
    svc, anna = without_rule
    svc.lines.save(Line(LINE, DESTINATION, "US"))
    page = f"/lines/{LINE[1:]}/allowlist"
    anna.post(page, {"number": AGENT}, token_from=page)
    assert AGENT in svc.lines.allowlist(LINE) and svc.pending.all() == []


def test_without_the_rule_an_admin_account_is_created_at_once(without_rule, cli):
    svc, _ = without_rule
    result = cli("user", "add", "mallory", "--role", "admin")
    assert result.exit_code == 0 and svc.users.get("mallory").role is Role.ADMIN and svc.pending.all() == []


NEW_DESTINATION = "+48601999888"


def test_changing_where_a_line_rings_waits_for_a_second_admin(app, svc, line, admins):
    ada, bea = admins
    twilio = Twilio(app.test_client())
    form = {"label": "Press office", "country": "US", "forward_to": NEW_DESTINATION, "block_mode": "reject",
            "block_message": "", "retention_days": "30", "alert_sms": "+12025550100", "languages": "en-US",
            "timezone": "UTC", "stir_verified": "AB"}
    edit = f"/lines/{line.number[1:]}/edit"
    assert ada.post(edit, form, token_from=edit).status_code == 302
    assert svc.lines.get(line.number).forward_to == line.forward_to
    svc.lines.allow(line.number, "+442079460123")
    rung = twilio.call("+442079460123").data
    assert line.forward_to.encode() in rung and NEW_DESTINATION.encode() not in rung
    page = bea.get("/lines").get_data(as_text=True)
    assert "line.save" in page and NEW_DESTINATION in page and line.forward_to in page
    bea.post(f"/blocklist/pending/{_pending_id(svc, 'line.save')}/confirm", token_from="/lines")
    assert svc.lines.get(line.number).forward_to == NEW_DESTINATION
    assert [(e["actor"], e["action"]) for e in svc.audit.entries()[-2:]] == [
        ("web:ada", "line.save.propose"), ("web:bea", "line.save.confirm")]


def test_cli_replacing_a_line_forward_to_is_only_proposed(svc, line, cli, admins):
    ada, _ = admins
    result = cli("line", "add", "--number", line.number, "--forward-to", NEW_DESTINATION, "--country", "US")
    assert result.exit_code == 0 and "second admin" in result.output
    assert svc.lines.get(line.number).forward_to == line.forward_to
    ada.post(f"/blocklist/pending/{_pending_id(svc, 'line.save')}/confirm", token_from="/lines")
    assert svc.lines.get(line.number).forward_to == NEW_DESTINATION


def test_a_curator_cannot_confirm_a_line_change(svc, line, cli, curators):
    anna, _ = curators
    cli("line", "add", "--number", line.number, "--forward-to", NEW_DESTINATION, "--country", "US")
    anna.post(f"/blocklist/pending/{_pending_id(svc, 'line.save')}/confirm", token_from="/blocklist/")
    assert svc.lines.get(line.number).forward_to == line.forward_to


def test_without_the_rule_a_line_change_lands_at_once(without_rule, cli):
    svc, _ = without_rule
    svc.lines.save(Line(LINE, DESTINATION, "US"))
    result = cli("line", "add", "--number", LINE, "--forward-to", NEW_DESTINATION, "--country", "US")
    assert result.exit_code == 0 and f"-> {NEW_DESTINATION}" in cli("line", "list").output
    assert svc.pending.all() == []


def test_a_removal_of_an_entry_edited_since_is_refused_as_stale(svc, blocked, curators):
    anna, boris = curators
    anna.post("/blocklist/375291234567/remove", {"why": "a mistake"}, token_from="/blocklist/375291234567/edit")
    form = {"category": "intimidation", "reason": "called our source's mother", "evidence": "", "source": "press office"}
    boris.post("/blocklist/375291234567/edit", form, token_from="/blocklist/375291234567/edit")
    change_id = _pending_id(svc, "blocklist.remove")
    boris.post(f"/blocklist/pending/{change_id}/confirm", token_from="/blocklist/")
    assert svc.blocklist.get(AGENT) is not None and svc.pending.get(change_id) is not None


def test_a_line_change_to_a_line_edited_since_is_refused_as_stale(svc, line, cli, admins):
    _, bea = admins
    cli("line", "add", "--number", line.number, "--forward-to", NEW_DESTINATION, "--country", "US")
    svc.lines.save(dataclasses.replace(line, label="Editor"))
    response = bea.post(f"/blocklist/pending/{_pending_id(svc, 'line.save')}/confirm", token_from="/lines")
    assert response.status_code == 302 and svc.lines.get(line.number).forward_to == line.forward_to


def test_a_refused_confirmation_says_why_in_the_readers_language(svc, line, cli, admins):
    _, bea = admins
    bea.post("/account/language", {"locale": "ru"})
    cli("line", "add", "--number", line.number, "--forward-to", NEW_DESTINATION, "--country", "US")
    svc.lines.save(dataclasses.replace(line, label="Editor"))
    response = bea.post(f"/blocklist/pending/{_pending_id(svc, 'line.save')}/confirm", token_from="/lines")
    page = bea.get(response.headers["Location"]).get_data(as_text=True)
    assert f"{line.number} нельзя изменить: линия изменилась после предложения" in page
    assert "changed since the change was proposed" not in page
