"""Every Redis key, built by one function per kind, under one prefix."""
from __future__ import annotations

import zlib
from dataclasses import dataclass

# Exact blocklist numbers are spread over this many small hashes so that each stays a compact
# listpack (Redis' default limit is 128 fields) up to about ten million entries.
BLOCKLIST_BUCKETS = 1 << 17


@dataclass(frozen=True)
class Keys:
    """Key builders for one deployment's prefix."""

    prefix: str = "scr:"

    def blocklist_bucket(self, digits: str) -> str:
        return f"{self.blocklist_bucket_stem()}{zlib.crc32(digits.encode()) % BLOCKLIST_BUCKETS:x}"

    def blocklist_bucket_stem(self) -> str:
        """Every bucket's name is this followed by its number in hex (scripts that scan buckets build them)."""
        return f"{self.prefix}bl:e:"

    def blocklist_bucket_pattern(self) -> str:
        return f"{self.blocklist_bucket_stem()}*"

    def blocklist_prefixes(self) -> str:
        return f"{self.prefix}bl:p"

    def blocklist_meta(self) -> str:
        return f"{self.prefix}bl:meta"

    def blocklist_meta_index(self) -> str:
        return f"{self.prefix}bl:meta:idx"

    def blocklist_meta_seq(self) -> str:
        return f"{self.prefix}bl:meta:seq"

    def blocklist_meta_counts(self) -> str:
        """Metadata id -> how many entries use it: the web page's counts by category and source."""
        return f"{self.prefix}bl:meta:count"

    def blocklist_changes(self) -> str:
        """A capped stream of list changes (store/list_copy.py keeps each web process's local copy current)."""
        return f"{self.prefix}bl:changes"

    def allowlists_version(self) -> str:
        """Bumped by every allowlist change, so the local copies reread the allowlists."""
        return f"{self.prefix}al:v"

    def spool_done(self, entry_id: str) -> str:
        """Marks a spooled alert as replayed (screener/spool.py), so a second replay skips it."""
        return f"{self.prefix}spool:done:{entry_id}"

    def blocklist_proposals(self) -> str:
        return f"{self.prefix}bl:proposed"

    def pending_changes(self) -> str:
        """Changes waiting for a second person (store/pending.py): id -> JSON."""
        return f"{self.prefix}pending"

    def blocklist_count(self) -> str:
        return f"{self.prefix}bl:count"

    def retired_blocklist_index(self) -> list[str]:
        """The per-entry search index of earlier versions (and an interrupted rebuild's copy): recount deletes it."""
        names = ["bl:ix:n", "bl:ix:r", "bl:ix:f", "bl:ix:fc"]
        return [f"{self.prefix}{name}" for name in names] + [f"{self.prefix}ixbuild:{name}" for name in names]

    def allowlist(self, line_number: str) -> str:
        return f"{self.prefix}al:{line_number}"

    def lines(self) -> str:
        return f"{self.prefix}lines"

    def lines_version(self) -> str:
        return f"{self.prefix}lines:v"

    def call_stream(self) -> str:
        return f"{self.prefix}calls"

    def call(self, call_sid: str) -> str:
        return f"{self.prefix}call:{call_sid}"

    def call_number(self, call_sid: str) -> str:
        return f"{self.prefix}call:{call_sid}:num"

    def calls_unsettled(self) -> str:
        """Calls whose callbacks the reconciliation job has not yet accounted for, by arrival time."""
        return f"{self.prefix}calls:unsettled"

    def calls_by_caller(self, link_hash: str) -> str:
        return f"{self.prefix}calls:by:{link_hash}"

    def callers_moved(self) -> str:
        """Link hashes whose calls were merged into another hash's index after SCREENER_SECRET_KEY changed."""
        return f"{self.prefix}calls:moved"

    def audit_log(self) -> str:
        return f"{self.prefix}audit"

    def audit_head(self) -> str:
        return f"{self.prefix}audit:head"

    def evidence_log(self) -> str:
        return f"{self.prefix}evidence"

    def evidence_head(self) -> str:
        return f"{self.prefix}evidence:head"

    def recording(self, recording_sid: str) -> str:
        return f"{self.prefix}rec:{recording_sid}"

    def recordings(self) -> str:
        return f"{self.prefix}recs"

    def call_recordings(self, call_sid: str) -> str:
        return f"{self.prefix}call:{call_sid}:recs"

    def campaign_window(self, link: str) -> str:
        return f"{self.prefix}win:{link}"

    def campaign_flag(self, link: str) -> str:
        return f"{self.prefix}campaign:{link}"

    def curators(self) -> str:
        return f"{self.prefix}alerts:curators"

    def alert(self, alert_id: str) -> str:
        return f"{self.prefix}alert:{alert_id}"

    def alerts(self) -> str:
        return f"{self.prefix}alerts"

    def alert_seq(self) -> str:
        return f"{self.prefix}alerts:seq"

    # --- volunteers' web page: accounts, sessions, reviews, imports ---

    def users(self) -> str:
        return f"{self.prefix}users"

    def web_session(self, token_hash: str) -> str:
        return f"{self.prefix}sess:{token_hash}"

    def user_sessions(self, name: str) -> str:
        return f"{self.prefix}sess:user:{name}"

    def totp_last_step(self, name: str) -> str:
        return f"{self.prefix}totp:last:{name}"

    def limiter_prefix(self) -> str:
        return f"{self.prefix}limits"

    def reviews(self) -> str:
        return f"{self.prefix}reviews"

    def reviews_open(self) -> str:
        return f"{self.prefix}reviews:open"

    def reviews_closed(self) -> str:
        return f"{self.prefix}reviews:closed"

    def reviews_seq(self) -> str:
        return f"{self.prefix}reviews:seq"

    def list_import(self, import_id: str) -> str:
        return f"{self.prefix}import:{import_id}"

    def memory_alert(self) -> str:
        return f"{self.prefix}memory-alert"

    def upload_quota(self, owner: str, day: str) -> str:
        return f"{self.prefix}upload-quota:{owner}:{day}"
