"""The store's Lua scripts: each says what its KEYS and ARGV are, compiles in Redis and ships with the
package; the webhook's round trip (CallPath.decide_and_log) finds what the lists say and records the call."""
from __future__ import annotations

import fnmatch
import itertools
import math
import re
import tomllib
from pathlib import Path

import pytest

from screener import policy
from screener.model import LOGGED_FIELDS, Action, CallRecord, Line
from screener.numbers import mask, normalise
from screener.store import scripts
from screener.store.blocklist import Blocklist, EntryMeta
from screener.store.blocklist_search import BlocklistSearch
from screener.store.calls import CallLog
from screener.store.call_path import CallFacts, CallPath, Campaign, StaleLines
from screener.store.keys import BLOCKLIST_BUCKETS, Keys
from screener.store.lines import Lines

from tests.conftest import DESTINATION, LINE

ROOT = Path(__file__).resolve().parents[2]
LUA = ROOT / "screener" / "store" / "lua"
NAMES = scripts.names()

KEYS = Keys()
PRESS_OFFICE = Line(LINE, DESTINATION, "US")
NEWSROOM = Line("+12025550144", DESTINATION, "US")
LEGAL = Line("+12025550145", DESTINATION, "US")
BLOCKED = "+375291234567"
UNDER_PREFIX = "+375297654321"
ORDINARY = "+442079460123"
SID = "CA" + "1" * 32
AT = 1_700_000_000
RETENTION = 30 * 86400
NO_CAMPAIGN = Campaign(window_seconds=0)
INDEX = re.compile(r"\b(KEYS|ARGV)\[(\d+)(\.\.(\d*))?\]")


def _header(name: str) -> str:
    """The comment block a script opens with."""
    return "\n".join(itertools.takewhile(lambda line: line.startswith("--"), scripts.load(name).splitlines()))


def _documented(header: str) -> list[tuple[str, int, float]]:
    """(KEYS or ARGV, first, last) for each index (`ARGV[2]`) or range (`ARGV[2..5]`, `ARGV[6..]`) the header names."""
    return [(table, int(first), float(last) if last else math.inf if dots else int(first))
            for table, first, dots, last in INDEX.findall(header)]


@pytest.mark.parametrize("name", NAMES)
def test_every_script_opens_with_its_keys_argv_and_reply(name):
    header = _header(name)
    assert re.search(r"^-- KEYS\b", header, re.M), name
    assert re.search(r"^--\s+ARGV\[1\]", header, re.M), name
    assert re.search(r"^-- Returns\b", header, re.M), name


@pytest.mark.parametrize("name", NAMES)
def test_every_key_and_argument_a_script_reads_is_documented(name):
    documented = _documented(_header(name))
    body = "\n".join(line for line in scripts.load(name).splitlines() if not line.lstrip().startswith("--"))
    used = {(table, int(index)) for table, index, _, _ in INDEX.findall(body)}
    assert used, name
    undocumented = [f"{table}[{index}]" for table, index in sorted(used)
                    if not any(t == table and first <= index <= last for t, first, last in documented)]
    assert undocumented == [], name


@pytest.mark.parametrize("name", NAMES)
def test_every_script_compiles_in_redis_under_the_digest_evalsha_uses(name, redis_client):
    assert redis_client.script_load(scripts.load(name)) == scripts.sha(name)


def test_every_script_is_installed_with_the_package():
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    patterns = package_data["screener.store"]
    files = [path.relative_to(LUA.parent).as_posix() for path in LUA.rglob("*.lua")]
    assert sorted(files) == [f"lua/{name}.lua" for name in NAMES]
    assert [f for f in files if not any(fnmatch.fnmatch(f, p) for p in patterns)] == []


def test_a_search_that_reaches_the_last_bucket_ends_the_list(redis_client):
    blocklist = Blocklist(redis_client, KEYS)
    last = "+375290078917"
    assert KEYS.blocklist_bucket(last[1:]) == KEYS.blocklist_bucket_stem() + f"{BLOCKLIST_BUCKETS - 1:x}"
    blocklist.add_many([last], EntryMeta())

    page = BlocklistSearch(blocklist).page(cursor=f"b{BLOCKLIST_BUCKETS - 5}")

    assert [entry.entry for entry in page.entries] == [last]
    assert page.next_cursor is None


# The webhook's round trip, called directly.

@pytest.fixture
def lines(redis_client) -> Lines:
    store = Lines(redis_client, KEYS)
    store.save(PRESS_OFFICE)
    return store


@pytest.fixture
def blocklist(redis_client) -> Blocklist:
    return Blocklist(redis_client, KEYS)


@pytest.fixture
def place_call(redis_client, lines):
    """Put a call through CallPath.decide_and_log the way the webhook does; returns its Outcome."""
    path = CallPath(redis_client, KEYS)

    def place(raw_from: str, *, sid: str = SID, line: Line = PRESS_OFFICE, version: int | None = None,
              campaign: Campaign = NO_CAMPAIGN, at: int = AT):
        caller = normalise(raw_from, line.country)
        e164 = caller.e164 or ""
        facts = CallFacts(sid=sid, line=line.number, at=at, caller_e164=e164, caller_kind=caller.kind.value,
                          caller_masked=mask(e164) if e164 else caller.kind.value,
                          caller_hash=f"hash-of-{e164}" if e164 else "",
                          encrypted_number=f"sealed-{e164}" if e164 else "", retention_seconds=RETENTION)
        current = lines.snapshot()[0] if version is None else version
        return path.decide_and_log(facts, policy.candidates(caller, line), current, campaign)

    return place


def _record(redis_client, sid: str = SID) -> dict[str, str]:
    return {k.decode(): v.decode() for k, v in redis_client.hgetall(KEYS.call(sid)).items()}


def _stream_sids(redis_client) -> list[str]:
    return [fields[b"sid"].decode() for _, fields in redis_client.xrange(KEYS.call_stream())]


def test_blocklisted_caller_is_blocked_and_kept_in_full_as_evidence(place_call, blocklist, redis_client):
    blocklist.add_many([BLOCKED], EntryMeta(reason="threats"))

    outcome = place_call(BLOCKED)

    assert (outcome.outcome, outcome.logged, outcome.campaign) == ("blocklisted", True, False)
    assert outcome.decision.action is Action.BLOCK and outcome.decision.rule == "blocklist"
    assert outcome.decision.entry == BLOCKED and BLOCKED in outcome.decision.reason
    record = _record(redis_client)
    assert record == {"sid": SID, "line": LINE, "at": str(AT), "caller_kind": "number", "action": "block",
                      "rule": "blocklist", "reason": f"matches blocklist entry {BLOCKED}", "entry": BLOCKED,
                      "caller": BLOCKED, "caller_masked": mask(BLOCKED), "caller_hash": f"hash-of-{BLOCKED}",
                      "degraded": "0", "status": "ringing"}
    assert _stream_sids(redis_client) == [SID]
    assert redis_client.zscore(KEYS.calls_by_caller(f"hash-of-{BLOCKED}"), SID) == AT
    assert redis_client.exists(KEYS.call_number(SID)) == 0  # no encrypted copy: the record holds it in full
    assert redis_client.zscore(KEYS.calls_unsettled(), SID) == AT  # for the reconciliation job


def test_allowlisted_caller_is_forwarded_and_stored_only_masked_and_encrypted(place_call, lines, blocklist,
                                                                              redis_client):
    blocklist.add_many([BLOCKED], EntryMeta(reason="threats"))
    lines.allow(LINE, BLOCKED)

    outcome = place_call(BLOCKED)

    assert outcome.outcome == "allowlisted"
    assert outcome.decision.action is Action.FORWARD and outcome.decision.rule == "allowlist"
    record = _record(redis_client)
    assert (record["action"], record["rule"], record["caller"]) == ("forward", "allowlist", "")
    assert record["entry"] == mask(BLOCKED)  # the blocklist entry is the caller's own number: shown masked
    assert redis_client.get(KEYS.call_number(SID)) == f"sealed-{BLOCKED}".encode()
    assert RETENTION - 5 <= redis_client.ttl(KEYS.call_number(SID)) <= RETENTION


def test_the_longest_blocked_prefix_is_the_match(place_call, blocklist, redis_client):
    blocklist.add_many(["+375*"], EntryMeta(reason="country"))
    blocklist.add_many(["+37529*"], EntryMeta(reason="operator"))

    outcome = place_call(UNDER_PREFIX)

    assert outcome.outcome == "blocklisted" and outcome.decision.entry == "+37529*"
    assert outcome.decision.reason == "matches blocklist entry +37529*"
    assert outcome.identity == "p:+37529*"
    record = _record(redis_client)
    assert (record["action"], record["entry"], record["caller"]) == ("block", "+37529*", UNDER_PREFIX)


def test_screen_listed_caller_is_screened_and_not_kept_in_full(place_call, blocklist, redis_client):
    blocklist.add_many([BLOCKED], EntryMeta(reason="maybe", action="screen"))

    outcome = place_call(BLOCKED)

    assert outcome.outcome == "screenlisted"
    assert outcome.decision.action is Action.SCREEN and outcome.decision.rule == "screenlist"
    record = _record(redis_client)
    assert (record["entry"], record["caller"]) == (mask(BLOCKED), "")
    assert record["reason"] == f"matches screen-list entry {mask(BLOCKED)}"


def test_ordinary_caller_is_logged_as_on_no_list(place_call, blocklist, redis_client):
    blocklist.add_many([BLOCKED, "+375*"], EntryMeta(reason="threats"))

    outcome = place_call(ORDINARY)

    assert outcome.outcome == "unlisted" and outcome.decision.rule == "default"
    record = _record(redis_client)
    assert (record["action"], record["entry"], record["caller"]) == ("forward", "", "")
    assert record["caller_masked"] == mask(ORDINARY)
    assert redis_client.get(KEYS.call_number(SID)) == f"sealed-{ORDINARY}".encode()


def test_withheld_caller_is_screened_and_linked_to_no_one(place_call, redis_client):
    outcome = place_call("anonymous")

    assert outcome.outcome == "unlisted" and outcome.decision.action is Action.SCREEN
    assert outcome.identity == ""
    record = _record(redis_client)
    assert (record["caller_kind"], record["caller_masked"], record["caller_hash"]) == ("anonymous", "anonymous", "")
    assert _stream_sids(redis_client) == [SID]
    assert redis_client.exists(KEYS.call_number(SID), KEYS.calls_by_caller("-")) == 0


def test_a_retried_call_sid_is_reported_and_not_logged_again(place_call, blocklist, redis_client):
    blocklist.add_many([BLOCKED], EntryMeta(reason="threats"))
    place_call(BLOCKED)
    first = _record(redis_client)

    retry = place_call(BLOCKED, at=AT + 10)

    assert retry.logged is False
    assert retry.outcome == "blocklisted" and retry.decision.entry == BLOCKED
    assert _record(redis_client) == first
    assert _stream_sids(redis_client) == [SID]


def test_stale_lines_version_is_refused_before_anything_is_written(place_call, lines, redis_client):
    decided_with = lines.snapshot()[0]
    lines.save(PRESS_OFFICE)  # another process changed a line in between

    with pytest.raises(StaleLines) as refused:
        place_call(ORDINARY, version=decided_with)

    assert str(refused.value) == str(decided_with + 1)
    assert redis_client.exists(KEYS.call(SID), KEYS.call_stream(), KEYS.call_number(SID), KEYS.calls_unsettled()) == 0


def test_calls_to_as_many_lines_as_the_threshold_are_a_campaign_once(place_call):
    campaign = Campaign(window_seconds=3600, distinct_lines=3, calls_on_one_line=5)

    outcomes = [place_call(ORDINARY, sid=f"CA{i:032d}", line=line, campaign=campaign, at=AT + i)
                for i, line in enumerate([PRESS_OFFICE, NEWSROOM, LEGAL, PRESS_OFFICE])]

    assert [o.campaign for o in outcomes] == [False, False, True, False]
    assert outcomes[2].identity == f"hash-of-{ORDINARY}"


def test_calls_to_one_line_as_many_as_the_threshold_are_a_campaign(place_call, redis_client):
    campaign = Campaign(window_seconds=3600, distinct_lines=3, calls_on_one_line=5)

    outcomes = [place_call(ORDINARY, sid=f"CA{i:032d}", campaign=campaign, at=AT + i) for i in range(5)]

    assert [o.campaign for o in outcomes] == [False] * 4 + [True]
    assert redis_client.ttl(f"{KEYS.prefix}campaign:hash-of-{ORDINARY}") > 3500


def test_calls_outside_the_window_do_not_add_up(place_call):
    campaign = Campaign(window_seconds=60, distinct_lines=3, calls_on_one_line=2)

    outcomes = [place_call(ORDINARY, sid=f"CA{i:032d}", campaign=campaign, at=AT + 100 * i) for i in range(3)]

    assert [o.campaign for o in outcomes] == [False, False, False]


def test_the_call_path_writes_exactly_the_fields_a_call_record_names():
    """The script's HSET of a new call and model.LOGGED_FIELDS are one list: a field renamed on one side only
    would leave CallRecord reading a field nobody writes."""
    script = scripts.load("call_path")
    hset = script[script.index("redis.call('HSET', KEYS[5]"):]
    hset = hset[:hset.index("\n", hset.index("'status'"))]
    written = tuple(re.findall(r"'([a-z_]+)',", hset.replace("'HSET', ", "")))
    assert written == LOGGED_FIELDS
    assert set(LOGGED_FIELDS) <= set(CallRecord.__dataclass_fields__)


def test_a_logged_call_reads_back_as_a_typed_record(place_call, blocklist, redis_client):
    blocklist.add_many([BLOCKED], EntryMeta(reason="threats"))
    place_call(BLOCKED)
    record = CallLog(redis_client, KEYS).record(SID)
    assert (record.sid, record.line, record.at, record.action, record.rule, record.caller) == (
        SID, LINE, AT, "block", "blocklist", BLOCKED)
    assert record.status == "ringing" and not record.degraded and record.readable
