"""The process's local copy of the lists decides as the call path's script would (screener/local_lists.py)."""
from screener import local_lists
from screener.local_lists import LocalLists
from screener.numbers import Caller, CallerKind

LINE = "+12025550143"


def number(e164: str) -> Caller:
    return Caller(CallerKind.NUMBER, e164)


def filled() -> LocalLists:
    lists = LocalLists()
    lists.replace([("375291234567", "0"), ("442079460999", "s1")], [("37517", "0"), ("3751720", "s2")])
    lists.set_allowlists({LINE: {"+375291234567"}})
    return lists


def test_a_copy_never_read_decides_nothing():
    assert LocalLists().matches(number("+375291234567"), LINE) is None


def test_exact_entry_blocks_and_screen_entry_screens():
    lists = filled()
    blocked = lists.matches(number("+375291234567"), "+10000000000")
    screened = lists.matches(number("+442079460999"), LINE)
    assert (blocked.blocklist_entry, blocked.screen_only) == ("+375291234567", False)
    assert (screened.blocklist_entry, screened.screen_only) == ("+442079460999", True)


def test_longest_prefix_wins():
    lists = filled()
    assert lists.matches(number("+375172001234"), LINE).blocklist_entry == "+3751720*"
    assert lists.matches(number("+375179001234"), LINE).blocklist_entry == "+37517*"


def test_allowlist_is_per_line():
    lists = filled()
    assert lists.matches(number("+375291234567"), LINE).allowlisted
    assert not lists.matches(number("+375291234567"), "+10000000000").allowlisted


def test_changes_apply_and_survive_a_merge(monkeypatch):
    monkeypatch.setattr(local_lists, "MERGE_AFTER", 3)
    lists = filled()
    lists.add(["491701234567", "3361*"], "0")
    lists.remove(["375291234567", "37517*"])
    lists.add(["442079460999"], "0")  # retagged from screening to blocking: merges (4 changes)
    assert lists.matches(number("+375291234567"), "+1").blocklist_entry is None
    assert lists.matches(number("+375179001234"), LINE).blocklist_entry is None
    assert lists.matches(number("+491701234567"), LINE).blocklist_entry == "+491701234567"
    assert lists.matches(number("+33612345678"), LINE).blocklist_entry == "+3361*"
    assert not lists.matches(number("+442079460999"), LINE).screen_only
    assert len(lists) == 4  # two exact entries, two prefixes
