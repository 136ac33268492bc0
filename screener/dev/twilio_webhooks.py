"""How Twilio delivers a webhook, as its documentation says (twilio-facts.md, section 2): the URL's fragment
(connection overrides) is neither requested nor signed, and says how often and on what to try again.
Without overrides Twilio retries once, only when it could not connect: a 5xx answer is final. The tests'
Twilio client (tests/conftest.py) delivers callbacks through deliver() so they cannot assume more.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, TypeVar

MAX_RETRIES = 5
RETRY_POLICIES = frozenset({"4xx", "5xx", "ct", "rt", "all"})
CONNECT_FAILED = "ct"  # what an attempt that could not connect "answers"
READ_TIMED_OUT = "rt"  # what an attempt that got no answer in time "answers"


class InvalidOverrides(ValueError):
    """Twilio would refuse the URL's overrides (e.g. error 11243, an invalid retry policy)."""


@dataclass(frozen=True)
class ConnectionOverrides:
    """The retry part of a webhook URL's overrides, Twilio's defaults when absent (rc=1, rp=ct)."""

    retries: int = 1
    policy: frozenset[str] = frozenset({"ct"})

    def retries_on(self, outcome: int | str) -> bool:
        """Whether an attempt that ended so (an HTTP status, CONNECT_FAILED or READ_TIMED_OUT) is tried again."""
        if "all" in self.policy:
            return not (isinstance(outcome, int) and outcome < 400)
        if isinstance(outcome, str):
            return outcome in self.policy
        return (400 <= outcome < 500 and "4xx" in self.policy) or (outcome >= 500 and "5xx" in self.policy)


def split(url: str) -> tuple[str, str]:
    """(the URL Twilio requests and signs, its fragment)."""
    requested, _, fragment = url.partition("#")
    return requested, fragment


def overrides(url: str) -> ConnectionOverrides:
    """The retry overrides a URL carries; InvalidOverrides for values Twilio documents as invalid."""
    pairs = dict(item.partition("=")[::2] for item in split(url)[1].split("&") if item)
    retries, policy = ConnectionOverrides.retries, ConnectionOverrides.policy
    if "rc" in pairs:
        if not pairs["rc"].isdigit() or int(pairs["rc"]) > MAX_RETRIES:
            raise InvalidOverrides(f"rc must be 0..{MAX_RETRIES}: {pairs['rc']!r}")
        retries = int(pairs["rc"])
    if "rp" in pairs:
        policy = frozenset(pairs["rp"].split(","))
        if not policy <= RETRY_POLICIES:
            raise InvalidOverrides(f"invalid retry policy (Twilio error 11243): {pairs['rp']!r}")
    for key, low, high in (("ct", 100, 10000), ("rt", 100, 15000), ("tt", 100, 15000)):
        if key in pairs and not (pairs[key].isdigit() and low <= int(pairs[key]) <= high):
            raise InvalidOverrides(f"{key} must be {low}..{high} ms: {pairs[key]!r}")
    return ConnectionOverrides(retries, policy)


Answer = TypeVar("Answer")


def deliver(url: str, attempt: Callable[[str], Answer], outcome: Callable[[Answer], int | str],
            before_retry: Callable[[int], None] | None = None) -> list[Answer]:
    """Deliver one webhook as Twilio does: attempt(requested URL) once, then again while the URL's
    overrides say so. before_retry(n) runs before the n-th retry (tests change the world there).
    Returns every attempt's answer, the last one final."""
    requested = split(url)[0]
    rules = overrides(url)
    answers = [attempt(requested)]
    while len(answers) <= rules.retries and rules.retries_on(outcome(answers[-1])):
        if before_retry:
            before_retry(len(answers))
        answers.append(attempt(requested))
    return answers
