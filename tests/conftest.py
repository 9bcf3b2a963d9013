"""Shared fixtures: temporary workspaces, the real samples (skipped where absent), the sample council."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest

from sp_analysis.workspace import Workspace, close_workspace, open_workspace

ROOT = Path(__file__).resolve().parent.parent
REAL_SAMPLES = ROOT.parent / "shared" / "real-samples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# A real council file kept with the tests (Open Government Licence v3.0, Devon County Council).
DEVON_2026_03 = FIXTURES / "real" / "devon-cc_spending-over-500_2026-03.csv"
ON_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    """A new, empty workspace file."""
    path = tmp_path / "workspace.duckdb"
    workspace = open_workspace(path)
    yield workspace
    close_workspace(path)


def real_sample(name: str) -> Path:
    """A real council file from ../shared/real-samples, or skip where the folder is absent."""
    path = REAL_SAMPLES / name
    if not path.exists():
        pytest.skip(f"{path} is absent (a clone without ../shared): real-sample tests need it")
    return path


def table_state(ws: Workspace) -> dict[str, object]:
    """Row counts and totals of every table: equal before and after a refused load."""
    with ws.read() as cur:
        return {
            "payments": cur.execute("SELECT count(*), sum(amount), sum(hash(payments::VARCHAR)) FROM payments").fetchone(),
            "contracts": cur.execute("SELECT count(*), sum(value_whole_life), sum(hash(contracts::VARCHAR)) FROM contracts").fetchone(),
            "files": cur.execute("SELECT count(*), sum(hash(loaded_files::VARCHAR)) FROM loaded_files").fetchone(),
            "profiles": cur.execute("SELECT count(*) FROM mapping_profiles").fetchone(),
        }


def xlsx_bytes(sheets: dict[str, list[list[object]]]) -> bytes:
    """An XLSX workbook with the given sheets and rows, as bytes."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
