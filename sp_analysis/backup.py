"""Backups: every workspace table as Parquet in a folder, and back again.

The folder is also the way past one machine: Parquet files open in any engine that speaks SQL
(DuckDB, Spark, a cloud warehouse), and the analysis queries are plain DuckDB SQL.

An import trusts nothing in the folder. Before anything changes it checks the manifest (schema version,
every table, row counts, sequences), then each Parquet file's columns by name and type against the
schema of a freshly migrated workspace (so a column added by a new migration is checked with no list to
update here); inside the one transaction it checks keys and references (payments and contracts belong to
a loaded file of their kind, no payment twice, each file's row count and total), and refuses the whole
backup, with the reason, on the first problem.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from sp_analysis.sql import quote_identifier, quote_literal
from sp_analysis.workspace import DERIVED_TABLES, MARK_SPEND_FACTS_STALE, SCHEMA_VERSION, Workspace, WorkspaceError

MANIFEST = "manifest.json"
USER_TABLES = """
SELECT table_name FROM duckdb_tables()
WHERE database_name = current_database() AND schema_name = 'main' AND NOT temporary
ORDER BY table_name
"""
SEQUENCES = "SELECT sequence_name, last_value FROM duckdb_sequences() WHERE database_name = current_database()"
# Keys are INTEGER columns: a sequence past this would give ids that cannot be stored.
LARGEST_KEY = 2**31 - 1

# Each child table's key column must be found in its parent (with the parent's kind, where given).
REFERENCES: tuple[tuple[str, str, str, str, str | None], ...] = (
    # child, column, parent, column, parent kind
    ("payments", "file_id", "loaded_files", "file_id", "spend"),
    ("contracts", "file_id", "loaded_files", "file_id", "contracts"),
    ("payment_classes", "file_id, source_row", "payments", "file_id, source_row", None),
    ("ff_assessment_items", "assessment_id", "ff_assessments", "assessment_id", None),
    ("plan_milestones", "action_id", "plan_actions", "action_id", None),
    ("plan_action_status", "action_id", "plan_actions", "action_id", None),
    ("supplier_attributes", "upload_id", "supplier_attribute_uploads", "upload_id", None),
)
# Rows that are one published line each: a line twice is a doubled payment.
UNIQUE_LINES: tuple[tuple[str, str], ...] = (
    ("payments", "file_id, source_row"),
    ("contracts", "file_id, source_row"),
    ("payment_classes", "file_id, source_row"),
    ("supplier_attributes", "upload_id, source_row"),
)
# The key each sequence hands out: the sequence must stand at or past the largest key restored.
SEQUENCE_KEYS = {
    "file_id_seq": ("loaded_files", "file_id"),
    "ff_assessment_seq": ("ff_assessments", "assessment_id"),
    "plan_status_seq": ("plan_action_status", "entry_id"),
    "supplier_attribute_upload_seq": ("supplier_attribute_uploads", "upload_id"),
}
# Each loaded file's recorded rows (and, for spend, total) against the lines restored with it.
FILE_COUNTS = """
SELECT f.name, f.kind, f.rows, f.total, coalesce(p.n, c.n, 0), p.total
FROM loaded_files f
LEFT JOIN (SELECT file_id, count(*) AS n, sum(amount) AS total FROM payments GROUP BY file_id) p
       ON f.kind = 'spend' AND p.file_id = f.file_id
LEFT JOIN (SELECT file_id, count(*) AS n FROM contracts GROUP BY file_id) c
       ON f.kind = 'contracts' AND c.file_id = f.file_id
WHERE f.rows <> coalesce(p.n, c.n, 0) OR (f.kind = 'spend' AND f.total <> coalesce(p.total, 0))
ORDER BY f.file_id
LIMIT 1
"""


def _last_value(cur: duckdb.DuckDBPyConnection, name: str) -> int:
    row = cur.execute(
        "SELECT coalesce(last_value, start_value - 1) FROM duckdb_sequences() WHERE sequence_name = $name",
        {"name": name}).fetchone()
    return int(row[0]) if row else 0


def export_workspace(ws: Workspace, folder: Path) -> dict[str, int]:
    """Write every table as <table>.parquet plus a manifest; returns rows per table."""
    folder.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    with ws.read() as cur:
        cur.execute("BEGIN TRANSACTION")  # one consistent snapshot of every table
        tables = [t for (t,) in cur.execute(USER_TABLES).fetchall() if t not in DERIVED_TABLES]
        for table in tables:
            target = folder / f"{table}.parquet"
            cur.execute(f"COPY (SELECT * FROM {quote_identifier(table)}) TO $path (FORMAT parquet)", {"path": str(target)})
            counts[table] = int(cur.execute(f"SELECT count(*) FROM {quote_identifier(table)}").fetchone()[0])  # type: ignore[index]
        sequences = {name: value for name, value in cur.execute(SEQUENCES).fetchall()}
        cur.execute("COMMIT")
    manifest = {"schema_version": SCHEMA_VERSION, "exported_at": dt.datetime.now().isoformat(timespec="seconds"),
                "tables": counts, "sequences": sequences}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, default=str))
    return counts


@dataclass(frozen=True)
class Schema:
    """What a freshly migrated workspace holds: each table's columns with their types as read back from
    Parquet (so they compare exactly with a backup's files), and its sequences."""

    columns: dict[str, list[tuple[str, str]]]
    sequences: frozenset[str]


def fresh_schema() -> Schema:
    """The schema of a new workspace of this version, made by running the migrations in a scratch file."""
    with tempfile.TemporaryDirectory(prefix="sp-schema-") as scratch:
        fresh = Workspace(Path(scratch) / "schema.duckdb")
        try:
            with fresh.read() as cur:
                columns: dict[str, list[tuple[str, str]]] = {}
                for (table,) in cur.execute(USER_TABLES).fetchall():
                    if table in DERIVED_TABLES:
                        continue
                    probe = Path(scratch) / f"{len(columns)}.parquet"
                    cur.execute(f"COPY (SELECT * FROM {quote_identifier(table)} LIMIT 0) TO $path (FORMAT parquet)",
                                {"path": str(probe)})
                    columns[table] = _parquet_columns(cur, probe)
                sequences = frozenset(name for name, _ in cur.execute(SEQUENCES).fetchall())
        finally:
            fresh.close()
    return Schema(columns, sequences)


def _parquet_columns(cur: duckdb.DuckDBPyConnection, path: Path) -> list[tuple[str, str]]:
    rows = cur.execute("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet($path))",
                       {"path": str(path)}).fetchall()
    return [(str(name), str(kind)) for name, kind in rows]


def _refused(folder: Path, reason: str) -> WorkspaceError:
    return WorkspaceError(f"The backup in {folder} was not imported: {reason}. Nothing was changed.")


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _read_manifest(folder: Path, schema: Schema) -> tuple[dict[str, int], dict[str, int | None]]:
    """The manifest's tables and sequences, once they are exactly this schema's."""
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        raise WorkspaceError(f"{folder} holds no {MANIFEST}: it is not a backup written by 'export'.")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _refused(folder, f"its {MANIFEST} cannot be read ({exc})") from exc
    if not isinstance(manifest, dict):
        raise _refused(folder, f"its {MANIFEST} is not an object")
    version = manifest.get("schema_version")
    if not _is_count(version) or version != SCHEMA_VERSION:
        raise WorkspaceError(
            f"The backup in {folder} is of schema {version!r}; this workspace is schema "
            f"{SCHEMA_VERSION}. Import it with the version of this tool that wrote it, then upgrade. "
            "Nothing was changed."
        )
    tables = manifest.get("tables")
    if not isinstance(tables, dict) or not all(isinstance(t, str) and _is_count(n) for t, n in tables.items()):
        raise _refused(folder, f"its {MANIFEST} does not give each table's row count")
    unknown = sorted(set(tables) - set(schema.columns))
    if unknown:
        raise _refused(folder, f"it has tables this workspace does not: {', '.join(unknown)}")
    missing = sorted(set(schema.columns) - set(tables))
    if missing:
        raise _refused(folder, f"it lacks tables every workspace of schema {SCHEMA_VERSION} has: "
                               f"{', '.join(missing)} (a partial backup would leave the workspace inconsistent)")
    sequences = manifest.get("sequences") or {}
    if not isinstance(sequences, dict):
        raise _refused(folder, f"its {MANIFEST} lists sequences in an unknown form")
    unknown = sorted(set(sequences) - schema.sequences)
    if unknown:
        raise _refused(folder, f"it has sequences this workspace does not: {', '.join(unknown)}")
    for name, value in sequences.items():
        if value is not None and (not _is_count(value) or value > LARGEST_KEY):
            raise _refused(folder, f"sequence {name} is {value!r}, not a whole number from 0 to {LARGEST_KEY:,}")
    return tables, sequences


def _check_files(cur: duckdb.DuckDBPyConnection, folder: Path, schema: Schema, tables: dict[str, int]) -> None:
    """Each table's file: present, readable, the schema's columns by name and type, the manifest's row count."""
    for table, expected_rows in tables.items():
        path = folder / f"{table}.parquet"
        if not path.is_file():
            raise _refused(folder, f"it lacks {table}.parquet")
        try:
            found = _parquet_columns(cur, path)
            rows = int(cur.execute("SELECT count(*) FROM read_parquet($path)", {"path": str(path)}).fetchone()[0])  # type: ignore[index]
        except duckdb.Error as exc:
            raise _refused(folder, f"{table}.parquet cannot be read as Parquet ({exc})") from exc
        expected = dict(schema.columns[table])
        names = [name for name, _ in found]
        if len(set(names)) != len(names):
            raise _refused(folder, f"{table}.parquet has a column name twice")
        missing = [name for name in expected if name not in names]
        if missing:
            raise _refused(folder, f"{table}.parquet lacks the column{'s' if len(missing) > 1 else ''} "
                                   f"{', '.join(missing)}")
        extra = [name for name in names if name not in expected]
        if extra:
            raise _refused(folder, f"{table}.parquet has column{'s' if len(extra) > 1 else ''} this workspace "
                                   f"does not: {', '.join(extra)}")
        for name, kind in found:
            if kind != expected[name]:
                raise _refused(folder, f"{table}.{name} is {kind} in the backup; the workspace keeps it as "
                                       f"{expected[name]}")
        if rows != expected_rows:
            raise _refused(folder, f"{table}.parquet holds {rows:,} rows; the manifest says {expected_rows:,}")


def _first(cur: duckdb.DuckDBPyConnection, sql: str) -> tuple[Any, ...] | None:
    return cur.execute(sql).fetchone()


def _check_contents(cur: duckdb.DuckDBPyConnection, folder: Path, schema: Schema,
                    sequences: dict[str, int | None]) -> None:
    """Keys and references of the rows just restored, inside the import's transaction."""
    present = set(schema.columns)
    versions = sorted(v for (v,) in cur.execute("SELECT version FROM schema_version").fetchall())
    if versions != list(range(1, SCHEMA_VERSION + 1)):
        raise _refused(folder, f"its schema_version table records versions {versions}, not 1 to {SCHEMA_VERSION} "
                               "as the manifest says")
    data_version = _first(cur, "SELECT TRY_CAST(value AS BIGINT) FROM workspace_meta WHERE key = 'data_version'")
    if data_version is None or data_version[0] is None:
        raise _refused(folder, "its workspace_meta has no readable data_version")
    for table, key in UNIQUE_LINES:
        if table not in present:
            continue
        twice = _first(cur, f"SELECT {key}, count(*) FROM {quote_identifier(table)} GROUP BY ALL HAVING count(*) > 1 LIMIT 1")
        if twice:
            raise _refused(folder, f"{table} holds the line {tuple(twice[:-1])} ({key}) {twice[-1]} times")
    for child, column, parent, parent_column, kind in REFERENCES:
        if child not in present or parent not in present:
            continue
        child_keys = ", ".join(f"c.{quote_identifier(c.strip())}" for c in column.split(","))
        matches = " AND ".join(f"p.{quote_identifier(p.strip())} = c.{quote_identifier(c.strip())}"
                               for c, p in zip(column.split(","), parent_column.split(","), strict=True))
        if kind:
            matches += f" AND p.kind = {quote_literal(kind)}"
        orphan = _first(cur, f"SELECT {child_keys} FROM {quote_identifier(child)} c WHERE NOT EXISTS "
                             f"(SELECT 1 FROM {quote_identifier(parent)} p WHERE {matches}) LIMIT 1")
        if orphan:
            what = f"a loaded file of kind {kind}" if kind else f"a row of {parent}"
            raise _refused(folder, f"{child} has a row with {column} {tuple(orphan)} that is not {what}")
    if {"loaded_files", "payments", "contracts"} <= present:
        wrong = _first(cur, FILE_COUNTS)
        if wrong:
            name, kind, rows, total, found, found_total = wrong
            if rows != found:
                raise _refused(folder, f"loaded file {name!r} records {rows:,} {'payments' if kind == 'spend' else 'contracts'}; "
                                       f"the backup holds {found:,} for it")
            raise _refused(folder, f"loaded file {name!r} records a total of £{total:,.2f}; its payments in the "
                                   f"backup add up to £{found_total or 0:,.2f}")
    for name, (table, column) in SEQUENCE_KEYS.items():
        if table not in present or name not in sequences:
            continue
        largest = _first(cur, f"SELECT max({quote_identifier(column)}) FROM {quote_identifier(table)}")
        value = sequences[name]
        if largest and largest[0] is not None and (value is None or value < largest[0]):
            raise _refused(folder, f"sequence {name} stands at {value}, below the largest {table}.{column} "
                                   f"({largest[0]}): the next one would repeat an id")


def find_backups(near: Path, depth: int = 2, limit: int = 200) -> list[tuple[Path, str]]:
    """Folders written by 'export' in `near` and the folders below it (to `depth`), newest first, each with
    the time its manifest gives; for pointing at the backup to restore when a workspace file is damaged."""
    found: list[tuple[Path, str]] = []
    frontier, seen = [near], 0
    for _ in range(depth + 1):
        below: list[Path] = []
        for folder in frontier:
            try:
                entries = sorted(folder.iterdir())
            except OSError:
                continue
            for entry in entries:
                seen += 1
                if seen > limit:
                    break
                if entry.name == MANIFEST and entry.is_file():
                    try:
                        manifest = json.loads(entry.read_text(encoding="utf-8"))
                    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
                        continue
                    if isinstance(manifest, dict) and isinstance(manifest.get("tables"), dict):
                        found.append((folder, str(manifest.get("exported_at") or "")))
                elif entry.is_dir() and not entry.name.startswith("."):
                    below.append(entry)
        frontier = below
    return sorted(found, key=lambda item: item[1], reverse=True)


def import_workspace(ws: Workspace, folder: Path) -> dict[str, int]:
    """Replace every table's rows with the backup's, in one transaction; refuses a backup that does not
    check out, with the reason, and then changes nothing."""
    schema = fresh_schema()
    tables, sequences = _read_manifest(folder, schema)
    with ws.read() as cur:
        _check_files(cur, folder, schema, tables)
    with ws.write() as cur:
        live = {t for (t,) in cur.execute(USER_TABLES).fetchall()}
        if not set(tables) <= live:
            raise _refused(folder, f"this workspace lacks tables {', '.join(sorted(set(tables) - live))}")
        previous = _first(cur, "SELECT TRY_CAST(value AS BIGINT) FROM workspace_meta WHERE key = 'data_version'")
        for table in tables:
            columns = ", ".join(quote_identifier(name) for name, _ in schema.columns[table])
            cur.execute(f"DELETE FROM {quote_identifier(table)}")
            try:
                # By name: a file whose columns come in another order still lands each in its own column.
                cur.execute(f"INSERT INTO {quote_identifier(table)} ({columns}) SELECT {columns} FROM read_parquet($path)",
                            {"path": str(folder / f"{table}.parquet")})
            except duckdb.Error as exc:
                raise _refused(folder, f"{table} breaks a rule of the workspace ({exc})") from exc
        _check_contents(cur, folder, schema, sequences)
        # The data version only moves forward, so no page cache keyed on an older number can be served.
        restored = _first(cur, "SELECT CAST(value AS BIGINT) FROM workspace_meta WHERE key = 'data_version'")
        floor = max(int(previous[0] or 0) if previous else 0, int(restored[0]) if restored else 0)
        cur.execute("UPDATE workspace_meta SET value = CAST($v AS VARCHAR) WHERE key = 'data_version'",
                    {"v": floor + 1})
        cur.execute(MARK_SPEND_FACTS_STALE)
        # Last, as sequences are not rolled back: each only ever moves forward, to the backup's value.
        for name, value in sequences.items():
            if value is not None and value > _last_value(cur, name):
                cur.execute(f"SELECT setval({quote_literal(name)}, $n)", {"n": int(value)})
    return tables
