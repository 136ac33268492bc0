"""Screenshots of the main pages, desktop and 390 px phone, under test-output/screenshots/ (to look at)."""
from __future__ import annotations

import random
import time

import pytest

from screener.numbers import mask
from screener.store.blocklist import EntryMeta
from tests.browser.conftest import shoot
from tests.browser.test_volunteer_story import sign_in
from tests.conftest import LINE
from tests.integration.web_support import make_user, web  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PAGES = [("dashboard", "/"), ("blocklist", "/blocklist/"), ("add-number", "/blocklist/new"), ("calls", "/calls/"),
         ("reviews", "/reviews/"), ("audit", "/audit/"), ("lines", "/lines"), ("users", "/users")]


@pytest.fixture
def seeded(svc, web, line, make_user, twilio, monkeypatch):
    make_user("olga", "admin")
    make_user("pavel", "curator")
    rng = random.Random(7)
    svc.blocklist.add_many(["+375291234567", "+375447001122", "+37517*"],
                           EntryMeta(category="intimidation", reason="Threatened the editor's family", source="manual",
                                     added_by="web:olga", added_at=int(time.time()) - 86400))
    svc.blocklist.add_many([f"+3752955{i:05d}" for i in range(40)],
                           EntryMeta(category="spam", reason="Robocall campaign", source="import:shared-list.csv",
                                     added_by="web:pavel", added_at=int(time.time()) - 3600))
    for entry in ("+375291234567", "+375447001122"):
        svc.audit.append("web:olga", "blocklist.add", entry, None, {"reason": "Threatened the editor's family"})
    # Calls arrive through the signed webhook, with the clock turned back so that they spread over two weeks.
    real_time, now = time.time, time.time()
    actions = ["forward"] * 5 + ["block"] * 3 + ["anonymous"] * 2
    try:
        for _ in range(90):
            kind = rng.choice(actions)
            number = {"block": rng.choice(["+375291234567", "+375447001122", "+375172001234"]),
                      "anonymous": "anonymous"}.get(kind, f"+3361234{rng.randint(1000, 9999)}")
            at = now - rng.randint(0, 13 * 86400)
            monkeypatch.setattr(time, "time", lambda at=at: at)
            answer = twilio.call(number)
            twilio.post("/voice/status", answer.sim.status_form("completed", rng.randint(5, 400)))
    finally:
        monkeypatch.setattr(time, "time", real_time)
    web.reviews.open(number_encrypted=svc.vault.encrypt("+33612345678"), number_masked=mask("+33612345678"),
                     caller_hash=svc.vault.link_hash("+33612345678"), call_sid="CA" + "0" * 32, line=LINE,
                     note="Asked for the home address of our reporter", reported_by="web:pavel")


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_screenshots_of_the_main_pages(request, device, seeded, server):
    tab = request.getfixturevalue("page" if device == "desktop" else "phone")
    tab.goto("/login")
    shoot(tab, f"{device}-login")
    sign_in(tab, "olga")
    for name, path in PAGES:
        tab.goto(path)
        tab.wait_for_load_state("networkidle")
        shoot(tab, f"{device}-{name}")
    if device == "phone":
        tab.get_by_text("Menu").click()
        shoot(tab, "phone-menu")
    language = "ru" if device == "desktop" else "be"
    tab.goto("/account/")
    tab.get_by_label("Language").select_option(language)
    tab.locator("form[action='/account/language'] button").click()
    for name, path in (("reviews", "/reviews/"), ("blocklist", "/blocklist/")):
        tab.goto(path)
        shoot(tab, f"{device}-{name}-{language}")
        # Longer labels must not push the page sideways (the menu wraps instead).
        assert tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), f"{name} scrolls sideways"
