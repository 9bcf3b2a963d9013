"""The Upload page's messages name files and quote their cells: a file named with Markdown shows no link or bold
text in a refusal, the column-choice prompt, the success line, the report's title or the remove box."""

from __future__ import annotations

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

from sp_analysis import ui
from sp_analysis.ingest.load import load_file
from sp_analysis.ingest.source import ColumnChoice
from sp_analysis.workspace import open_workspace
from tests.conftest import ROOT

APP = str(ROOT / "app.py")
NAME = "**x**[a](http://e.example).csv"
HEADER = "Date,Supplier Name,Amount,Expense Area\n"
# Bold or a link, as Markdown would read them: '**' or '](' not preceded by a backslash, or a bare address.
LIVE_MARKDOWN = re.compile(r"(?<!\\)\*\*x|(?<!\\)\]\(|https?://")


def upload(files: list[tuple[str, bytes]]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("views/upload.py")
    at.run()
    at.file_uploader(key="upload_files").set_value([(name, data, "text/csv") for name, data in files])
    at.button(key="upload_submit").click()
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def markdown_shown(at: AppTest) -> list[str]:
    """Every string the page renders as Markdown: alerts, captions, text, expander and checkbox labels."""
    shown = [e.value for kind in ("error", "warning", "success", "info", "caption", "markdown")
             for e in getattr(at, kind)]
    shown += [e.label for e in at.expander] + [e.label for e in at.checkbox]
    return [str(s) for s in shown]


def assert_literal(shown: list[str]) -> None:
    naming = [s for s in shown if "e.example" in s]
    assert naming, shown
    for text in naming:
        assert ui.md(NAME) in text, text
        assert not LIVE_MARKDOWN.search(text), text


def test_a_refusal_naming_a_markdown_file_name_is_literal(workspace_path: Path) -> None:
    at = upload([(NAME, (HEADER + "01/04/2024,Acme,ten,H\n").encode())])
    assert any(e.value.startswith(ui.md(NAME) + ": ") for e in at.error)
    assert_literal(markdown_shown(at))


def test_the_column_choice_prompt_is_literal(workspace_path: Path) -> None:
    # Two columns read as amounts, so the prompt names them: one header cell is Markdown too.
    cell = "**y**[c](http://g.example)"
    at = upload([(NAME, f"When,Who,{cell},Other\n01/04/2024,Acme,1.50,2.50\n02/04/2024,Beta,3.50,4.50\n".encode())])
    [prompt] = [w.value for w in at.warning if "cannot tell which column" in w.value]
    assert ui.md(cell) in prompt
    assert_literal(markdown_shown(at))


def test_a_loaded_files_success_report_title_and_remove_box_are_literal(workspace_path: Path) -> None:
    at = upload([(NAME, (HEADER + "01/04/2024,Acme,10.50,H\n").encode())])
    assert any(s.value.startswith(ui.md(NAME) + ": loaded 1 payment") for s in at.success)
    assert any(e.label == f"Quality report: {ui.md(NAME)}" for e in at.expander)
    assert any(c.label.startswith(f"Yes, remove {ui.md(NAME)} and its 1 rows") for c in at.checkbox)
    assert_literal(markdown_shown(at))


def test_a_saved_choice_with_markdown_header_cells_is_listed_literally(workspace_path: Path) -> None:
    ws = open_workspace(workspace_path)
    header = "When,**Who**[b](http://f.example),How much\n"
    load_file(ws, "odd.csv", (header + "01/04/2024,Acme,1.50\n").encode(), "spend",
              choice=ColumnChoice(0, {"payment_date": 0, "supplier_name": 1, "amount": 2}))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("views/upload.py")
    at.run()
    shown = [s for s in markdown_shown(at) if "f.example" in s]
    assert len(shown) == 2, shown  # the header, and the mapping in words
    for text in shown:
        assert ui.md("**Who**[b](http://f.example)") in text
        assert not re.search(r"(?<!\\)\*\*Who|(?<!\\)\]\(|https?://", text), text
