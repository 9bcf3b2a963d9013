"""Hostile and damaged workbooks are refused with a LoadError, and the process reading them lives on.

Every attack file is built here, in memory, by the functions below; none is kept in the repository.
"""

from __future__ import annotations

import datetime as dt
import io
import time
from pathlib import Path

import pytest

from sp_analysis.ingest.errors import LoadError
from sp_analysis.ingest.workbook import DEFAULT_LIMITS, Limits, WorkbookCells, read_sheets
from tests.conftest import real_sample
from tests.hostile import (
    OLE_MAGIC,
    damaged_ole,
    encrypted_ole,
    prefixed_bomb,
    shared_strings_claim_bomb,
    shared_strings_count_bomb,
    sheet_xml,
    truncated_xlsx,
    unreferenced_cells_bomb,
    xfd_bomb,
    xlsx,
    zip_bomb,
    zz_bomb,
)

pytestmark = pytest.mark.timeout(120)

def refused(data: bytes, limits: Limits = DEFAULT_LIMITS, within: float = 30.0) -> LoadError:
    """Read `data` in this process; return the LoadError, checking it came within `within` seconds."""
    started = time.monotonic()
    with pytest.raises(LoadError) as caught:
        read_sheets("attack.xlsx", data, limits=limits)
    assert time.monotonic() - started < within
    # This process is alive and still reads workbooks.
    assert read_sheets("ok.xlsx", xlsx(sheet_xml([("A1", 1, 7)]))).cells["Payments"] == [[7.0]]
    return caught.value


# --- Attacks -----------------------------------------------------------------------------------


def test_one_cell_at_xfd1048576_is_refused_before_parsing() -> None:
    data = xfd_bomb()
    assert len(data) < 2_000
    error = refused(data, within=10)
    assert error.file_name == "attack.xlsx"
    assert "reaches cell XFD1048576" in error.reason
    assert "17 billion cells" in error.reason
    assert "1,048,576 rows by 16,384 columns" in error.reason


def test_a_dimension_claiming_17_billion_cells_is_refused() -> None:
    error = refused(xlsx(sheet_xml([("A1", 1, 1)], dimension="A1:XFD1048576")), within=10)
    assert "sheet 'Payments' claims 17 billion cells" in error.reason
    assert "A1:XFD1048576" in error.reason


def test_a_cell_at_zz200000_is_refused() -> None:
    error = refused(zz_bomb(), within=10)
    assert "reaches cell ZZ200000" in error.reason
    assert "200,000 rows by 702 columns: 140 million cells" in error.reason
    assert "25 million" in error.reason


def test_a_shared_strings_table_claiming_four_billion_entries_is_refused() -> None:
    error = refused(shared_strings_claim_bomb(), within=10)
    assert "shared-text table claims 4 billion entries" in error.reason


def test_a_shared_strings_table_holding_too_many_entries_is_refused() -> None:
    data = shared_strings_count_bomb(200_000)
    assert len(data) < 100_000
    error = refused(data, limits=Limits(max_shared_strings=100_000), within=20)
    assert "shared-text table holds more than 100,000 entries" in error.reason


def test_a_zip_bomb_is_refused_unopened() -> None:
    data = zip_bomb()
    assert len(data) < 200_000
    error = refused(data, within=10)
    assert "taken for a zip bomb" in error.reason
    assert "xl/media/image1.bin" in error.reason


def test_a_truncated_workbook_is_damaged() -> None:
    error = refused(truncated_xlsx(), within=10)
    assert "damaged or incomplete" in error.reason


def test_prefixed_cells_and_odd_quoting_are_still_measured() -> None:
    error = refused(prefixed_bomb(), within=10)
    assert "reaches cell AZ900000" in error.reason


def test_cells_without_references_are_counted_in_order() -> None:
    error = refused(unreferenced_cells_bomb(), limits=Limits(max_sheet_cells=800_000), within=60)
    assert "300 columns" in error.reason
    assert "sheet 'Payments' reaches cell" in error.reason


def test_an_encrypted_ole_file_asks_for_an_unprotected_copy() -> None:
    error = refused(encrypted_ole(), within=10)
    assert "If the workbook is password-protected, save an unprotected copy first." in error.reason


def test_a_damaged_ole_file_is_refused_with_the_password_hint() -> None:
    error = refused(damaged_ole(), within=30)
    assert "cannot be read as an Excel workbook" in error.reason
    assert "If the workbook is password-protected, save an unprotected copy first." in error.reason


def test_not_a_workbook() -> None:
    error = refused(b"Date,Supplier,Amount\n2024-04-01,Acme,10\n", within=5)
    assert "is not an Excel workbook" in error.reason


# --- The child process: what gets past the inspection still cannot take this process down ----

_NO_INSPECTION_LIMITS = {"max_sheet_cells": 10**13, "max_total_cells": 10**13}


def test_a_reader_running_out_of_memory_dies_alone() -> None:
    """With the extent checks lifted, calamine really tries to lay out ZZ200000 (4.5 GB) and aborts."""
    limits = Limits(child_memory_bytes=1 << 30, **_NO_INSPECTION_LIMITS)
    error = refused(zz_bomb(), limits=limits, within=60)
    assert "could not be read within the limits (1 GB of memory" in error.reason
    assert "of memory at once" in error.reason or "signal" in error.reason or "memory" in error.reason


def test_a_reader_laying_out_17_billion_cells_dies_alone() -> None:
    limits = Limits(child_memory_bytes=1 << 30, max_rows=10**9, max_columns=10**9, **_NO_INSPECTION_LIMITS)
    error = refused(xfd_bomb(), limits=limits, within=60)
    assert "could not be read within the limits" in error.reason or "cannot be read" in error.reason


def test_a_reader_taking_too_long_is_stopped() -> None:
    """Three million shared strings take calamine seconds to read (on a quiet, fast machine about one); the limit
    here is a fifth of a second, so the child is stopped however fast the machine."""
    limits = Limits(child_seconds=0.2, max_shared_strings=10**8, max_compression_ratio=10**6)
    error = refused(shared_strings_count_bomb(3_000_000), limits=limits, within=30)
    assert "could not be read within the limits" in error.reason
    assert "took longer than 0.2 seconds" in error.reason


# --- Real workbooks ----------------------------------------------------------------------------


def _normal_workbook(path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    first = book.active
    assert first is not None
    first.title = "April"
    first.append(["Date", "Supplier", "Amount", "Paid", "Reference"])
    first.append([dt.datetime(2024, 4, 2, 9, 30), "Acme Ltd", 1250.5, True, 1001])
    first.append([dt.datetime(2024, 4, 3), "Bolt & Co", -20, False, "R-2"])
    first.append([])
    first.append([None, None, 3.25])
    book.create_sheet("Empty")
    second = book.create_sheet("May")
    second["B3"] = "late"
    second["A1"] = 12
    book.save(path)


def test_a_normal_workbook_comes_back_cell_for_cell(tmp_path: Path) -> None:
    path = tmp_path / "normal.xlsx"
    _normal_workbook(path)
    data = path.read_bytes()
    result = read_sheets("normal.xlsx", data)
    assert isinstance(result, WorkbookCells)
    assert result.sheet_names == ("April", "Empty", "May")
    assert result.with_data == ("April", "May")
    april = result.cells["April"]
    assert april[0] == ["Date", "Supplier", "Amount", "Paid", "Reference"]
    assert april[1] == [dt.datetime(2024, 4, 2, 9, 30), "Acme Ltd", 1250.5, True, 1001.0]
    assert isinstance(april[1][0], dt.datetime)
    assert april[2][1:] == ["Bolt & Co", -20.0, False, "R-2"]
    assert april[3] == ["", "", "", "", ""]
    assert april[4] == ["", "", 3.25, "", ""]
    assert result.cells["May"] == [[12.0, ""], ["", ""], ["", "late"]]
    assert set(result.cells) == {"April", "May"}

    from python_calamine import CalamineWorkbook

    direct = CalamineWorkbook.from_filelike(io.BytesIO(data))
    for sheet in result.with_data:
        assert result.cells[sheet] == direct.get_sheet_by_name(sheet).to_python(skip_empty_area=False)


def test_choosing_sheets(tmp_path: Path) -> None:
    path = tmp_path / "normal.xlsx"
    _normal_workbook(path)
    data = path.read_bytes()
    only_may = read_sheets("normal.xlsx", data, ["May"])
    assert set(only_may.cells) == {"May"} and only_may.with_data == ("April", "May")
    names_only = read_sheets("normal.xlsx", data, ())
    assert names_only.cells == {} and names_only.sheet_names == ("April", "Empty", "May")
    with pytest.raises(LoadError, match="no sheet called 'June'"):
        read_sheets("normal.xlsx", data, ["June"])
    with pytest.raises(LoadError, match="sheet 'Empty' holds no data"):
        read_sheets("normal.xlsx", data, ["Empty"])


def test_a_workbook_with_no_data(tmp_path: Path) -> None:
    import openpyxl

    path = tmp_path / "blank.xlsx"
    openpyxl.Workbook().save(path)
    with pytest.raises(LoadError, match="the workbook has no sheet with data"):
        read_sheets("blank.xlsx", path.read_bytes())


def test_a_large_ordinary_sheet_passes_the_inspection(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Spend")
    for i in range(20_000):
        sheet.append([dt.datetime(2024, 4, 1) + dt.timedelta(days=i % 30), f"Supplier {i % 700}", i * 1.5, i, "Adults"])
    path = tmp_path / "large.xlsx"
    book.save(path)
    result = read_sheets("large.xlsx", path.read_bytes())
    rows = result.cells["Spend"]
    assert len(rows) == 20_000
    # A midnight date written with a date-only format comes back as a date, as calamine gives it.
    assert rows[19_999] == [dt.date(2024, 4, 20), "Supplier 399", 19_999 * 1.5, 19_999.0, "Adults"]


def test_a_real_biff8_xls_is_read_in_the_child() -> None:
    path = real_sample("other-councils/stockport_2014-09.xls")
    data = path.read_bytes()
    assert data.startswith(OLE_MAGIC)
    result = read_sheets(path.name, data)
    assert result.with_data

    from python_calamine import CalamineWorkbook

    direct = CalamineWorkbook.from_filelike(io.BytesIO(data))
    assert result.sheet_names == tuple(direct.sheet_names)
    for sheet in result.with_data:
        assert result.cells[sheet] == direct.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
