"""Country fields name countries in the reader's language and search them without a script."""
from __future__ import annotations

import re

import pytest

from tests.integration.web_support import as_role, make_user, web  # noqa: F401

FORM = {"entry": "8 029 123 45 67", "category": "intimidation", "reason": "threats", "evidence": "",
        "source": "manual"}


@pytest.mark.parametrize("locale, belarus", [("en", "Belarus (BY)"), ("ru", "Беларусь (BY)"), ("be", "Беларусь (BY)"),
                                             ("ru", "Германия (DE)")])
def test_the_import_form_lists_countries_by_name_in_the_readers_language(as_role, locale, belarus):
    curator = as_role("curator")
    curator.post("/account/language", {"locale": locale})
    html = curator.get("/blocklist/import").get_data(as_text=True)
    datalist = re.search(r'<input[^>]*name="region"[^>]*list="([^"]+)"[^>]*>\s*<datalist id="\1">(.*?)</datalist>',
                         html, re.S)
    assert datalist is not None, "the region input is tied to a list of countries"
    assert f'<option value="{belarus}">' in datalist.group(2)
    assert datalist.group(2).count("<option") == 245


@pytest.mark.parametrize("locale, typed", [("en", "Belarus (BY)"), ("ru", "беларусь"), ("be", "Беларусь (BY)"),
                                           ("en", "by"), ("ru", "Belarus")])
def test_a_country_picked_or_typed_by_name_reads_the_national_number(as_role, svc, locale, typed):
    curator = as_role("curator")
    curator.post("/account/language", {"locale": locale})
    response = curator.post("/blocklist/new", {**FORM, "region": typed}, token_from="/blocklist/new")
    assert response.status_code == 302, response.get_data(as_text=True)
    assert svc.blocklist.get("+375291234567") is not None


def test_a_country_that_does_not_exist_is_refused_with_what_to_do_and_kept_as_typed(as_role, svc):
    curator = as_role("curator")
    response = curator.post("/blocklist/new", {**FORM, "region": "Atlantis"}, token_from="/blocklist/new")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Choose a country from the list" in html and 'value="Atlantis"' in html
    assert svc.blocklist.count() == 0


def test_the_line_form_shows_the_lines_country_by_name(as_role, line):
    html = as_role("admin").get(f"/lines/{line.number[1:]}/edit").get_data(as_text=True)
    assert re.search(r'name="country"[^>]*value="United States \(US\)"|value="United States \(US\)"[^>]*name="country"',
                     html)
