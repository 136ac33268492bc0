"""Fill a Redis with blocklist entries fast: raw protocol through `redis-cli --pipe`.

Keys and fields come from the store's own layout function (Blocklist._location), and the metadata
id from Blocklist.intern_meta, so the data is exactly what `add_many` would write for the call path;
only the round trips are skipped. (The web page's search index, which the call path never reads, is
not written here: benchmark 3 measures memory through the real write path instead.)
"""
from __future__ import annotations

import shutil
import subprocess
from typing import Iterable, Iterator

from screener.store.blocklist import Blocklist, EntryMeta
from screener.store.keys import Keys

CHUNK = 250_000


def _resp(*parts: str) -> bytes:
    out = [f"*{len(parts)}\r\n"]
    for part in parts:
        out.append(f"${len(part.encode())}\r\n{part}\r\n")
    return "".join(out).encode()


def _commands(blocklist: Blocklist, entries: Iterable[str], meta_id: str) -> Iterator[bytes]:
    """One HSET per bucket per chunk of entries."""
    chunk: dict[str, list[str]] = {}
    pending = 0
    for entry in entries:
        key, field = blocklist._location(entry)  # the layout's single definition
        chunk.setdefault(key, []).append(field)
        pending += 1
        if pending >= CHUNK:
            yield from _flush(chunk, meta_id)
            chunk, pending = {}, 0
    yield from _flush(chunk, meta_id)


def _flush(chunk: dict[str, list[str]], meta_id: str) -> Iterator[bytes]:
    parts: list[bytes] = []
    for key, fields in chunk.items():
        args = ["HSET", key]
        for field in fields:
            args += [field, meta_id]
        parts.append(_resp(*args))
    yield b"".join(parts)


def load(blocklist: Blocklist, port: int, entries: Iterable[str], meta: EntryMeta) -> int:
    """Write entries (normalised, distinct, not yet listed) and bump the count; return how many."""
    cli = shutil.which("redis-cli")
    if not cli:
        raise RuntimeError("redis-cli is not installed (Debian package redis-tools)")
    meta_id = blocklist.intern_meta(meta)
    counted = _Counted(entries)
    pipe = subprocess.Popen([cli, "-h", "127.0.0.1", "-p", str(port), "--pipe"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        for data in _commands(blocklist, counted, meta_id):
            pipe.stdin.write(data)
        pipe.stdin.close()
        output = pipe.stdout.read().decode()
    finally:
        pipe.wait()
    if pipe.returncode != 0 or "errors: 0" not in output:
        raise RuntimeError(f"redis-cli --pipe failed: {output}")
    blocklist.client.incrby(Keys(blocklist.keys.prefix).blocklist_count(), counted.n)
    return counted.n


class _Counted:
    def __init__(self, items: Iterable[str]) -> None:
        self.items, self.n = items, 0

    def __iter__(self) -> Iterator[str]:
        for item in self.items:
            self.n += 1
            yield item
