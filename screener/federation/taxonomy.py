"""Our categories as a small MISP taxonomy, the TLP and confidence tags, and how list entries map to them
(the one place that mapping lives)."""
from __future__ import annotations

from functools import lru_cache

NAMESPACE = "screener-call"
CATEGORIES = ("threat", "friendly-approach", "silent-call", "family-pressure", "impersonation")
DEFAULT_CATEGORY = "threat"
NEVER_BLOCK_TAG = f"{NAMESPACE}:never-block"  # the event of numbers that must never be blocked (not intimidators)
TLP = "tlp:amber"  # partners may share within their organisation, not beyond
# What an entry's action says about how sure we are: a blocked number is confirmed, a screened one is a warning.
CONFIDENCE = {"block": "high", "screen": "moderate"}
CONFIDENCE_TAG = 'estimative-language:confidence-in-analytic-judgment="{}"'

# Words in an entry's category or reason that point at a taxonomy category, checked in this order; an entry
# whose category is already a taxonomy value keeps it. Everything else (e.g. "intimidation") is a threat.
_KEYWORDS = (
    ("impersonation", ("impersonat", "pretend", "posing as", "fake ")),
    ("family-pressure", ("family", "relative", "mother", "father", "parent", "child")),
    ("friendly-approach", ("friendly", "approach", "befriend", "recruit")),
    ("silent-call", ("silent", "hang up", "hung up", "no one speaks")),
    ("threat", ("threat", "intimidat")),
)


@lru_cache(maxsize=4096)
def category_of(category: str, reason: str = "") -> str:
    """The taxonomy category of a list entry, from its category and reason."""
    if category in CATEGORIES:
        return category
    text = f"{category} {reason}".lower()
    for value, words in _KEYWORDS:
        if any(word in text for word in words):
            return value
    return DEFAULT_CATEGORY


def category_tag(category: str) -> str:
    """The machine tag of a category, e.g. screener-call:category="threat"."""
    return f'{NAMESPACE}:category="{category}"'


def category_from_tags(names: list[str], default: str = DEFAULT_CATEGORY) -> str:
    """The category a partner's attribute (or event) carries in its tags; `default` when it names none we know."""
    for name in names:
        if name.startswith(f"{NAMESPACE}:category="):
            value = name.split("=", 1)[1].strip('"')
            if value in CATEGORIES:
                return value
    return default


def confidence_tag(action: str) -> str:
    """The confidence tag of an entry that blocks (high) or only screens (moderate)."""
    return CONFIDENCE_TAG.format(CONFIDENCE.get(action, "moderate"))


def taxonomy_document() -> dict[str, object]:
    """The taxonomy in MISP's machinetag.json format, for a MISP instance that wants to show our tags."""
    return {
        "namespace": NAMESPACE,
        "description": "What kind of intimidation call a phone number was used for (screener).",
        "version": 1,
        "predicates": [{"value": "category", "expanded": "Category of call"},
                       {"value": "never-block", "expanded": "Never block: a lawyer, embassy, helpline, "
                                                             "newsroom or relative, not an intimidator"}],
        "values": [{"predicate": "category", "entry": [{"value": v, "expanded": v.replace("-", " ")}
                                                       for v in CATEGORIES]}],
    }
