"""A curator's day in real Chromium against `screener serve`: sign in, add a number, import a CSV with
bad rows, report a caller, accept the report, find it in the audit log, sign out."""
from __future__ import annotations

import re

import pytest

from screener.dev.simulate import SimulatedCall, post_signed
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, LINE
from tests.integration.web_support import PASSWORD, make_user, web  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SOURCE = "+33612345678"
CSV = "number,reason,category\n+375447654321,spam calls,spam\nnot a number,x,y\n+3751720012*,exchange,intimidation\n"


def sign_in(page, name: str) -> None:
    page.goto("/login")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_curator_story(page, server, make_user, svc, line, tmp_path):
    make_user("curator1", "curator")
    sim = SimulatedCall(from_=SOURCE, to=LINE, account_sid=ACCOUNT_SID)
    assert post_signed(server, "/voice/incoming", sim.incoming_form(), AUTH_TOKEN).ok

    sign_in(page, "curator1")
    assert page.get_by_role("heading", name="Dashboard").is_visible()

    page.get_by_role("link", name="Blocklist").first.click()
    page.get_by_role("link", name="Add a number").click()
    page.get_by_label("Number or prefix").fill("+375 29 123-45-67")
    page.get_by_label("Reason", exact=True).fill("<script>alert(1)</script> threatened the editor")
    page.get_by_role("button", name="Add to the blocklist").click()
    assert page.get_by_text("+375291234567 is on the blocklist.").is_visible()
    assert page.get_by_text("<script>alert(1)</script> threatened the editor").is_visible()

    csv_file = tmp_path / "shared-list.csv"
    csv_file.write_text(CSV)
    page.get_by_role("link", name="Import CSV").click()
    page.get_by_label("CSV file").set_input_files(str(csv_file))
    page.get_by_role("button", name="Upload and check").click()
    rejected = page.locator("#rejected")
    assert "not a number" in rejected.inner_text()
    page.get_by_role("button", name="Add 2 valid rows").click()
    assert page.get_by_text("Done: 2 entries were added.").is_visible()
    assert svc.blocklist.get("+375447654321") is not None

    page.get_by_role("link", name="Calls").first.click()
    page.get_by_role("link", name="Report this caller").first.click()
    page.get_by_label("What happened on this call?").fill("Asked where our reporter lives")
    page.get_by_role("button", name="Send to review").click()
    assert page.get_by_text("The caller is in the review queue").is_visible()

    page.get_by_role("link", name=re.compile("^Reviews")).first.click()
    page.get_by_role("button", name="Accept: block this number").click()
    assert page.get_by_text(f"{SOURCE} is on the blocklist.").is_visible()
    assert svc.blocklist.get(SOURCE).meta.reason == "Asked where our reporter lives"

    page.get_by_role("link", name="Audit log").first.click()
    assert page.locator("#chain-status").get_by_text("Chain verifies").is_visible()
    # The newest entries: the addition, and the acceptance counted as the curator's confirmation.
    newest = "\n".join(page.locator("tbody tr.audit-entry").nth(i).inner_text() for i in range(3))
    assert f"web:curator1 added {SOURCE} to the blocklist." in newest

    page.get_by_role("button", name="Sign out").click()
    assert page.get_by_text("You are signed out.").is_visible()
    page.goto("/blocklist/")
    assert page.get_by_role("heading", name="Sign in to Screener").is_visible()


def test_the_dashboard_chart_draws_under_the_csp(page, make_user, svc, line, server):
    make_user("viewer1", "viewer")
    for number in ("+33612345678", "+375291234567"):
        post_signed(server, "/voice/incoming", SimulatedCall(from_=number, to=LINE, account_sid=ACCOUNT_SID).incoming_form(),
                    AUTH_TOKEN)
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    sign_in(page, "viewer1")
    page.wait_for_function("() => window.Chart && Chart.getChart('calls-chart') !== undefined")
    assert not errors
