"""The two-person rule: an entry added on the page blocks calls only once a second curator confirms."""

from tests.conftest import Twilio
from tests.integration.web_support import (WebUser, admins, app_with_the_two_person_rule, curators,  # noqa: F401
                                          make_user, web)  # fixtures: `app` here has the two-person rule on
from tests.integration.web_support import PASSWORD

HARASSER = "+375291234567"
FORM = {"entry": "+375 29 123 45 67", "region": "", "category": "intimidation", "reason": "threats",
        "evidence": "", "source": "press office"}


def test_a_proposed_number_is_not_blocked_until_a_second_curator_confirms(app, svc, line, curators):
    anna, boris = curators
    twilio = Twilio(app.test_client())
    assert anna.post("/blocklist/new", FORM, token_from="/blocklist/new").status_code == 302
    assert svc.blocklist.get(HARASSER) is None
    assert b"<Dial" in twilio.call(HARASSER).data  # not active yet
    page = boris.get("/blocklist/").get_data(as_text=True)
    assert "Waiting for a second curator" in page and HARASSER in page
    assert boris.post("/blocklist/proposed/375291234567/confirm", token_from="/blocklist/").status_code == 302
    assert svc.blocklist.get(HARASSER).meta.added_by == "web:anna, confirmed by web:boris"
    assert b"<Reject" in twilio.call(HARASSER).data
    assert [e["action"] for e in svc.audit.entries()][-2:] == ["blocklist.propose", "blocklist.confirm"]


def test_the_proposer_cannot_confirm_their_own_entry(svc, curators):
    anna, _ = curators
    anna.post("/blocklist/new", FORM, token_from="/blocklist/new")
    anna.post("/blocklist/proposed/375291234567/confirm", token_from="/blocklist/")
    assert svc.blocklist.get(HARASSER) is None
    assert "Another curator must confirm" in anna.get("/blocklist/").get_data(as_text=True)


def test_a_proposal_can_be_discarded_and_is_audited(svc, curators):
    anna, boris = curators
    anna.post("/blocklist/new", FORM, token_from="/blocklist/new")
    assert boris.post("/blocklist/proposed/375291234567/discard", token_from="/blocklist/").status_code == 302
    assert "Waiting for a second curator" not in boris.get("/blocklist/").get_data(as_text=True)
    assert svc.blocklist.get(HARASSER) is None
    assert svc.audit.entries()[-1]["action"] == "blocklist.discard_proposal"


def test_a_viewer_cannot_confirm(app, svc, curators, make_user):
    anna, _ = curators
    anna.post("/blocklist/new", FORM, token_from="/blocklist/new")
    make_user("vera", "viewer")
    vera = WebUser(app.test_client())
    vera.login("vera", PASSWORD)
    assert vera.post("/blocklist/proposed/375291234567/confirm", token_from="/account/").status_code == 403
    assert svc.blocklist.get(HARASSER) is None


def test_an_accepted_report_is_only_proposed(app, svc, line, curators, make_user):
    anna, boris = curators
    sim = Twilio(app.test_client()).call("+442079460123").sim
    anna.post(f"/calls/{sim.sid}/report", {"note": "threatened our source"}, token_from=f"/calls/{sim.sid}/report")
    [report] = app.extensions["screener"].reviews.open_reports()
    boris.post(f"/reviews/{report.id}/accept", {"category": "intimidation", "note": "same voice"},
               token_from="/reviews/")
    assert svc.blocklist.get("+442079460123") is None
    assert "+442079460123" in anna.get("/blocklist/").get_data(as_text=True)  # waiting for a second curator
    anna.post("/blocklist/proposed/442079460123/confirm", token_from="/blocklist/")
    assert svc.blocklist.get("+442079460123") is not None


def test_the_uploader_cannot_commit_an_import_an_admin_can(app, svc, curators, make_user):
    import io

    anna, _ = curators
    token = anna.token("/blocklist/import")
    upload = anna.client.post("/blocklist/import", data={"csrf_token": token, "region": "", "source": "",
                                                         "file": (io.BytesIO(b"+375291234567,threats\n"), "l.csv")},
                              content_type="multipart/form-data")
    status_url = upload.headers["Location"]
    anna.post(status_url + "/commit", token_from=status_url)
    assert svc.blocklist.count() == 0
    make_user("ada", "admin")
    ada = WebUser(app.test_client())
    ada.login("ada", PASSWORD)
    ada.post(status_url + "/commit", token_from=status_url)
    assert svc.blocklist.count() == 1
