"""Benchmark: re-classifying every payment of a 10-million-line workspace with the bundled rules.

What it measures, and why
-------------------------
Issue 14 asks that re-classifying 10 million lines stay within the time it took before the rules grew
(the ProClass code rules, the service and cost centre columns). `classify_spend` is what runs when an
analyst saves a rule, imports rules or categories, or loads a file, so its time is the wait they see.

Steps:
1. Build (skipped with --keep when bench/out/reclassify-N.duckdb exists): the same generator as
   bench/queries.py (one `INSERT ... FROM range(N)`: 120 monthly pseudo-files, ~20,000 suppliers, the
   default rules' vocabulary plus a little they do not place), then, so that every kind of evidence the
   rules read is there, a quarter of the lines get the unmapped columns a council file carries (a
   `Service` and an `Account Description`, in the `extra` map) and a tenth a six-digit ProClass code.
2. Install the bundled taxonomy and rules, then time `classify_spend` (every payment, in one
   transaction) --runs times and report the median and the slowest, with the process's peak RSS.
3. Results: a table on stdout and bench/out/reclassify-results.json; full-size runs also write
   bench/reclassify-results.md.

Usage:  python bench/reclassify.py [--lines N] [--runs N] [--keep]
Smoke:  python bench/reclassify.py --lines 200000
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import platform
import resource
import statistics
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
OUT = BENCH / "out"
RESULTS_JSON = OUT / "reclassify-results.json"
RESULTS_MD = BENCH / "reclassify-results.md"
DEFAULT_LINES = 10_000_000

# A quarter of the lines carry the columns an unmapped council header would bring, a tenth a ProClass code.
ADD_EVIDENCE = """
UPDATE payments SET
    extra = CASE WHEN source_row % 4 = 0 THEN map(['Service', 'Account Description'], [
                list_extract(['Housing Planned Maintenance', 'Libraries', 'Corporate Support', 'Adult Services',
                              'Street Cleansing', 'DLO Services'], (source_row // 4) % 6 + 1),
                list_extract(['Payments to External Contractors', 'Other Supplies & Services', 'Equipment',
                              'Direct Charges - Contractors'], (source_row // 24) % 4 + 1)])
            END,
    proclass_code = CASE WHEN source_row % 10 = 3 THEN
                list_extract(['391411', '182013', '151513', '261517', '371300', '290000', 'CAT04', '321017'],
                             (source_row // 10) % 8 + 1)
            END
"""


def generator():  # type: ignore[no-untyped-def]
    """bench/queries.py, for its generator's SQL (one home for the 10-million-line workspace)."""
    spec = importlib.util.spec_from_file_location("bench_queries", BENCH / "queries.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build(path: Path, lines: int) -> float:
    from sp_analysis.workspace import close_workspace, open_workspace

    q = generator()
    for stale in (path, path.with_name(path.name + ".wal")):
        stale.unlink(missing_ok=True)
    ws = open_workspace(path)
    started = time.perf_counter()
    cur = ws.cursor()
    try:
        cur.execute(q.UNIFORM_MACRO)
        cur.execute(q.HASH_MACRO)
        with ws.write_on(cur):
            cur.execute(q.INSERT_PAYMENTS, {"lines": lines, "per": -(-lines // q.FILES), "suppliers": q.SUPPLIERS})
            cur.execute(q.INSERT_FILES)
            cur.execute(q.ADVANCE_FILE_IDS, {"files": q.FILES})
            cur.execute(ADD_EVIDENCE)
    finally:
        cur.close()
    close_workspace(path)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--lines", type=int, default=DEFAULT_LINES, help=f"payment lines (default {DEFAULT_LINES:,})")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of classify_spend (default 3)")
    parser.add_argument("--keep", action="store_true", help="reuse bench/out/reclassify-N.duckdb if it exists")
    args = parser.parse_args(argv)

    from sp_analysis.spend import classify
    from sp_analysis.workspace import close_workspace, open_workspace

    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"reclassify-{args.lines}.duckdb"
    seconds_build = None
    if not (args.keep and path.exists()):
        seconds_build = build(path, args.lines)
        print(f"built {args.lines:,} lines in {seconds_build:.1f} s", flush=True)
    ws = open_workspace(path)
    try:
        classify.install_default_taxonomy(ws)
        with ws.read() as cur:
            rules = cur.execute("SELECT count(*) FROM classification_rules").fetchone()[0]  # type: ignore[index]
        times, cpu = [], []
        for run in range(args.runs):
            started, cpu_started = time.perf_counter(), time.process_time()
            classify.classify_spend(ws)
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
            print(f"  run {run + 1}: classify_spend {times[-1]:.2f} s wall, {cpu[-1]:.2f} s CPU", flush=True)
        coverage = classify.classification_coverage(ws)
    finally:
        close_workspace(path)
    results = {
        "run_at": dt.datetime.now().isoformat(timespec="seconds"), "lines": args.lines, "rules": int(rules),
        "runs": times, "cpu_runs": cpu, "median_s": statistics.median(times), "max_s": max(times),
        "median_cpu_s": statistics.median(cpu), "load_average": os.getloadavg()[0], "peak_rss_mb": peak_rss_mb(),
        "classified_share_by_value": float(coverage.share_by_value or 0), "seconds_build": seconds_build,
        "machine": f"{platform.platform()}, Python {platform.python_version()}",
    }
    RESULTS_JSON.write_text(json.dumps(results, indent=2))
    text = (f"# Benchmark: re-classifying a large workspace\n\n"
            f"Run {results['run_at']} ({results['machine']}); `python bench/reclassify.py`. "
            f"{args.lines:,} payments (bench/queries.py's generator, a quarter with service and account "
            f"description columns, a tenth with a ProClass code), {rules} bundled rules, "
            f"{results['classified_share_by_value']:.1%} of spend by value classified.\n\n"
            f"CPU time is the process's (all DuckDB threads); wall time moves with the machine's load "
            f"(1-minute load average {results['load_average']:.1f} at the end, on {os.cpu_count()} CPUs).\n\n"
            f"| runs | median wall s | slowest wall s | median CPU s | peak RSS MB |\n|---:|---:|---:|---:|---:|\n"
            f"| {args.runs} | {results['median_s']:.2f} | {results['max_s']:.2f} | {results['median_cpu_s']:.2f} "
            f"| {results['peak_rss_mb']:,.0f} |\n")
    if args.lines == DEFAULT_LINES:
        RESULTS_MD.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
