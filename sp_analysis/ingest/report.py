"""A loaded file's quality report in plain words: what was read, what was loaded, what was skipped and why.

The report itself is stored as JSON with each loaded file (see `load._quality`); this turns it into
the lines the Upload page shows, in the order an analyst checks them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sp_analysis.ingest.columns import COLUMNS_BY_KIND, Kind
from sp_analysis.money import pounds


def describe(quality: Mapping[str, Any], kind: Kind) -> list[tuple[str, str]]:
    """(what, figure) lines for the quality report of a loaded spend or contracts file."""
    if quality.get("source") == "notices":
        from sp_analysis.ingest.ocds import describe_notices

        return describe_notices(dict(quality))
    lines: list[tuple[str, str]] = []
    source = quality.get("encoding") or ""
    if quality.get("sheet"):
        source = f"sheet '{quality['sheet']}'" + (f", {source}" if source else "")
    lines.append(("Read as", source or "not recorded"))
    lines.append(("Header on line", _count(quality.get("header_line"))))
    lines.append(("Rows read below the header", _count(quality.get("rows_read"))))
    noun = "Payments loaded" if kind == "spend" else "Contracts loaded"
    lines.append((noun, _count(quality.get("rows"))))
    lines.append(("Total" if kind == "spend" else "Total whole-life value", _money(quality.get("total"))))
    if kind == "contracts":
        lines.append(("Total annual value", _money(quality.get("annual_total"))))
    skipped = quality.get("skipped_described") or {}
    money = quality.get("skipped_totals") or {}
    where = quality.get("skipped_lines") or {}
    if skipped:
        for (reason, count), key in zip(skipped.items(), quality.get("skipped") or {}, strict=False):
            figure = _count(count)
            if key in money:
                figure += f", holding {_money(money[key])} (not loaded)"
            if where.get(key):
                figure += "; " + _lines(where[key])
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
                      + _lines(quality.get("undated_lines") or [])))
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
        ("Earliest start date", _date(quality.get("first_date"))),
        ("Latest end date", _date(quality.get("last_date"))),
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


def _lines(numbers: list[int], most: int = 20, *, with_word: bool = True) -> str:
    """'line 3', 'lines 3, 7 and 9 more'."""
    shown = ", ".join(f"{n:,}" for n in numbers[:most])
    word = ("line " if len(numbers) == 1 else "lines ") if with_word else ""
    return word + shown + (f" and {len(numbers) - most:,} more" if len(numbers) > most else "")


def _count(value: object) -> str:
    return "not recorded" if value is None else f"{int(str(value)):,}"


def _money(value: object) -> str:
    return "not recorded" if value is None else pounds(str(value))


def _date(value: object) -> str:
    return f"{dt.date.fromisoformat(str(value)):%-d %b %Y}" if value else "none"


def _date_range(first: object, last: object) -> str:
    return f"{_date(first)} to {_date(last)}" if first and last else "none"
