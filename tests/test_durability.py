"""Concurrency and durability: parallel loads both land, readers see old or new, a killed load leaves all or none."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest

from sp_analysis import backup
from sp_analysis.ingest.load import load_file
from sp_analysis.workspace import Workspace, close_workspace, open_workspace
from tests.conftest import ROOT, table_state

HEADER = "Date,Supplier Name,Amount,Expense Type\n"


def month_file(month: int, lines: int, pence: int = 1234) -> bytes:
    body = "".join(f"{(i % 28) + 1:02d}/{month:02d}/2024,Supplier {i % 500},{pence / 100 + i % 7:.2f},Works\n"
                   for i in range(lines))
    return (HEADER + body).encode()


def expected_total(month: int, lines: int, pence: int = 1234) -> Decimal:
    return sum((Decimal(pence) / 100 + i % 7 for i in range(lines)), Decimal(0)).quantize(Decimal("0.01"))


def totals(ws: Workspace) -> tuple[int, Decimal]:
    with ws.read() as cur:
        rows, total = cur.execute("SELECT count(*), coalesce(sum(amount), 0) FROM payments").fetchone()  # type: ignore[misc]
    return int(rows), Decimal(total)


def test_two_loads_at_once_both_land(ws: Workspace) -> None:
    errors: list[BaseException] = []

    def load(month: int) -> None:
        try:
            load_file(ws, f"m{month}.csv", month_file(month, 20_000), "spend")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=load, args=(m,)) for m in (5, 6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert totals(ws) == (40_000, expected_total(5, 20_000) + expected_total(6, 20_000))


def test_a_reader_sees_the_old_or_the_new_figures_never_a_mix(ws: Workspace) -> None:
    load_file(ws, "first.csv", month_file(4, 5_000), "spend")
    old = totals(ws)
    new = (old[0] + 60_000, old[1] + expected_total(5, 60_000))
    seen: set[tuple[int, Decimal]] = set()
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            seen.add(totals(ws))

    reader = threading.Thread(target=read)
    reader.start()
    load_file(ws, "second.csv", month_file(5, 60_000), "spend")
    time.sleep(0.05)
    done.set()
    reader.join()
    assert seen <= {old, new}
    assert totals(ws) == new


LOADER = """
import sys
from pathlib import Path
from sp_analysis.workspace import open_workspace
from sp_analysis.ingest.load import load_file
ws = open_workspace(Path(sys.argv[1]))
print("ready", flush=True)
load_file(ws, "big.csv", Path(sys.argv[2]).read_bytes(), "spend")
print("loaded", flush=True)
"""


@pytest.mark.parametrize("delay", [0.2, 0.6, 1.0, 1.6])
def test_a_load_killed_midway_leaves_all_of_the_file_or_none(tmp_path: Path, delay: float) -> None:
    workspace = tmp_path / "w.duckdb"
    ws = open_workspace(workspace)
    load_file(ws, "before.csv", month_file(3, 100), "spend")
    before = totals(ws)
    close_workspace(workspace)
    big = tmp_path / "big.csv"
    big.write_bytes(month_file(7, 300_000))
    process = subprocess.Popen([sys.executable, "-c", LOADER, str(workspace), str(big)], cwd=ROOT,
                               stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready"
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    ws = open_workspace(workspace)  # opens, replaying or discarding the write-ahead log
    try:
        after = totals(ws)
        full = (before[0] + 300_000, before[1] + expected_total(7, 300_000))
        assert after in (before, full)
        with ws.read() as cur:
            files = cur.execute("SELECT count(*) FROM loaded_files").fetchone()[0]  # type: ignore[index]
        assert files == (1 if after == before else 2)
    finally:
        close_workspace(workspace)


def test_export_then_import_restores_every_table(ws: Workspace, tmp_path: Path) -> None:
    load_file(ws, "a.csv", month_file(4, 1_000), "spend")
    load_file(ws, "reg.csv", b"Contract Title,Supplier Name,Contract Value\nWaste,Greenfield,1000\n", "contracts")
    before = table_state(ws)
    counts = backup.export_workspace(ws, tmp_path / "backup")
    assert counts["payments"] == 1_000 and counts["contracts"] == 1
    restored_path = tmp_path / "restored.duckdb"
    restored = open_workspace(restored_path)
    try:
        backup.import_workspace(restored, tmp_path / "backup")
        assert table_state(restored) == before
        # The next file gets a fresh id, after the restored ones.
        result = load_file(restored, "b.csv", month_file(5, 10), "spend")
        assert result.file_id == 3
    finally:
        close_workspace(restored_path)


def test_import_refuses_a_folder_that_is_not_a_backup(ws: Workspace, tmp_path: Path) -> None:
    from sp_analysis.workspace import WorkspaceError

    before = table_state(ws)
    with pytest.raises(WorkspaceError, match="not a backup"):
        backup.import_workspace(ws, tmp_path)
    assert table_state(ws) == before
