"""Where the loader's time goes: the benchmark's files loaded in-process with each stage timed.

Run bench/run.py first (it generates bench/out/files/), then:

    python bench/stages.py [--files N] [--batched]

The loader is not changed: its Python steps are wrapped where they are looked up (module
globals), and every SQL statement is timed through a cursor proxy and put in a stage by what it
does (read and parse, problems, quality, insert, commit, drop). A CSV loaded on its own is read
into a stage table first, then typed from there; in batches, the files of a header shape are read and
typed by one statement (a file typed on its own is staged first). The
staging step's remaining Python (writing the temp UTF-8 copy, sampling rows) is what is left of
`_stage_csv` once its timed parts are taken away. Files are loaded one after another here; the
CLI (`load_paths`) prepares the next file in a second thread meanwhile, so its Python steps mostly
overlap the SQL. With --batched the files go through `load_paths` in batches, as the CLI loads them
(shape groups typed together, one transaction per batch, the next file prepared in a second thread,
whose Python time then overlaps the SQL and is shown for reference only).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

from sp_analysis.ingest import load, source  # noqa: E402
from sp_analysis.workspace import Workspace, close_workspace, open_workspace  # noqa: E402

FILES_DIR = BENCH / "out" / "files"
WORKSPACE = BENCH / "out" / "stages.duckdb"

SQL_STAGES: tuple[tuple[str, str], ...] = (
    (r"CREATE TEMP TABLE stage_", "sql: stage table (alone: every CSV; batched: a file typed on its own)"),
    (r"SELECT count\(\*\) FROM stage_", "sql: count staged rows"),
    (r"UPDATE stage_", "sql: renumber lines"),
    (r"CREATE TEMP TABLE parsed_\w+ AS SELECT \* EXCLUDE \(sp_file\)", "sql: split a shape group back into files"),
    (r"CREATE TEMP TABLE parsed_", "sql: parse (batched: read_csv too), types, row kinds"),
    (r"SELECT line, row_kind", "sql: problems query"),
    (r"WITH pay AS", "sql: quality report"),
    (r"SELECT count\(\*\) FROM parsed_", "sql: count parsed rows"),
    (r"INSERT INTO payments", "sql: insert into payments"),
    (r"COMMIT", "sql: commit"),
    (r"SELECT (sha256, )?name, strftime", "sql: lookups: same bytes loaded"),
    (r"WITH new AS", "sql: lookups: repeated lines"),
    (r"SELECT (f, )?count\(try_strptime", "sql: lookups: date format"),
    (r"SELECT nextval|INSERT INTO loaded_files", "sql: lookups: file rows"),
    (r"DROP TABLE", "sql: drop temp tables"),
)

seconds: dict[str, float] = defaultdict(float)


def _stage_of(sql: str) -> str:
    text = sql.strip()
    for pattern, name in SQL_STAGES:
        if re.match(pattern, text):
            return name
    return "sql: other (begin, header candidates, ...)"


class TimedCursor:
    """A DuckDB cursor whose execute() is timed by stage; everything else passes through."""

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor

    def execute(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        result = self._cursor.execute(sql, *args, **kwargs)
        seconds[_stage_of(sql)] += time.perf_counter() - started
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)


def timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            seconds[name] += time.perf_counter() - started

    return wrapper


def instrument() -> None:
    """Wrap the loader's steps where load.py and source.py look them up."""
    for module, name, stage in (
        (load, "sha256_of", "py: sha256 of the bytes"),
        (source, "decode_bytes", "py: decode bytes"),
        (source, "split_rows", "py: header detection (split + match)"),
        (source, "find_header", "py: header detection (split + match)"),
        (source, "normalise_lines", "py: normalise line ends"),
        (source, "_lines_through_record", "py: lines above the header (csv.reader)"),
        (source, "_stage_csv", "_stage_csv (whole)"),
    ):
        setattr(module, name, timed(stage, getattr(module, name)))

    @contextmanager
    def read(self: Workspace) -> Iterator[Any]:
        cursor = self._con.cursor()
        try:
            yield TimedCursor(cursor)
        finally:
            cursor.close()

    Workspace.read = read  # type: ignore[method-assign]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--files", type=int, default=0, help="load only the first N files (default: all)")
    parser.add_argument("--batched", action="store_true", help="load in batches, as the CLI does (load_paths)")
    args = parser.parse_args()
    paths = sorted(FILES_DIR.glob("*.csv"))[: args.files or None]
    if not paths:
        print("no files: run bench/run.py first", file=sys.stderr)
        return 1
    for stale in (WORKSPACE, WORKSPACE.with_name(WORKSPACE.name + ".wal")):
        stale.unlink(missing_ok=True)
    ws = open_workspace(WORKSPACE)
    instrument()
    rows = 0
    started = time.perf_counter()
    if args.batched:
        for path, outcome in load.load_paths(ws, paths, "spend", batch_rows=load.BATCH_ROWS):
            if not isinstance(outcome, load.LoadResult):
                print(f"{path.name}: {outcome}", file=sys.stderr)
                return 1
            rows += outcome.rows
        seconds["load_path (whole)"] = time.perf_counter() - started
    else:
        for path in paths:
            file_started = time.perf_counter()
            rows += load.load_path(ws, path, "spend").rows
            seconds["load_path (whole)"] += time.perf_counter() - file_started
    total = time.perf_counter() - started
    close_workspace(WORKSPACE)

    inner = sum(v for k, v in seconds.items() if k.startswith("py: ") and "sha256" not in k)
    seconds["py: temp file write, line count (rest of _stage_csv)"] = seconds["_stage_csv (whole)"] - inner
    accounted = sum(v for k, v in seconds.items() if k.startswith(("py: ", "sql: ")))
    if not args.batched:  # batched, the Python steps run in a second thread beside the SQL: no remainder to take
        seconds["unaccounted (Python glue)"] = seconds["load_path (whole)"] - accounted

    print(f"{len(paths)} files, {rows:,} payments, {total:.1f}s in-process ({rows / total:,.0f} lines/s)\n")
    print(f"{'stage':<58}{'seconds':>9}{'share':>8}{'ms/file':>9}")
    for name, value in sorted(seconds.items(), key=lambda kv: -kv[1]):
        if name.endswith("(whole)"):
            continue
        print(f"{name:<58}{value:>9.2f}{value / total:>8.0%}{value / len(paths) * 1000:>9.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
