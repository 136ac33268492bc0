"""`screener blocklist export` and `import` on large lists: every entry once, and a progress bar on a terminal only."""
from __future__ import annotations

import csv
import io
import os
import pty
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

from screener.listfile import export_rows
from screener.store.blocklist import EntryMeta

ROOT = Path(__file__).resolve().parents[2]
THREATS = EntryMeta(category="intimidation", reason="=threats; -to family", source="import:a.csv", added_at=1)
SPAM = EntryMeta(category="spam", reason="robocaller, \"bank\"", source="manual", added_by="ana", added_at=2)
NUMBERS = [f"+48601{100000 + i * 37:06d}" for i in range(3000)]  # valid Polish mobiles


@pytest.fixture
def listed(svc):
    """3,000 numbers under two metadata records, and two prefixes."""
    svc.blocklist.add_many(NUMBERS[:2000], THREATS)
    svc.blocklist.add_many(NUMBERS[2000:], SPAM)
    svc.blocklist.add_many(["+3751720012*", "+3751720013*"], SPAM)
    return svc.blocklist


def run_screener(*args: str, terminal: bool) -> SimpleNamespace:
    """Run `screener ARGS` as a person would; stderr on a pseudo-terminal when `terminal`, else on a pipe."""
    command = [sys.executable, "-m", "screener", *args]
    if not terminal:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, timeout=120)
        return SimpleNamespace(code=done.returncode, stdout=done.stdout, stderr=done.stderr)
    master, slave = pty.openpty()
    seen: list[bytes] = []

    def drain() -> None:  # read as it comes, so a full terminal buffer never stalls the command
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the command has exited and closed the terminal
                return
            if not data:
                return
            seen.append(data)

    reader = threading.Thread(target=drain)
    reader.start()
    try:
        done = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=slave, timeout=120)
    finally:
        os.close(slave)
        reader.join(10)
        os.close(master)
    return SimpleNamespace(code=done.returncode, stdout=done.stdout, stderr=b"".join(seen))


def test_export_lists_every_entry_once(cli, listed):
    result = cli("blocklist", "export")

    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert sorted(row["number"] for row in rows) == sorted(NUMBERS + ["+3751720012*", "+3751720013*"])
    by_number = {row["number"]: row for row in rows}
    assert by_number[NUMBERS[0]]["reason"] == "'=threats;' -to family"
    assert by_number[NUMBERS[-1]]["reason"] == "robocaller, \"bank\"" and by_number[NUMBERS[-1]]["added_by"] == "ana"


def test_export_without_a_terminal_is_the_row_by_row_csv_and_nothing_else(env, listed):
    expected = "".join(export_rows(listed)).encode()  # each entry formatted on its own, as exports always were

    result = run_screener("blocklist", "export", terminal=False)

    assert result.code == 0
    assert result.stdout == expected
    assert result.stderr == b""


def test_export_on_a_terminal_draws_a_bar_on_stderr_and_writes_the_same_csv(env, listed):
    piped = run_screener("blocklist", "export", terminal=False)

    shown = run_screener("blocklist", "export", terminal=True)

    assert shown.code == 0
    assert shown.stdout == piped.stdout
    assert b"exporting" in shown.stderr and b"3002/3002" in shown.stderr
    assert b"+48601" not in shown.stderr


@pytest.fixture
def import_file(tmp_path) -> Path:
    path = tmp_path / "list.csv"
    path.write_text("number,reason\n" + "".join(f"{n},threats\n" for n in NUMBERS) + "nonsense,x\n" + f"{NUMBERS[0]}\n")
    return path


def test_import_on_a_terminal_draws_bars_and_prints_the_same_summary(env, redis_client, import_file):
    piped = run_screener("blocklist", "import", str(import_file), terminal=False)
    redis_client.flushdb()

    shown = run_screener("blocklist", "import", str(import_file), terminal=True)

    assert piped.code == shown.code == 3  # a row was rejected
    assert shown.stdout == piped.stdout
    assert b"3002 rows: 3000 added, 0 already on the list, 1 repeated in the file, 1 rejected" in shown.stdout
    assert b"checking" in shown.stderr and b"adding" in shown.stderr and b"3000/3000" in shown.stderr
    assert b"rejected 'nonsense'" in shown.stderr


def test_import_without_a_terminal_writes_only_the_rejected_rows_to_stderr(env, import_file):
    result = run_screener("blocklist", "import", str(import_file), terminal=False)

    lines = result.stderr.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("list.csv:3002: rejected 'nonsense': ")
