"""A workbook whose formulas carry no saved value (as openpyxl and some report writers save them) is refused naming
the cells, instead of loading £7,000 short with the line skipped as text."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest

from sp_analysis.ingest.errors import LoadError
from sp_analysis.ingest.load import load_file
from sp_analysis.ingest.workbook import _UnsavedFormulas, read_sheets
from sp_analysis.workspace import Workspace
from tests.conftest import table_state

ADVICE = "open the workbook in Excel, let it calculate, save, and load it again"


def spend_workbook(*formulas: tuple[int, str]) -> bytes:
    """Twelve payments of £1,000 in column D (rows 2-13), and the formulas given below them."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Payments"
    sheet.append(["Date", "Supplier Name", "Expense Area", "Amount"])
    for day in range(1, 13):
        sheet.append([f"{day:02d}/04/2024", f"Supplier {day}", "Highways", 1000])
    for row, formula in formulas:
        sheet.cell(row=row, column=1, value="13/04/2024")
        sheet.cell(row=row, column=2, value="Late Supplier")
        sheet.cell(row=row, column=3, value="Highways")
        sheet.cell(row=row, column=4, value=formula)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def with_saved_values(data: bytes, values: dict[str, str]) -> bytes:
    """The workbook as Excel would save it after calculating: each formula's result beside it."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            content = source.read(entry)
            if entry.filename == "xl/worksheets/sheet1.xml":
                for cell, value in values.items():
                    start = content.index(f'<c r="{cell}"'.encode())
                    empty = content.index(b"<v></v>", start)
                    content = content[:empty] + f"<v>{value}</v>".encode() + content[empty + len(b"<v></v>"):]
            target.writestr(entry, content)
    return out.getvalue()


def test_openpyxl_writes_the_formula_without_its_value() -> None:
    sheet = zipfile.ZipFile(io.BytesIO(spend_workbook((14, "=5000+2000")))).read("xl/worksheets/sheet1.xml")
    assert b'<c r="D14"><f>5000+2000</f><v></v></c>' in sheet


def test_a_formula_with_no_saved_value_refuses_the_file_naming_the_cell(ws: Workspace) -> None:
    before = table_state(ws)
    with pytest.raises(LoadError) as refused:
        load_file(ws, "april.xlsx", spend_workbook((14, "=5000+2000")), "spend")
    assert f"april.xlsx: sheet 'Payments': cell D14 holds a formula with no saved value; {ADVICE}" in refused.value.message
    assert table_state(ws) == before


def test_several_such_cells_are_named_and_counted() -> None:
    data = spend_workbook(*((row, f"={row}*100") for row in range(14, 22)))
    with pytest.raises(LoadError) as refused:
        read_sheets("april.xlsx", data)
    assert "cells D14, D15, D16, D17, D18 and 3 more hold formulas with no saved value" in refused.value.message


def test_the_same_workbook_calculated_and_saved_loads_every_pound(ws: Workspace) -> None:
    data = with_saved_values(spend_workbook((14, "=5000+2000")), {"D14": "7000"})
    result = load_file(ws, "april.xlsx", data, "spend")
    assert (result.rows, result.total) == (13, Decimal("19000.00"))


@pytest.mark.parametrize("step", [1, 2, 3, 5, 7, 11, 64])
def test_cells_cut_anywhere_between_chunks_are_still_found(step: int) -> None:
    xml = (b'<sheetData><row r="1"><c r="A1"><v>1</v></c><c r="D14"><f>SUM(D2:D13)</f></c>'
           b'<c r="E1" t="str"><f>IF(A1,"","")</f><v></v></c><c r="F2"><f t="shared" si="0"/><v/></c>'
           b'<c r="G2" s="1"/><c r="H2"><f>1+2</f><v>3</v></c><x:c r="J2"><x:f>1</x:f></x:c></row></sheetData>')
    found = _UnsavedFormulas()
    for start in range(0, len(xml), step):
        found.feed(xml[start : start + step])
    found.finish()
    # A formula whose result is text (t="str") may rightly be empty; the shared and prefixed ones have no value.
    assert found.cells == ["D14", "F2", "J2"]
