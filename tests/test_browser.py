"""End to end in a real browser: Debian's Chromium, driven by Playwright, against the running app.

Skipped with a reason where /usr/bin/chromium is missing; with CI=true a missing browser fails.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ARTIFACTS, CHROMIUM, DEVON_2026_03, skip_without_chromium

pytestmark = pytest.mark.browser
skip_without_chromium()


@pytest.fixture(scope="module")
def app_url(empty_app: str) -> str:
    """The app on a free local port with an empty temporary workspace."""
    return empty_app


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)  # type: ignore[attr-defined]
    page = context.new_page()
    yield page
    context.close()


def _shot(page: object, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def _spend_file(tmp_path: Path) -> tuple[Path, str, str]:
    """A real council file (kept with the tests): path, payments and total as published."""
    return DEVON_2026_03, "3,545", "£57,492,900.67"


SHORT_TOTAL = "£57.5m"  # the Overview's metric shows money short, the exact figure on hover


def test_upload_a_file_and_see_the_figures_and_chart_change(app_url: str, page: object, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    page.goto(app_url)  # type: ignore[attr-defined]
    # An empty workspace offers the first-run choice; loading a file without making it still works.
    expect(page.get_by_role("button", name="Explore the sample council")).to_be_visible(timeout=30_000)  # type: ignore[attr-defined]
    _shot(page, "01-overview-empty")

    page.goto(f"{app_url}/upload")  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", name="Upload")).to_be_visible(timeout=30_000)  # type: ignore[attr-defined]
    path, rows, total = _spend_file(tmp_path)
    page.locator("input[type=file]").set_input_files(str(path))  # type: ignore[attr-defined]
    expect(page.get_by_role("button", name=f"Remove {path.name}")).to_be_visible(timeout=30_000)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Load files").click()  # type: ignore[attr-defined]
    expect(page.get_by_text(f"loaded {rows} payments, total {total}")).to_be_visible(timeout=60_000)  # type: ignore[attr-defined]
    expect(page.locator('[data-testid="stDataFrame"]').first).to_be_visible(timeout=30_000)  # type: ignore[attr-defined]
    page.wait_for_timeout(1000)  # type: ignore[attr-defined]  # let the grid paint before the screenshot
    _shot(page, "02-upload-loaded")

    page.get_by_role("link", name="Overview").click()  # type: ignore[attr-defined]
    metric = page.locator('[data-testid="stMetricValue"]').first  # type: ignore[attr-defined]
    expect(metric).to_have_text(SHORT_TOTAL, timeout=30_000)
    expect(page.locator(".js-plotly-plot").first).to_be_visible(timeout=30_000)  # type: ignore[attr-defined]
    _shot(page, "03-overview-loaded")


def test_a_bad_file_names_its_line_in_the_page(app_url: str, page: object, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    bad = tmp_path / "bad-month.csv"
    bad.write_text("Date,Supplier Name,Amount\n01/04/2024,Acme Ltd,twelve\n")
    page.goto(f"{app_url}/upload")  # type: ignore[attr-defined]
    page.locator("input[type=file]").set_input_files(str(bad))  # type: ignore[attr-defined]
    expect(page.get_by_role("button", name=f"Remove {bad.name}")).to_be_visible(timeout=30_000)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Load files").click()  # type: ignore[attr-defined]
    expect(page.get_by_text("line 2, column 'Amount'")).to_be_visible(timeout=60_000)  # type: ignore[attr-defined]
    _shot(page, "04-upload-refused")


def test_chromium_is_debians() -> None:
    assert shutil.which("chromium") or CHROMIUM.exists()


PAGES = {  # url path: text that shows the page has drawn its content
    "": "Value band and impact",
    "impact-areas": "By category",
    "suppliers": "Year on year",
    "cabinet-pack": "Charts and tables",
    "upload": "Loaded files",
    "classification": "Unclassified spend, largest first",
    "settings": "Value band boundaries",
}


def test_every_page_opens_and_is_screenshotted(app_url: str, page: object) -> None:
    from playwright.sync_api import expect

    # The upload test above has loaded a real council file into this app's workspace.
    for number, (path, marker) in enumerate(PAGES.items(), start=10):
        page.goto(f"{app_url}/{path}")  # type: ignore[attr-defined]
        expect(page.get_by_text(marker).first).to_be_visible(timeout=60_000)  # type: ignore[attr-defined]
        page.wait_for_timeout(1500)  # type: ignore[attr-defined]
        assert page.locator('[data-testid="stException"]').count() == 0, path  # type: ignore[attr-defined]
        _shot(page, f"{number}-{path or 'overview'}")


def test_filter_changes_the_figures_and_downloads_work(app_url: str, page: object, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    page.goto(app_url)  # type: ignore[attr-defined]
    metric = page.locator('[data-testid="stMetricValue"]').first  # type: ignore[attr-defined]
    expect(metric).to_have_text(SHORT_TOTAL, timeout=60_000)
    # Narrow to High impact in the sidebar: the total changes.
    page.get_by_label("Impact").first.click()  # type: ignore[attr-defined]
    page.get_by_role("option", name="High").click()  # type: ignore[attr-defined]
    page.keyboard.press("Escape")  # type: ignore[attr-defined]
    expect(page.get_by_text("impact: High").first).to_be_visible(timeout=60_000)  # type: ignore[attr-defined]
    expect(metric).not_to_have_text(SHORT_TOTAL, timeout=60_000)
    _shot(page, "20-overview-filtered")

    # A table's CSV download is exactly what is shown.
    with page.expect_download(timeout=60_000) as download_info:  # type: ignore[attr-defined]
        page.get_by_role("button", name="Download CSV").first.click()  # type: ignore[attr-defined]
    csv_path = tmp_path / "table.csv"
    download_info.value.save_as(csv_path)
    text = csv_path.read_text(encoding="utf-8-sig")
    assert text.startswith("Financial year,Months of data,High,All\n")  # the by-year table as filtered to High impact

    # A chart's print-quality PNG, rendered on the server. The first image of a process starts the
    # renderer's own Chromium, which on a loaded CI machine has taken over two minutes.
    page.get_by_text("Text description and downloads").first.click()  # type: ignore[attr-defined]
    with page.expect_download(timeout=300_000) as download_info:  # type: ignore[attr-defined]
        page.get_by_role("button", name="PNG (print quality)").first.click()  # type: ignore[attr-defined]
    png_path = tmp_path / "chart.png"
    download_info.value.save_as(png_path)
    from PIL import Image

    with Image.open(png_path) as image:
        assert image.size == (3300, 1860)


def test_a_framework_assessment_is_saved_and_still_there_after_a_reload(app_url: str, page: object) -> None:
    from playwright.sync_api import expect

    page.goto(f"{app_url}/framework")  # type: ignore[attr-defined]
    expect(page.get_by_text("Record an assessment").first).to_be_visible(timeout=60_000)  # type: ignore[attr-defined]
    # Tick the first criterion of the first theme (People, 1.1) and name the assessor.
    first = page.locator('[data-testid="stCheckbox"]').filter(has_text="1.1").first  # type: ignore[attr-defined]
    first.scroll_into_view_if_needed()
    first.locator("label").click()
    page.get_by_placeholder("Name or initials").fill("Browser Test Officer")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Save assessment").click()  # type: ignore[attr-defined]
    expect(page.get_by_text("Saved the People assessment").first).to_be_visible(timeout=60_000)  # type: ignore[attr-defined]
    _shot(page, "30-framework-saved")

    page.reload()  # type: ignore[attr-defined]
    expect(page.get_by_text("Record an assessment").first).to_be_visible(timeout=60_000)  # type: ignore[attr-defined]
    expect(page.get_by_text("Browser Test Officer").first).to_be_attached(timeout=60_000)  # type: ignore[attr-defined]
    ticked = page.locator('[data-testid="stCheckbox"]').filter(has_text="1.1").first.locator("input")  # type: ignore[attr-defined]
    expect(ticked).to_be_checked(timeout=30_000)
    _shot(page, "31-framework-after-reload")


def test_the_plan_and_contract_pages_open(app_url: str, page: object) -> None:
    from playwright.sync_api import expect

    for number, (path, marker) in enumerate({"action-plan": "Overdue", "contracts": "Contracts",
                                             "renewals": "Renewal",
                                             "procurement-act": "Pipeline notice (section 93)"}.items(), start=40):
        page.goto(f"{app_url}/{path}")  # type: ignore[attr-defined]
        expect(page.get_by_text(marker).first).to_be_visible(timeout=60_000)  # type: ignore[attr-defined]
        page.wait_for_timeout(1500)  # type: ignore[attr-defined]
        assert page.locator('[data-testid="stException"]').count() == 0, path  # type: ignore[attr-defined]
        _shot(page, f"{number}-{path}")


def test_script_in_a_file_is_shown_as_text_and_never_runs(app_url: str, page: object, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))  # type: ignore[attr-defined]
    hostile = tmp_path / "<img src=x onerror=alert(3)>.csv"
    hostile.write_text("Date,Supplier Name,Amount,\"<script>alert(2)</script>\"\n"
                       "01/04/2025,<script>alert(1)</script>,\"1,000.00\",<img src=x onerror=alert(4)>\n"
                       "02/04/2025,'; DROP TABLE payments; --,5.00,x\n")
    page.goto(f"{app_url}/upload")  # type: ignore[attr-defined]
    page.locator("input[type=file]").set_input_files(str(hostile))  # type: ignore[attr-defined]
    page.get_by_role("button", name="Load files").click()  # type: ignore[attr-defined]
    expect(page.get_by_text("loaded 2 payments").first).to_be_visible(timeout=60_000)  # type: ignore[attr-defined]
    page.goto(f"{app_url}/suppliers")  # type: ignore[attr-defined]
    page.get_by_label("Supplier name contains").fill("script")  # type: ignore[attr-defined]
    page.keyboard.press("Enter")  # type: ignore[attr-defined]
    expect(page.get_by_text("<script>alert(1)</script>").first).to_be_attached(timeout=60_000)  # type: ignore[attr-defined]
    page.wait_for_timeout(2000)  # type: ignore[attr-defined]
    _shot(page, "50-injection-shown-as-text")
    assert dialogs == []
    assert page.locator('[data-testid="stException"]').count() == 0  # type: ignore[attr-defined]
