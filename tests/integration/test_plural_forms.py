"""Counts on the pages take their language's plural form: Russian and Belarusian have three."""
from __future__ import annotations

import pytest

from screener.store.blocklist import EntryMeta
from tests.integration.web_support import as_role, make_user, web  # noqa: F401

META = EntryMeta(category="intimidation", reason="threats", added_by="web:ada", added_at=1)


@pytest.mark.parametrize("locale, n, says", [
    ("en", 1, "1 number or prefix. Calls from it are turned away"),
    ("en", 2, "2 numbers and prefixes. Calls from them are turned away"),
    ("ru", 1, "1 номер или префикс."),
    ("ru", 3, "3 номера и префикса."),
    ("ru", 5, "5 номеров и префиксов."),
    ("ru", 11, "11 номеров и префиксов."),
    ("ru", 21, "21 номер или префикс."),
    ("be", 1, "1 нумар або прэфікс."),
    ("be", 2, "2 нумары і прэфіксы."),
    ("be", 12, "12 нумароў і прэфіксаў."),
    ("be", 22, "22 нумары і прэфіксы."),
])
def test_the_blocklist_counts_its_entries_in_the_readers_plural_form(as_role, svc, locale, n, says):
    svc.blocklist.add_many([f"+3752912345{i:02d}" for i in range(n)], META)
    viewer = as_role("viewer")
    viewer.post("/account/language", {"locale": locale})
    assert says in viewer.get("/blocklist/").get_data(as_text=True)


@pytest.mark.parametrize("locale, says", [("ru", "1 запись; ни одна не изменена"), ("be", "1 запіс; ніводзін не зменены")])
def test_the_audit_log_counts_one_entry_in_the_singular(as_role, svc, locale, says):
    viewer = as_role("viewer")
    viewer.post("/account/language", {"locale": locale})  # the language change is the first entry
    assert says in viewer.get("/audit/").get_data(as_text=True)
