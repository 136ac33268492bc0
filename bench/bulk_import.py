"""Benchmark 4: `screener blocklist import` of a messy CSV against a bare phonenumbers loop over its rows."""
from __future__ import annotations

import csv
import random
import re
import subprocess
import sys
import time
from pathlib import Path

import phonenumbers

from bench.callers import shaped_number
from bench.cpu import CpuWatch
from bench.deployment import ROOT, environment
from bench.redis_server import start_redis
from bench.stats import median

REGION = "US"
REASONS = [("threatening calls", "intimidation"), ("robocaller", "spam"), ("", ""), ("claims to be police", "impersonation")]
_INVALID = ["12345", "n/a", "+999 12345678", "call me back", "+1 202 555 01", "0000000000", "+44 20 7946 0958 0958 0958",
            "unknown", "+375", "555-CALL-NOW", "#REF!", "+49 (0) 30"]
_SUMMARY = re.compile(r"(\d+) rows: (\d+) added, (-?\d+) already on the list, (\d+) rejected")


def _settings(quick: bool) -> dict:
    # Runs alternate bare, import, bare, ...: each import is compared with the bare loops on either side.
    return {"rows": 20_000, "imports": 1} if quick else {"rows": 1_000_000, "imports": 2}


def messy(rng: random.Random) -> str:
    """One cell as people paste numbers: E.164, spaced, dashed, bracketed, US national, tel: URIs, junk."""
    roll = rng.random()
    if roll < 0.05:
        return rng.choice(_INVALID)
    code, nsn = shaped_number(rng)
    a, b, c = nsn[:3], nsn[3:6], nsn[6:]
    if code == 1 and roll < 0.45:  # US numbers often come in national format: needs --region US
        return rng.choice([f"({a}) {b}-{c}", f"{a}-{b}-{c}", f"{a}.{b}.{c}", f"1 {a} {b} {c}", f"{nsn}"])
    return rng.choice([
        f"+{code}{nsn}", f"+{code}{nsn}", f"+{code} {a} {b} {c}", f"+{code}-{a}-{b}-{c}", f"+{code} ({a}) {b}-{c}",
        f"+{code}.{a}.{b}.{c}", f" +{code}{nsn} ", f"tel:+{code}{nsn}", f"011 {code} {a} {b} {c}",
    ])


def write_csv(path: Path, rows: int, rng: random.Random) -> None:
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["number", "reason", "category"])
        recent: list[str] = []
        for _ in range(rows):
            if recent and rng.random() < 0.02:
                number = rng.choice(recent)  # the same number twice, as merged lists have
            else:
                number = messy(rng)
                if len(recent) < 1000:
                    recent.append(number)
                else:
                    recent[rng.randrange(1000)] = number
            reason, category = rng.choice(REASONS)
            writer.writerow([number, reason, category] if reason else [number])


def bare_loop(numbers: list[str]) -> tuple[float, int]:
    """Seconds for parse + is_valid + format E.164 over every row, and how many were valid."""
    parse, is_valid, fmt = phonenumbers.parse, phonenumbers.is_valid_number, phonenumbers.format_number
    e164, error = phonenumbers.PhoneNumberFormat.E164, phonenumbers.NumberParseException
    valid = 0
    started = time.perf_counter()
    for text in numbers:
        try:
            parsed = parse(text, REGION)
        except error:
            continue
        if is_valid(parsed):
            fmt(parsed, e164)
            valid += 1
    return time.perf_counter() - started, valid


def _import(path: Path, env: dict[str, str], workdir: Path, profile_to: Path | None = None) -> dict:
    """Run `screener blocklist import` in its own process, as a person would; wall-clock seconds."""
    cmd = [sys.executable, "-m", "screener", "blocklist", "import", str(path), "--region", REGION, "--source", "bench"]
    if profile_to:
        cmd = [str(Path(sys.executable).with_name("py-spy")), "record", "--rate", "100", "--format", "raw",
               "--nonblocking", "--output", str(profile_to), "--", *cmd]
    with (workdir / "import-stderr.txt").open("w") as err, CpuWatch() as watch:
        started = time.perf_counter()
        done = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=err, text=True, timeout=3600)
        seconds = time.perf_counter() - started
    match = _SUMMARY.search(done.stdout)
    if done.returncode not in (0, 3) or not match:
        raise RuntimeError(f"import failed ({done.returncode}): {done.stdout[-500:]}; see {workdir / 'import-stderr.txt'}")
    rows, added, already, rejected = (int(g) for g in match.groups())
    return {"seconds": seconds, "cpu_seconds": watch.result.ours * watch.result.seconds, "rows": rows, "added": added,
            "already": already, "rejected": rejected, "other_cpu": watch.result.others}


def _startup(env: dict[str, str]) -> float:
    """Seconds for the interpreter to start and import the CLI (part of every import's wall time)."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import screener.cli"], cwd=ROOT, env=env, check=True, timeout=120)
    return time.perf_counter() - started


def run(quick: bool, workdir: Path, profile: bool = False, log=print) -> dict:
    cfg = _settings(quick)
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / f"messy-{cfg['rows']}.csv"
    write_csv(path, cfg["rows"], random.Random(8))
    with path.open(newline="") as f:
        numbers = [row[0] for row in csv.reader(f) if row][1:]
    server = start_redis()
    try:
        env = environment(server.url, workdir / "instance")
        imports, bares = [], []
        for n in range(2 * cfg["imports"] + 1):
            if n % 2 == 0:
                with CpuWatch() as watch:
                    seconds, valid = bare_loop(numbers)
                bares.append({"seconds": seconds, "cpu_seconds": watch.result.ours * watch.result.seconds,
                              "valid": valid, "other_cpu": watch.result.others})
                log(f"  import: bare phonenumbers loop     {seconds:6.1f} s ({len(numbers) / seconds:,.0f} rows/s,"
                    f" {valid:,} valid)  other processes {watch.result.others:.2f} cores")
            else:
                server.client().flushall()
                result = _import(path, env, workdir)
                imports.append(result)
                log(f"  import: screener blocklist import  {result['seconds']:6.1f} s"
                    f" ({result['rows'] / result['seconds']:,.0f} rows/s, {result['added']:,} added,"
                    f" {result['rejected']:,} rejected)  other processes {result['other_cpu']:.2f} cores")
        # Each import against the mean of the bare loops just before and after it (drift cancels out).
        ratios = [imp["seconds"] / ((bares[i]["seconds"] + bares[i + 1]["seconds"]) / 2) for i, imp in enumerate(imports)]
        out = {
            "settings": {**cfg, "region": REGION, "file_bytes": path.stat().st_size},
            "import_seconds": median([r["seconds"] for r in imports]),
            "bare_loop_seconds": median([r["seconds"] for r in bares]),
            "ratio_import_vs_bare": median(ratios),
            "ratios": ratios,
            "imports": imports,
            "bare_loops": bares,
            "process_start_seconds": _startup(env),
        }
        log(f"  import: import / bare loop = {out['ratio_import_vs_bare']:.2f} (per import: "
            + ", ".join(f"{r:.2f}" for r in ratios) + ")")
        if profile and Path(sys.executable).with_name("py-spy").exists():
            server.client().flushall()
            raw = workdir / "import-profile.txt"
            log("  import: py-spy profile of one more import")
            _import(path, env, workdir, profile_to=raw)
            from bench import profile_report

            out["profile"] = profile_report.top_functions(raw)
        return out
    finally:
        server.stop()
