"""A corpus of hostile and broken files: each gets a clear message (file, line, cause) and changes nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from sp_analysis.ingest.errors import LoadError, NeedsMapping, NeedsSheet
from sp_analysis.ingest.load import load_file
from sp_analysis.workspace import Workspace, close_workspace, open_workspace
from tests.conftest import ROOT, table_state, xlsx_bytes
from tests.hostile import CORPUS, GOOD, HEADER


@pytest.fixture
def seeded(ws: Workspace) -> Workspace:
    load_file(ws, "seed.csv", (HEADER + "01/03/2024,Seed Ltd,5.00,Works\n").encode(), "spend")
    return ws


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_each_bad_file_is_refused_clearly_and_changes_nothing(seeded: Workspace, case: str) -> None:
    name, make, words, line = CORPUS[case]
    before = table_state(seeded)
    with pytest.raises(LoadError) as caught:
        load_file(seeded, name, make(), "spend")
    message = caught.value.message
    assert message.startswith(f"{name}: "), message
    for word in words:
        assert word in message, message
    if line is not None:
        assert f"line {line}" in message, message
    assert table_state(seeded) == before


def test_several_sheets_ask_which(seeded: Workspace) -> None:
    data = xlsx_bytes({"Notes": [["Read me"], ["x", "y"]], "Spend": [["Date", "Supplier", "Amount"], ["01/04/2024", "A", 1]]})
    before = table_state(seeded)
    with pytest.raises(NeedsSheet) as caught:
        load_file(seeded, "two.xlsx", data, "spend")
    assert caught.value.sheets == ("Notes", "Spend")
    assert table_state(seeded) == before


def test_wide_file_of_300_columns_loads(seeded: Workspace) -> None:
    extra = [f"Extra {i}" for i in range(296)]
    header = ",".join(["Date", "Supplier Name", "Amount", "Expense Type", *extra]) + "\n"
    row = ",".join(["01/04/2024", "Acme", "1.00", "Works", *["v"] * 296]) + "\n"
    result = load_file(seeded, "wide.csv", (header + row).encode(), "spend")
    assert result.rows == 1
    assert len(result.quality["unmapped_columns"]) == 296


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_other_delimiters_load(seeded: Workspace, delimiter: str) -> None:
    text = GOOD.replace(",", delimiter)
    assert load_file(seeded, "semi.csv", text.encode(), "spend").rows == 1


def test_formula_cells_are_kept_as_text(seeded: Workspace) -> None:
    text = HEADER + '01/04/2024,"=HYPERLINK(""http://x"",""click"")",100.00,=1+1\n'
    load_file(seeded, "formula.csv", text.encode(), "spend")
    with seeded.read() as cur:
        assert cur.execute("SELECT supplier_name, expense_type FROM payments WHERE amount = 100").fetchone() == (
            '=HYPERLINK("http://x","click")', "=1+1")


def test_injection_in_names_headers_and_files_is_stored_as_text(seeded: Workspace) -> None:
    text = ("Date,Supplier Name,Amount,\"'; DROP TABLE payments; --\"\n"
            "01/04/2024,<script>alert(1)</script>,1.00,<img src=x onerror=alert(2)>\n")
    result = load_file(seeded, "x'); DROP TABLE loaded_files; --.csv", text.encode(), "spend")
    assert result.rows == 1
    with seeded.read() as cur:
        assert cur.execute("SELECT supplier_name FROM payments WHERE amount = 1").fetchone() == (
            "<script>alert(1)</script>",)
        assert cur.execute("SELECT extra['''; DROP TABLE payments; --'] FROM payments WHERE amount = 1").fetchone() == (
            "<img src=x onerror=alert(2)>",)
        assert cur.execute("SELECT count(*) FROM loaded_files").fetchone() == (2,)


def test_unknown_header_needs_mapping_not_a_guess(seeded: Workspace) -> None:
    with pytest.raises(NeedsMapping):
        load_file(seeded, "odd.csv", b"Foo,Bar,Baz\n1,2,3\n", "spend")


@pytest.mark.parametrize("case", ["empty", "binary named csv", "amount with letters", "malformed quoting"])
def test_the_command_line_says_the_same_and_exits_1(tmp_path: Path, case: str) -> None:
    name, make, words, line = CORPUS[case]
    path = tmp_path / name
    path.write_bytes(make())
    workspace = tmp_path / "w.duckdb"
    done = subprocess.run([sys.executable, "-m", "sp_analysis", "load", "--workspace", str(workspace), str(path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert f"refused {name}: " in done.stderr
    for word in words:
        assert word in done.stderr
    if line is not None:
        assert f"line {line}" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_the_upload_page_shows_the_message_and_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              case: str) -> None:
    name, make, words, _line = CORPUS[case]
    workspace = tmp_path / "app.duckdb"
    monkeypatch.setenv("SP_WORKSPACE", str(workspace))
    ws = open_workspace(workspace)
    load_file(ws, "seed.csv", GOOD.encode(), "spend")
    before = table_state(ws)
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.run()
        at.switch_page("views/upload.py")
        at.run()
        at.file_uploader(key="upload_files").set_value([(name, make(), "text/csv")])
        at.button(key="upload_submit").click()
        at.run()
        assert not at.exception
        shown = [e.value for e in at.error] + [w.value for w in at.warning]
        assert any(s.startswith(f"{name}: ") and all(w in s for w in words) for s in shown), shown
        assert table_state(ws) == before
    finally:
        close_workspace(workspace)
