"""The web page speaks Russian and Belarusian in full: every string in the current source has a reviewed
translation in both, with the same placeholders, compiled into the .mo the app reads."""
from __future__ import annotations

import gettext
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import TranslationError
from babel.messages.checkers import python_format
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "screener" / "web" / "translations"
LANGUAGES = ("ru", "be")


def _ids(catalog) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}


@pytest.fixture(scope="module")
def source_ids(tmp_path_factory) -> set[str]:
    """The msgids extracted from the current code and templates, as the README in translations/ says."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run([str(Path(sys.executable).with_name("pybabel")), "extract", "-F", "screener/web/babel.cfg",
                    "-k", "_l", "-k", "lazy_gettext", "--no-location", "--sort-output", "--project", "screener",
                    "-o", str(pot), "."], cwd=ROOT, check=True, capture_output=True)
    with pot.open("rb") as f:
        return _ids(read_po(f))


def _catalog(language: str):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=language)


def test_committed_template_matches_the_source(source_ids):
    with (TRANSLATIONS / "messages.pot").open("rb") as f:
        committed = _ids(read_po(f))
    assert sorted(source_ids - committed) == [], "run pybabel extract (see translations/README.md)"
    assert sorted(committed - source_ids) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_string_of_the_page_is_translated(source_ids, language):
    catalog = _catalog(language)
    missing = sorted(i for i in source_ids if i not in catalog or catalog[i] is None)
    assert missing == [], f"not in {language}/messages.po: run pybabel update"
    untranslated = sorted(m.id for m in catalog if m.id in source_ids
                          and (m.fuzzy or not all(m.string if isinstance(m.string, tuple) else [m.string])))
    assert untranslated == [], f"empty or fuzzy in {language}/messages.po"


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_the_placeholders(language):
    wrong = []
    catalog = _catalog(language)
    for message in catalog:
        if message.id and message.string and message.python_format:
            try:
                python_format(catalog, message)
            except TranslationError as exc:
                wrong.append(f"{message.id!r}: {exc}")
    assert wrong == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalogue_is_up_to_date(language):
    catalog = _catalog(language)
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo").open("rb") as f:
        compiled = gettext.GNUTranslations(f)
    stale = sorted(m.id for m in catalog if isinstance(m.id, str) and m.id and m.string
                   and compiled.gettext(m.id) != m.string)
    assert stale == [], "run pybabel compile -d screener/web/translations"
