"""`python -m bench [--quick] [--only NAME,...]`: run the benchmarks and print figures with their targets."""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

BENCHMARKS = ("webhook", "list_size", "memory", "bulk_import", "alerts", "export", "feed")
ROOT = Path(__file__).resolve().parent.parent


def _args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, short runs: a smoke test in under a minute")
    parser.add_argument("--only", default=",".join(BENCHMARKS), help=f"comma-separated subset of {','.join(BENCHMARKS)}")
    parser.add_argument("--workdir", type=Path, help="where logs, profiles and results go (default: a new temp folder)")
    parser.add_argument("--no-profile", action="store_true", help="skip the py-spy profiles of the webhook")
    parser.add_argument("--profile-import", action="store_true", help="also profile one import with py-spy (slow)")
    parser.add_argument("--code-from", metavar="GITREF",
                        help="benchmark screener/ and workers/ as committed at GITREF (e.g. HEAD), not the work tree")
    return parser.parse_args(argv)


def _from_snapshot(ref: str, argv: list[str]) -> int:
    """Re-run this command in a folder holding screener/ and workers/ at ref, plus this bench/."""
    sha = subprocess.run(["git", "rev-parse", "--short", ref], cwd=ROOT, check=True, capture_output=True,
                         text=True).stdout.strip()
    snapshot = Path(tempfile.mkdtemp(prefix=f"screener-bench-code-{sha}-"))
    paths = ["screener", "workers"]
    if subprocess.run(["git", "cat-file", "-e", f"{ref}:deploy/redis.conf"], cwd=ROOT, capture_output=True).returncode == 0:
        paths.append("deploy/redis.conf")  # the Redis settings the benchmarks copy
    archive = subprocess.run(["git", "archive", ref, *paths], cwd=ROOT, check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(snapshot)], input=archive.stdout, check=True)
    shutil.copytree(ROOT / "bench", snapshot / "bench", ignore=shutil.ignore_patterns("__pycache__"))
    rest = [a for i, a in enumerate(argv) if a != "--code-from" and (i == 0 or argv[i - 1] != "--code-from")
            and not a.startswith("--code-from=")]
    env = {**os.environ, "BENCH_CODE": f"{ref} = {sha} (clean snapshot of screener/ and workers/)"}
    try:
        return subprocess.run([sys.executable, "-m", "bench", *rest], cwd=snapshot, env=env).returncode
    finally:
        shutil.rmtree(snapshot, ignore_errors=True)


def main(argv: list[str]) -> int:
    args = _args(argv)
    if args.code_from:
        return _from_snapshot(args.code_from, argv)
    from bench import machine, report

    selected = [name.strip().replace("-", "_") for name in args.only.split(",") if name.strip()]
    unknown = set(selected) - set(BENCHMARKS)
    if unknown:
        print(f"unknown benchmark(s): {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="screener-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    command = "python -m bench " + " ".join(argv)
    info = machine.describe()
    print(f"screener benchmarks ({'quick' if args.quick else 'full'}); work folder {workdir}")
    for key, value in info.items():
        print(f"  {key}: {value}")
    results: dict = {}
    started = time.monotonic()
    for name in selected:
        print(f"\n== {name}")
        t0 = time.monotonic()
        try:
            results[name] = _run(name, args, workdir / name)
        except Exception as exc:  # one broken benchmark must not hide the others' figures
            traceback.print_exc()
            results[name] = {"error": f"{type(exc).__name__}: {exc}"}
        print(f"  ({time.monotonic() - t0:.0f} s)")
    total = time.monotonic() - started
    print(f"\n== targets (all benchmarks took {total:.0f} s)")
    for name, verdict in report.verdicts(results).items():
        print(f"  {name:12s} {verdict}\n  {'':12s} target: {report.TARGETS.get(name, '')}")
    (workdir / "results.json").write_text(json.dumps({"machine": info, "command": command, "seconds": total,
                                                      "results": results}, indent=1, default=str))
    (workdir / "results.md").write_text(report.markdown(results, info, command))
    print(f"\nfigures: {workdir / 'results.json'}, tables for BENCHMARKS.md: {workdir / 'results.md'}")
    _tidy(workdir)
    return 1 if any("error" in r for r in results.values() if isinstance(r, dict)) else 0


def _run(name: str, args: argparse.Namespace, workdir: Path) -> dict:
    if name == "webhook":
        from bench import webhook

        return webhook.run(args.quick, workdir, profile=not args.no_profile)
    if name == "list_size":
        from bench import list_size

        return list_size.run(args.quick, workdir)
    if name == "memory":
        from bench import memory

        return memory.run(args.quick, workdir)
    if name == "bulk_import":
        from bench import bulk_import

        return bulk_import.run(args.quick, workdir, profile=args.profile_import)
    if name == "export":
        from bench import export

        return export.run(args.quick, workdir)
    if name == "feed":
        from bench import feed

        return feed.run(args.quick, workdir)
    from bench import alert_latency

    return alert_latency.run(args.quick, workdir)


def _tidy(workdir: Path) -> None:
    """Drop the bulky generated inputs; keep logs, profiles and results."""
    for pattern in ("**/requests-*.txt", "**/messy-*.csv"):
        for path in workdir.glob(pattern):
            path.unlink()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
