"""Blocklist pages: search, filters, paging, add, edit, remove (kept in the audit log), export."""
from __future__ import annotations

import time

from screener.store.blocklist import EntryMeta
from tests.integration.web_support import as_role, make_user, web  # noqa: F401


def _add(svc, entries, **meta):
    return svc.blocklist.add_many(entries, EntryMeta(**{"reason": "threats", **meta}))


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
    assert "not a phone number" in response.get_data(as_text=True)
    assert svc.blocklist.count() == 0


def test_add_accepts_a_prefix(as_role, svc):
    curator = as_role("curator")
    curator.post("/blocklist/new", {"entry": "+375 17*", "category": "c", "reason": "exchange", "source": "s"},
                 token_from="/blocklist/new")
    assert svc.blocklist.get("+37517*") is not None


def test_search_by_last_digits(as_role, svc):
    _add(svc, ["+375291234567", "+375447654321"])
    page = as_role("viewer").get("/blocklist/?q=4567").get_data(as_text=True)
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


def test_pages_follow_each_other_without_gaps(as_role, svc):
    numbers = [f"+3752912{i:05d}" for i in range(120)]
    _add(svc, numbers)
    viewer = as_role("viewer")
    seen, url = [], "/blocklist/"
    while url:
        html = viewer.get(url).get_data(as_text=True)
        seen += [n for n in numbers if n in html]
        marker = 'rel="next" href="'
        url = html.split(marker, 1)[1].split('"', 1)[0].replace("&amp;", "&") if marker in html else None
    assert sorted(seen) == numbers


def test_a_hundred_thousand_entries_stay_fast(as_role, svc):
    numbers = [f"+37529{i:07d}" for i in range(100_000)]
    _add(svc, numbers[:50_000], category="intimidation")
    _add(svc, numbers[50_000:], category="spam", source="import")
    viewer = as_role("viewer")
    for url in ("/blocklist/", "/blocklist/?q=37529005", "/blocklist/?q=99999", "/blocklist/?category=spam",
                "/blocklist/?category=spam&q=375290999"):
        started = time.perf_counter()
        response = viewer.get(url)
        assert response.status_code == 200
        assert time.perf_counter() - started < 0.5, url


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


def test_export_neutralises_formulas(as_role, svc):
    _add(svc, ["+375291234567"], reason="=HYPERLINK(\"http://evil\")")
    response = as_role("curator").get("/blocklist/export.csv")
    assert response.mimetype == "text/csv"
    body = response.get_data(as_text=True)
    assert "+375291234567" in body and "'=HYPERLINK" in body


def test_the_index_can_be_rebuilt(as_role, svc):
    _add(svc, ["+375291234567", "+37517*"])
    svc.client.delete(svc.keys.blocklist_index(), svc.keys.blocklist_index_facets())
    admin = as_role("admin")
    assert "does not match the list" in admin.get("/blocklist/").get_data(as_text=True)
    admin.post("/blocklist/reindex", token_from="/blocklist/")
    page = admin.get("/blocklist/").get_data(as_text=True)
    assert "+375291234567" in page and "+37517*" in page and "does not match" not in page
