"""/api/v1/: scoped, hashed, revocable tokens; lookup, report, evidence; and schemathesis against the document."""
from __future__ import annotations

import hashlib

import pytest
import schemathesis
from hypothesis import HealthCheck, settings as hypothesis_settings

from screener import api_tokens, reporting
from screener.store.users import Role
from tests.integration.web_support import make_user, web  # noqa: F401 - fixtures

NUMBER = "+375291234567"
SOURCE = "+33612345678"


@pytest.fixture
def token(web, make_user):
    """A token of the curator anna with every scope."""
    make_user("anna", Role.CURATOR)
    secret, _ = api_tokens.create(web, "cli:admin", "anna", list(api_tokens.SCOPES), "tests")
    return secret


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_cli_makes_a_token_shown_once_and_stored_hashed(cli, make_user, svc):
    make_user("bot", Role.VIEWER)
    out = cli("api", "token", "add", "bot", "--scope", "lookup", "--label", "partner bot")
    secret = out.stdout.strip().splitlines()[0]
    assert out.exit_code == 0 and secret.startswith("scr_")
    stored = svc.client.hgetall(svc.keys.api_tokens())
    assert list(stored) == [hashlib.sha256(secret.encode()).hexdigest().encode()]
    assert secret.encode() not in b"".join(stored.values())


def test_a_token_for_an_unknown_account_or_scope_is_refused(cli):
    assert "no such active account" in cli("api", "token", "add", "ghost", "--scope", "lookup").output
    assert cli("api", "token", "add", "ghost", "--scope", "admin").exit_code != 0


def test_lookup_says_block_warn_or_none(client, token, web):
    headers = bearer(token)
    assert client.get(f"/api/v1/numbers/{NUMBER}", headers=headers).json == {
        "number": NUMBER, "state": "none", "entry": None, "source": None}
    reporting.file_report(web, "boris", NUMBER, "threat")
    assert client.get(f"/api/v1/numbers/{NUMBER}", headers=headers).json["state"] == "warn"
    web.blocklist.add_many(["+3752912*"], reporting.EntryMeta(reason="range"))
    answer = client.get("/api/v1/numbers/+375291299999", headers=headers).json
    assert answer["state"] == "block" and answer["entry"] == "+3752912*"


def test_no_token_is_401_and_a_revoked_token_stops_at_once(client, token, web, cli):
    assert client.get(f"/api/v1/numbers/{NUMBER}").status_code == 401
    assert client.get(f"/api/v1/numbers/{NUMBER}", headers=bearer("scr_guess")).status_code == 401
    [record] = web.api_tokens.all().values()
    assert cli("api", "token", "revoke", record.id).exit_code == 0
    answer = client.get(f"/api/v1/numbers/{NUMBER}", headers=bearer(token))
    assert answer.status_code == 401 and "bearer token" in answer.json["error"]


def test_a_token_without_the_scope_is_403(client, web, make_user):
    make_user("bot", Role.VIEWER)
    secret, _ = api_tokens.create(web, "cli:admin", "bot", ["lookup"])
    answer = client.post("/api/v1/reports", json={"number": NUMBER, "category": "threat"}, headers=bearer(secret))
    assert answer.status_code == 403 and "report scope" in answer.json["error"]
    assert web.votes.numbers() == []


def test_a_report_through_the_api_counts_as_the_owners(client, token, web):
    answer = client.post("/api/v1/reports", json={"number": "+375 29 123-45-67", "category": "silent_call",
                                                  "note": "three silent calls at night"}, headers=bearer(token))
    assert answer.status_code == 201 and answer.json == {"number": NUMBER, "outcome": "counted", "state": "warn"}
    [vote] = web.votes.votes(NUMBER)
    assert (vote.person, vote.category, vote.note) == ("anna", "silent_call", "three silent calls at night")
    assert any(e["actor"] == "api:anna" and e["action"] == "report.file" for e in web.audit.entries())


def test_a_bad_report_is_400_and_stores_nothing(client, token, web):
    for body in ({"number": "12", "category": "threat"}, {"number": NUMBER, "category": "spam"}, ["x"]):
        answer = client.post("/api/v1/reports", json=body, headers=bearer(token))
        assert answer.status_code == 400 and answer.json["error"]
    assert web.votes.numbers() == []


def test_reports_over_the_daily_quota_are_202_to_review(client, token, web):
    for i in range(reporting.REPORTS_PER_DAY):
        reporting.file_report(web, "anna", f"+3752912345{i:02d}", "threat")
    answer = client.post("/api/v1/reports", json={"number": NUMBER, "category": "threat"}, headers=bearer(token))
    assert answer.status_code == 202 and answer.json["outcome"] == "review"


def test_evidence_of_a_number_and_404_for_one_without(client, token, web):
    reporting.file_report(web, "boris", NUMBER, "impersonation", "posed as a lawyer")
    answer = client.get(f"/api/v1/evidence/{NUMBER}", headers=bearer(token)).json
    assert answer["state"] == "warn" and answer["reporters"] == ["boris"]
    assert answer["votes"][0]["note"] == "posed as a lawyer" and answer["changes_to"] == "none"
    assert client.get(f"/api/v1/evidence/{SOURCE}", headers=bearer(token)).status_code == 404


def test_the_api_never_gives_out_an_ordinary_callers_number(client, token, twilio, line, web):
    twilio.call(SOURCE)  # forwarded: an ordinary caller, in the call log only
    headers = bearer(token)
    bodies = [client.get(path, headers=headers).get_data(as_text=True)
              for path in ("/api/v1/numbers/+33612345600", "/api/v1/evidence/+33612345600", "/api/v1/openapi.json")]
    assert all(SOURCE not in body and "336123456" not in body.replace("33612345600", "") for body in bodies)


def test_the_openapi_document_is_served_without_a_token(client):
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.") and set(document["paths"]) == {
        "/numbers/{number}", "/reports", "/evidence/{number}"}


@pytest.fixture
def api_schema(app, token, web):
    reporting.file_report(web, "boris", NUMBER, "threat")  # something for the evidence endpoint to find
    schema = schemathesis.from_wsgi("/api/v1/openapi.json", app, base_url="/api/v1")
    schema.generation_config  # noqa: B018 - loaded here, inside the fixture's app context
    return schema.clone() if hasattr(schema, "clone") else schema


schema = schemathesis.from_pytest_fixture("api_schema")


@schema.parametrize()
@hypothesis_settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_answer_matches_the_openapi_document(case, token):
    case.call_and_validate(headers=bearer(token))
