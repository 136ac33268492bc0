"""The benchmarks still run against the current code: quick list-size, memory and export runs give figures.

Only that figures come out is tested; whether they meet the targets is what `python -m bench` reports.
"""
from __future__ import annotations

import pytest

from bench import list_size, memory

pytestmark = pytest.mark.slow


def _quiet(*_: object) -> None:
    return None


def test_list_size_benchmark_reports_latency_for_each_size(tmp_path):
    result = list_size.run(quick=True, workdir=tmp_path, log=_quiet)

    assert len(result["latency_us"]) == 3
    for figures in result["latency_us"].values():
        assert figures["count"] > 0
        assert figures["p50"] > 0
    assert result["p50_ratio_largest_vs_smallest"] > 0


def test_memory_benchmark_reports_bytes_per_entry(tmp_path):
    result = memory.run(quick=True, workdir=tmp_path, log=_quiet)

    assert result["entries"] > 0
    assert result["bytes_per_entry"] > 0
    assert result["memory_usage_by_key_family"]


def test_export_benchmark_times_the_export_against_a_raw_dump(tmp_path):
    from bench import export

    result = export.run(quick=True, workdir=tmp_path, log=_quiet)

    assert result["entries"] > 0
    assert all(run["rows"] == result["entries"] for run in result["exports"])
    assert result["ratio_export_vs_dump"] > 0


def test_feed_benchmark_reports_both_ratios_and_the_events_a_sync_fetches(tmp_path):
    from bench import feed

    result = feed.run(quick=True, workdir=tmp_path, log=_quiet)

    assert result["ratio_build_vs_export"] > 0 and result["ratio_sync_vs_import"] > 0
    assert result["changes"]["additions"]["fetched"] == 1  # 1,000 numbers on a new day: one new event
    assert result["release"]["per_number_ms"] > 0  # numbers held over the quota, released as evidence
