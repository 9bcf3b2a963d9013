"""The Upload page in a real browser, with real council files: the figures the page shows for each file
(the success line and the quality report) are the published figures in ../shared/real-samples/expected.json.

Debian's Chromium drives the running app, as in test_browser.py. Skipped with a reason where
/usr/bin/chromium is missing, or where ../shared/real-samples is absent (a clone without ../shared:
most of these files state no licence and are not kept in the project). Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import REAL_SAMPLES, pounds_text, shot, skip_without_chromium

EXPECTED = REAL_SAMPLES / "expected.json"

pytestmark = [pytest.mark.browser, pytest.mark.real_samples, pytest.mark.timeout(300)]

skip_without_chromium()
if not EXPECTED.exists():
    pytest.skip(f"{REAL_SAMPLES} is absent (a clone without ../shared): the real-sample upload tests need it",
                allow_module_level=True)

# Three files of different shapes: Windows-1252 text with `£` amounts; LGA columns with payee-less lines
# whose money is reported but not loaded; a real old-format workbook dated only to the month.
FILES = [
    "warwickshire-cc_supplier-payments_2017-01.csv",
    "other-councils/wakefield_2014-Q1.csv",
    "other-councils/stockport_2014-09.xls",
]
# Figures from the READMEs beside expected.json that the quality report must also show.
NOT_LOADED = {"other-councils/wakefield_2014-Q1.csv": "£6,005,847.69"}  # the 98 lines without a payee
DATED_TO_MONTH = {"other-councils/stockport_2014-09.xls"}


def _money(text: str) -> Decimal:
    """'£1,234.56' or '-£9.90' as a Decimal."""
    return Decimal(text.replace("£", "").replace(",", ""))


@pytest.fixture(scope="module")
def expected() -> dict[str, dict[str, str]]:
    return json.loads(EXPECTED.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def app_url(empty_app: str) -> str:
    """The app on a free local port with an empty temporary workspace."""
    return empty_app


def _report(page: object, name: str) -> dict[str, str]:
    """The file's quality report as shown: check -> figure."""
    from playwright.sync_api import expect

    expander = page.locator('[data-testid="stExpander"]').filter(has_text=f"Quality report: {name}").first  # type: ignore[attr-defined]
    table = expander.locator('[data-testid="stTable"]').first
    if not table.is_visible():
        expander.locator("summary").click()
    expect(table).to_be_visible()
    rows = table.evaluate(
        "el => Array.from(el.querySelectorAll('tbody tr')).map(r => Array.from(r.querySelectorAll('th,td'))"
        ".map(c => c.innerText.trim()))")
    return {cells[0]: cells[1] for cells in rows if len(cells) >= 2}


@pytest.mark.parametrize("relative", FILES, ids=[Path(f).stem for f in FILES])
def test_a_real_file_shows_its_published_figures(app_url: str, page: object, expected: dict[str, dict[str, str]],
                                                  relative: str) -> None:
    from playwright.sync_api import expect

    path = REAL_SAMPLES / relative
    if not path.exists():
        pytest.skip(f"{path} is absent from ../shared/real-samples")
    figures = expected[relative]
    assert figures["kind"] == "spend"
    rows, total = f"{int(figures['records']):,}", pounds_text(figures["total"])

    page.goto(f"{app_url}/upload")  # type: ignore[attr-defined]
    # The first page of a freshly started app on a loaded two-core machine can take longer than expect's 5 s.
    expect(page.get_by_role("heading", name="Upload")).to_be_visible(timeout=60_000)  # type: ignore[attr-defined]
    page.locator("input[type=file]").set_input_files(str(path))  # type: ignore[attr-defined]
    expect(page.get_by_role("button", name=f"Remove {path.name}")).to_be_visible()  # type: ignore[attr-defined]
    page.get_by_role("button", name="Load files").click()  # type: ignore[attr-defined]

    success = f"{path.name}: loaded {rows} payments, total {total}."
    alert = page.locator('[data-testid="stAlert"]').first  # type: ignore[attr-defined]
    expect(alert).to_be_visible(timeout=120_000)
    expect(alert).to_have_text(success, timeout=120_000)
    assert page.locator('[data-testid="stException"]').count() == 0  # type: ignore[attr-defined]

    report = _report(page, path.name)
    assert report["Payments loaded"] == rows
    assert report["Total"] == total
    # Every line below the header is a payment loaded or a skipped line counted by reason.
    counts = [re.match(r"[\d,]+", figure) for check, figure in report.items() if check.startswith("Skipped:")]
    assert all(counts), report
    skipped = sum(int(count.group().replace(",", "")) for count in counts if count)
    assert int(report["Rows read below the header"].replace(",", "")) == int(figures["records"]) + skipped
    # All the money in the file is what was loaded plus what was not.
    whole = re.fullmatch(r"(-?£[\d,.]+): (-?£[\d,.]+) loaded \+ (-?£[\d,.]+) not loaded",
                         report["All the money in the file"])
    assert whole, report["All the money in the file"]
    assert whole.group(2) == total
    assert _money(whole.group(1)) == _money(whole.group(2)) + _money(whole.group(3))
    if relative in NOT_LOADED:
        assert whole.group(3) == NOT_LOADED[relative]
        assert any(f"holding {NOT_LOADED[relative]} (not loaded)" in figure for figure in report.values())
    if relative in DATED_TO_MONTH:
        assert "dated only to the month" in report["Payment dates"]
    for needed in ("Date from", "Payee / supplier name from", "Amount from"):
        assert needed in report["Columns used"]
    shot(page, f"upload-real-{path.stem}")
