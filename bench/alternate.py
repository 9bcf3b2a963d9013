"""Old and new ways of loading, alternated in one process on the benchmark's files, so that both meet the
same load on a shared machine.

Run bench/run.py first (it generates bench/out/files/), then:

    python bench/alternate.py [--files N] [--rounds N] [--flag NAME]

Each round loads the first N files through `load_paths` in batches (as the command line does) into a fresh
workspace, once with the loader's module flag NAME (default TYPE_BY_SHAPE) off and once on, in turns, and
prints each time with the load average.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

from sp_analysis.ingest import load  # noqa: E402
from sp_analysis.workspace import close_workspace, open_workspace  # noqa: E402

FILES_DIR = BENCH / "out" / "files"
WORKSPACE = BENCH / "out" / "alternate.duckdb"


def one_load(paths: list[Path]) -> tuple[float, int]:
    for stale in (WORKSPACE, WORKSPACE.with_name(WORKSPACE.name + ".wal")):
        stale.unlink(missing_ok=True)
    ws = open_workspace(WORKSPACE)
    started = time.perf_counter()
    rows = 0
    for _path, outcome in load.load_paths(ws, paths, "spend", batch_rows=load.BATCH_ROWS):
        assert isinstance(outcome, load.LoadResult), outcome
        rows += outcome.rows
    seconds = time.perf_counter() - started
    close_workspace(WORKSPACE)
    return seconds, rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--files", type=int, default=30, help="load the first N files (default 30)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of off then on (default 2)")
    parser.add_argument("--flag", default="TYPE_BY_SHAPE", help="the loader's module flag to turn off and on")
    args = parser.parse_args()
    paths = sorted(FILES_DIR.glob("*.csv"))[: args.files]
    if not paths:
        print("no files: run bench/run.py first", file=sys.stderr)
        return 1
    times: dict[bool, list[float]] = {False: [], True: []}
    for round_no in range(args.rounds):
        for value in (False, True) if round_no % 2 == 0 else (True, False):
            setattr(load, args.flag, value)
            seconds, rows = one_load(paths)
            times[value].append(seconds)
            print(f"round {round_no + 1}: {args.flag}={value}: {seconds:.1f} s, {rows:,} payments, "
                  f"load average {os.getloadavg()[0]:.1f}", flush=True)
    off, on = sum(times[False]), sum(times[True])
    print(f"{len(paths)} files, {args.rounds} rounds: off {off:.1f} s, on {on:.1f} s, on / off {on / off:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
