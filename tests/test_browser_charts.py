"""Charts in a real browser (Debian's Chromium, driven by Playwright): a click on a matrix cell opens its payments,
and every chart page is screenshotted in normal and presentation mode with no text drawn outside its chart.

The app runs on the fictional sample council with a real council file added (Devon, kept with the tests).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import ARTIFACTS, DEVON_2026_03, shot, skip_without_chromium, start_app, stop_app

pytestmark = pytest.mark.browser

skip_without_chromium()


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on a free port over the sample council plus one real file, loaded before it starts."""
    from sp_analysis.ingest.load import load_file
    from sp_analysis.sample import build_sample_workspace
    from sp_analysis.spend.facts import ensure_current
    from sp_analysis.workspace import close_workspace, open_workspace

    workspace = tmp_path_factory.mktemp("browser-charts") / "workspace.duckdb"
    ws = open_workspace(workspace)
    build_sample_workspace(ws)
    load_file(ws, DEVON_2026_03.name, DEVON_2026_03.read_bytes(), "spend")
    ensure_current(ws)
    close_workspace(workspace)
    process, url = start_app(workspace, workspace.parent / "app.log")
    yield url
    stop_app(process)


def _page(browser: object, width: int = 1400, height: int = 1000) -> object:
    context = browser.new_context(viewport={"width": width, "height": height})  # type: ignore[attr-defined]
    return context.new_page()


def _shot(page: object, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


# Every text of every chart on the page, against its chart's own box.
_TEXT_OUTSIDE = """
() => {
  const problems = [];
  for (const plot of document.querySelectorAll('.js-plotly-plot')) {
    // The chart's own box, within the page's column (which clips what lies beyond it).
    const svg = plot.querySelector('svg.main-svg').getBoundingClientRect();
    const column = (plot.closest('[data-testid="stPlotlyChart"]') || plot).getBoundingClientRect();
    const box = {left: Math.max(svg.left, column.left), right: Math.min(svg.right, column.right),
                 top: svg.top, bottom: svg.bottom, width: Math.min(svg.right, column.right) - Math.max(svg.left, column.left)};
    for (const el of plot.querySelectorAll('svg text')) {
      const r = el.getBoundingClientRect();
      if (!el.textContent.trim() || r.width === 0) continue;
      if (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1) {
        problems.push(el.textContent + ' at ' + Math.round(r.left - box.left) + '..' + Math.round(r.right - box.left)
                      + ' of ' + Math.round(box.width));
      }
    }
  }
  return problems;
}
"""


# A figure's label cut short with an ellipsis: its text is wider than its box.
_LABEL_CUT = """
() => [...document.querySelectorAll('[data-testid="stMetricLabel"] *')]
  .filter((e) => e.children.length === 0 && e.scrollWidth > e.clientWidth + 1).map((e) => e.textContent)
"""


def test_a_click_on_a_matrix_cell_opens_its_payments(app_url: str, browser: object) -> None:
    from playwright.sync_api import expect

    page = _page(browser)
    page.goto(app_url)  # type: ignore[attr-defined]
    matrix = page.locator(".js-plotly-plot").first  # type: ignore[attr-defined]
    expect(matrix).to_be_visible(timeout=60_000)
    page.wait_for_timeout(1500)  # type: ignore[attr-defined]
    # The payments section starts on the largest band and High impact; click the Under £25k x Low cell instead.
    box = matrix.locator(".nsewdrag").first.bounding_box()
    assert box is not None
    # Five impact columns and four band rows: the centre of row 1 (Under £25k), column 3 (Low).
    page.mouse.click(box["x"] + box["width"] * 2.5 / 5, box["y"] + box["height"] * 0.5 / 4)  # type: ignore[attr-defined]
    expect(page.get_by_text("impact: Low; supplier-year value: Under £25k").first).to_be_visible(timeout=60_000)  # type: ignore[attr-defined]
    page.get_by_role("heading", name="The payments behind a cell").scroll_into_view_if_needed()  # type: ignore[attr-defined]
    page.wait_for_timeout(1000)  # type: ignore[attr-defined]
    _shot(page, "30-matrix-cell-clicked")
    caption = page.get_by_text("impact: Low; supplier-year value: Under £25k").first.inner_text()  # type: ignore[attr-defined]
    assert caption.split(" payments")[0].replace(",", "").isdigit(), caption


CHART_PAGES = {"": "Value band and impact", "impact-areas": "By category", "suppliers": "Year on year",
               "contracts": "Contract", "renewals": "Renewal pipeline", "framework": "Flexible Framework",
               "action-plan": "Action plan"}
# The pages without charts, walked as well: no figure's label cut on any of them.
OTHER_PAGES = {"procurement-act": "Procurement Act", "cabinet-pack": "Cabinet pack", "upload": "Upload",
               "classification": "Classification", "settings": "Settings"}


@pytest.mark.parametrize("presenting", [False, True], ids=["normal", "presentation"])
def test_every_chart_page_keeps_its_text_inside_its_charts(app_url: str, browser: object, presenting: bool) -> None:
    from playwright.sync_api import expect

    page = _page(browser, 1400, 788 if presenting else 1000)  # 16:9 on the projector
    problems: dict[str, list[str]] = {}
    for number, (path, marker) in enumerate({**CHART_PAGES, **OTHER_PAGES}.items(), start=40 if presenting else 60):
        page.goto(f"{app_url}/{path}")  # type: ignore[attr-defined]
        expect(page.get_by_text(marker).first).to_be_visible(timeout=60_000)  # type: ignore[attr-defined]
        if presenting:
            toggle = page.get_by_text("Presentation mode").first  # type: ignore[attr-defined]
            toggle.click()
            expect(page.get_by_role("button", name="Leave presentation mode")).to_be_visible(timeout=30_000)  # type: ignore[attr-defined]
        if path in CHART_PAGES:
            expect(page.locator(".js-plotly-plot").first).to_be_visible(timeout=60_000)  # type: ignore[attr-defined]
        page.wait_for_timeout(2500)  # type: ignore[attr-defined]
        assert page.locator('[data-testid="stException"]').count() == 0, path  # type: ignore[attr-defined]
        found = page.evaluate(_TEXT_OUTSIDE) + page.evaluate(_LABEL_CUT)  # type: ignore[attr-defined]
        if found:
            problems[path or "overview"] = found
        shot(page, f"{number}-{path or 'overview'}-{'presentation' if presenting else 'normal'}")
        if presenting:
            page.get_by_role("button", name="Leave presentation mode").click()  # type: ignore[attr-defined]
            page.wait_for_timeout(1000)  # type: ignore[attr-defined]
    assert not problems, problems
