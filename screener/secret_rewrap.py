"""After SCREENER_SECRET_KEY changed: move what keys derived from the old value protect under the new one
(encrypted numbers, reports and voicemail transcriptions; recordings when their key is derived from the
secret; callers' call indexes, re-linked under the new hash; the accounts' sealed TOTP secrets; partners'
sealed bearer tokens for their feeds), so that SCREENER_SECRET_KEY_OLD can go.

Each item is checked and rewritten on its own, only if nobody changed it meanwhile: a run can be stopped
and started again, and a second run finds everything current. What no configured secret opens is left as
it is and counted, never dropped (README "Rotating SCREENER_SECRET_KEY")."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING, Callable, Iterable

from screener.privacy import NumberVault
from screener.recording_files import RecordingFileError
from screener.sealing import SecretSealer
from screener.store.caller_links import CallerLinks
from screener.store.rekeying import StoredSecrets

if TYPE_CHECKING:
    from screener.services import Services

TRANSCRIPTION = "transcription_encrypted"  # a voicemail's transcription, on the call's record
NUMBERS_TRIED = 20  # a caller's newest calls looked at for a number to re-hash


@dataclass
class Tally:
    """One kind of item: moved under the new secret, current already, left (unreadable, or nothing to do)."""

    moved: int = 0
    current: int = 0
    unreadable: int = 0  # no configured secret opens it, or its hash is neither secret's: left as it is
    left: int = 0  # nothing left to re-key it with (a caller whose numbers are no longer kept), or changed meanwhile


@dataclass
class RewrapReport:
    numbers: Tally = field(default_factory=Tally)
    transcriptions: Tally = field(default_factory=Tally)
    reports: Tally = field(default_factory=Tally)
    callers: Tally = field(default_factory=Tally)
    recordings: Tally = field(default_factory=Tally)
    totp_secrets: Tally = field(default_factory=Tally)
    peer_tokens: Tally = field(default_factory=Tally)
    recordings_own_keys: bool = False  # SCREENER_RECORDING_KEYS is set: the secret does not protect them

    @property
    def ok(self) -> bool:
        """Nothing was found that neither secret opens."""
        return not any(t.unreadable for t in (self.numbers, self.transcriptions, self.reports, self.callers,
                                              self.recordings, self.totp_secrets, self.peer_tokens))


def rewrap(svc: Services) -> RewrapReport:
    """Move every item under the current secret; see the module's docstring."""
    report = RewrapReport()
    stored = StoredSecrets(svc.client, svc.keys)
    _reencrypt(svc.vault, stored.call_numbers(), stored.swap_call_number, report.numbers)
    _reencrypt(svc.vault, stored.call_field(TRANSCRIPTION), partial(stored.swap_call_field, field=TRANSCRIPTION),
               report.transcriptions)
    known = _reports(svc, report.reports)
    _callers(svc, stored, known, report.callers)
    if svc.settings.recording_keys:
        report.recordings_own_keys = True
    else:
        _recordings(svc, report.recordings)
    _totp_secrets(svc, report.totp_secrets)
    _peer_tokens(svc, report.peer_tokens)
    return report


def _reencrypt(vault: NumberVault, items: Iterable[tuple[str, str]], swap: Callable[[str, str, str], bool],
               tally: Tally) -> None:
    """Each (CallSid, token) the old secret made is swapped for one made with the current secret."""
    for sid, token in items:
        after, changed = vault.reencrypted(token)
        if after is None:
            tally.unreadable += 1
        elif not changed:
            tally.current += 1
        elif swap(sid, token, after):
            tally.moved += 1
        else:
            tally.left += 1  # expired or rewritten meanwhile: the next run sees it


def _reports(svc: Services, tally: Tally) -> dict[str, str]:
    """Re-encrypt each report's number and re-hash its caller; returns the numbers known by link hash."""
    vault, known = svc.vault, {}
    for before in svc.reviews.all_reports():
        if not before.number_encrypted:  # rejected: only the masked number is kept
            tally.current += 1
            continue
        token, changed = vault.reencrypted(before.number_encrypted)
        number = vault.decrypt(token) if token else None
        if token is None or number is None:
            tally.unreadable += 1
            continue
        caller_hash = before.caller_hash
        if caller_hash and caller_hash == vault.old_link_hash(number) != vault.link_hash(number):
            caller_hash = vault.link_hash(number)
        if before.caller_hash:
            known[before.caller_hash] = number
        if not changed and caller_hash == before.caller_hash:
            tally.current += 1
        elif svc.reviews.swap(before, replace(before, number_encrypted=token, caller_hash=caller_hash)):
            tally.moved += 1
        else:
            tally.left += 1
    return known


def _number_for(vault: NumberVault, stored: StoredSecrets, links: CallerLinks, link_hash: str,
                known: dict[str, str]) -> str | None:
    """A number the caller indexed under this hash called from, read from their newest calls or a report."""
    clear, encrypted = stored.numbers_of(links.sids(link_hash, NUMBERS_TRIED))
    for token in encrypted:
        number = vault.decrypt(token)
        if number is not None:
            clear.append(number)
    for number in clear + [known.get(link_hash, "")]:
        if number and link_hash in vault.link_hashes(number):
            return number
    return clear[0] if clear else None  # a number, but the hash is neither secret's


def _callers(svc: Services, stored: StoredSecrets, known: dict[str, str], tally: Tally) -> None:
    vault, links = svc.vault, CallerLinks(svc.client, svc.keys)
    for link_hash in list(links.indexed()):
        number = _number_for(vault, stored, links, link_hash, known)
        if number is None:
            tally.left += 1  # the numbers are no longer kept: the calls stay linked under this hash
        elif link_hash == vault.link_hash(number):
            tally.current += 1
        elif link_hash == vault.old_link_hash(number):
            links.move(link_hash, vault.link_hash(number))
            tally.moved += 1
        else:
            tally.unreadable += 1


def _recordings(svc: Services, tally: Tally) -> None:
    files = svc.recording_files
    for sid in svc.recordings.all_sids():
        try:
            rewritten = files.rewrap(sid)
        except RecordingFileError:
            tally.unreadable += 1
            continue
        if rewritten:
            tally.moved += 1
        elif rewritten is False:
            tally.current += 1
        # None: not archived yet, and the worker will store it under the new key


def _totp_secrets(svc: Services, tally: Tally) -> None:
    for user in svc.users.all():
        outcome = svc.users.reseal(user.name)  # 'moved', 'current' or 'unreadable': a Tally field
        if outcome is not None:
            setattr(tally, outcome, getattr(tally, outcome) + 1)


def _peer_tokens(svc: Services, tally: Tally) -> None:
    """Partners' bearer tokens, sealed like the TOTP secrets (owner `peer:NAME`, see federation.partners)."""
    sealer = SecretSealer([svc.settings.secret_key, svc.settings.secret_key_old])
    for peer in svc.peers.all():
        owner = f"peer:{peer.name}"

        def reseal(sealed: str, owner: str = owner) -> tuple[str, bool]:
            text, again = sealer.open(sealed, owner)
            if SecretSealer.is_sealed(text):
                raise ValueError(f"{owner}: no configured secret opens its token")
            return (sealer.seal(text, owner), True) if again else (sealed, False)

        outcome = svc.peers.reseal(peer.name, reseal)
        if outcome is not None:
            setattr(tally, outcome, getattr(tally, outcome) + 1)
