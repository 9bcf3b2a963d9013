"""Every page runs under Streamlit's AppTest with no exception and shows the right figures."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from sp_analysis.ingest.load import load_file
from sp_analysis.workspace import close_workspace, open_workspace
from tests.conftest import ROOT, real_sample

APP = str(ROOT / "app.py")
PAGES = ["pages/overview.py", "pages/upload.py"]
HEADER = "Date,Supplier Name,Amount,Expense Area\n"


@pytest.fixture
def workspace_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "app.duckdb"
    monkeypatch.setenv("SP_WORKSPACE", str(path))
    yield path
    close_workspace(path)


def upload(at: AppTest, files: list[tuple[str, bytes]]) -> None:
    """Choose files in the uploader and press Load (one run: form values land on submit)."""
    at.file_uploader(key="upload_files").set_value([(name, data, "text/csv") for name, data in files])
    at.button(key="upload_submit").click()
    at.run()
    assert not at.exception, [e.message for e in at.exception]


def run_page(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    if page != PAGES[0]:
        at.switch_page(page)
        at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_on_an_empty_workspace(workspace_path: Path, page: str) -> None:
    run_page(page)


def test_overview_shows_exact_totals(workspace_path: Path) -> None:
    ws = open_workspace(workspace_path)
    load_file(ws, "a.csv", (HEADER + "01/04/2024,Acme,1000.10,H\n31/03/2025,Beta,\"2,000.05\",W\n"
                            "01/04/2025,Gamma,0.01,W\n").encode(), "spend")
    at = run_page("pages/overview.py")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Total net spend"] == "£3,000.16"
    assert metrics["Payments"] == "3"
    table = at.dataframe[0].value
    assert list(table["Financial year"]) == ["2024/25", "2025/26"]
    assert list(table["Net spend"]) == ["£3,000.15", "£0.01"]
    assert at.get("plotly_chart")


def test_upload_page_loads_a_file_and_shows_its_report(workspace_path: Path) -> None:
    at = run_page("pages/upload.py")
    data = (HEADER + "01/04/2024,Acme,10.50,H\n,,10.50,\n").encode()
    upload(at, [("april.csv", data)])
    successes = [s.value for s in at.success]
    assert any("april.csv: loaded 1 payment, total £10.50" in s for s in successes), successes
    table = at.dataframe[0].value
    assert list(table["File"]) == ["april.csv"]
    assert list(table["Total"]) == ["£10.50"]
    assert list(table["Published total"]) == ["matches"]


def test_upload_page_names_the_bad_line_and_loads_nothing(workspace_path: Path) -> None:
    at = run_page("pages/upload.py")
    upload(at, [("bad.csv", (HEADER + "01/04/2024,Acme,ten,H\n").encode())])
    errors = [e.value for e in at.error]
    assert errors and errors[0].startswith("bad.csv: ") and "line 2" in errors[0], errors
    ws = open_workspace(workspace_path)
    with ws.read() as cur:
        assert cur.execute("SELECT count(*) FROM payments").fetchone() == (0,)


@pytest.mark.real_samples
def test_upload_page_loads_a_real_council_file(workspace_path: Path) -> None:
    path = real_sample("devon-cc_spending-over-500_2026-03.csv")
    at = run_page("pages/upload.py")
    upload(at, [(path.name, path.read_bytes())])
    assert any("3,545 payments, total £57,492,900.67" in s.value for s in at.success)
    at.switch_page("pages/overview.py")
    at.run()
    assert {m.label: m.value for m in at.metric}["Total net spend"] == f"£{Decimal('57492900.67'):,}"
