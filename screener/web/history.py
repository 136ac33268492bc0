"""An audit entry as a volunteer reads it: a sentence saying what happened and the fields that changed."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

# What each change did, as a sentence (who and target filled in). A `<kind>.propose`, `.confirm` or
# `.discard` entry (the two-person rule) is told with the kind's infinitive phrase in PENDING below.
DONE = {
    "blocklist.add": _l("%(who)s added %(target)s to the blocklist."),
    "blocklist.edit": _l("%(who)s changed the blocklist entry %(target)s."),
    "blocklist.remove": _l("%(who)s removed %(target)s from the blocklist."),
    "blocklist.discard_proposal": _l("%(who)s discarded the proposal to add %(target)s to the blocklist."),
    "blocklist.import": _l("%(who)s imported the file %(target)s into the blocklist."),
    "blocklist.export": _l("%(who)s exported the blocklist."),
    "blocklist.reindex": _l("%(who)s rebuilt the blocklist's index."),
    "allowlist.add": _l("%(who)s trusted a caller on a line (%(target)s)."),
    "allowlist.remove": _l("%(who)s stopped trusting a caller on a line (%(target)s)."),
    "line.save": _l("%(who)s saved the settings of the line %(target)s."),
    "user.add": _l("%(who)s added the account %(target)s."),
    "user.edit": _l("%(who)s changed the account %(target)s."),
    "user.locale": _l("%(who)s changed the language of %(target)s."),
    "user.password": _l("%(who)s changed the password of %(target)s."),
    "user.password_reset": _l("%(who)s reset the password of %(target)s."),
    "user.totp_enable": _l("%(who)s set up the second sign-in step of %(target)s."),
    "user.totp_reset": _l("%(who)s removed the second sign-in step of %(target)s."),
    "review.open": _l("%(who)s reported a caller (report %(target)s)."),
    "review.accept": _l("%(who)s accepted a report (%(target)s)."),
    "review.reject": _l("%(who)s turned down a report (%(target)s)."),
    "evidence.export": _l("%(who)s exported an evidence pack (%(target)s)."),
    "alerts.retry": _l("%(who)s sent failed alerts again (%(target)s)."),
    "recordings.rotate": _l("%(who)s re-encrypted recordings (%(target)s)."),
    "curators.set": _l("%(who)s changed who receives reports."),
}
PENDING = {
    "blocklist": _l("add %(target)s to the blocklist"),
    "blocklist.edit": _l("change the blocklist entry %(target)s"),
    "blocklist.remove": _l("remove %(target)s from the blocklist"),
    "allowlist.add": _l("trust a caller on a line (%(target)s)"),
    "line.save": _l("change the settings of the line %(target)s"),
    "user.add": _l("add the account %(target)s"),
    "user.promote": _l("make %(target)s an admin"),
}
STEPS = {
    "propose": _l("%(who)s proposed to %(what)s; it waits for a second person."),
    "confirm": _l("%(who)s confirmed the proposal to %(what)s."),
    "discard": _l("%(who)s withdrew or turned down the proposal to %(what)s."),
}
OTHER = _l("%(who)s: %(action)s on %(target)s.")

FIELDS = {
    "reason": _l("Reason"), "category": _l("Category"), "evidence": _l("Evidence"), "source": _l("Source"),
    "added_by": _l("Added by"), "added_at": _l("Added at"), "role": _l("Role"), "locale": _l("Language"),
    "removed": _l("Removed"), "why": _l("Why"), "proposed_by": _l("Proposed by"),
    "proposed_at": _l("Proposed at"), "destination": _l("Forwards to"), "country": _l("Country"),
    "label": _l("Name"), "alert_sms": _l("Alert SMS"), "alert_email": _l("Alert e-mail"),
    "status": _l("Status"), "note": _l("Note"), "entries": _l("Entries"), "value": _l("Value"),
}


@dataclass(frozen=True)
class FieldChange:
    """One field that differs between before and after; `is_time` marks Unix times to show as dates."""

    name: str
    before: Any
    after: Any

    @property
    def label(self) -> str:
        label = FIELDS.get(self.name)
        return str(label) if label is not None else self.name.replace("_", " ")

    @property
    def is_time(self) -> bool:
        return (self.name == "at" or self.name.endswith("_at")) and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) or v is None for v in (self.before, self.after))


def unpack(value: Any) -> Any:
    """Stored values, with JSON held in a string (a line's settings) unpacked."""
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def changed_fields(before: Any, after: Any) -> list[FieldChange]:
    """Only what differs: per key for two records (a missing side counts as empty), else the value."""
    before, after = unpack(before), unpack(after)
    if isinstance(before, dict) or isinstance(after, dict):
        old = before if isinstance(before, dict) else {}
        new = after if isinstance(after, dict) else {}
        if not isinstance(before, (dict, type(None))):
            old = {"value": before}
        if not isinstance(after, (dict, type(None))):
            new = {"value": after}
        return [FieldChange(key, old.get(key), new.get(key)) for key in sorted(old.keys() | new.keys())
                if old.get(key) != new.get(key)]
    if before == after:
        return []
    return [FieldChange("value", before, after)]


def sentence(entry: dict[str, Any]) -> str:
    """What the entry records, as one sentence in the reader's language."""
    who, action, target = entry.get("actor") or "?", entry.get("action") or "", entry.get("target") or ""
    done = DONE.get(action)
    if done is not None:
        return str(done) % {"who": who, "target": target}
    kind, _, step = action.rpartition(".")
    what = PENDING.get(kind)
    if what is not None and step in STEPS:
        return str(STEPS[step]) % {"who": who, "what": str(what) % {"target": target}}
    return str(OTHER) % {"who": who, "action": action, "target": target}
