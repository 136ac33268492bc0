"""Prefixes by the numbering plan: a country-wide prefix is refused everywhere, and one covering more than
10,000 numbers blocks nobody until a second admin confirms it, on a page that says how wide it is."""
import io

import pytest

from tests.conftest import Twilio
from tests.integration.web_support import as_role, make_user, web  # noqa: F401 - fixtures

BLOCKED = "+375291234567"
OPERATOR = "+37529*"  # a mobile operator's whole range: up to 10**9 numbers by Belarus's plan
NARROW = "+3752912345*"  # 4 open digits: 10,000 numbers


def form(entry: str) -> dict:
    return {"entry": entry, "region": "", "category": "intimidation", "reason": "exchange", "evidence": "",
            "source": "press office"}


@pytest.mark.parametrize("entry", ["+375*", "+3752*", "+1 202*"])
def test_cli_refuses_a_country_wide_prefix_and_changes_nothing(cli, svc, entry):
    result = cli("blocklist", "add", entry, "--reason", "everyone")
    assert result.exit_code != 0 and "country code" in result.output
    assert svc.blocklist.count() == 0 and svc.proposals.all() == [] and svc.audit.entries() == []


def test_cli_only_proposes_a_prefix_covering_more_than_10000_numbers(app, cli, svc, line):
    result = cli("blocklist", "add", OPERATOR, "--reason", "operator")
    assert result.exit_code == 0 and "second admin" in result.output and "1,000,000,000" in result.output
    assert svc.blocklist.get(OPERATOR) is None
    [proposal] = svc.proposals.all()
    assert proposal.entry == OPERATOR and proposal.proposed_by.startswith("cli:")
    assert b"<Reject" not in Twilio(app.test_client()).call(BLOCKED).data
    # while a prefix of 10,000 numbers under it lands at once
    assert cli("blocklist", "add", NARROW, "--reason", "exchange").exit_code == 0
    assert svc.blocklist.get(NARROW) is not None and len(svc.proposals.all()) == 1


def test_page_refuses_a_country_wide_prefix(as_role, svc):
    admin = as_role("admin")
    response = admin.post("/blocklist/new", form("+375 2*"), token_from="/blocklist/new")
    assert response.status_code == 400 and "country code and one digit" in response.get_data(as_text=True)
    assert svc.blocklist.count() == 0 and svc.proposals.all() == []


def test_a_wide_prefix_waits_for_a_second_admin_even_without_the_two_person_rule(app, svc, line, as_role):
    anna, boris = as_role("admin", "anna"), as_role("admin", "boris")
    assert not svc.web.two_person_rule
    anna.post("/blocklist/new", form("+375 29*"), token_from="/blocklist/new")
    assert svc.blocklist.get(OPERATOR) is None
    anna.post("/blocklist/proposed/37529*/confirm", token_from="/blocklist/")
    assert svc.blocklist.get(OPERATOR) is None  # not by the proposer
    assert boris.post("/blocklist/proposed/37529*/confirm", token_from="/blocklist/").status_code == 302
    assert svc.blocklist.get(OPERATOR).meta.added_by == "web:anna, confirmed by web:boris"
    confirmed = svc.audit.entries()[-1]
    assert (confirmed["action"], confirmed["actor"], confirmed["before"]["proposed_by"]) == (
        "blocklist.confirm", "web:boris", "web:anna")
    assert b"<Reject" in Twilio(app.test_client()).call(BLOCKED).data


def test_a_curator_cannot_confirm_a_wide_prefix(svc, as_role):
    anna, carl = as_role("admin", "anna"), as_role("curator", "carl")
    anna.post("/blocklist/new", form("+375 29*"), token_from="/blocklist/new")
    carl.post("/blocklist/proposed/37529*/confirm", token_from="/blocklist/")
    assert svc.blocklist.get(OPERATOR) is None and [p.entry for p in svc.proposals.all()] == [OPERATOR]
    assert "confirmed by an admin" in carl.get("/blocklist/").get_data(as_text=True)


def test_the_proposal_says_how_many_numbers_and_logged_calls_it_covers(app, cli, svc, line, as_role):
    twilio = Twilio(app.test_client())
    cli("blocklist", "add", BLOCKED, "--reason", "threats")
    twilio.call(BLOCKED)  # blocked: its number is kept in full
    twilio.call("+442079460123")  # an ordinary caller elsewhere
    cli("blocklist", "add", OPERATOR, "--reason", "operator")
    page = as_role("admin").get("/blocklist/").get_data(as_text=True)
    assert "Covers up to 1,000,000,000 numbers" in page
    assert "at least 1 of the last 2 calls" in page


def test_a_prefix_entry_page_says_how_many_numbers_it_covers(cli, svc, as_role):
    cli("blocklist", "add", NARROW, "--reason", "exchange")
    page = as_role("curator").get("/blocklist/3752912345*/edit").get_data(as_text=True)
    assert "Covers up to 10,000 numbers" in page and "at least 0 of the last 0 calls" in page


def test_an_import_rejects_wide_prefixes_and_lands_the_narrow_one(as_role, svc):
    curator = as_role("curator")
    token = curator.token("/blocklist/import")
    csv = b"+375*,country\n+37529*,operator\n+3752912345*,exchange\n"
    status_url = curator.client.post("/blocklist/import", data={"csrf_token": token, "region": "", "source": "",
                                                                "file": (io.BytesIO(csv), "list.csv")},
                                     content_type="multipart/form-data").headers["Location"]
    preview = curator.get(status_url).get_data(as_text=True)
    assert "country code" in preview and "second admin" in preview
    curator.post(status_url + "/commit", token_from=status_url)
    assert svc.blocklist.get(NARROW) is not None and svc.blocklist.count() == 1
