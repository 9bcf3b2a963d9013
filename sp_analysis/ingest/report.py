"""A loaded file's quality report in plain words: what was read, what was loaded, what was skipped and why.

The report itself is stored as JSON with each loaded file (see `load._quality`); this turns it into
the lines the Upload page shows, in the order an analyst checks them. `loaded_files` lists the files loaded,
with their figures and reports.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pandas as pd

from sp_analysis.ingest.columns import COLUMNS_BY_KIND, Kind
from sp_analysis.ingest.source import SHEET_SPAN
from sp_analysis.sql import fetch_frame
from sp_analysis.words import day, pounds
from sp_analysis.workspace import Workspace


def describe(quality: Mapping[str, Any], kind: Kind) -> list[tuple[str, str]]:
    """(what, figure) lines for the quality report of a loaded spend or contracts file."""
    if quality.get("source") == "notices":
        from sp_analysis.ingest.ocds import describe_notices

        return describe_notices(dict(quality))
    lines: list[tuple[str, str]] = []
    source = quality.get("encoding") or ""
    sheets: list[str] = quality.get("sheets") or []
    if sheets:
        source = "sheets " + _and(f"'{name}'" for name in sheets) + f" as one file, {source}"
    elif quality.get("sheet"):
        source = f"sheet '{quality['sheet']}'" + (f", {source}" if source else "")
    lines.append(("Read as", source or "not recorded"))
    header = quality.get("header_line")
    lines.append(("Header on line", _count(header) if header is None or not sheets else _line(int(header), sheets)))
    lines.append(("Rows read below the header", _count(quality.get("rows_read"))))
    noun = "Payments loaded" if kind == "spend" else "Contracts loaded"
    lines.append((noun, _count(quality.get("rows"))))
    lines.append(("Total" if kind == "spend" else "Total whole-life value", _money(quality.get("total"))))
    if kind == "contracts":
        has_annual = "value_annual" in (quality.get("columns") or {"value_annual": ""})
        lines.append(("Total annual value",
                      _money(quality.get("annual_total")) if has_annual else "no annual value column in the file"))
    skipped = quality.get("skipped_described") or {}
    money = quality.get("skipped_totals") or {}
    where = quality.get("skipped_lines") or {}
    if skipped:
        for (reason, count), key in zip(skipped.items(), quality.get("skipped") or {}, strict=False):
            figure = _count(count)
            if key in money:
                figure += f", holding {_money(money[key])} (not loaded)"
            if where.get(key):
                figure += "; " + _lines(where[key], sheets=sheets)
            lines.append((f"Skipped: {reason}", figure))
    else:
        lines.append(("Skipped", "none"))
    if kind == "spend" and quality.get("all_money") is not None:
        lines.append(("All the money in the file", f"{_money(quality.get('all_money'))}: {_money(quality.get('total'))} "
                      f"loaded + {_money(quality.get('not_loaded_total'))} not loaded"))
    if kind == "spend":
        lines += _spend_lines(quality)
    else:
        lines += _contract_lines(quality)
    lines.append(("Columns used", _columns_used(quality.get("columns") or {}, kind, quality.get("recognised") or {})))
    for block in quality.get("blocks") or []:
        if block.get("note"):
            if sheets:
                lines.append(("Layout", str(block["note"])))
            else:
                lines.append(("Layout", f"{block['note']} (lines {block['first_line']:,} to {block['last_line']:,})"))
    unmapped = quality.get("unmapped_columns") or []
    lines.append(("Other columns (kept, not analysed)", ", ".join(f"'{c}'" for c in unmapped) or "none"))
    return lines


PRECISION_WORDS = {"month": "to the month", "quarter": "to the quarter", "period": "to a period of months"}


def _spend_lines(quality: Mapping[str, Any]) -> list[tuple[str, str]]:
    credits = int(quality.get("credit_notes") or 0)
    precisions = [PRECISION_WORDS[p] for p in quality.get("precisions") or [] if p in PRECISION_WORDS]
    dates = _date_range(quality.get("first_date"), quality.get("last_date"))
    if precisions:
        which = "some payments are" if "day" in (quality.get("precisions") or []) else "every payment is"
        dates += (f"; {which} dated only " + " or ".join(precisions)
                  + " (each counts from the first day of its period, in the financial year that holds that day)")
    lines = [
        ("Payment dates", dates),
        ("Credit notes (negative amounts)",
         f"{credits:,}, totalling {_money(quality.get('credit_total'))}" if credits else "none"),
        ("Redacted payees (amounts kept)", _count(quality.get("redacted"))),
        ("Identical lines (kept: invoices have several)", _count(quality.get("repeated_lines"))),
        ("Transaction numbers on more than one line (kept)", _count(quality.get("repeated_transaction_refs"))),
    ]
    undated = int(quality.get("undated") or 0)
    if undated:
        year = quality.get("undated_fy")
        counted = (f"counted in {year}/{(int(year) + 1) % 100:02d}, the one financial year of the file's other lines"
                   if year is not None else "year not known: the file's other lines span more than one financial year")
        lines.append(("Lines without a date (kept, money counted)",
                      f"{undated:,}, totalling {_money(quality.get('undated_total'))}; {counted}; "
                      + _lines(quality.get("undated_lines") or [], sheets=quality.get("sheets") or [])))
    published = quality.get("published_total")
    if published is None:
        lines.append(("Published totals row", "none in the file"))
    elif quality.get("published_total_matches"):
        lines.append(("Published totals row", f"{_money(published)}: matches the payments loaded"))
    else:
        lines.append(("Published totals row",
                      f"{_money(published)}: does NOT match the payments loaded ({_money(quality.get('total'))})"))
    return lines


def _contract_lines(quality: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [
        ("Earliest start date", day(quality.get("first_date"), "none")),
        ("Latest end date", day(quality.get("last_date"), "none")),
        ("Contracts without a value", _count(quality.get("no_value"))),
        ("Contracts without an end date", _count(quality.get("no_end_date"))),
        ("SME status not stated", _count(quality.get("sme_unknown"))),
        ("VCSE status not stated", _count(quality.get("vcse_unknown"))),
    ]


def _columns_used(columns: Mapping[str, str], kind: Kind, recognised: Mapping[str, str]) -> str:
    labels = {c.name: c.label for c in COLUMNS_BY_KIND[kind]}
    return "; ".join(
        f"{labels.get(name, name)} from '{header}'" + (f" ({recognised[name]})" if name in recognised else "")
        for name, header in columns.items()) or "none"


def _lines(numbers: list[int], most: int = 20, *, with_word: bool = True, sheets: list[str] | None = None) -> str:
    """'line 3', 'lines 3, 7 and 9 more'; in a workbook read as one file, "sheet 'May' row 3"."""
    if sheets:
        shown = ", ".join(_line(n, sheets) for n in numbers[:most])
        word = ""
    else:
        shown = ", ".join(f"{n:,}" for n in numbers[:most])
        word = ("line " if len(numbers) == 1 else "lines ") if with_word else ""
    return word + shown + (f" and {len(numbers) - most:,} more" if len(numbers) > most else "")


def _line(number: int, sheets: list[str]) -> str:
    """A line of a workbook read as one file, as its sheet and row (see `source.SHEET_SPAN`)."""
    index, row = divmod(number, SHEET_SPAN)
    name = sheets[index] if index < len(sheets) else f"number {index + 1}"
    return f"sheet '{name}' row {row:,}"


def _and(items: Any) -> str:
    """'a', 'a and b', 'a, b and c'."""
    words = list(items)
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _count(value: object) -> str:
    return "not recorded" if value is None else f"{int(str(value)):,}"


def _money(value: object) -> str:
    return "not recorded" if value is None else pounds(str(value))


def _date_range(first: object, last: object) -> str:
    return f"{day(first, 'none')} to {day(last, 'none')}" if first and last else "none"


LOADED_FILES = """
SELECT file_id, name, kind, sha256, rows, total, loaded_at, sheet, quality
FROM loaded_files WHERE $kind IS NULL OR kind = $kind ORDER BY loaded_at, file_id
"""


def loaded_files(ws: Workspace, kind: str | None = None) -> pd.DataFrame:
    """The loaded files, oldest first, with their figures and quality reports (parsed)."""
    with ws.read() as cur:
        frame = fetch_frame(cur, LOADED_FILES, {"kind": kind})
    frame["quality"] = frame["quality"].map(json.loads)
    return frame


KIND_WORDS = {"spend": "Spend", "contracts": "Contracts register"}


def loaded_files_table(files: pd.DataFrame) -> pd.DataFrame:
    """The Upload page's table of loaded files (a `loaded_files` frame), in words.

    Counts stay integers (the page formats them with thousands commas), money is exact £ text, dates
    read '1 Apr 2024', and a figure that does not apply to the file's kind is left blank, never 'None'.
    """
    def dates(quality: Mapping[str, Any], kind: str) -> str:
        first, last = quality.get("first_date"), quality.get("last_date")
        if kind == "contracts":
            parts = ([f"earliest start {day(first)}"] if first else []) + ([f"latest end {day(last)}"] if last else [])
            return "; ".join(parts)
        return _date_range(first, last) if first and last else ""

    def published(quality: Mapping[str, Any]) -> str:
        if quality.get("published_total") is None:
            return ""
        return "matches" if quality.get("published_total_matches") else f"differs: {_money(quality['published_total'])}"

    def spend_only(quality: Mapping[str, Any], kind: str, key: str) -> object:
        return int(quality.get(key) or 0) if kind == "spend" else None

    rows = [
        {
            "File": row.name,
            "Kind": KIND_WORDS.get(row.kind, row.kind),
            "Rows": int(row.rows),
            "Total": pounds(row.total),
            "Not loaded (lines)": sum(int(v) for v in (row.quality.get("skipped") or {}).values()),
            "Credit notes": spend_only(row.quality, row.kind, "credit_notes"),
            "Redacted payees": spend_only(row.quality, row.kind, "redacted"),
            "Dates": dates(row.quality, row.kind),
            "Published total": published(row.quality),
            "Loaded at": f"{row.loaded_at:%-d %b %Y %H:%M}",
        }
        for row in files.itertuples()
    ]
    table = pd.DataFrame(rows, columns=["File", "Kind", "Rows", "Total", "Not loaded (lines)", "Credit notes",
                                        "Redacted payees", "Dates", "Published total", "Loaded at"])
    for column in ("Credit notes", "Redacted payees"):
        table[column] = table[column].astype("Int64")
    return table
