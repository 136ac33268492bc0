"""The audit log as a volunteer reads it in Chromium: a sentence per change, a before/after table of only
the fields that changed, times in the browser's time zone and the reader's language, the raw entry a click
away, and the hash chain untouched."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

import pytest
from babel.dates import format_datetime

from screener import lists
from tests.browser.conftest import shoot
from tests.browser.test_volunteer_story import sign_in
from tests.integration.web_support import make_user, web  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.slow]
NUMBER = "+375291234567"


def cells(row) -> list[str]:
    return [cell.text_content() for cell in row.locator("th, td").all()]


@pytest.fixture
def edited(svc):
    """An entry added, then its reason changed: the newest audit entry is the edit."""
    lists.add(svc, "cli:olga", NUMBER, lists.Details(reason="threats", category="intimidation"))
    lists.edit(svc, "web:curator1", NUMBER, category="intimidation", reason="threats against the editor",
               evidence="", source="manual")
    return svc.audit.entries(-1)[0]


@pytest.fixture
def minsk(browser, server):
    context = browser.new_context(base_url=server, viewport={"width": 1280, "height": 860},
                                  timezone_id="Europe/Minsk")
    yield context.new_page()
    context.close()


def test_the_audit_log_says_what_changed_in_a_sentence_and_a_table_of_the_changed_fields(
        minsk, make_user, svc, edited):
    make_user("viewer1", "viewer")
    sign_in(minsk, "viewer1")
    minsk.goto("/audit/")

    newest = minsk.locator("tr.audit-entry").first
    assert newest.locator(".audit-sentence").inner_text() == \
        f"web:curator1 changed the blocklist entry {NUMBER}."
    diff = newest.locator("table.audit-diff tbody tr")
    assert diff.count() == 1  # category, source, who added it and when did not change
    assert cells(diff.first) == ["Reason", "threats", "threats against the editor"]
    assert "{" not in newest.inner_text()

    # The browser's zone (Minsk, UTC+3), in the reader's language; the ISO time stays in the markup.
    at = datetime.fromtimestamp(edited["at"], tz=timezone.utc)
    shown = newest.locator("time")
    assert shown.inner_text() == format_datetime(at, "medium", tzinfo="Europe/Minsk", locale="en")
    assert shown.get_attribute("datetime") == at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert minsk.locator("#audit-zone").inner_text() == "Times are in the time zone Europe/Minsk."

    added = minsk.locator("tr.audit-entry").nth(1)
    assert added.locator(".audit-sentence").inner_text() == f"cli:olga added {NUMBER} to the blocklist."
    assert ["Added by", "—", "cli:olga"] in [cells(row) for row in added.locator("table.audit-diff tbody tr").all()]

    raw = newest.locator("details pre")
    assert not raw.is_visible()
    newest.get_by_text("The entry as stored").click()
    assert '"action": "blocklist.edit"' in raw.inner_text() and '"reason": "threats"' in raw.inner_text()
    assert f"Recorded at {at.strftime('%Y-%m-%dT%H:%M:%SZ')} (UTC, ISO 8601)." in newest.locator("details").inner_text()
    assert svc.audit.verify().ok


def test_the_audit_log_speaks_the_readers_language(minsk, make_user, svc, edited):
    user = make_user("viewer1", "viewer")
    svc.users.save(replace(user, locale="ru"))
    sign_in(minsk, "viewer1")
    minsk.goto("/audit/")

    newest = minsk.locator("tr.audit-entry").first
    assert newest.locator(".audit-sentence").inner_text() == \
        f"web:curator1 изменил(а) запись чёрного списка {NUMBER}."
    at = datetime.fromtimestamp(edited["at"], tz=timezone.utc)
    assert newest.locator("time").inner_text() == format_datetime(at, "medium", tzinfo="Europe/Minsk", locale="ru")
    assert newest.locator("table.audit-diff tbody th").text_content() == "Причина"


def test_the_audit_log_fits_a_phone_screen(phone, make_user, svc, edited):
    lists.add(svc, "web:curator1", "+48601234567", lists.Details(reason="x" * 300, evidence="y" * 400))
    make_user("viewer1", "viewer")
    sign_in(phone, "viewer1")
    phone.goto("/audit/")
    phone.locator("tr.audit-entry").first.get_by_text("The entry as stored").click()
    shoot(phone, "phone-audit-readable")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert phone.locator("tr.audit-entry").first.locator("table.audit-diff").is_visible()
