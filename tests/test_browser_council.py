"""A council analyst's first hour, in a real browser, as on a fresh clone: an empty start, "start my council's
workspace" with its name, three real council files uploaded at once and their figures checked against the
published ones (expected.json), a filter, a click on a cell of the band x impact matrix that opens its payments,
and downloads of a table, a chart and the Cabinet pack, each carrying the council's name and never the sample's.

Debian's Chromium drives the running app, started as in test_browser_upload.py on a workspace file that does
not exist yet. Skipped with a reason where /usr/bin/chromium or ../shared/real-samples is absent. A full-page
screenshot of every step goes to test-artifacts/council-*.png, with the downloaded chart and the pack's images.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from sp_analysis.output.charts import short_money
from tests.conftest import (
    ARTIFACTS,
    CHROMIUM,
    REAL_SAMPLES,
    pounds_text,
    shot,
    skip_without_chromium,
    start_app,
    stop_app,
)

pytestmark = [pytest.mark.browser, pytest.mark.real_samples, pytest.mark.timeout(900)]

skip_without_chromium()
if not (REAL_SAMPLES / "expected.json").exists():
    pytest.skip(f"{REAL_SAMPLES} is absent (a clone without ../shared): this test uploads real council files",
                allow_module_level=True)

COUNCIL = "Devon and Warwickshire County Councils"  # one name for the three councils' files this test loads
SLUG = "devon-and-warwickshire-county-councils"
SAMPLE = "Harrowdale"
FILES = ["devon-cc_spending-over-500_2024-03.csv", "devon-cc_spending-over-500_2026-03.csv",
         "warwickshire-cc_supplier-payments_2017-01.csv"]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on a free port, on a workspace file that does not exist yet (as on a fresh clone)."""
    workspace = tmp_path_factory.mktemp("browser-council") / "data" / "workspace.duckdb"
    workspace.parent.mkdir()
    process, url = start_app(workspace, workspace.parent.parent / "app.log")
    yield url
    stop_app(process)


# The matrix as drawn: its heatmap's rows (bands, top first), columns (impacts) and each cell's hover text.
_MATRIX = """
() => {
  const plot = document.querySelector('.js-plotly-plot');
  const heat = plot.data.find((t) => t.type === 'heatmap');
  return {x: heat.x, y: heat.y, z: heat.z, hover: heat.customdata};
}
"""


def test_a_councils_first_hour(app_url: str, page: object, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    assert CHROMIUM.exists()
    paths = [REAL_SAMPLES / name for name in FILES]
    for path in paths:
        if not path.exists():
            pytest.skip(f"{path} is absent from ../shared/real-samples")
    expected = json.loads((REAL_SAMPLES / "expected.json").read_text(encoding="utf-8"))
    records = sum(int(expected[name]["records"]) for name in FILES)
    total = sum((Decimal(expected[name]["total"]) for name in FILES), Decimal(0))

    # 1. An empty start: the first-run choice, no figures of anyone's.
    page.goto(app_url)  # type: ignore[attr-defined]
    expect(page.get_by_role("button", name="Start my council's workspace")).to_be_visible(timeout=60_000)  # type: ignore[attr-defined]
    expect(page.get_by_role("button", name="Explore the sample council")).to_be_visible()  # type: ignore[attr-defined]
    assert page.locator('[data-testid="stMetricValue"]').count() == 0  # type: ignore[attr-defined]
    shot(page, "council-01-first-run")

    # 2. Start my council's workspace, with its name: straight on to the Upload page.
    page.get_by_label("Your council's name").fill(COUNCIL)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Start my council's workspace").click()  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", name="Upload")).to_be_visible(timeout=60_000)  # type: ignore[attr-defined]
    expect(page.get_by_text(f"Council: {COUNCIL}")).to_be_visible()  # type: ignore[attr-defined]
    shot(page, "council-02-started")

    # 3. Three real files at once, each with its published figures.
    page.locator("input[type=file]").set_input_files([str(p) for p in paths])  # type: ignore[attr-defined]
    for path in paths:
        expect(page.get_by_role("button", name=f"Remove {path.name}")).to_be_visible(timeout=30_000)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Load files").click()  # type: ignore[attr-defined]
    for name in FILES:
        figures = expected[name]
        line = f"{name}: loaded {int(figures['records']):,} payments, total {pounds_text(figures['total'])}."
        expect(page.get_by_text(line)).to_be_visible(timeout=300_000)  # type: ignore[attr-defined]
    assert page.locator('[data-testid="stException"]').count() == 0  # type: ignore[attr-defined]
    page.wait_for_timeout(1000)  # type: ignore[attr-defined]
    shot(page, "council-03-upload")

    # 4. The Overview's figures: every payment of the three files, their published total.
    page.get_by_role("link", name="Overview").click()  # type: ignore[attr-defined]
    metric = page.locator('[data-testid="stMetricValue"]').first  # type: ignore[attr-defined]
    expect(metric).to_have_text(short_money(total), timeout=120_000)
    expect(page.get_by_text(f"{records:,} payments").first).to_be_visible()  # type: ignore[attr-defined]
    page.wait_for_timeout(1500)  # type: ignore[attr-defined]
    shot(page, "council-04-overview")

    # 5. A filter: Devon's March 2024, the financial year 2023/24.
    page.get_by_label("Financial years").first.click()  # type: ignore[attr-defined]
    page.get_by_role("option", name="2023/24").click()  # type: ignore[attr-defined]
    page.keyboard.press("Escape")  # type: ignore[attr-defined]
    expect(page.get_by_text("Showing financial year 2023/24").first).to_be_visible(timeout=120_000)  # type: ignore[attr-defined]
    devon_2024 = Decimal(expected[FILES[0]]["total"])
    expect(metric).to_have_text(short_money(devon_2024), timeout=120_000)
    expect(page.get_by_text(f"{int(expected[FILES[0]]['records']):,} payments").first).to_be_visible()  # type: ignore[attr-defined]
    page.wait_for_timeout(1500)  # type: ignore[attr-defined]
    shot(page, "council-05-overview-filtered")

    # 6. A table: the spend by financial year, as numbers, named for the council and the filter.
    with page.expect_download(timeout=120_000) as info:  # type: ignore[attr-defined]
        page.get_by_role("button", name="Download CSV").first.click()  # type: ignore[attr-defined]
    table_name = info.value.suggested_filename
    assert table_name == f"{SLUG}-spend-by-year-financial-year-2023-24.csv", table_name
    rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8-sig"))))
    assert [r["Financial year"] for r in rows] == ["2023/24"]
    assert Decimal(rows[0]["All"]) == devon_2024  # a plain number with its pence, the file's published total
    with page.expect_download(timeout=120_000) as info:  # type: ignore[attr-defined]
        page.get_by_role("button", name="Download XLSX").first.click()  # type: ignore[attr-defined]
    import openpyxl

    assert info.value.suggested_filename == f"{SLUG}-spend-by-year-financial-year-2023-24.xlsx"
    sheet = openpyxl.load_workbook(io.BytesIO(Path(info.value.path()).read_bytes())).active
    header = [c.value for c in sheet[1]]
    cell = sheet.cell(row=2, column=header.index("All") + 1)
    assert Decimal(str(cell.value)) == devon_2024 and cell.number_format.startswith("£#,##0.00")

    # 7. A click on a cell of the band x impact matrix opens its payments: the cell with the most spend that is
    # not the one the payments section starts on (the largest band, High impact).
    drawn = page.evaluate(_MATRIX)  # type: ignore[attr-defined]
    cells = [(z, r, c) for r, row in enumerate(drawn["z"]) for c, z in enumerate(row)
             if z and (r, c) != (len(drawn["y"]) - 1, drawn["x"].index("High") if "High" in drawn["x"] else -1)]
    assert cells, drawn
    _, row_index, column_index = max(cells)
    band, impact = drawn["y"][row_index], drawn["x"][column_index]
    cell_total = drawn["hover"][row_index][column_index].split(": ")[1].split(" from ")[0]  # '£1,234.56'
    matrix = page.locator(".js-plotly-plot").first  # type: ignore[attr-defined]
    matrix.scroll_into_view_if_needed()  # the downloads above scrolled the page: click where the matrix is now
    page.wait_for_timeout(1000)  # type: ignore[attr-defined]
    box = matrix.locator(".nsewdrag").first.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] * (column_index + 0.5) / len(drawn["x"]),  # type: ignore[attr-defined]
                     box["y"] + box["height"] * (row_index + 0.5) / len(drawn["y"]))
    said = page.get_by_text(f"impact: {impact}; supplier-year value: {band}").first  # type: ignore[attr-defined]
    expect(said).to_be_visible(timeout=60_000)
    caption = said.inner_text()
    assert f"{cell_total} net" in caption, (caption, cell_total)  # the cell's spend, from its payments
    assert caption.split(" payment")[0].replace(",", "").isdigit(), caption
    page.get_by_role("heading", name="The payments behind a cell").scroll_into_view_if_needed()  # type: ignore[attr-defined]
    page.wait_for_timeout(1000)  # type: ignore[attr-defined]
    shot(page, "council-06-matrix-cell-clicked")

    # 8. A chart: its SVG and print PNG are named for the council; the sample's name is nowhere in them.
    # The page may still be drawing after the click on the cell: wait until it is still and the expander open.
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=120_000)  # type: ignore[attr-defined]
    page.get_by_text("Text description and downloads").first.click()  # type: ignore[attr-defined]
    svg_button = page.get_by_role("button", name="SVG").first  # type: ignore[attr-defined]
    expect(svg_button).to_be_visible(timeout=60_000)
    with page.expect_download(timeout=300_000) as info:  # type: ignore[attr-defined]
        svg_button.click()
    assert info.value.suggested_filename.startswith(f"{SLUG}-"), info.value.suggested_filename
    svg = Path(info.value.path()).read_text(encoding="utf-8")
    assert SAMPLE not in svg and "2023/24" in svg and COUNCIL in svg.replace("&#39;", "'")
    with page.expect_download(timeout=300_000) as info:  # type: ignore[attr-defined]
        page.get_by_role("button", name="PNG (print quality)").first.click()  # type: ignore[attr-defined]
    assert info.value.suggested_filename.startswith(f"{SLUG}-") and info.value.suggested_filename.endswith(".png")
    from PIL import Image

    with Image.open(info.value.path()) as image:
        assert image.size == (3300, 1860)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "council-07-chart-download.png").write_bytes(Path(info.value.path()).read_bytes())
    shot(page, "council-07-chart-downloads")

    # 9. The Cabinet pack: the council's name on the title page and the source line, the sample's nowhere.
    page.get_by_role("link", name="Cabinet pack").click()  # type: ignore[attr-defined]
    expect(page.get_by_role("button", name="Word document")).to_be_visible(timeout=120_000)  # type: ignore[attr-defined]
    page.wait_for_timeout(1000)  # type: ignore[attr-defined]
    shot(page, "council-08-cabinet-pack")
    with page.expect_download(timeout=600_000) as info:  # type: ignore[attr-defined]
        page.get_by_role("button", name="Word document").click()  # type: ignore[attr-defined]
    pack_name = info.value.suggested_filename
    assert pack_name.startswith(f"{SLUG}-sustainable-procurement-pack-financial-year-2023-24_as-at-"), pack_name
    import docx

    document = docx.Document(io.BytesIO(Path(info.value.path()).read_bytes()))
    text = "\n".join([p.text for p in document.paragraphs]
                     + [c.text for t in document.tables for r in t.rows for c in r.cells])
    assert f"{COUNCIL}: sustainable procurement" in text
    assert f"{COUNCIL}' published spend over £500" in text
    assert pounds_text(str(devon_2024)) in text  # the key figures: the filtered year's published total
    assert SAMPLE not in text and "(table)" not in text
    # The pack's charts, kept beside the screenshots to be looked at.
    for number, blob in enumerate((r.target_part.blob for r in document.part.rels.values()
                                   if "image" in r.reltype), start=1):
        (ARTIFACTS / f"council-09-pack-image-{number}.png").write_bytes(blob)
