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
    "blocklist.import.discard": _l("%(who)s discarded the import %(target)s and took its entries off the list."),
    "report.file": _l("%(who)s reported %(target)s."),
    "report.report": _l("%(who)s reported %(target)s."),
    "report.confirm": _l("%(who)s confirmed the evidence on %(target)s."),
    "report.false_positive": _l("%(who)s said %(target)s is not an intimidator (a false positive)."),
    "report.erase": _l("%(who)s erased the reports made on a call from %(target)s."),
    "report.review": _l("%(who)s sent a report over the daily quota to review (%(target)s)."),
    "evidence.confirm": _l("%(who)s confirmed the evidence on %(target)s."),
    "evidence.false_positive": _l("%(who)s said %(target)s is not an intimidator (a false positive)."),
    "evidence.state": _l("The evidence on %(target)s changed what happens to its calls."),
    "evidence.revert": _l("%(who)s stopped counting everything %(target)s reported."),
    "evidence.trust": _l("%(who)s ended the probation of %(target)s."),
    "neverblock.add": _l("%(who)s put %(target)s on the never-block list."),
    "neverblock.remove": _l("%(who)s took %(target)s off the never-block list."),
    "peer.add": _l("%(who)s added the partner organisation %(target)s."),
    "peer.sync": _l("%(who)s took the list of the partner %(target)s."),
    "peer.refused": _l("%(who)s refused a feed of the partner %(target)s: its signature did not check out."),
    "peer.revert": _l("%(who)s took back everything the partner %(target)s had sent."),
    "peer.release": _l("%(who)s counted numbers held over the quota of the partner %(target)s as its evidence."),
    "peer.discard": _l("%(who)s discarded the numbers held over the quota of the partner %(target)s."),
    "feed.sighting": _l("%(who)s shared a sighting of %(target)s with partners."),
    "feed.token_add": _l("%(who)s gave the partner %(target)s a token for our feed."),
    "feed.token_revoke": _l("%(who)s revoked the feed token of the partner %(target)s."),
    "api.token.add": _l("%(who)s made an API token (%(target)s)."),
    "api.token.revoke": _l("%(who)s revoked an API token (%(target)s)."),
    "jobs.retry": _l("%(who)s retried failed jobs (%(target)s)."),
    "backup.take": _l("%(who)s made a backup into %(target)s."),
    "backup.restore": _l("%(who)s restored the backup %(target)s."),
    "secret.rewrap": _l("%(who)s moved the stored numbers, recordings and secrets under the new server key."),
}
PENDING = {
    "blocklist": _l("add %(target)s to the blocklist"),
    "blocklist.edit": _l("change the blocklist entry %(target)s"),
    "blocklist.remove": _l("remove %(target)s from the blocklist"),
    "allowlist.add": _l("trust a caller on a line (%(target)s)"),
    "line.save": _l("change the settings of the line %(target)s"),
    "user.add": _l("add the account %(target)s"),
    "user.promote": _l("make %(target)s an admin"),
    "neverblock": _l("put %(target)s on the never-block list"),
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
