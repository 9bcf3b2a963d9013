"""The baseline for bench/run.py: bare DuckDB reading the clean UTF-8 copies into a persistent file.

Run as its own process (by run.py) so that its wall clock and peak memory compare like for like
with `python -m sp_analysis load`. It imports nothing but DuckDB and the standard library, so the
baseline is not charged for the benchmark's own imports (numpy).

    python bench/bare_read.py per-file   MANIFEST DATABASE
    python bench/bare_read.py multi-file MANIFEST DATABASE

multi-file: one read_csv over all files of each header shape (DuckDB's multi-file, parallel path,
            union_by_name), each into its own persistent table: the benchmark's baseline.
per-file:   every file in its own statement (its own transaction): the first file of each header
            shape creates that shape's table, later ones insert into it; kept for reference.

Both read every column as text (all_varchar) with DuckDB's defaults otherwise; the only options
given are the ones needed to read the files at all: the number of title lines above the header
(`skip`) and, for the shape whose files end with a one-cell footer line, `null_padding` (DuckDB's
parallel reader does not take null_padding with quoted line breaks, so no shape needs both). Prints one JSON object.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import duckdb

READ_CSV = "read_csv({paths}, all_varchar = true, header = true, skip = {skip}, null_padding = {padding}{more})"


# Files of one shape share a header; union_by_name matches columns by name as a mixed archive would need.
MULTI = ", union_by_name = true"


def _quote(path: str) -> str:
    return "'" + path.replace("'", "''") + "'"


def per_file(con: duckdb.DuckDBPyConnection, files: list[dict[str, Any]]) -> dict[str, int]:
    created: set[str] = set()
    for entry in files:
        table = f"shape_{entry['shape']}"
        source = READ_CSV.format(paths=_quote(entry["clean_path"]), skip=int(entry["skip"]), padding=bool(entry["short_lines"]), more="")
        if table in created:
            con.execute(f"INSERT INTO {table} SELECT * FROM {source}")
        else:
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM {source}")
            created.add(table)
    return _row_counts(con, sorted(created))


def multi_file(con: duckdb.DuckDBPyConnection, files: list[dict[str, Any]]) -> dict[str, int]:
    by_shape: dict[str, list[dict[str, Any]]] = {}
    for entry in files:
        by_shape.setdefault(entry["shape"], []).append(entry)
    tables = []
    for shape, entries in sorted(by_shape.items()):
        paths = "[" + ", ".join(_quote(e["clean_path"]) for e in entries) + "]"
        table = f"shape_{shape}"
        first = entries[0]
        source = READ_CSV.format(paths=paths, skip=int(first["skip"]), padding=bool(first["short_lines"]), more=MULTI)
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM {source}")
        tables.append(table)
    return _row_counts(con, tables)


def _row_counts(con: duckdb.DuckDBPyConnection, tables: list[str]) -> dict[str, int]:
    counts = {}
    for table in tables:
        row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
        assert row is not None
        counts[table] = int(row[0])
    return counts


def main(argv: list[str]) -> int:
    mode, manifest_path, database = argv
    files = json.loads(Path(manifest_path).read_text())["files"]
    started = time.perf_counter()
    con = duckdb.connect(database)
    counts = per_file(con, files) if mode == "per-file" else multi_file(con, files)
    con.close()  # checkpoints: the data is in the file, as it is after the loader's commits
    print(json.dumps({"mode": mode, "seconds_in_process": time.perf_counter() - started, "rows_read": counts}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
