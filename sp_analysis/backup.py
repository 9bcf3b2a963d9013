"""Backups: every workspace table as Parquet in a folder, and back again.

The folder is also the way past one machine: Parquet files open in any engine that speaks SQL
(DuckDB, Spark, a cloud warehouse), and the analysis queries are plain DuckDB SQL.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from sp_analysis.workspace import MARK_SPEND_FACTS_STALE, SCHEMA_VERSION, Workspace, WorkspaceError

MANIFEST = "manifest.json"
# Tables rebuilt from the others (sp_analysis/facts.py) are not backed up.
DERIVED_TABLES = {"spend_facts", "spend_cells", "supplier_spellings"}
USER_TABLES = """
SELECT table_name FROM duckdb_tables()
WHERE database_name = current_database() AND schema_name = 'main' AND NOT temporary
ORDER BY table_name
"""
SEQUENCES = "SELECT sequence_name, last_value FROM duckdb_sequences() WHERE database_name = current_database()"


def _quote(identifier: str) -> str:
    """The one place a table name is put into SQL: quoted, with quotes doubled."""
    return '"' + identifier.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _last_value(cur: object, name: str) -> int:
    row = cur.execute(  # type: ignore[attr-defined]
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
            cur.execute(f"COPY (SELECT * FROM {_quote(table)}) TO $path (FORMAT parquet)", {"path": str(target)})
            counts[table] = int(cur.execute(f"SELECT count(*) FROM {_quote(table)}").fetchone()[0])  # type: ignore[index]
        sequences = {name: value for name, value in cur.execute(SEQUENCES).fetchall()}
        cur.execute("COMMIT")
    manifest = {"schema_version": SCHEMA_VERSION, "exported_at": dt.datetime.now().isoformat(timespec="seconds"),
                "tables": counts, "sequences": sequences}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, default=str))
    return counts


def import_workspace(ws: Workspace, folder: Path) -> dict[str, int]:
    """Replace every table's rows with the backup's, in one transaction; refuses a mismatched backup."""
    manifest_path = folder / MANIFEST
    if not manifest_path.exists():
        raise WorkspaceError(f"{folder} holds no {MANIFEST}: it is not a backup written by 'export'.")
    manifest = json.loads(manifest_path.read_text())
    if manifest.get("schema_version") != SCHEMA_VERSION:
        raise WorkspaceError(
            f"The backup in {folder} is of schema {manifest.get('schema_version')}; this workspace is schema "
            f"{SCHEMA_VERSION}. Import it with the version of this tool that wrote it, then upgrade."
        )
    tables: dict[str, int] = manifest["tables"]
    for table in tables:
        if not (folder / f"{table}.parquet").exists():
            raise WorkspaceError(f"The backup in {folder} lacks {table}.parquet; nothing was changed.")
    with ws.write() as cur:
        existing = {t for (t,) in cur.execute(USER_TABLES).fetchall()}
        unknown = set(tables) - existing
        if unknown:
            raise WorkspaceError(f"The backup has tables this workspace does not: {', '.join(sorted(unknown))}.")
        for table in tables:
            cur.execute(f"DELETE FROM {_quote(table)}")
            cur.execute(f"INSERT INTO {_quote(table)} SELECT * FROM read_parquet($path)",
                        {"path": str(folder / f"{table}.parquet")})
        for name, value in (manifest.get("sequences") or {}).items():
            if value is not None:
                # A sequence cannot be set directly: advance it to the backup's last value in one statement.
                cur.execute(f"SELECT max(nextval({_literal(name)})) FROM range(greatest(0, $n))",
                            {"n": int(value) - _last_value(cur, name)})
        cur.execute(MARK_SPEND_FACTS_STALE)
    return tables
