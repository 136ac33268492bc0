"""Lines and allowlists, users, and the audit log page."""
from __future__ import annotations

import json
import socket
import time

import pytest

from tests.conftest import LINE
from tests.integration.web_support import as_role, make_user, web  # noqa: F401

LINE_FORM = {
    "number": "+1 202 555 0199", "label": "Editor's line", "country": "US", "forward_to": "+48 601 234 567",
    "recording": "y", "block_mode": "reject", "block_message": "", "retention_days": "30",
    "alert_sms": "+4915112345678\n", "policy_allowlisted": "forward", "policy_blocklisted": "block",
    "policy_ordinary": "screen", "policy_anonymous": "voicemail", "policy_withheld": "screen",
    "policy_restricted": "screen", "policy_unknown": "screen", "policy_invalid": "block",
    "policy_screenlisted": "screen", "policy_unverified": "screen", "languages": "en-US", "timezone": "UTC",
}


def test_admin_adds_a_line_with_policy_and_recording(as_role, svc):
    admin = as_role("admin")
    response = admin.post("/lines/new", LINE_FORM, token_from="/lines/new")
    assert response.status_code == 302, response.get_data(as_text=True)
    line = svc.lines.get("+12025550199")
    assert line.forward_to == "+48601234567" and line.recording and line.alert_sms == ("+4915112345678",)
    assert line.action_for("ordinary").value == "screen" and line.action_for("anonymous").value == "voicemail"
    assert svc.audit.entries()[-1]["action"] == "line.save"


def test_admin_sets_alert_channels_languages_and_stir_screening(as_role, svc):
    admin = as_role("admin")
    form = {**LINE_FORM, "alert_email": "press@example.org\n", "alert_webhook": "https://bridge.example.org/hook",
            "languages": ["ru-RU", "en-US"], "timezone": "Europe/Vilnius", "screen_unverified": "y",
            "block_mode": "record", "quiet_hours": "22:00-07:00", "star_on_forward": "y"}
    assert admin.post("/lines/new", form, token_from="/lines/new").status_code == 302
    line = svc.lines.get("+12025550199")
    assert line.alert_email == ("press@example.org",) and line.alert_webhook == "https://bridge.example.org/hook"
    assert line.languages == ("ru-RU", "en-US") and line.timezone == "Europe/Vilnius"
    assert line.screen_unverified and line.block_mode.value == "record"
    assert line.quiet_hours == "22:00-07:00" and line.star_on_forward


def test_line_form_refuses_plain_http_webhooks_and_unknown_time_zones(as_role, svc):
    admin = as_role("admin")
    form = {**LINE_FORM, "alert_webhook": "http://bridge.example.org/hook", "timezone": "Mars/Olympus"}
    page = admin.post("/lines/new", form, token_from="/lines/new").get_data(as_text=True)
    assert "must be https" in page and "Not a time zone" in page
    assert svc.lines.get("+12025550199") is None


def test_unidentified_callers_cannot_be_forwarded(as_role, svc):
    admin = as_role("admin")
    response = admin.post("/lines/new", {**LINE_FORM, "policy_anonymous": "forward"}, token_from="/lines/new")
    assert response.status_code == 400
    assert "cannot be forwarded without screening" in response.get_data(as_text=True)
    assert svc.lines.get("+12025550199") is None


def test_curator_cannot_edit_lines(as_role, line):
    curator = as_role("curator")
    assert curator.post(f"/lines/{LINE[1:]}/edit", LINE_FORM).status_code == 403


def test_curator_trusts_a_caller_on_a_line(as_role, line, svc):
    curator = as_role("curator")
    response = curator.post(f"/lines/{LINE[1:]}/allowlist", {"number": "(202) 555-0123"},
                            token_from=f"/lines/{LINE[1:]}/allowlist")
    assert response.status_code == 302
    assert svc.lines.allowlist(LINE) == {"+12025550123"}
    curator.post(f"/lines/{LINE[1:]}/allowlist/remove", {"number": "+12025550123"},
                 token_from=f"/lines/{LINE[1:]}/allowlist")
    assert svc.lines.allowlist(LINE) == set()
    assert [e["action"] for e in svc.audit.entries()][-2:] == ["allowlist.add", "allowlist.remove"]


@pytest.mark.parametrize("locale, says", [
    ("en", "There is an account called olga already: choose another name."),
    ("ru", "Учётная запись olga уже есть: выберите другое имя."),
    ("be", "Уліковы запіс olga ужо ёсць: выберыце іншае імя."),
])
def test_a_taken_user_name_is_explained_in_the_readers_language(as_role, make_user, svc, locale, says):
    make_user("olga", "viewer")
    admin = as_role("admin")
    admin.post("/account/language", {"locale": locale})
    response = admin.post("/users", {"name": "olga", "role": "curator"}, token_from="/users")
    assert says in response.get_data(as_text=True)
    assert svc.users.get("olga").role.value == "viewer"


def test_admin_disables_a_user_and_their_sessions_end(as_role, app):
    viewer = as_role("viewer", "vika")
    admin = as_role("admin")
    response = admin.post("/users/vika", {"role": "viewer", "disabled": "y"}, token_from="/users/vika")
    assert response.status_code == 302
    assert viewer.get("/").status_code == 302


def test_admin_cannot_demote_themselves(as_role, web):
    admin = as_role("admin")
    admin.post("/users/admin1", {"role": "viewer"}, token_from="/users/admin1")
    assert web.users.get("admin1").role.value == "admin"


def test_audit_page_shows_who_changed_what(as_role, svc):
    svc.audit.append("web:anna", "blocklist.add", "+375291234567", None, {"reason": "<b>threats</b>"})
    html = as_role("viewer").get("/audit/").get_data(as_text=True)
    assert "Chain verifies" in html and "web:anna" in html and "blocklist.add" in html
    assert "&lt;b&gt;threats&lt;/b&gt;" in html


@pytest.mark.parametrize("cookie, zone", [(None, "UTC"), ("Asia/Tokyo", "Asia/Tokyo"),
                                          ("../../etc/passwd", "UTC"), ("Mars/Olympus_Mons", "UTC")])
def test_audit_times_are_in_the_browsers_zone_when_it_names_a_real_one(as_role, svc, cookie, zone):
    svc.audit.append("web:anna", "blocklist.add", "+375291234567", None, {"reason": "threats"})
    viewer = as_role("viewer")
    if cookie is not None:
        viewer.client.set_cookie("tz", cookie)
    html = viewer.get("/audit/").get_data(as_text=True)
    assert f"Times are in the time zone {zone}." in html


def test_audit_page_detects_a_changed_entry(as_role, svc):
    svc.audit.append("web:anna", "blocklist.add", "+375291234567", None, {"reason": "threats"})
    svc.audit.append("web:anna", "blocklist.remove", "+375291234567", {"reason": "threats"}, None)
    raw = json.loads(svc.client.lindex(svc.keys.audit_log(), 0))
    raw["actor"] = "web:someone-else"
    svc.client.lset(svc.keys.audit_log(), 0, json.dumps(raw))
    html = as_role("viewer").get("/audit/").get_data(as_text=True)
    assert "Chain broken" in html and "Entry 0 of" in html


def test_changing_language_translates_the_page(as_role):
    viewer = as_role("viewer")
    viewer.post("/account/language", {"locale": "ru"})
    assert "Чёрный список" in viewer.get("/blocklist/").get_data(as_text=True)
    viewer.post("/account/language", {"locale": "be"})
    assert "Чорны спіс" in viewer.get("/blocklist/").get_data(as_text=True)


@pytest.fixture
def public_url(env, monkeypatch):
    monkeypatch.setenv("SCREENER_PUBLIC_URL", "https://screener.example.org")
    monkeypatch.setenv("SCREENER_REQUIRE_ADMIN_TOTP", "0")  # production asks admins for a second factor
    return "https://screener.example.org"


def test_line_page_shows_the_twilio_numbers_webhooks_differ(public_url, as_role, line):
    page = as_role("admin").get(f"/lines/{LINE[1:]}/edit").get_data(as_text=True)
    assert 'data-state="differs"' in page
    assert "StatusCallback" in page and "https://screener.example.org/voice/status" in page
    assert f"screener twilio configure --number {LINE}" in page


def test_line_page_shows_a_configured_number_matches(public_url, as_role, line, cli):
    assert cli("twilio", "configure").exit_code == 0
    page = as_role("admin").get(f"/lines/{LINE[1:]}/edit").get_data(as_text=True)
    assert 'data-state="ok"' in page and "VoiceUrl" not in page


@pytest.fixture
def silent_twilio(public_url, monkeypatch):
    """TWILIO_API_BASE on a socket that accepts connections and never answers."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    monkeypatch.setenv("TWILIO_API_BASE", f"http://127.0.0.1:{silent.getsockname()[1]}")
    yield
    silent.close()


def test_line_page_says_when_twilio_cannot_be_asked_without_waiting_long(silent_twilio, as_role, line):
    admin = as_role("admin")
    started = time.monotonic()
    page = admin.get(f"/lines/{LINE[1:]}/edit").get_data(as_text=True)
    assert time.monotonic() - started < 8
    assert 'data-state="unreachable"' in page and "Twilio could not be asked" in page


def test_line_page_says_the_check_needs_a_public_url(as_role, line):
    page = as_role("admin").get(f"/lines/{LINE[1:]}/edit").get_data(as_text=True)
    assert 'data-state="unset"' in page and "SCREENER_PUBLIC_URL is not set" in page
