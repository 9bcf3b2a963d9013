"""Sixty monthly files uploaded at once through the Upload page in a real browser: one progress bar over
the batch with a status line for each file, then each file's figures exactly as generated.

The same files are loaded through the command line first, and both times are printed (and written to
test-artifacts/upload-batch-timing.txt) for comparison: reported, not asserted, as the machine is shared.
The files are generated here for a fictional council. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import ARTIFACTS, ROOT, shot, skip_without_chromium

pytestmark = [pytest.mark.browser, pytest.mark.timeout(900)]

skip_without_chromium()


@pytest.fixture(scope="module")
def app_url(empty_app: str) -> str:
    """The app on a free local port with an empty temporary workspace."""
    return empty_app

FILES = 60
LINES = 2_000
SUPPLIERS = ["Alderbrook Care Homes Ltd", "Brackenway Civils Ltd", "Copperfold Coaches", "Fenwick Foods Ltd",
             "Heronmere Systems Ltd", "Kestrelgate Cleaning Services CIC", "Otterdale Print & Design",
             "Rowanhurst Fostering Ltd", "Sedgecombe Energy PLC", "Wrenstead Community Trust"]
HEADER = "Date,Supplier Name,Amount,Expense Area,Expense Type,Transaction Number\r\n"


def _month_file(index: int) -> tuple[str, bytes, int, int]:
    """File `index` (April 2020 onwards): its name, bytes, payment lines and total in pence."""
    months = 2020 * 12 + 3 + index
    year, month = months // 12, months % 12 + 1
    lines, total = [HEADER], 0
    for n in range(LINES):
        pence = 50_000 + (n * 7_919 + index * 104_729) % 2_500_000
        if n % 37 == 0:
            pence = -pence // 10  # a credit note
        total += pence
        sign, size = ("-" if pence < 0 else ""), abs(pence)
        day = dt.date(year, month, n % 28 + 1)
        supplier = SUPPLIERS[(n + index) % len(SUPPLIERS)]
        lines.append(f"{day:%d/%m/%Y},{supplier},{sign}{size // 100}.{size % 100:02d},Highways,Works,"
                     f"{index * 100_000 + n}\r\n")
    # Every third file in Windows-1252, as older exports are.
    encoding = "cp1252" if index % 3 == 0 else "utf-8"
    return f"harrowdale-spend-{year}-{month:02d}.csv", "".join(lines).encode(encoding), LINES, total


@pytest.fixture(scope="module")
def month_files(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Path, int, int]]:
    folder = tmp_path_factory.mktemp("sixty-files")
    made = []
    for index in range(FILES):
        name, data, rows, total = _month_file(index)
        (folder / name).write_bytes(data)
        made.append((folder / name, rows, total))
    return made


@pytest.fixture(scope="module")
def cli_seconds(month_files: list[tuple[Path, int, int]], tmp_path_factory: pytest.TempPathFactory) -> float:
    """The same files through `python -m sp_analysis load`, timed (the process's whole run)."""
    workspace = tmp_path_factory.mktemp("sixty-cli") / "cli.duckdb"
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "sp_analysis", "load", "--workspace", str(workspace),
                           *[str(p) for p, _, _ in month_files]], cwd=ROOT, capture_output=True, text=True,
                          check=False)
    seconds = time.perf_counter() - started
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("loaded") >= FILES
    return seconds


def _pounds(pence: int) -> str:
    value = Decimal(pence) / 100
    return f"{'-' if value < 0 else ''}£{abs(value):,.2f}"


def test_sixty_files_load_with_one_progress_bar(app_url: str, page: object,
                                                 month_files: list[tuple[Path, int, int]], cli_seconds: float,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from playwright.sync_api import expect

    page.goto(f"{app_url}/upload")  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", name="Upload")).to_be_visible(timeout=120_000)  # type: ignore[attr-defined]
    started = time.perf_counter()
    page.locator("input[type=file]").set_input_files([str(p) for p, _, _ in month_files])  # type: ignore[attr-defined]
    last = month_files[-1][0].name
    # The uploader lists the files a page at a time, the first ones first.
    expect(page.get_by_role("button", name=f"Remove {month_files[0][0].name}")).to_be_visible(  # type: ignore[attr-defined]
        timeout=120_000)
    uploaded = time.perf_counter()
    page.get_by_role("button", name="Load files").click()  # type: ignore[attr-defined]

    bar = page.locator('[data-testid="stProgress"]')  # type: ignore[attr-defined]
    expect(bar).to_have_count(1, timeout=120_000)  # one bar for the whole batch, not one per file
    expect(bar.first).to_contain_text(f"of {FILES} files checked")
    # The status table is a data grid drawn on a canvas: its cells are in the page for screen readers.
    expect(page.get_by_text("checked, waiting to be written with its batch").first).to_be_attached(  # type: ignore[attr-defined]
        timeout=120_000)
    shot(page, "upload-sixty-files-progress")

    alerts = page.locator('[data-testid="stAlert"]')  # type: ignore[attr-defined]
    expect(alerts).to_have_count(FILES, timeout=600_000)
    expect(page.get_by_text(f"{last}: loaded")).to_be_visible()  # type: ignore[attr-defined]
    loaded = time.perf_counter()
    assert page.locator('[data-testid="stException"]').count() == 0  # type: ignore[attr-defined]
    texts = alerts.all_inner_texts()
    for path, rows, total in month_files:
        assert f"{path.name}: loaded {rows:,} payments, total {_pounds(total)}." in texts, path.name
    assert bar.count() == 0
    # One quality report at a time, chosen from the files just loaded, rather than sixty drawn at once.
    expect(page.get_by_text(f"Quality reports of the {FILES} files just loaded")).to_be_visible()  # type: ignore[attr-defined]
    assert page.locator('[data-testid="stExpander"]').filter(has_text="Quality report: ").count() == 0  # type: ignore[attr-defined]
    shot(page, "upload-sixty-files-done")

    lines = [f"{FILES} files of {LINES:,} lines: command line {cli_seconds:.1f} s; browser {loaded - started:.1f} s "
             f"(upload {uploaded - started:.1f} s, then loading {loaded - uploaded:.1f} s); "
             f"browser loading / command line {(loaded - uploaded) / cli_seconds:.2f}x"]
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "upload-batch-timing.txt").write_text("\n".join(lines) + "\n")
    with capsys.disabled():
        print("\n" + "\n".join(lines))
