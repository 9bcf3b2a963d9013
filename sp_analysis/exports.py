"""Tables as downloads: CSV and XLSX of exactly what is shown, safe to open in a spreadsheet.

Every CSV and XLSX the app writes goes through `neutralise`, the one formula neutraliser: a text cell that
a spreadsheet would run as a formula (CSV injection) gets a leading apostrophe. Spreadsheets skip
invisible characters and fold full-width forms, so the test looks past leading spaces, line breaks,
zero-width and other format characters, and compares the first visible character in its compatibility
form (full-width '＝' is '='). Imports of the app's own formats take the apostrophe off again (`restore`).
"""

from __future__ import annotations

import csv
import io
import unicodedata
from decimal import Decimal
from typing import Any

import pandas as pd

# A cell whose first visible character is one of these is run as a formula by spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@")
# A cell starting with a tab or carriage return is also treated as one (OWASP's list).
RAW_FORMULA_STARTS = ("\t", "\r")
# Characters a spreadsheet passes over before it looks for '=': spaces and line breaks of every kind,
# control characters, and format characters (zero-width space, joiners, byte-order mark, direction marks).
_SKIPPED_CATEGORIES = {"Zs", "Zl", "Zp", "Cc", "Cf"}


def _invisible(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch) in _SKIPPED_CATEGORIES


def is_formula(text: str) -> bool:
    """Whether a spreadsheet could take this text as a formula."""
    if text.startswith(RAW_FORMULA_STARTS):
        return True
    for ch in text:
        if _invisible(ch):
            continue
        return unicodedata.normalize("NFKC", ch).startswith(FORMULA_STARTS)
    return False


def neutralise(value: object) -> object:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe; numbers stay numbers."""
    if isinstance(value, str) and is_formula(value):
        return "'" + value
    return value


def restore(value: Any) -> Any:
    """The inverse of `neutralise`, for reading back the app's own exports."""
    if isinstance(value, str) and value.startswith("'") and is_formula(value[1:]):
        return value[1:]
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with text cells neutralised and Decimals as numbers with two places."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_datetime64_any_dtype(series) or pd.api.types.is_numeric_dtype(series):
            continue
        if any(isinstance(v, Decimal) for v in series):
            out[column] = series.map(lambda v: float(v) if isinstance(v, Decimal) else neutralise(v))
        elif series.dtype == object or pd.api.types.is_string_dtype(series):
            out[column] = series.map(neutralise)
    out.columns = [str(neutralise(str(c))) for c in out.columns]
    return out


def _csv_breaks(value: object) -> object:
    """Line breaks in a CSV cell as '\\n': the writer quotes a cell holding '\\n' but not one holding a lone
    '\\r', which a spreadsheet would read as the start of a new row (and of a new, unneutralised cell)."""
    if isinstance(value, str) and "\r" in value:
        return value.replace("\r\n", "\n").replace("\r", "\n")
    return value


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV with a BOM (so Excel reads '£' right)."""
    safe = safe_frame(frame)
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(_csv_breaks)
    safe.columns = [str(_csv_breaks(c)) for c in safe.columns]
    return safe.to_csv(index=False).encode("utf-8-sig")


def to_xlsx_bytes(frame: pd.DataFrame, sheet: str = "Data") -> bytes:
    """An XLSX workbook of the frame, text cells neutralised."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        safe_frame(frame).to_excel(writer, index=False, sheet_name=sheet[:31])
    return buffer.getvalue()


def csv_cell(value: object) -> object:
    """One cell for a CSV written with Python's csv module: neutralised, line breaks as '\\n'."""
    return _csv_breaks(neutralise(value))


def safe_csv_text(text: str) -> str:
    """CSV text written elsewhere (an import format), with every cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in csv.reader(io.StringIO(text)):
        writer.writerow([csv_cell(cell) for cell in row])
    return buffer.getvalue()


def restore_csv_bytes(data: bytes) -> bytes:
    """An uploaded CSV in one of the app's formats with the neutralising apostrophes taken off; bytes that
    are not UTF-8 CSV are passed on unchanged for the importer to explain."""
    try:
        text = data.decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except (UnicodeDecodeError, csv.Error):
        return data
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in rows:
        writer.writerow([restore(cell) for cell in row])
    return buffer.getvalue().encode("utf-8")


def neutralise_workbook(book: Any) -> None:
    """Every text cell of an openpyxl workbook neutralised in place, and none of them a formula."""
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    safe = neutralise(cell.value)
                    cell.value = safe
                    cell.data_type = "s"  # openpyxl would otherwise store text starting '=' as a formula
