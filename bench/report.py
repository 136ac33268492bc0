"""The results: targets met or missed, a console summary, and a Markdown block for BENCHMARKS.md."""
from __future__ import annotations

# (benchmark, label, how to read the figure, test)
TARGETS = {
    "webhook": "throughput >= 0.8x and p99 <= 2x Twilio's sample (new connection per request, as behind nginx)",
    "list_size": "p50 at 10M entries within 10% of p50 at 1k",
    "memory": "<= 100 bytes of Redis memory per entry at 1M imported entries",
    "bulk_import": "import time <= 1.0x the bare phonenumbers loop",
    "alerts": "p99 answer -> SMS < 1 s at 50 blocked calls/s with 2 workers",
    "export": "`screener blocklist export` of 1M entries <= 2x a raw pipelined DUMP of the same keys",
    "feed": "feed build <= 1.5x blocklist export; peer sync (auto) <= 1.0x blocklist import, same 1M numbers",
}


def _fmt(value, spec: str = ".2f") -> str:
    return "n/a" if value is None else format(value, spec)


def verdicts(results: dict) -> dict[str, str]:
    out = {}
    if "webhook" in results and "close" in results["webhook"]:
        r = results["webhook"]["close"]["ratios"]
        ok = r["throughput_vs_twilio_sample"] >= 0.8 and r["p99_vs_twilio_sample"] <= 2.0
        out["webhook"] = f"{'met' if ok else 'MISSED'}: throughput {r['throughput_vs_twilio_sample']:.2f}x, p99 {r['p99_vs_twilio_sample']:.2f}x"
    if "list_size" in results and "p50_ratio_largest_vs_smallest" in results["list_size"]:
        r = results["list_size"]
        ratio, largest = r["p50_ratio_largest_vs_smallest"], r["largest"]
        if largest < 10_000_000:
            out["list_size"] = f"not measured at 10M (largest {largest:,}): p50 ratio {ratio:.3f}"
        else:
            out["list_size"] = f"{'met' if ratio <= 1.10 else 'MISSED'}: p50 10M / 1k = {ratio:.3f}"
    if "memory" in results and "bytes_per_entry" in results["memory"]:
        r = results["memory"]
        size_note = "" if r["entries"] >= 1_000_000 else f" (at {r['entries']:,} entries, not 1M)"
        out["memory"] = f"{'met' if r['bytes_per_entry'] <= 100 else 'MISSED'}: {r['bytes_per_entry']:.1f} bytes/entry{size_note}"
    if "bulk_import" in results and "ratio_import_vs_bare" in results["bulk_import"]:
        ratio = results["bulk_import"]["ratio_import_vs_bare"]
        out["bulk_import"] = f"{'met' if ratio <= 1.0 else 'MISSED'}: import / bare loop = {ratio:.2f}x"
    if "alerts" in results and "alert_latency_ms" in results["alerts"]:
        p99 = results["alerts"]["alert_latency_ms"]["p99"]
        out["alerts"] = f"{'met' if p99 is not None and p99 < 1000 else 'MISSED'}: p99 " + (
            "not delivered within the window" if p99 is None else f"{p99:.0f} ms")
    if "export" in results and "ratio_export_vs_dump" in results["export"]:
        r = results["export"]
        size_note = "" if r["entries"] >= 1_000_000 else f" (at {r['entries']:,} entries, not 1M)"
        out["export"] = (f"{'met' if r['ratio_export_vs_dump'] <= 2.0 else 'MISSED'}: export / raw dump ="
                         f" {r['ratio_export_vs_dump']:.2f}x{size_note}")
    if "feed" in results and "ratio_build_vs_export" in results["feed"]:
        r = results["feed"]
        ok = r["ratio_build_vs_export"] <= 1.5 and r["ratio_sync_vs_import"] <= 1.0
        size = r["settings"]["entries"]
        out["feed"] = (f"{'met' if ok else 'MISSED'}: build / export = {r['ratio_build_vs_export']:.2f}x, sync / import"
                       f" = {r['ratio_sync_vs_import']:.2f}x (CPU: {r['cpu_ratio_build_vs_export']:.2f}x,"
                       f" {r['cpu_ratio_sync_vs_import']:.2f}x)" + ("" if size >= 1_000_000 else f" (at {size:,}, not 1M)"))
    for name, result in results.items():
        if isinstance(result, dict) and "error" in result:
            out[name] = f"ERROR: {result['error']}"
    return out


def markdown(results: dict, machine: dict[str, str], command: str) -> str:
    """Tables of the figures, for BENCHMARKS.md."""
    lines = [f"Command: `{command}`", ""]
    lines += ["| machine | |", "|---|---|"] + [f"| {k} | {v} |" for k, v in machine.items()] + [""]
    lines += ["| benchmark | target | result |", "|---|---|---|"]
    for name, verdict in verdicts(results).items():
        lines.append(f"| {name} | {TARGETS.get(name, '')} | {verdict} |")
    lines.append("")
    web = results.get("webhook", {})
    for mode in ("close", "keep-alive"):
        if mode not in web:
            continue
        lines += [f"Webhook, {mode} (median of {len(web[mode]['figures']['webhook']['runs'])} interleaved runs):", "",
                  "| app | req/s | p50 ms | p99 ms | web CPU ms/req | Redis CPU ms/req |", "|---|---|---|---|---|---|"]
        for app, f in web[mode]["figures"].items():
            lines.append(f"| {app} | {f['rps']:.0f} | {f['p50_ms']:.2f} | {f['p99_ms']:.2f} |"
                         f" {f['server_cpu_ms_per_request']:.3f} | {f['redis_cpu_ms_per_request']:.3f} |")
        r = web[mode]["ratios"]
        lines += ["", f"Ratios: throughput {r['throughput_vs_twilio_sample']:.2f}x Twilio's sample,"
                      f" {r['throughput_vs_constant']:.2f}x constant; p50 {r['p50_vs_twilio_sample']:.2f}x, p99"
                      f" {r['p99_vs_twilio_sample']:.2f}x Twilio's sample; CPU per request"
                      f" {r['cpu_per_request_vs_twilio_sample']:.2f}x Twilio's sample.", ""]
    profiles = web.get("profile", {})
    if "stages_pct_of_all" in profiles.get("gil", {}):
        gil, wall = profiles["gil"], profiles.get("wall", {})
        lines += ["Where the webhook's time goes (py-spy, % of samples; GIL: the thread holding the interpreter;"
                  " wall: request threads' time in Flask, waiting included):", "",
                  "| stage | GIL % | wall % of in-request |", "|---|---|---|"]
        for stage, pct in gil["stages_pct_of_all"].items():
            other = wall.get("stages_pct_of_request", {}).get(stage)
            lines.append(f"| {stage.strip()}{' (nested)' if stage.startswith('  ') else ''} | {pct} |"
                         f" {'' if other is None else other} |")
        lines += ["", "Busiest functions (GIL, self): " + "; ".join(f"{f} {p}%" for f, p in gil["top_self_pct_of_all"][:8]), ""]
    ls = results.get("list_size", {})
    if "latency_us" in ls:
        lines += [f"Decision latency, microseconds; path measured: {ls.get('path_measured', '?')}:", "",
                  "| entries | p50 | p90 | p99 | Redis HGET us/call | bytes/entry (lookup keys) | load s |",
                  "|---|---|---|---|---|---|---|"]
        for size, f in ls["latency_us"].items():
            lines.append(f"| {size} | {f['p50']:.1f} | {f['p90']:.1f} | {f['p99']:.1f} |"
                         f" {_fmt(f['redis_usec_per_call'].get('hget'))} | {f['bytes_per_entry_lookup_keys']:.1f} |"
                         f" {f['load_seconds']:.1f} |")
        lines += [""] + [f"Skipped: {s}" for s in ls.get("skipped", [])] + [""]
    mem = results.get("memory", {})
    if "bytes_per_entry" in mem:
        lines += [f"Memory at {mem['entries']:,} entries: {mem['bytes_per_entry']:.1f} bytes/entry"
                  f" (used_memory +{mem['used_memory_delta'] / 1e6:.1f} MB). By key family (MEMORY USAGE):", "",
                  "| keys | count | bytes/entry |", "|---|---|---|"]
        for family, f in mem["memory_usage_by_key_family"].items():
            if f["bytes_per_entry"] >= 0.1:
                lines.append(f"| `{family}` | {f['keys']:,} | {f['bytes_per_entry']} |")
        lines.append("")
    imp = results.get("bulk_import", {})
    if "import_seconds" in imp:
        rows = imp["settings"]["rows"]
        lines += [f"Import of {rows:,} messy rows: `screener blocklist import` {imp['import_seconds']:.1f} s"
                  f" (of which {imp['process_start_seconds']:.1f} s process start), bare loop"
                  f" {imp['bare_loop_seconds']:.1f} s: {imp['ratio_import_vs_bare']:.2f}x.", ""]
    al = results.get("alerts", {})
    if "alert_latency_ms" in al:
        lat = al["alert_latency_ms"]
        lines += [f"Alerts: {al['calls']} blocked calls at {al['achieved_call_rate']:.1f}/s;"
                  f" {al['delivered_within_window']} SMS delivered within the window"
                  f" ({al['sms_per_second_delivered']:.1f} SMS/s); answer -> SMS p50 {_fmt(lat['p50'], '.0f')} ms,"
                  f" p90 {_fmt(lat['p90'], '.0f')} ms, p99 {_fmt(lat['p99'], '.0f')} ms"
                  " (n/a: not delivered within the window).", ""]
    exp = results.get("export", {})
    if "export_seconds" in exp:
        lines += [f"Export of {exp['entries']:,} entries: `screener blocklist export` {exp['export_seconds']:.2f} s"
                  f" (of which {exp['process_start_seconds']:.2f} s process start), raw pipelined DUMP"
                  f" {exp['raw_dump_seconds']:.2f} s: {exp['ratio_export_vs_dump']:.2f}x.", ""]
    return "\n".join(lines)
