"""Values that cross modules: lines, list matches, decisions."""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field, replace
from enum import Enum
from typing import Any
from urllib.parse import urlsplit

EMAIL = re.compile(r"[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+")


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
    RECORD = "record"  # answer, announce the recording, record the caller as evidence, never connect


# The caller classes a line sets a policy for, with the default action of each.
DEFAULT_POLICY: dict[str, Action] = {
    "allowlisted": Action.FORWARD,
    "blocklisted": Action.BLOCK,
    "screenlisted": Action.SCREEN,
    "unverified": Action.SCREEN,
    "ordinary": Action.FORWARD,
    "anonymous": Action.SCREEN,
    "withheld": Action.SCREEN,
    "restricted": Action.SCREEN,
    "unknown": Action.SCREEN,
    "invalid": Action.SCREEN,
}
# Classes whose caller cannot be identified: never forwarded straight through.
UNIDENTIFIED_CLASSES = frozenset({"anonymous", "withheld", "restricted", "unknown", "invalid"})


# What the lists can say about a caller; the webhook has the policy decide each before its one round trip.
LIST_OUTCOMES = ("allowlisted", "blocklisted", "screenlisted", "unlisted")
ENTRY_PLACEHOLDER = "{entry}"  # the list entry in a pre-made decision, filled in once it is known

# List entries whose action is "screen" get metadata ids with this prefix, so the webhook learns the
# action from the same read that finds the entry.
SCREEN_META_PREFIX = "s"


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
    languages: tuple[str, ...] = ("en-US",)
    label: str = ""
    screen_unverified: bool = False  # screen callers whose STIR/SHAKEN check failed, even allowlisted ones
    stir_verified: str = "AB"  # the attestation levels that count as verified ("A", "AB" or "ABC")
    stir_missing_unverified: bool = True  # a North American call without a verdict counts as unverified
    transcribe: bool = False  # transcribe voicemail
    alert_email: tuple[str, ...] = ()
    alert_webhook: str = ""
    timezone: str = "UTC"
    quiet_hours: str = ""  # "22:00-07:00" in the line's time zone: only trusted callers ring then
    # Forwarded calls also go through the conference bridge, so * ends and reports them; the press
    # secretary's phone then shows the line's number, and the caller's number is read out instead.
    star_on_forward: bool = False
    # The Twilio voice chosen for a speaking language (en-US, ru-RU, uk-UA, pl-PL), where not the default.
    voices: tuple[tuple[str, str], ...] = ()

    @property
    def language(self) -> str:
        """The first of the line's languages (the block message is spoken in it)."""
        return self.languages[0] if self.languages else "en-US"

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
        data["voices"] = dict(self.voices)
        return json.dumps(data, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> "Line":
        data = json.loads(text)
        data["alert_sms"] = tuple(data.get("alert_sms", ()))
        data["alert_email"] = tuple(data.get("alert_email", ()))
        data["languages"] = tuple(data.get("languages") or (data.get("language") or "en-US",))
        data["policy"] = tuple(sorted(data.get("policy", {}).items()))
        data["voices"] = tuple(sorted(data.get("voices", {}).items()))
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

    @property
    def screen_only(self) -> bool:
        """The matching entry asks for screening rather than blocking (its metadata id starts with `s`)."""
        return bool(self.blocklist_meta and self.blocklist_meta.startswith(SCREEN_META_PREFIX))


@dataclass(frozen=True)
class Decision:
    """The action for a call and why: the rule, and the list entry when one decided it."""

    action: Action
    rule: str
    reason: str
    entry: str | None = None
    degraded: bool = False
    extra: dict[str, str] = field(default_factory=dict)


def check_webhook_url(text: str) -> str:
    """An alert webhook URL: https, or http to this machine only (a bridge running beside us)."""
    url = urlsplit(text.strip())
    local = url.hostname in {"127.0.0.1", "localhost", "::1"}
    if not url.hostname or not (url.scheme == "https" or (url.scheme == "http" and local)):
        raise ValueError(f"{text!r}: alert webhooks must be https:// (or http:// to 127.0.0.1)")
    return text.strip()


_QUIET = re.compile(r"([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)")


def quiet_window(text: str) -> tuple[int, int] | None:
    """"22:00-07:00" -> (start, end) in minutes after midnight; None for ""; ValueError when malformed."""
    text = text.strip()
    if not text:
        return None
    match = _QUIET.fullmatch(text)
    if not match or match.group(1, 2) == match.group(3, 4):
        raise ValueError(f"{text!r}: quiet hours are HH:MM-HH:MM, e.g. 22:00-07:00")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    return h1 * 60 + m1, h2 * 60 + m2


# What the call path's script (screener/store/lua/call_path.lua) writes when it logs a call, in its
# order: a test holds the script to this list.
LOGGED_FIELDS = ("sid", "line", "at", "caller_kind", "action", "rule", "reason", "entry", "caller", "caller_masked",
                 "caller_hash", "degraded", "status")
_FLAGS = frozenset({"degraded", "joined", "caller_moved", "caller_left"})  # stored as "1" / "0" or absent


@dataclass(frozen=True)
class CallRecord:
    """One call in the call log: what the call path logged (LOGGED_FIELDS), then what the status and
    recording callbacks, the screening dialogue and its bridge added. A record that could not be read
    (the store is down) has no sid: every bridge decision then errs on keeping the call going."""

    sid: str = ""
    line: str = ""
    at: int = 0
    caller_kind: str = ""
    action: str = ""
    rule: str = ""
    reason: str = ""
    entry: str = ""  # the list entry that matched: an exact number (masked unless blocked) or a prefix
    caller: str = ""  # the full number, kept only for a blocked caller (evidence)
    caller_masked: str = ""
    caller_hash: str = ""  # keyed hash linking one caller's calls
    degraded: bool = False
    status: str = ""  # Twilio's CallStatus of the caller's call
    duration: str = ""
    updated_at: str = ""
    screening: str = ""  # the bridge's outcome: ringing, accepted, bridged, voicemail, declined, reported, ...
    secretary_sid: str = ""  # the press secretary's call we placed
    secretary_status: str = ""
    callback_base: str = ""  # where Twilio reached us for this call's bridge (for moves made by a worker)
    joined: bool = False  # the press secretary joined the caller's conference
    caller_moved: bool = False  # the caller's call was moved out of the conference by a REST update
    caller_left: bool = False  # the caller hung up while the press secretary was rung or connected
    ended_by: str = ""
    voicemail: str = ""
    voicemail_duration: str = ""
    recording_sid: str = ""
    recording_status: str = ""
    bridge_recording_sid: str = ""  # the two-channel recording started when the press secretary accepted
    sealed: str = ""  # the digest sealed into the evidence chain

    @property
    def readable(self) -> bool:
        """False for the stand-in of a record the store could not give."""
        return bool(self.sid)

    @classmethod
    def from_hash(cls, fields: dict[str, str]) -> "CallRecord":
        """The record from its Redis hash (decoded); fields this version does not know are left out."""
        known = {}
        for name in _FIELD_NAMES:
            value = fields.get(name)
            if value is None:
                continue
            if name in _FLAGS:
                known[name] = value == "1"
            elif name == "at":
                known[name] = int(value) if value.isdigit() else 0
            else:
                known[name] = value
        return cls(**known)


_FIELD_NAMES = tuple(CallRecord.__dataclass_fields__)


class Role(str, Enum):
    """What an account may do; each role includes the ones below it."""

    VIEWER = "viewer"
    CURATOR = "curator"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def allows(self, needed: "Role") -> bool:
        return self.rank >= needed.rank
