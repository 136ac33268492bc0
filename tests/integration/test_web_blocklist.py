"""Blocklist pages: search, filters, paging, add, edit, remove (kept in the audit log), export."""
from __future__ import annotations

import csv
import io
import re
import time

import pytest

from screener.store.blocklist import EntryMeta
from screener.store.blocklist_search import BlocklistSearch
from screener.web import lists
from tests.integration.web_support import as_role, make_user, web  # noqa: F401

ENTRY_CELL = re.compile(r'class="mono num">([^<]+)<')
NEXT_LINK = 'rel="next" href="'


def _add(svc, entries, **meta):
    return svc.blocklist.add_many(entries, EntryMeta(**{"reason": "threats", **meta}))


def _next_url(html: str) -> str | None:
    return html.split(NEXT_LINK, 1)[1].split('"', 1)[0].replace("&amp;", "&") if NEXT_LINK in html else None


def _every_page(user, url: str) -> list[str]:
    """The entries listed on each page, following "Next page" to the end."""
    seen = []
    while url:
        html = user.get(url).get_data(as_text=True)
        seen += ENTRY_CELL.findall(html)
        url = _next_url(html)
    return seen


def test_curator_adds_a_number_in_national_format(as_role, svc):
    curator = as_role("curator")
    response = curator.post("/blocklist/new", {"entry": "8 029 123-45-67", "region": "BY", "category": "intimidation",
                                               "reason": "called the editor at night", "source": "manual"},
                            token_from="/blocklist/new")
    assert response.status_code == 302
    entry = svc.blocklist.get("+375291234567")
    assert entry.meta.reason == "called the editor at night" and entry.meta.added_by == "web:curator1"
    last = svc.audit.entries()[-1]
    assert (last["actor"], last["action"], last["target"]) == ("web:curator1", "blocklist.add", "+375291234567")


def test_add_explains_an_invalid_number(as_role, svc):
    curator = as_role("curator")
    response = curator.post("/blocklist/new", {"entry": "12345", "category": "x", "reason": "r", "source": "s"},
                            token_from="/blocklist/new")
    assert response.status_code == 400
    assert "A number in national format needs its country: write it with + and the country code" in response.get_data(as_text=True)
    assert svc.blocklist.count() == 0


def test_an_invalid_number_is_explained_in_the_readers_language(as_role, svc):
    curator = as_role("curator")
    curator.post("/account/language", {"locale": "ru"})
    response = curator.post("/blocklist/new", {"entry": "+375 17", "category": "x", "reason": "r", "source": "s"},
                            token_from="/blocklist/new")
    assert response.status_code == 400
    assert "Такого номера в этой стране нет." in response.get_data(as_text=True)
    response = curator.post("/blocklist/new", {"entry": "+999 7*", "category": "x", "reason": "r", "source": "s"},
                            token_from="/blocklist/new")
    assert "Префикс должен начинаться с кода страны." in response.get_data(as_text=True)
    assert svc.blocklist.count() == 0


def test_add_accepts_a_prefix(as_role, svc):
    curator = as_role("curator")
    curator.post("/blocklist/new", {"entry": "+375 17 200 12*", "category": "c", "reason": "exchange",
                                       "source": "s"}, token_from="/blocklist/new")
    assert svc.blocklist.get("+3751720012*") is not None


def test_search_by_last_digits(as_role, svc):
    _add(svc, ["+375291234567", "+375447654321"])
    page = as_role("viewer").get("/blocklist/?q=4567").get_data(as_text=True)
    assert "+375291234567" in page and "+375447654321" not in page


def test_search_by_digits_in_the_middle_of_a_number(as_role, svc):
    _add(svc, ["+375291234567", "+375447654321"])
    page = as_role("viewer").get("/blocklist/?q=2912").get_data(as_text=True)
    assert "+375291234567" in page and "+375447654321" not in page


def test_search_by_a_number_typed_any_way(as_role, svc):
    _add(svc, ["+375291234567", "+375447654321"])
    page = as_role("viewer").get("/blocklist/?q=%2B375+(29)+123-45-67").get_data(as_text=True)
    assert "+375291234567" in page and "+375447654321" not in page


def test_search_shows_a_prefix_that_covers_the_number(as_role, svc):
    _add(svc, ["+37517*"], reason="state exchange")
    page = as_role("viewer").get("/blocklist/?q=%2B375172001234").get_data(as_text=True)
    assert "a prefix covers it" in page and "+37517*" in page


def test_filter_by_category_and_source(as_role, svc):
    _add(svc, ["+375291234567"], category="intimidation", source="manual")
    _add(svc, ["+375447654321"], category="spam", source="import:x.csv")
    viewer = as_role("viewer")
    page = viewer.get("/blocklist/?category=spam").get_data(as_text=True)
    assert "+375447654321" in page and "+375291234567" not in page
    page = viewer.get("/blocklist/?source=manual").get_data(as_text=True)
    assert "+375291234567" in page and "+375447654321" not in page


def test_filter_by_a_category_nobody_used_shows_nothing(as_role, svc):
    _add(svc, ["+375291234567"], category="intimidation")
    page = as_role("viewer").get("/blocklist/?category=spam").get_data(as_text=True)
    assert "Nothing on the blocklist matches" in page and "+375291234567" not in page


def test_pages_follow_each_other_without_gaps(as_role, svc):
    numbers = [f"+3752912{i:05d}" for i in range(120)]
    _add(svc, numbers)
    seen = _every_page(as_role("viewer"), "/blocklist/")
    assert sorted(seen) == numbers


def test_pages_cover_hundreds_of_prefixes_once_each(as_role, svc):
    prefixes = [f"+37517{i:03d}*" for i in range(300)]
    numbers = [f"+3752912{i:05d}" for i in range(80)]
    _add(svc, prefixes, reason="state exchange")
    _add(svc, numbers)
    viewer = as_role("viewer")
    first_page = ENTRY_CELL.findall(viewer.get("/blocklist/").get_data(as_text=True))
    seen = _every_page(viewer, "/blocklist/")
    assert first_page == sorted(prefixes)[:50]
    assert sorted(seen) == sorted(prefixes + numbers)


def test_pages_of_a_search_follow_each_other_without_gaps(as_role, svc):
    matching = [f"+3752912{i:05d}" for i in range(130)]
    _add(svc, matching + [f"+3754476{i:05d}" for i in range(200)], category="spam")
    seen = _every_page(as_role("viewer"), "/blocklist/?q=52912&category=spam")
    assert sorted(seen) == matching


def test_a_slow_search_stops_early_and_goes_on_from_the_next_page(as_role, svc, web):
    _add(svc, [f"+3754476{i:05d}" for i in range(1000)] + ["+375291234567"])
    web.blocklist_search = BlocklistSearch(svc.blocklist, time_budget=0)
    viewer = as_role("viewer")
    html = viewer.get("/blocklist/?q=2912").get_data(as_text=True)
    assert "Searched part of the list only" in html and "Nothing on the blocklist matches" not in html
    assert "+375291234567" in _every_page(viewer, _next_url(html))


def test_a_made_up_cursor_shows_the_first_page(as_role, svc):
    _add(svc, ["+375291234567"])
    html = as_role("viewer").get("/blocklist/?after=b999999").get_data(as_text=True)
    assert "+375291234567" in html


def test_search_finds_the_right_entries_among_a_hundred_thousand(as_role, svc):
    # How long these take is measured in bench/, not here; this checks what a curator sees.
    numbers = [f"+37529{i:07d}" for i in range(100_000)]
    _add(svc, numbers[:50_000], category="intimidation")
    _add(svc, numbers[50_000:], category="spam", source="import")
    viewer = as_role("viewer")
    # A search matching fewer entries than a page reads every bucket: the worst case.
    expected = {
        "/blocklist/?q=0099999": ["+375290099999"],
        "/blocklist/?q=%2B375290099999": ["+375290099999"],
        "/blocklist/?q=99998": ["+375290099998"],
        "/blocklist/?category=spam&q=375290050001": ["+375290050001"],
        "/blocklist/?category=intimidation&q=375290050001": [],
        "/blocklist/?q=375291": [],
    }
    for url, found in expected.items():
        response = viewer.get(url)
        assert response.status_code == 200, url
        page = response.get_data(as_text=True)
        for number in found:
            assert number in page, url
        if not found:
            assert "Nothing on the blocklist matches." in page, url
        assert page.count('class="mono num">+37529') == len(found), url


def test_edit_changes_the_reason_and_keeps_before_and_after(as_role, svc):
    _add(svc, ["+375291234567"], reason="old reason")
    curator = as_role("curator")
    response = curator.post("/blocklist/375291234567/edit", {"category": "intimidation", "reason": "new reason",
                                                             "evidence": "voicemail of 3 May", "source": "manual"},
                            token_from="/blocklist/375291234567/edit")
    assert response.status_code == 302
    assert svc.blocklist.get("+375291234567").meta.reason == "new reason"
    last = svc.audit.entries()[-1]
    assert last["action"] == "blocklist.edit"
    assert last["before"]["reason"] == "old reason" and last["after"]["reason"] == "new reason"


def test_edit_keeps_an_entry_that_screens_callers_screening(as_role, svc):
    _add(svc, ["+375291234567"], reason="unclear", action="screen")
    curator = as_role("curator")
    curator.post("/blocklist/375291234567/edit", {"category": "intimidation", "reason": "still unclear",
                                                  "evidence": "", "source": "manual"},
                 token_from="/blocklist/375291234567/edit")
    meta = svc.blocklist.get("+375291234567").meta
    assert (meta.reason, meta.action) == ("still unclear", "screen")


def test_remove_keeps_the_entry_in_the_audit_log(as_role, svc):
    _add(svc, ["+375291234567"], reason="threats")
    curator = as_role("curator")
    response = curator.post("/blocklist/375291234567/remove", {"why": "number reassigned"},
                            token_from="/blocklist/375291234567/edit")
    assert response.status_code == 302
    assert svc.blocklist.get("+375291234567") is None
    last = svc.audit.entries()[-1]
    assert last["action"] == "blocklist.remove" and last["before"]["reason"] == "threats"
    assert last["after"]["why"] == "number reassigned"
    assert "Nothing on the blocklist matches" in curator.get("/blocklist/?q=4567").get_data(as_text=True)


def test_remove_needs_a_reason(as_role, svc):
    _add(svc, ["+375291234567"])
    curator = as_role("curator")
    curator.post("/blocklist/375291234567/remove", {"why": ""}, token_from="/blocklist/375291234567/edit")
    assert svc.blocklist.get("+375291234567") is not None


def test_viewer_cannot_remove(as_role, svc):
    _add(svc, ["+375291234567"])
    viewer = as_role("viewer")
    assert viewer.post("/blocklist/375291234567/remove", {"why": "x"}).status_code == 403
    assert svc.blocklist.get("+375291234567") is not None


def test_script_in_a_reason_is_shown_as_text(as_role, svc):
    _add(svc, ["+375291234567"], reason='<script>alert("x")</script><img src=x onerror=alert(1)>')
    html = as_role("viewer").get("/blocklist/").get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html


def test_an_entrys_history_reads_as_sentences(as_role, svc):
    curator = as_role("curator")
    curator.post("/blocklist/new", {"entry": "+375291234567", "region": "", "category": "intimidation",
                                    "reason": "threats", "evidence": "", "source": "manual"},
                 token_from="/blocklist/new")
    html = curator.get("/blocklist/375291234567/edit").get_data(as_text=True)
    assert "web:curator1 added +375291234567 to the blocklist." in html


def test_export_neutralises_formulas(as_role, svc):
    _add(svc, ["+375291234567"], reason="=HYPERLINK(\"http://evil\")")
    response = as_role("curator").get("/blocklist/export.csv")
    assert response.mimetype == "text/csv"
    body = response.get_data(as_text=True)
    assert "+375291234567" in body and "'=HYPERLINK" in body


def test_export_names_its_file_and_each_entrys_time_in_iso_8601(as_role, svc):
    svc.blocklist.add_many(["+375291234567"], EntryMeta(category="spam", reason="calls", added_by="web:ada",
                                                        added_at=1_764_493_200))
    before = time.strftime("%Y%m%dT%H%M", time.gmtime())
    response = as_role("curator").get("/blocklist/export.csv")
    name = re.fullmatch(r'attachment; filename="blocklist-(\d{8}T\d{6}Z)\.csv"',
                        response.headers["Content-Disposition"]).group(1)
    assert name[:13] >= before
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0]["added_at"] == "2025-11-30T09:00:00Z"


def test_a_list_from_before_the_counts_is_recounted_and_its_old_index_dropped(as_role, svc):
    _add(svc, ["+375291234567", "+37517*"])
    svc.client.delete(svc.keys.blocklist_meta_counts())
    svc.client.zadd(svc.keys.prefix + "bl:ix:n", {"375291234567": 0, "37517*": 0})
    admin = as_role("admin")
    assert "do not match the list" in admin.get("/blocklist/").get_data(as_text=True)
    admin.post("/blocklist/reindex", token_from="/blocklist/")
    page = admin.get("/blocklist/").get_data(as_text=True)
    assert "+375291234567" in page and "+37517*" in page and "do not match" not in page
    assert svc.blocklist.facets() == {("intimidation", "manual"): 2}
    assert not svc.client.exists(svc.keys.prefix + "bl:ix:n")


def test_a_large_list_is_recounted_by_the_worker(as_role, svc, run_worker, monkeypatch):
    _add(svc, ["+375291234567", "+375447654321"], category="spam")
    svc.client.delete(svc.keys.blocklist_meta_counts())
    monkeypatch.setattr(lists, "SYNC_RECOUNT_MAX", 1)
    admin = as_role("admin")
    admin.post("/blocklist/reindex", token_from="/blocklist/")
    run_worker()
    assert svc.blocklist.facets() == {("spam", "manual"): 2}
    assert "do not match the list" not in admin.get("/blocklist/").get_data(as_text=True)


@pytest.mark.parametrize("locale, required, too_long", [
    ("ru", "Обязательное поле.", "Значение не должно содержать более 80 символов."),
    ("be", "Абавязковае поле.", "Поле не можа быць даўжэйшым за 80 сімвалаў."),
])
def test_form_checks_speak_the_readers_language(as_role, svc, locale, required, too_long):
    curator = as_role("curator")
    curator.post("/account/language", {"locale": locale})
    response = curator.post("/blocklist/new", {"entry": "+375291234567", "category": "x", "reason": "",
                                               "source": "s" * 500}, token_from="/blocklist/new")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert required in page and too_long in page
    assert svc.blocklist.count() == 0
