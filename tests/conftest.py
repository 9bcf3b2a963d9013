"""Shared fixtures: temporary workspaces, the real samples (skipped where absent), the sample council."""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from sp_analysis.workspace import Workspace, close_workspace, open_workspace

ROOT = Path(__file__).resolve().parent.parent
REAL_SAMPLES = ROOT.parent / "shared" / "real-samples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# A real council file kept with the tests (Open Government Licence v3.0, Devon County Council).
DEVON_2026_03 = FIXTURES / "real" / "devon-cc_spending-over-500_2026-03.csv"
ON_CI = os.environ.get("CI", "").lower() == "true"
APP = str(ROOT / "app.py")
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    """A new, empty workspace file."""
    path = tmp_path / "workspace.duckdb"
    workspace = open_workspace(path)
    yield workspace
    close_workspace(path)


@pytest.fixture
def workspace_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A workspace file the app under AppTest opens (through $SP_WORKSPACE), closed afterwards."""
    path = tmp_path / "app.duckdb"
    monkeypatch.setenv("SP_WORKSPACE", str(path))
    yield path
    close_workspace(path)


@pytest.fixture(scope="session")
def sample_council(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """The fictional sample council, built once for the session as `python -m sp_analysis sample` builds it.
    Shared: tests read it and must not change it (building it again adds nothing)."""
    from sp_analysis.sample import build_sample_workspace

    path = tmp_path_factory.mktemp("sample") / "sample.duckdb"
    workspace = open_workspace(path)
    _loaded, refused = build_sample_workspace(workspace)
    assert not refused, [e.message for e in refused]
    yield workspace
    close_workspace(path)


def run_page(page: str) -> Any:
    """The app under AppTest, switched to one page (views/...), run once with no exception."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    if page != "views/overview.py":
        at.switch_page(page)
        at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def real_sample(name: str) -> Path:
    """A real council file from ../shared/real-samples, or skip where the folder is absent."""
    path = REAL_SAMPLES / name
    if not path.exists():
        pytest.skip(f"{path} is absent (a clone without ../shared): real-sample tests need it")
    return path


def table_state(ws: Workspace) -> dict[str, object]:
    """Row counts and totals of every table: equal before and after a refused load."""
    with ws.read() as cur:
        return {
            "payments": cur.execute("SELECT count(*), sum(amount), sum(hash(payments::VARCHAR)) FROM payments").fetchone(),
            "contracts": cur.execute("SELECT count(*), sum(value_whole_life), sum(hash(contracts::VARCHAR)) FROM contracts").fetchone(),
            "files": cur.execute("SELECT count(*), sum(hash(loaded_files::VARCHAR)) FROM loaded_files").fetchone(),
            "profiles": cur.execute("SELECT count(*) FROM mapping_profiles").fetchone(),
        }


def xlsx_bytes(sheets: dict[str, list[list[object]]]) -> bytes:
    """An XLSX workbook with the given sheets and rows, as bytes."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- small councils written out by hand, shared by several test modules -----------------------------------

# Spend lines for rule tests: (supplier, id, amount, department, expense type, broad heading); rows count from 2.
RULE_LINES = [
    ("Ardent Ltd", "A1", "1000.00", "Corporate", "Bulky item rounds", "Supplies and Services"),
    ("Ardent Ltd", "A1", "-200.25", "Corporate", "Bulky  Item Rounds", "Supplies and Services"),
    ("Ardent Ltd", "A1", "300.10", "Corporate", "Widget sundry", "Supplies and Services"),
    ("Bolt Ltd", "B1", "50.05", "Waste Services", "Bulky item rounds", ""),
    ("Cobble Ltd", "C1", "75.00", "Highways", "Bulky item rounds", ""),
    ("Dunmore Ltd", "D1", "500.00", "Corporate", "Bulky waste collection", "Supplies and Services"),
    ("Dunmore Ltd", "D1", "120.00", "Corporate", "Clinical waste collection", ""),
    ("Grove Ltd", "G1", "900.00", "Corporate", "Residential placements", ""),
    ("Grove Ltd", "G1", "100.00", "Corporate", "Quarterly invoice", "Supplies and Services"),
    ("Hollin Ltd", "H1", "500.00", "Corporate", "Residential placements", "Supplies and Services"),
    ("Ixworth Ltd", "I1", "33.33", "Corporate", "Zqx", ""),
]


def rule_spend_csv() -> bytes:
    """RULE_LINES as a spend file, one line a day from 1 April 2024."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Date", "Supplier Name", "Supplier ID", "Amount", "Expense Area", "Expense Type", "Expense Category"])
    writer.writerows((f"{day:02d}/04/2024", s, i, a, d, t, h) for day, (s, i, a, d, t, h) in enumerate(RULE_LINES, start=1))
    return out.getvalue().encode()


# A small taxonomy and keyword rules for the contracts tests: category -> (impact, influenceable).
TAXONOMY = {
    "Health and social care": ("High", True),
    "Waste": ("High", True),
    "Pulp, paper and printing": ("High", True),
    "Transport and vehicles": ("High", True),
    "Furniture": ("High", True),
    "Construction": ("High", True),
    "Professional services and consultancy": ("Low", True),
    "Pensions": ("Low", False),
    "Unclassified": ("Unclassified", False),
}


def taxonomy_csv(taxonomy: dict[str, tuple[str, bool]]) -> bytes:
    """A categories file (as the Classification page exports it) for {category: (impact, influenceable)}."""
    return ("category,impact,influenceable,reason\n" + "".join(
        f'"{c}",{i},{"true" if f else "false"},test\n' for c, (i, f) in taxonomy.items())).encode()


TAXONOMY_CSV = taxonomy_csv(TAXONOMY)
EXPENSE_TYPES = {
    "Residential Care": "Health and social care",
    "Waste Collection": "Waste",
    "Stationery": "Pulp, paper and printing",
    "Pension Contributions": "Pensions",
    "Community Transport": "Transport and vehicles",
    "Consultancy Fees": "Professional services and consultancy",
    "Building Repairs": "Construction",
}
RULES_CSV = ("rule_id,layer,field,match,pattern,category,priority,note\n" + "".join(
    f'K{i},keyword,expense_type,exact,{t},"{c}",{10 + i},test\n' for i, (t, c) in enumerate(EXPENSE_TYPES.items()))
    + "R1,keyword,expense_type,regex,\\bfurnit,Furniture,50,test\n").encode()


# --- the app in a real browser -------------------------------------------------------------------------------


def skip_without_chromium() -> None:
    """Skip the calling module where Debian's Chromium is missing (fail on CI, where it must be there)."""
    if not CHROMIUM.exists():
        if ON_CI:
            raise RuntimeError("CI=true but /usr/bin/chromium is missing: .ci/run should have installed it")
        pytest.skip("Debian's chromium is not installed (/usr/bin/chromium): browser tests skipped",
                    allow_module_level=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_app(workspace: Path, log: Path, *extra: str, port: int | None = None) -> tuple[subprocess.Popen[bytes], str]:
    """`streamlit run app.py` on a local port (a free one unless given) over the workspace; the log says why if
    it does not come up within two minutes (a loaded two-core machine has taken over one)."""
    port = port or free_port()
    env = {**os.environ, "SP_WORKSPACE": str(workspace)}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true", *extra],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return process, url
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError(f"the app did not start: {log.read_text(errors='replace')}")


def stop_app(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def empty_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app's address, running on an empty temporary workspace (one app for the test module)."""
    folder = tmp_path_factory.mktemp("app")
    process, url = start_app(folder / "workspace.duckdb", folder / "app.log")
    yield url
    stop_app(process)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium through Playwright (one for the test module). `expect` waits up to a minute
    unless a test says otherwise: its own default of five seconds is shorter than a page's first draw on a busy
    machine."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=60_000)

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


# --- the fictional sample council's published figures, and the command line as a separate process ---------------

SAMPLE_EXPECTED = json.loads((ROOT / "sample_data" / "expected.json").read_text(encoding="utf-8"))
SAMPLE_PAYMENTS = sum(f["payment_rows"] for f in SAMPLE_EXPECTED["spend_files"])
SAMPLE_SPEND_FILES = len(SAMPLE_EXPECTED["spend_files"])  # and the register and two notice files: 3 contracts files


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    """`python -m sp_analysis ARGS` in a process of its own, from the project root."""
    return subprocess.run([sys.executable, "-m", "sp_analysis", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser page at 1400 x 1000, waiting up to a minute for what it expects."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(60_000)
    yield context.new_page()
    context.close()


def shot(page: Any, name: str) -> None:
    """A screenshot of the whole page to test-artifacts/: Streamlit scrolls inside its main section, so the
    viewport is made as tall as that section first."""
    height = page.evaluate(
        "() => Math.max(...['[data-testid=\"stMain\"]', '[data-testid=\"stAppViewContainer\"]']"
        ".map(s => document.querySelector(s)).filter(e => e).map(e => e.scrollHeight), 1000)")
    page.set_viewport_size({"width": 1400, "height": min(int(height) + 40, 8000)})
    page.wait_for_timeout(1000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    page.set_viewport_size({"width": 1400, "height": 1000})


def pounds_text(text: str) -> str:
    """A decimal figure as the pages write money: '£1,234.50', '-£9.90'."""
    value = Decimal(text)
    return f"{'-' if value < 0 else ''}£{abs(value):,.2f}"
