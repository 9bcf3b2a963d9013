"""Import trusts nothing in a backup folder: each tampered backup is refused with its reason, and the
workspace is left exactly as it was (all or nothing)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest

from sp_analysis import backup
from sp_analysis.ingest.load import load_file
from sp_analysis.plan.framework import install_sample_plan
from sp_analysis.workspace import Workspace, WorkspaceError, close_workspace, open_workspace
from tests.conftest import ROOT, table_state

SPEND = (b"Date,Supplier Name,Amount,Expense Area,Expense Type\n"
         b"01/04/2024,Acme Ltd,100.00,Highways,Road repairs\n"
         b"02/04/2024,Beta Care,250.50,Adult Social Care,Residential care\n"
         b"03/04/2024,Acme Ltd,-20.00,Highways,Credit note\n")
CONTRACTS = "Contract Title,Supplier Name,Contract Value\nWaste collection,Greenfield Ltd,\"£1,000\"\n".encode()
OTHER = (b"Date,Supplier Name,Amount,Expense Area,Expense Type\n"
         b"05/05/2024,Gamma Foods,9.99,Schools,Catering\n")


@pytest.fixture
def source(tmp_path: Path) -> Iterator[Path]:
    """A backup of a small workspace: a spend file, a contracts register and the sample action plan."""
    path = tmp_path / "source.duckdb"
    ws = open_workspace(path)
    load_file(ws, "spend.csv", SPEND, "spend")
    load_file(ws, "register.csv", CONTRACTS, "contracts")
    install_sample_plan(ws)
    folder = tmp_path / "backup"
    backup.export_workspace(ws, folder)
    close_workspace(path)
    yield folder


@pytest.fixture
def target(tmp_path: Path) -> Iterator[Workspace]:
    """The workspace imported into: it already holds a file of its own, which a refusal must leave alone."""
    path = tmp_path / "target.duckdb"
    ws = open_workspace(path)
    load_file(ws, "other.csv", OTHER, "spend")
    yield ws
    close_workspace(path)


def manifest(folder: Path) -> dict[str, object]:
    return json.loads((folder / backup.MANIFEST).read_text())


def write_manifest(folder: Path, data: dict[str, object]) -> None:
    (folder / backup.MANIFEST).write_text(json.dumps(data))


def rewrite(folder: Path, table: str, select: Callable[[list[str]], str], *, fix_count: bool = True) -> None:
    """Replace <table>.parquet with a query over the original (the query names it `t`); the manifest's
    row count follows unless fix_count is False."""
    path = folder / f"{table}.parquet"
    con = duckdb.connect()
    con.execute(f"CREATE TABLE t AS SELECT * FROM read_parquet('{path}')")
    columns = [c for (c,) in con.execute("SELECT column_name FROM (DESCRIBE t)").fetchall()]
    con.execute(f"COPY ({select(columns)}) TO '{path}' (FORMAT parquet)")
    rows = con.execute(f"SELECT count(*) FROM read_parquet('{path}')").fetchone()[0]  # type: ignore[index]
    con.close()
    if fix_count:
        data = manifest(folder)
        data["tables"][table] = rows  # type: ignore[index]
        write_manifest(folder, data)


def refused(ws: Workspace, folder: Path, reason: str) -> str:
    before = table_state(ws)
    with pytest.raises(WorkspaceError) as caught:
        backup.import_workspace(ws, folder)
    message = str(caught.value)
    assert reason in message, message
    assert table_state(ws) == before, "a refused import changed the workspace"
    return message


def departments(ws: Workspace) -> list[tuple[str, str]]:
    with ws.read() as cur:
        return cur.execute("SELECT department, expense_type FROM payments ORDER BY source_row").fetchall()


def test_a_faithful_backup_restores_over_a_workspace_with_data(target: Workspace, source: Path) -> None:
    counts = backup.import_workspace(target, source)
    assert counts["payments"] == 3 and counts["contracts"] == 1 and counts["plan_actions"] > 0
    assert departments(target)[0] == ("Highways", "Road repairs")
    with target.read() as cur:
        assert cur.execute("SELECT name FROM loaded_files ORDER BY file_id").fetchall() == [
            ("spend.csv",), ("register.csv",)]


def test_columns_in_another_order_land_by_name(target: Workspace, source: Path) -> None:
    # department and expense_type change places in the file: matched by position, each would land in
    # the other's column silently.
    def swapped(columns: list[str]) -> str:
        order = list(columns)
        a, b = order.index("department"), order.index("expense_type")
        order[a], order[b] = order[b], order[a]
        return "SELECT " + ", ".join(f'"{c}"' for c in order) + " FROM t"

    rewrite(source, "payments", swapped)
    backup.import_workspace(target, source)
    assert departments(target) == [("Highways", "Road repairs"), ("Adult Social Care", "Residential care"),
                                   ("Highways", "Credit note")]


def test_a_renamed_column_is_refused(target: Workspace, source: Path) -> None:
    rewrite(source, "payments", lambda cols: "SELECT * RENAME (department AS dept) FROM t")
    refused(target, source, "payments.parquet lacks the column department")


def test_an_extra_column_is_refused(target: Workspace, source: Path) -> None:
    rewrite(source, "payments", lambda cols: "SELECT *, 'x' AS injected FROM t")
    refused(target, source, "payments.parquet has column this workspace does not: injected")


def test_a_column_of_the_wrong_type_is_refused(target: Workspace, source: Path) -> None:
    rewrite(source, "payments", lambda cols: "SELECT * REPLACE (CAST(amount AS DOUBLE) AS amount) FROM t")
    refused(target, source, "payments.amount is DOUBLE in the backup; the workspace keeps it as DECIMAL(18,2)")


def test_a_manifest_listing_only_payments_is_refused(target: Workspace, source: Path) -> None:
    data = manifest(source)
    data["tables"] = {"payments": data["tables"]["payments"]}  # type: ignore[index]
    write_manifest(source, data)
    message = refused(target, source, "it lacks tables every workspace of schema")
    assert "loaded_files" in message


def test_doubled_payments_are_refused(target: Workspace, source: Path) -> None:
    rewrite(source, "payments", lambda cols: "SELECT * FROM t UNION ALL SELECT * FROM t")
    refused(target, source, "payments holds the line (1, 2) (file_id, source_row) 2 times")


def test_orphaned_payments_are_refused(target: Workspace, source: Path) -> None:
    rewrite(source, "payments", lambda cols: "SELECT * REPLACE (99 AS file_id) FROM t")
    refused(target, source, "payments has a row with file_id (99,) that is not a loaded file of kind spend")


def test_payments_filed_under_a_contracts_register_are_refused(target: Workspace, source: Path) -> None:
    rewrite(source, "payments", lambda cols: "SELECT * REPLACE (2 AS file_id) FROM t")  # file 2 is the register
    refused(target, source, "that is not a loaded file of kind spend")


def test_a_row_count_unlike_the_manifests_is_refused(target: Workspace, source: Path) -> None:
    rewrite(source, "payments", lambda cols: "SELECT * FROM t LIMIT 2", fix_count=False)
    refused(target, source, "payments.parquet holds 2 rows; the manifest says 3")


def test_a_loaded_file_whose_lines_are_missing_is_refused(target: Workspace, source: Path) -> None:
    rewrite(source, "payments", lambda cols: "SELECT * FROM t WHERE source_row <> 3")
    refused(target, source, "loaded file 'spend.csv' records 3 payments; the backup holds 2 for it")


def test_a_loaded_file_whose_total_is_altered_is_refused(target: Workspace, source: Path) -> None:
    rewrite(source, "payments", lambda cols: "SELECT * REPLACE (amount * 10 AS amount) FROM t")
    refused(target, source, "records a total of £330.50; its payments in the backup add up to £3,305.00")


def test_a_tampered_schema_version_is_refused(target: Workspace, source: Path) -> None:
    data = manifest(source)
    data["schema_version"] = 99
    write_manifest(source, data)
    refused(target, source, "is of schema 99")
    data["schema_version"] = backup.SCHEMA_VERSION
    write_manifest(source, data)
    rewrite(source, "schema_version", lambda cols: "SELECT 99 AS version, max(applied_at) AS applied_at FROM t")
    refused(target, source, "its schema_version table records versions [99]")


@pytest.mark.timeout(60)
def test_a_huge_sequence_value_is_refused_at_once(target: Workspace, source: Path) -> None:
    data = manifest(source)
    data["sequences"]["file_id_seq"] = 10**15  # type: ignore[index]
    write_manifest(source, data)
    started = time.monotonic()
    refused(target, source, "sequence file_id_seq is 1000000000000000")
    assert time.monotonic() - started < 30


def test_a_sequence_behind_its_keys_is_refused(target: Workspace, source: Path) -> None:
    data = manifest(source)
    data["sequences"]["file_id_seq"] = 1  # type: ignore[index]  # two files are in the backup
    write_manifest(source, data)
    refused(target, source, "the next one would repeat an id")


def test_a_manifest_that_is_not_json_is_refused(target: Workspace, source: Path) -> None:
    (source / backup.MANIFEST).write_text("{not json")
    refused(target, source, "manifest.json cannot be read")


def test_a_duplicate_key_is_refused_with_the_reason(target: Workspace, source: Path) -> None:
    rewrite(source, "plan_actions", lambda cols: "SELECT * FROM t UNION ALL (SELECT * FROM t LIMIT 1)")
    refused(target, source, "plan_actions breaks a rule of the workspace")


def test_the_data_version_only_moves_forward(target: Workspace, source: Path) -> None:
    for _ in range(20):  # the target has seen many more changes than the backup
        with target.write():
            pass
    before = target.data_version()
    backup.import_workspace(target, source)
    assert target.data_version() > before


def test_the_command_line_refuses_with_the_reason_and_exit_1(tmp_path: Path, source: Path) -> None:
    rewrite(source, "payments", lambda cols: "SELECT * REPLACE (99 AS file_id) FROM t")
    done = subprocess.run([sys.executable, "-m", "sp_analysis", "import", "--workspace", str(tmp_path / "w.duckdb"),
                           str(source)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "not a loaded file of kind spend" in done.stderr and "Nothing was changed" in done.stderr
    assert "Traceback" not in done.stderr
