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
        return f"{self.prefix}bl:e:{zlib.crc32(digits.encode()) % BLOCKLIST_BUCKETS:x}"

    def blocklist_bucket_pattern(self) -> str:
        return f"{self.prefix}bl:e:*"

    def blocklist_prefixes(self) -> str:
        return f"{self.prefix}bl:p"

    def blocklist_meta(self) -> str:
        return f"{self.prefix}bl:meta"

    def blocklist_meta_index(self) -> str:
        return f"{self.prefix}bl:meta:idx"

    def blocklist_meta_seq(self) -> str:
        return f"{self.prefix}bl:meta:seq"

    def blocklist_count(self) -> str:
        return f"{self.prefix}bl:count"

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

    def calls_by_caller(self, link_hash: str) -> str:
        return f"{self.prefix}calls:by:{link_hash}"

    def audit_log(self) -> str:
        return f"{self.prefix}audit"

    def audit_head(self) -> str:
        return f"{self.prefix}audit:head"
