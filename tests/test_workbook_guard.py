"""Hostile and damaged workbooks are refused with a LoadError, and the process reading them lives on.

Every attack file is built here, in memory, by the functions below; none is kept in the repository.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import time
import zipfile
from pathlib import Path

import pytest

from sp_analysis.ingest.errors import LoadError
from sp_analysis.ingest.workbook import DEFAULT_LIMITS, Limits, WorkbookCells, read_sheets
from tests.conftest import real_sample

pytestmark = pytest.mark.timeout(120)

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    f'<workbook xmlns="{_MAIN}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Payments" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
    'Target="sharedStrings.xml"/></Relationships>'
)


def sheet_xml(cells: list[tuple[str, int, float]], dimension: str | None = None) -> str:
    """A worksheet holding numbers at the given references: (reference, row, value)."""
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    rows = "".join(f'<row r="{row}"><c r="{ref}"><v>{value}</v></c></row>' for ref, row, value in cells)
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    return f'{head}<worksheet xmlns="{_MAIN}">{dim}<sheetData>{rows}</sheetData></worksheet>'


def shared_strings_xml(body: str = "", unique_count: int = 0) -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{_MAIN}" count="{unique_count}" uniqueCount="{unique_count}">{body}</sst>'


def xlsx(sheet: str, shared: str | None = None, extra: dict[str, bytes] | None = None) -> bytes:
    """A one-sheet XLSX ("Payments") built by hand, so that it can say anything."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
        archive.writestr("xl/sharedStrings.xml", shared or shared_strings_xml())
        for path, data in (extra or {}).items():
            archive.writestr(path, data)
    return buffer.getvalue()


def xfd_bomb() -> bytes:
    """1.8 KB: one cell at XFD1048576, no dimension (calamine lays out 17 billion cells from A1)."""
    return xlsx(sheet_xml([("XFD1048576", 1_048_576, 1)]))


def zz_bomb() -> bytes:
    """A1 and ZZ200000: a 200,000 by 702 rectangle, 4.5 GB as calamine lays it out."""
    return xlsx(sheet_xml([("A1", 1, 1), ("ZZ200000", 200_000, 1)]))


def shared_strings_claim_bomb() -> bytes:
    """A shared-strings table claiming four billion entries (calamine reserves 96 GB for them)."""
    return xlsx(sheet_xml([("A1", 1, 1)]), shared_strings_xml("<si><t>a</t></si>", 4_000_000_000))


def shared_strings_count_bomb(entries: int) -> bytes:
    """A small file whose shared-strings table really holds `entries` entries (and claims none)."""
    return xlsx(sheet_xml([("A1", 1, 1)]), shared_strings_xml("<si><t>a</t></si>" * entries))


def zip_bomb() -> bytes:
    """A part of 64 MB of zeros packed into about 64 KB (a ratio of about 1,000)."""
    return xlsx(sheet_xml([("A1", 1, 1)]), extra={"xl/media/image1.bin": bytes(64 << 20)})


def prefixed_bomb() -> bytes:
    """Cells written with a namespace prefix and the reference after another attribute."""
    body = (
        f'<?xml version="1.0"?><x:worksheet xmlns:x="{_MAIN}"><x:sheetData>'
        '<x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c></x:row>'
        '<x:row r="900000"><x:c s="0" r=\'AZ900000\'><x:v>1</x:v></x:c></x:row>'
        "</x:sheetData></x:worksheet>"
    )
    return xlsx(body)


def unreferenced_cells_bomb() -> bytes:
    """Rows and cells with no r attribute at all: each is the one after the previous."""
    row = "<row>" + "<c><v>1</v></c>" * 300 + "</row>"
    return xlsx(f'<?xml version="1.0"?><worksheet xmlns="{_MAIN}"><sheetData>{row * 3_000}</sheetData></worksheet>')


def truncated_xlsx() -> bytes:
    whole = xlsx(sheet_xml([("A1", 1, 1), ("B2", 2, 2)]))
    return whole[: len(whole) // 2]


OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def encrypted_ole() -> bytes:
    """What a password-protected XLSX looks like from outside: an OLE file with an EncryptedPackage stream."""
    directory = "EncryptionInfo".encode("utf-16-le").ljust(128, b"\0") + "EncryptedPackage".encode("utf-16-le").ljust(128, b"\0")
    return OLE_MAGIC + bytes(504) + directory + bytes(4096)


def damaged_ole() -> bytes:
    return OLE_MAGIC + os.urandom(8192)


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
    """Three million shared strings take calamine seconds to read; the limit here is one second."""
    limits = Limits(child_seconds=1.0, max_shared_strings=10**8, max_compression_ratio=10**6)
    error = refused(shared_strings_count_bomb(3_000_000), limits=limits, within=30)
    assert "could not be read within the limits" in error.reason
    assert "took longer than 1 seconds" in error.reason


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
