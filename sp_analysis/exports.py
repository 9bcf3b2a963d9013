"""Tables as downloads: CSV and XLSX of exactly what is shown, safe to open in a spreadsheet.

A table goes out as a spreadsheet expects (`for_spreadsheet`): column names in words ('Financial year', not
'financial_year'); money, whether exact Decimals or the '£1,234.56' text the page shows, as a number column
(plain '1234.56' in CSV, a number with a '£#,##0.00' format in XLSX); counts as whole numbers, never '5000.0'.

Every CSV and XLSX the app writes goes through `neutralise`, the one formula neutraliser: a text cell that
a spreadsheet would run as a formula (CSV injection) gets a leading apostrophe. Spreadsheets skip
invisible characters and fold full-width forms, so the test looks past leading spaces, line breaks,
zero-width and other format characters, and compares the first visible character in its compatibility
form (full-width '＝' is '='). Imports of the app's own formats take the apostrophe off again (`restore`).
"""

from __future__ import annotations

import csv
import io
import re
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


# Money as the pages write it (sp_analysis.words.pounds): '£1,234.56', '-£9.90'.
MONEY_TEXT = re.compile(r"-?£\d{1,3}(?:,\d{3})*\.\d{2}")
XLSX_MONEY_FORMAT = "£#,##0.00;-£#,##0.00"
# Column names as the queries return them, in the words a table heading uses.
COLUMN_WORDS = {
    "financial_year": "Financial year", "supplier_id": "Supplier id", "supplier_name": "Payee as published",
    "supplier_key": "Supplier key", "supplier": "Supplier", "payments": "Payments",
    "category": "Category", "department": "Department", "impact_group": "Impact", "share": "Share",
    "change": "Change", "payment_date": "Date", "amount": "Amount", "value_band": "Value band",
    "supplier_years": "Supplier-years", "first_seen": "First seen", "last_seen": "Last seen",
}
_IDENTIFIER = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+|[a-z]+")


def column_words(name: object) -> str:
    """A column name in words: 'financial_year' -> 'Financial year'; a name already in words is kept."""
    text = str(name)
    if text in COLUMN_WORDS:
        return COLUMN_WORDS[text]
    if _IDENTIFIER.fullmatch(text):
        words = text.replace("_", " ")
        return words[:1].upper() + words[1:]
    return text


def _is_money_text(value: object) -> bool:
    return isinstance(value, str) and MONEY_TEXT.fullmatch(value) is not None


def _blank(value: object) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value) or value == ""


def money_column(series: pd.Series) -> bool:
    """Whether a column holds money: exact Decimals, or '£1,234.56' text in every filled cell."""
    filled = [v for v in series if not _blank(v)]
    return bool(filled) and all(isinstance(v, Decimal) or _is_money_text(v) for v in filled)


def _whole_numbers(series: pd.Series) -> bool:
    if not pd.api.types.is_float_dtype(series):
        return False
    filled = series.dropna()
    return bool(len(filled)) and bool((filled == filled.round()).all())


def for_spreadsheet(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The table as a spreadsheet expects it, and the names of its money columns.

    Money columns become exact Decimals (None where blank); float columns holding only whole numbers (counts
    that pandas widened because of a gap) become whole numbers; column names are put in words.
    """
    out = frame.copy()
    money: list[str] = []
    for column in out.columns:
        series = out[column]
        if (series.dtype == object or pd.api.types.is_string_dtype(series)) and money_column(series):
            out[column] = pd.Series([None if _blank(v) else v if isinstance(v, Decimal)
                                     else Decimal(str(v).replace("£", "").replace(",", "")) for v in series],
                                    index=series.index, dtype=object)
            money.append(column)
        elif _whole_numbers(series):
            out[column] = series.astype("Int64")
    names: list[str] = []
    for column in out.columns:  # names in words, each once: a second 'Total' is 'Total (2)'
        name, n = column_words(column), 2
        while name in names:
            name, n = f"{column_words(column)} ({n})", n + 1
        names.append(name)
    renamed = dict(zip(out.columns, names, strict=True))
    out.columns = names
    return out, [renamed[c] for c in money]


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with text cells neutralised (numbers, Decimals and dates stay as they are)."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_datetime64_any_dtype(series) or pd.api.types.is_numeric_dtype(series):
            continue
        if series.dtype == object or pd.api.types.is_string_dtype(series):
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
    """UTF-8 CSV with a BOM (so Excel reads '£' right); money as plain numbers with pence ('1234.50')."""
    safe = safe_frame(for_spreadsheet(frame)[0])
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(_csv_breaks)
    safe.columns = [str(_csv_breaks(c)) for c in safe.columns]
    return safe.to_csv(index=False).encode("utf-8-sig")


def to_xlsx_bytes(frame: pd.DataFrame, sheet: str = "Data") -> bytes:
    """An XLSX workbook of the frame: text cells neutralised, money as numbers formatted '£#,##0.00', counts as
    whole numbers, a bold header row kept in view and columns wide enough for their text."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    table, money = for_spreadsheet(frame)
    safe = safe_frame(table)
    money_positions = [list(table.columns).index(c) for c in money]
    for column in money:  # openpyxl writes floats; two places are exact for any sum of pence under 10^13
        safe[str(neutralise(column))] = table[column].map(lambda v: None if v is None else float(v))
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        safe.to_excel(writer, index=False, sheet_name=sheet[:31])
        book_sheet = writer.sheets[sheet[:31]]
        book_sheet.freeze_panes = "A2"
        for position, name in enumerate(safe.columns):
            letter = get_column_letter(position + 1)
            book_sheet[f"{letter}1"].font = Font(bold=True)
            if position in money_positions:
                for (cell,) in book_sheet.iter_rows(min_row=2, min_col=position + 1, max_col=position + 1):
                    cell.number_format = XLSX_MONEY_FORMAT
            longest = max([len(str(name)), *(len(str(v)) for v in safe.iloc[:500, position])], default=8)
            book_sheet.column_dimensions[letter].width = min(max(longest + 2, 8), 60)
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
