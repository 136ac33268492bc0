"""Every page of the volunteers' web app at 1280 and 390 px, in English, Russian and Belarusian, signed out
and for each role: axe-core finds no serious or critical violation, no tag has an attribute twice, no ARIA
reference points at nothing, and no page scrolls sideways on a phone. The pages come from the app's
url_map, so a new page without a sample URL here fails the test."""
from __future__ import annotations

import io
import time
from typing import Callable
from dataclasses import replace
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe

from screener import reporting
from screener.store.alert_log import FAILED, QUEUED, SENT
from screener.store.blocklist import EntryMeta
from screener.store.federation import HeldNumber, Peer
from screener.store.users import LOCALES, Role
from screener.web import WEB_BLUEPRINTS
from tests.browser.test_volunteer_story import sign_in
from tests.conftest import LINE
from tests.integration.web_support import PASSWORD, WebUser, app_with_the_two_person_rule, make_user, web  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.slow]
BLOCKED = "+375291234567"
SOURCE = "+33612345678"
# A note as volunteers write them: long, with a long word (a link) that must wrap rather than widen the page.
LONG_NOTE = ("Said he knew where our reporter's children go to school and named the street; called back "
             "three times from different numbers and asked for the editor by her maiden name. Recording: "
             "https://example.org/evidence/2026/11/30/very-long-identifier-of-the-recording-0123456789abcdef "
             "Звонивший представился сотрудником налоговой службы и требовал домашний адрес журналистки.")
LONG_REASON = "Threatened the editor's family and asked for the home addresses of two reporters, repeatedly"
# GET endpoints of the web blueprints that answer no HTML page.
NOT_PAGES = {"lists.export", "auth.static"}
SERIOUS = {"serious", "critical"}
SIGNED_OUT = {"auth.login", "auth.login_totp"}
# Every page in every language as an admin (who may open them all); the lower roles' views (fewer buttons,
# the same layout) in one language each: about 200 pages, one to two and a half minutes on 2 cores.
SIGNED_IN = [(locale, Role.ADMIN) for locale in LOCALES] + [("ru", Role.CURATOR), ("be", Role.VIEWER)]
WIDTHS = {"desktop": {"viewport": {"width": 1280, "height": 860}},
          "phone": {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
                    "has_touch": True}}


def page_endpoints(flask_app) -> set[str]:
    """The endpoints of the volunteers' pages a browser opens (GET), from the app's url_map."""
    return {rule.endpoint for rule in flask_app.url_map.iter_rules()
            if "GET" in rule.methods and rule.endpoint.split(".")[0] in WEB_BLUEPRINTS
            and rule.endpoint not in NOT_PAGES}


@pytest.fixture
def world(app, web, svc, make_user, twilio, line):  # noqa: F811 - the fixtures imported above
    """Data such that every page has something to show: tables, a waiting report with a long note, a
    pending two-person change, alerts with each outcome, an import preview, audit entries."""
    for role in Role:
        for locale in LOCALES:
            user = make_user(f"{role.value}-{locale}", role)
            web.users.save(replace(user, locale=locale))
    totp_user = make_user("coded", Role.VIEWER)
    web.users.save(replace(totp_user, totp_secret="JBSWY3DPEHPK3PXP"))
    web.blocklist.add_many([BLOCKED, "+375447001122", "+37517*"],
                           EntryMeta(category="intimidation", reason=LONG_REASON, source="manual",
                                     added_by="web:admin-en", added_at=int(time.time()) - 86400))
    blocked_sid = twilio.call(BLOCKED).sim.sid
    source_sid = twilio.call(SOURCE).sim.sid
    twilio.call("anonymous")
    curator = WebUser(app.test_client())
    assert curator.login("curator-en").status_code == 302
    assert curator.post(f"/calls/{source_sid}/report", {"note": LONG_NOTE},
                        token_from=f"/calls/{source_sid}/report").status_code == 302
    assert curator.post("/blocklist/375447001122/remove", {"why": LONG_REASON},
                        token_from="/blocklist/").status_code == 302
    imports = {}
    for locale in LOCALES:  # an import preview is its owner's alone: one for each language's admin
        owner = WebUser(app.test_client())
        assert owner.login(f"admin-{locale}").status_code == 302
        upload = owner.client.post("/blocklist/import", content_type="multipart/form-data",
                                   data={"csrf_token": owner.token("/blocklist/import"), "region": "", "source": "",
                                         "file": (io.BytesIO(b"number,reason\n+375447654321,spam\nnot a number,x\n"),
                                                  "shared-list.csv")})
        assert upload.status_code == 302
        imports[locale] = urlsplit(upload.headers["Location"]).path
    reported = "+375291234599"  # a number with evidence: two reports, one with a long note
    reporting.file_report(svc, "web:curator-en", reported, "threat", LONG_NOTE, line=LINE)
    reporting.file_report(svc, "web:admin-ru", reported, "impersonation", "")
    partner = "a-partner-with-a-rather-long-name-40chars"[:40]  # its numbers over the weekly quota, held
    svc.peers.add(Peer(partner, "https://partner.example/feed/", "key", "auto"))
    svc.peers.hold(partner, {f"+37529100{i:04d}": HeldNumber("ev", "threat", int(time.time())) for i in range(250)},
                   int(time.time()))
    for kind, state in (("blocked_call", SENT), ("report", FAILED), ("campaign", QUEUED)):
        alert_id = svc.alert_log.create(kind, blocked_sid, LINE, "Alert", LONG_NOTE)
        svc.alert_log.note(alert_id, "sms", "+4915112345678", state, "HTTP 500 from the provider" if state == FAILED else "")
    return {"imports": imports, "blocked_sid": blocked_sid, "source_sid": source_sid, "reported": reported,
            "caller_hash": svc.vault.link_hash(SOURCE)}


def urls(world: dict, flask_app) -> dict[str, str]:
    """One URL per page endpoint; an endpoint missing here fails the test (add it with sample data)."""
    digits = LINE.lstrip("+")
    known = {
        "dashboard.index": "/", "account.index": "/account/", "account.totp_setup": "/account/code",
        "alerts.index": "/alerts/", "audit.index": "/audit/", "lists.index": "/blocklist/",
        "lists.edit": f"/blocklist/{BLOCKED.lstrip('+')}/edit", "lists.import_form": "/blocklist/import",
        "lists.import_status": "(each admin's own: world['imports'])", "lists.add": "/blocklist/new", "calls.index": "/calls/",
        "calls.report": f"/calls/{world['blocked_sid']}/report", "calls.history": f"/calls/caller/{world['caller_hash']}",
        "evidence.index": "/evidence/", "admin.lines": "/lines", "admin.allowlist": f"/lines/{digits}/allowlist",
        "admin.line_edit": f"/lines/{digits}/edit", "admin.line_new": "/lines/new", "auth.login": "/login",
        "auth.login_totp": "/login/code", "reviews.index": "/reviews/", "admin.users": "/users",
        "admin.user_edit": "/users/curator-en", "reports.new": "/reports/",
        "reports.number": f"/reports/{world['reported'].lstrip('+')}", "reports.revert": "/reports/revert",
        "reports.never_block_list": "/reports/never-block", "admin.failed_jobs_page": "/jobs",
    }
    missing = page_endpoints(flask_app) - set(known)
    assert not missing, f"pages with no sample URL in this test (add them): {sorted(missing)}"
    return known


class AttributeCheck(HTMLParser):
    """Tags that carry the same attribute twice (the browser silently keeps the first)."""

    def __init__(self) -> None:
        super().__init__()
        self.twice: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = [name for name, _ in attrs]
        self.twice += [f"<{tag}> has {name}= twice" for name in sorted(set(names)) if names.count(name) > 1]


# aria-describedby, aria-labelledby, aria-controls and <label for> that point at no element.
DANGLING_REFERENCES = """() => [...document.querySelectorAll('[aria-describedby],[aria-labelledby],[aria-controls],label[for]')]
  .flatMap(el => ['aria-describedby', 'aria-labelledby', 'aria-controls', 'for']
    .flatMap(a => (el.getAttribute(a) || '').split(/\\s+/).filter(id => id && !document.getElementById(id))
      .map(id => `${el.tagName.toLowerCase()}[${a}] points at no #${id}`)))"""


def start_axe(tab) -> None:
    """Start axe-core (put in every page by Tabs) on the tab's page without waiting for it: the two widths'
    tabs run it side by side."""
    tab.evaluate("() => { window.__axeRun = new Promise(done => setTimeout("
                 "() => axe.run({resultTypes: ['violations']}).then(done), 0)); }")


def problems_on(tab, html: str, width: int) -> list[str]:
    """Serious and critical axe-core violations (rule: selector) of the run start_axe began, attributes written
    twice, references to no element, and a page wider than the screen."""
    found = [f"{v['id']} ({v['impact']}): {', '.join(map(str, node['target']))}"
             for v in tab.evaluate("window.__axeRun")["violations"] if v["impact"] in SERIOUS for node in v["nodes"]]
    parser = AttributeCheck()
    parser.feed(html)
    found += parser.twice + tab.evaluate(DANGLING_REFERENCES)
    wide = tab.evaluate("document.documentElement.scrollWidth")
    if wide > width:
        found.append(f"the page is {wide} px wide on a {width} px screen")
    return found


class Tabs:
    """One tab per width, each in its own browser context (own cookies), doing the same thing in step."""

    def __init__(self, browser, server: str) -> None:
        self.tabs = {width: browser.new_context(base_url=server, **options).new_page()
                     for width, options in WIDTHS.items()}
        for tab in self.tabs.values():
            # axe-core in every page the tab opens, as an init script: sending its 570 KB into each page
            # (what Axe.run does) took more time than the checks themselves.
            tab.context.add_init_script(script=Axe().axe_script)

    def check(self, label: str, visit: Callable[[str, object], str | None]) -> tuple[list[str], int]:
        """`visit(width, tab)` opens a page in the tab and returns its HTML, or None when it is not this role's
        page. axe-core starts in each tab as soon as its page is open, so that one tab's checks run while the
        next tab's page opens. Returns the problems and how many pages were checked."""
        htmls = {}
        for width, tab in self.tabs.items():
            html = visit(width, tab)
            if html is not None:
                htmls[width] = html
                start_axe(tab)
        return [f"{width} {label}: {problem}" for width, html in htmls.items()
                for problem in problems_on(self.tabs[width], html, WIDTHS[width]["viewport"]["width"])], len(htmls)

    def close(self) -> None:
        for tab in self.tabs.values():
            tab.context.close()


def test_every_page_is_accessible_and_fits_a_phone(app, world, server, browser):  # noqa: F811
    started = time.monotonic()
    pages = urls(world, app)
    tabs, problems, checked = Tabs(browser, server), [], 0

    def run(label: str, visit: Callable[[str, object], str | None]) -> None:
        nonlocal problems, checked
        found, count = tabs.check(label, visit)
        problems, checked = problems + found, checked + count

    def signed_out(locale: str) -> Callable[[str, object], str]:
        def visit(width: str, tab) -> str:
            tab.context.clear_cookies()
            return tab.goto(f"/login?lang={locale}").text()
        return visit

    def code_step(width: str, tab) -> str:
        tab.locator("#username").fill("coded")
        tab.locator("#password").fill(PASSWORD)
        with tab.expect_navigation() as step:
            tab.locator("form button[type=submit]").click()
        assert urlsplit(tab.url).path == "/login/code", tab.url
        return step.value.text()

    def page(path: str, role: Role) -> Callable[[str, object], str | None]:
        def visit(width: str, tab) -> str | None:
            response = tab.goto(path)
            if response.status == 403:
                return None  # not this role's page
            assert response.ok, f"{width} {path} as {role.value}: {response.status}"
            return response.text()
        return visit

    def error_page(width: str, tab) -> str:  # 404 for an admin, 403 for others
        response = tab.goto("/users/no-such-person")
        assert response.status in (403, 404), f"{width}: {response.url} {response.status}"
        return response.text()

    for locale in LOCALES:  # signed out: the sign-in page, the code step
        run(f"{locale} /login", signed_out(locale))
        run(f"{locale} /login/code", code_step)
    for locale, role in SIGNED_IN:
        for tab in tabs.tabs.values():
            tab.context.clear_cookies()
            sign_in(tab, f"{role.value}-{locale}")
        for endpoint, path in sorted(pages.items()):
            if endpoint in SIGNED_OUT or (endpoint == "lists.import_status" and role is not Role.ADMIN):
                continue  # an import preview is its owner's alone
            if endpoint == "lists.import_status":
                path = world["imports"][locale]
            run(f"{locale} {role.value} {path}", page(path, role))
        run(f"{locale} {role.value} error page", error_page)
    tabs.close()
    print(f"\naxe-core checked {checked} pages in {time.monotonic() - started:.0f} s")
    assert not problems, "\n".join(problems)
