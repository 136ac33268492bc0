"""Reports and evidence on the web page: file a report, see why a number is in its state, confirm, report a
false positive, revert a volunteer, the never-block list; and the call log's report counted once accepted."""
from __future__ import annotations

import pytest

from screener import reporting
from tests.integration.test_web_calls import SOURCE, calls  # noqa: F401 - fixture
from tests.integration.web_support import as_role, make_user, web  # noqa: F401 - fixtures

NUMBER = "+375291234567"


def test_a_volunteer_reports_a_number_on_the_page(as_role, web):
    viewer = as_role("viewer", "vera")
    response = viewer.post("/reports/", {"number": "+375 29 123 45 67", "region": "", "category": "impersonation",
                                         "note": "said he was from the embassy"}, token_from="/reports/")
    assert response.status_code == 302 and response.location.endswith("/reports/375291234567")
    [vote] = web.votes.votes(NUMBER)
    assert (vote.person, vote.category, vote.note) == ("vera", "impersonation", "said he was from the embassy")
    assert web.blocklist.get(NUMBER).meta.action == "screen"


def test_a_report_with_a_bad_number_is_refused_with_the_form_kept(as_role, web):
    viewer = as_role("viewer")
    response = viewer.post("/reports/", {"number": "12", "region": "", "category": "threat", "note": "keep me"},
                           token_from="/reports/")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "keep me" in html
    assert web.votes.numbers() == []


def test_the_evidence_page_says_why_and_when_it_ages_out(as_role, web):
    reporting.file_report(web, "anna", NUMBER, "threat", "called at night")
    reporting.apply_peer_vote(web, "ngo", NUMBER, "false_positive", 0)
    html = as_role("viewer").get("/reports/375291234567").get_data(as_text=True)
    assert "Screened with a warning" in html and "called at night" in html
    assert "anna" in html and "peer:ngo" in html and 'id="ages-out"' in html
    assert "not without new evidence" not in html.split('id="ages-out"')[1][:200]


def test_the_entry_page_shows_the_evidence_of_an_evidence_entry(as_role, web):
    reporting.file_report(web, "anna", NUMBER, "threat")
    html = as_role("curator").get("/blocklist/375291234567/edit").get_data(as_text=True)
    assert "Evidence" in html and "anna" in html and "/reports/375291234567" in html


def test_a_curator_confirms_and_a_second_curator_reports_a_false_positive(as_role, web):
    reporting.file_report(web, "anna", NUMBER, "threat")
    curator = as_role("curator", "cora")
    curator.post("/reports/375291234567/confirm", {"note": "same voice"}, token_from="/reports/375291234567")
    assert web.blocklist.get(NUMBER).meta.action == "block"
    curator.post("/reports/375291234567/false-positive", {"note": "our lawyer"}, token_from="/reports/375291234567")
    assert web.blocklist.get(NUMBER).meta.action == "screen"


def test_a_viewer_cannot_confirm(as_role, web):
    reporting.file_report(web, "anna", NUMBER, "threat")
    viewer = as_role("viewer")
    assert viewer.post("/reports/375291234567/confirm", {}, token_from="/reports/375291234567").status_code == 403


def test_an_admin_reverts_a_volunteer_in_one_step(as_role, web):
    reporting.file_report(web, "mole", NUMBER, "threat")
    reporting.file_report(web, "mole", "+375292222222", "threat")
    admin = as_role("admin")
    response = admin.post("/reports/revert", {"who": "mole", "why": "planted"}, token_from="/reports/revert")
    assert response.status_code == 302
    assert web.blocklist.get(NUMBER) is None and web.blocklist.get("+375292222222") is None
    assert "reverted" in admin.get("/reports/375291234567").get_data(as_text=True)


def test_never_block_list_on_the_page(as_role, web):
    curator = as_role("curator")
    curator.post("/reports/never-block", {"number": NUMBER, "region": "", "why": "embassy"},
                 token_from="/reports/never-block")
    assert web.never_block.get(NUMBER)["why"] == "embassy"
    assert "embassy" in as_role("viewer").get("/reports/never-block").get_data(as_text=True)
    with pytest.raises(reporting.NeverBlocked):
        reporting.file_report(web, "anna", NUMBER, "threat")


def test_accepting_a_call_log_report_counts_the_reporter_and_the_curator(as_role, calls, web):  # noqa: F811
    forwarded_sid, _ = calls
    reporter = as_role("curator", "rita")
    reporter.post(f"/calls/{forwarded_sid}/report", {"note": "threatened our source", "category": "family_pressure"},
                  token_from=f"/calls/{forwarded_sid}/report")
    assert web.votes.votes(SOURCE) == []  # nothing counts before a curator accepts: it may be a source
    [review] = web.reviews.open_reports()
    as_role("curator", "cora").post(f"/reviews/{review.id}/accept", {"category": "intimidation"},
                                     token_from="/reviews/")
    votes = web.votes.votes(SOURCE)
    assert [(v.kind, v.person, v.category) for v in votes] == [("report", "rita", "family_pressure"),
                                                               ("confirm", "cora", "")]


def test_rejecting_a_phone_report_erases_its_evidence(as_role, web, line):
    web.calls.set_fields("CA" + "7" * 32, {"sid": "CA" + "7" * 32, "line": line.number})
    reporting.file_report(web, f"line:{line.number}", NUMBER, "threat", call_sid="CA" + "7" * 32)
    review = web.reviews.open(number_encrypted=web.vault.encrypt(NUMBER), number_masked="+3752•••••67",
                              caller_hash=web.vault.link_hash(NUMBER), call_sid="CA" + "7" * 32, line=line.number,
                              note="key 9", reported_by="phone")
    as_role("curator").post(f"/reviews/{review.id}/reject", {"note": "a journalist"}, token_from="/reviews/")
    assert web.votes.votes(NUMBER) == [] and web.blocklist.get(NUMBER) is None
    assert NUMBER not in str(web.audit.entries())  # the audit names it masked, with a keyed hash


def _held_from_a_partner(web, numbers: list[str]) -> None:
    from screener.store.federation import HeldNumber, Peer

    web.peers.add(Peer("ngo", "https://ngo.example/feed/", "key", "auto"))
    web.peers.hold("ngo", {n: HeldNumber("ev-1", "threat", 1_700_000_000) for n in numbers}, 1_700_000_000)


def test_the_review_queue_shows_a_partners_held_numbers_and_a_viewer_cannot_release_them(as_role, web):
    _held_from_a_partner(web, [NUMBER, "+375292222222"])
    viewer = as_role("viewer")
    html = viewer.get("/reviews/").get_data(as_text=True)
    assert "Partner ngo: new numbers over its weekly quota" in html and "2 numbers are held" in html
    assert "Nothing is waiting for review." not in html and "/reviews/held/ngo/release" not in html
    assert viewer.post("/reviews/held/ngo/release", {}, token_from="/reviews/").status_code == 403
    assert web.peers.held_count("ngo") == 2


def test_a_curator_releases_then_discards_a_partners_held_numbers_on_the_page(as_role, web, monkeypatch):
    from screener.web import reviews

    monkeypatch.setattr(reviews, "RELEASE_AT_ONCE", 1)
    _held_from_a_partner(web, [NUMBER, "+375292222222", "+375293333333"])
    curator = as_role("curator", "cora")
    page = curator.get("/reviews/").get_data(as_text=True)
    assert "Count the next 1 as its evidence" in page and "screener peer release ngo" in page
    response = curator.post("/reviews/held/ngo/release", {}, token_from="/reviews/")
    assert response.status_code == 302 and web.peers.held_count("ngo") == 2
    assert len(web.votes.numbers()) == 1 and web.votes.votes(web.votes.numbers()[0])[0].org == "peer:ngo"
    assert "1 number of the partner ngo now counts as its evidence" in curator.get("/reviews/").get_data(as_text=True)
    curator.post("/reviews/held/ngo/discard", {}, token_from="/reviews/")
    assert web.peers.held_count("ngo") == 0 and len(web.votes.numbers()) == 1
    assert "Nothing is waiting for review." in curator.get("/reviews/").get_data(as_text=True)
    assert curator.post("/reviews/held/nobody/discard", {}, token_from="/reviews/").status_code == 404
