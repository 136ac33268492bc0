"""Values that cross modules: lines, list matches, decisions."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from enum import Enum
from typing import Any


class Action(str, Enum):
    """What the webhook does with a call."""

    BLOCK = "block"
    SCREEN = "screen"
    VOICEMAIL = "voicemail"
    FORWARD = "forward"


class BlockMode(str, Enum):
    """How a blocked caller is turned away."""

    REJECT = "reject"  # <Reject reason="busy"/>: the caller hears busy, no answer is billed
    MESSAGE = "message"  # <Say>message</Say><Hangup/>


# The caller classes a line sets a policy for, with the default action of each.
DEFAULT_POLICY: dict[str, Action] = {
    "allowlisted": Action.FORWARD,
    "blocklisted": Action.BLOCK,
    "ordinary": Action.FORWARD,
    "anonymous": Action.SCREEN,
    "withheld": Action.SCREEN,
    "restricted": Action.SCREEN,
    "unknown": Action.SCREEN,
    "invalid": Action.SCREEN,
}
# Classes whose caller cannot be identified: never forwarded straight through.
UNIDENTIFIED_CLASSES = frozenset({"anonymous", "withheld", "restricted", "unknown", "invalid"})


class PolicyError(ValueError):
    """A line policy names an unknown class or action, or forwards an unidentified caller."""


@dataclass(frozen=True)
class Line:
    """One protected public line: the Twilio number it arrives on and what to do with calls."""

    number: str
    forward_to: str
    country: str
    alert_sms: tuple[str, ...] = ()
    policy: tuple[tuple[str, str], ...] = ()
    block_mode: BlockMode = BlockMode.REJECT
    block_message: str = "This number does not accept your calls. Goodbye."
    recording: bool = False
    retention_days: int = 30
    language: str = "en-US"
    label: str = ""

    def action_for(self, caller_class: str) -> Action:
        """The line's action for a caller class, falling back to the defaults."""
        overrides = dict(self.policy)
        if caller_class in overrides:
            return Action(overrides[caller_class])
        return DEFAULT_POLICY[caller_class]

    def with_policy(self, **changes: str) -> "Line":
        """A copy with some classes' actions changed, validated."""
        merged = dict(self.policy)
        merged.update(changes)
        return replace(self, policy=validate_policy(merged))

    def to_json(self) -> str:
        data: dict[str, Any] = asdict(self)
        data["block_mode"] = self.block_mode.value
        data["policy"] = dict(self.policy)
        return json.dumps(data, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> "Line":
        data = json.loads(text)
        data["alert_sms"] = tuple(data.get("alert_sms", ()))
        data["policy"] = tuple(sorted(data.get("policy", {}).items()))
        data["block_mode"] = BlockMode(data.get("block_mode", "reject"))
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})


def validate_policy(policy: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """Check a class->action mapping; unidentified callers may never be forwarded unscreened."""
    for caller_class, action in policy.items():
        if caller_class not in DEFAULT_POLICY:
            raise PolicyError(f"unknown caller class {caller_class!r}")
        try:
            Action(action)
        except ValueError:
            raise PolicyError(f"unknown action {action!r} for {caller_class}") from None
        if caller_class in UNIDENTIFIED_CLASSES and Action(action) is Action.FORWARD:
            raise PolicyError(f"{caller_class} callers cannot be forwarded without screening")
    return tuple(sorted((k, Action(v).value) for k, v in policy.items()))


@dataclass(frozen=True)
class ListMatches:
    """What the lists say about one caller on one line."""

    allowlisted: bool = False
    blocklist_entry: str | None = None  # the exact number or the longest matching prefix
    blocklist_meta: str | None = None


@dataclass(frozen=True)
class Decision:
    """The action for a call and why: the rule, and the list entry when one decided it."""

    action: Action
    rule: str
    reason: str
    entry: str | None = None
    degraded: bool = False
    extra: dict[str, str] = field(default_factory=dict)
