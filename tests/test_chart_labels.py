"""No label is ever cut: every chart of every page and of the pack, built with the longest supplier names of the
sample and of the real council files, keeps its text inside the figure and its category labels inside the margin.

Two measures: the font's advance widths against the margin each figure sets (plain Python), and the text extents
Chromium draws (plotly.js in Debian's Chromium, each text element's bounding box against the figure and the plot).
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sp_analysis.output.labels import ELLIPSIS, fit_lines, label_width, lines_of, text_width
from sp_analysis.workspace import close_workspace, open_workspace
from tests.conftest import DEVON_2026_03, REAL_SAMPLES, ROOT

CHROMIUM = Path("/usr/bin/chromium")
MIN_TEXT = 11  # px: the smallest text any chart draws (its source line and small notes are 12 and up)
APP = str(ROOT / "app.py")
CHART_PAGES = ["views/overview.py", "views/impact_areas.py", "views/suppliers.py", "views/contracts.py",
               "views/renewals.py", "views/framework.py", "views/action_plan.py"]


# --- fitting a label --------------------------------------------------------------------------------------------

def test_a_long_name_wraps_whole_onto_two_lines() -> None:
    lines = fit_lines("GREENFIELD WASTE SERVICES LIMITED", 200, 15)
    assert lines == ["GREENFIELD WASTE", "SERVICES LIMITED"]
    assert all(text_width(line, 15) <= 200 for line in lines)


def test_a_label_too_long_for_two_lines_is_shortened_at_a_word() -> None:
    lines = fit_lines("Provision of highways maintenance and winter gritting services for the county", 200, 15)
    assert len(lines) == 2 and lines[-1].endswith(ELLIPSIS)
    kept = " ".join(lines)[:-1].split()
    original = ["Provision", "of", "highways", "maintenance", "and", "winter", "gritting", "services", "for", "the", "county"]
    assert kept == original[:len(kept)]  # whole words, in order: never a word cut in the middle
    assert all(text_width(line, 15) <= 200 for line in lines)


def test_widths_follow_the_font() -> None:
    # Arial: 'W' is 944/1000 em, 'i' 222/1000; at 20 px: 18.88 and 4.44.
    assert text_width("W", 20) == pytest.approx(18.88)
    assert text_width("i", 20) == pytest.approx(4.44)
    assert label_width("AB<br>W", 10) == pytest.approx(13.34)


# --- the figures of every page and of the pack -----------------------------------------------------------------

def _supplier_names(path: Path) -> list[str]:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            with path.open(encoding=encoding, newline="") as handle:
                reader = csv.DictReader(handle)
                column = next((c for c in reader.fieldnames or [] if c.strip().lower() == "supplier name"), None)
                return [row[column].strip() for row in reader if column and row.get(column)]
        except UnicodeDecodeError:
            continue
    return []


def _longest_names() -> list[str]:
    """The six longest supplier names in the sample and in the real files (those present)."""
    names: set[str] = set()
    sources = [*sorted((ROOT / "sample_data" / "spend").glob("*.csv")), DEVON_2026_03]
    if REAL_SAMPLES.exists():
        sources += sorted(REAL_SAMPLES.glob("*.csv")) + sorted(REAL_SAMPLES.glob("other-councils/**/*.csv"))
    for path in sources:
        names.update(_supplier_names(path))
    return [*sorted(names, key=lambda n: (-len(n), n))[:6], "GREENFIELD WASTE SERVICES LIMITED"]


@pytest.fixture(scope="module")
def workspace_path(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The sample council with a real file and the longest names paid large sums, so they lead every chart."""
    from sp_analysis.ingest.load import load_file
    from sp_analysis.sample import build_sample_workspace

    path = tmp_path_factory.mktemp("labels") / "workspace.duckdb"
    ws = open_workspace(path)
    build_sample_workspace(ws)
    load_file(ws, DEVON_2026_03.name, DEVON_2026_03.read_bytes(), "spend")
    lines = ["Date,Supplier Name,Amount,Expense Area,Expense Type"]
    for number, name in enumerate(_longest_names()):
        quoted = '"' + name.replace('"', '""') + '"'
        lines.append(f"1{number + 1}/10/2024,{quoted},{9_000_000 + number * 100_000}.00,Environment,Waste Disposal")
    load_file(ws, "long-names.csv", ("\n".join(lines) + "\n").encode(), "spend")
    old = os.environ.get("SP_WORKSPACE")
    os.environ["SP_WORKSPACE"] = str(path)
    yield path
    if old is None:
        os.environ.pop("SP_WORKSPACE", None)
    else:
        os.environ["SP_WORKSPACE"] = old
    close_workspace(path)


def _page_figures(page: str, presentation: bool) -> list[dict[str, Any]]:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["presentation_mode"] = presentation
    at.run()
    if page != "views/overview.py":
        at.switch_page(page)
        at.run()
    assert not at.exception, [e.stack_trace for e in at.exception]
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


@pytest.fixture(scope="module")
def figures(workspace_path: Path) -> list[tuple[str, dict[str, Any]]]:
    """Every chart every page draws, in normal and presentation mode, and every chart the pack can carry."""
    import datetime as dt

    from sp_analysis.output import pack
    from sp_analysis.output.charts import chart_style
    from sp_analysis.settings import set_setting

    found: list[tuple[str, dict[str, Any]]] = []
    for presentation in (False, True):
        for page in CHART_PAGES:
            for number, spec in enumerate(_page_figures(page, presentation)):
                found.append((f"{page}#{number}{' presenting' if presentation else ''}", spec))
    ws = open_workspace(workspace_path)
    for money_style, presentation in (("short", False), ("govuk", False), ("short", True), ("govuk", True)):
        set_setting(ws, "money_style", money_style)
        with pytest.MonkeyPatch.context() as patch:  # the pack in the projector's style as well
            patch.setattr(pack.charts, "chart_style", lambda ws, p=presentation: chart_style(ws, p))
            built = pack.build_pack(ws, list(pack.ITEMS), as_at=dt.date(2025, 3, 31))
        for item, figure in built.figures:
            found.append((f"pack:{item.key}:{money_style}{' presenting' if presentation else ''}",
                          json.loads(figure.to_json())))
    set_setting(ws, "money_style", "short")
    return found


def _category_ticks(axis: dict[str, Any]) -> list[str]:
    return [str(t) for t in axis.get("ticktext") or []]


def test_every_page_and_pack_chart_was_found(figures: list[tuple[str, dict[str, Any]]]) -> None:
    names = {name.split("#")[0].split(":")[0] + (":" + name.split(":")[1] if name.startswith("pack") else "")
             for name, _ in figures}
    for page in CHART_PAGES:
        assert page in names, page
    assert {"pack:band_impact_matrix", "pack:top_suppliers", "pack:renewal_pipeline", "pack:action_plan"} <= names


def test_category_labels_fit_their_margin_by_the_fonts_metrics(figures: list[tuple[str, dict[str, Any]]]) -> None:
    problems = []
    for name, spec in figures:
        layout = spec.get("layout", {})
        template = layout.get("template", {}).get("layout", {})
        font = layout.get("font", {}).get("size") or template.get("font", {}).get("size", 12)
        left = (layout.get("margin") or {}).get("l", 80)
        for key, axis in layout.items():
            if not key.startswith("yaxis") or not isinstance(axis, dict) or axis.get("side") == "right":
                continue
            size = ((axis.get("tickfont") or {}).get("size") or (template.get("yaxis", {}).get("tickfont") or {}).get("size")
                    or font)
            for tick in _category_ticks(axis):
                width = label_width(tick, size)
                if width > left - 6:
                    problems.append(f"{name}: '{tick}' is {width:.0f}px in a {left}px margin")
    assert not problems, problems


def test_a_shortened_label_keeps_its_full_text_on_hover(figures: list[tuple[str, dict[str, Any]]]) -> None:
    for name, spec in figures:
        for key, axis in spec.get("layout", {}).items():
            if not key.startswith("yaxis") or not isinstance(axis, dict):
                continue
            for value, tick in zip(axis.get("tickvals") or [], _category_ticks(axis), strict=False):
                if tick.endswith(ELLIPSIS):
                    shown = " ".join(lines_of(tick))[:-1]
                    assert " ".join(lines_of(str(value))).startswith(shown), (name, tick, value)


def test_the_longest_supplier_name_is_whole_on_the_supplier_chart(figures: list[tuple[str, dict[str, Any]]]) -> None:
    charts = [spec for name, spec in figures if name.startswith("views/suppliers.py#0")]
    assert charts
    for spec in charts:
        ticks = [" ".join(lines_of(t)) for t in _category_ticks(spec["layout"]["yaxis"])]
        assert "GREENFIELD WASTE SERVICES LIMITED" in ticks


_MEASURE = """
async (spec) => {
  const div = document.getElementById('chart');
  // A chart the page sizes to its column is drawn at the narrowest column the charts are fitted to.
  div.style.width = spec.layout.width ? '' : '760px';
  await Plotly.purge(div);
  await Plotly.newPlot(div, spec.data, spec.layout, {staticPlot: true});
  const box = div.getBoundingClientRect();
  const full = div._fullLayout, size = full._size;
  const heatmap = spec.data.find((t) => t.type === 'heatmap');
  const out = [];
  for (const el of div.querySelectorAll('svg text')) {
    if (!el.textContent.trim()) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0) continue;
    const kind = el.closest('.ytick, .xtick, .annotation, .gtitle, .g-xtitle, .g-ytitle, .hm, .slicetext, .legendtext')
      || el.closest('g');
    out.push({text: el.textContent, cls: kind.getAttribute('class') || '', left: r.left - box.left,
              right: r.right - box.left, top: r.top - box.top, bottom: r.bottom - box.top,
              size: parseFloat(getComputedStyle(el).fontSize)});
  }
  return {width: full.width, height: full.height, plotLeft: size.l, plotRight: size.l + size.w, texts: out,
          cellWidth: heatmap ? size.w / heatmap.x.length : null, cellHeight: heatmap ? size.h / heatmap.y.length : null};
}
"""


@pytest.mark.browser
def test_no_text_is_drawn_outside_its_figure_in_chromium(figures: list[tuple[str, dict[str, Any]]]) -> None:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (/usr/bin/chromium)")
    import plotly
    from playwright.sync_api import sync_playwright

    script = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_content("<html><body style='margin:0'><div id='chart'></div></body></html>")
        page.add_script_tag(path=str(script))
        for name, spec in figures:
            result = page.evaluate(_MEASURE, spec)
            for t in result["texts"]:
                outside = (t["left"] < -1 or t["top"] < -1 or t["right"] > result["width"] + 1
                           or t["bottom"] > result["height"] + 1)
                tick_over_plot = "ytick" in t["cls"] and t["right"] > result["plotLeft"] + 1
                over_cell = t["cls"] == "hm" and (t["right"] - t["left"] > result["cellWidth"] - 4
                                                  or t["bottom"] - t["top"] > result["cellHeight"] - 4)
                # Only a category label may be shortened (its full text is on hover and in the table); a title,
                # a note or a value label ends whole.
                shortened = t["text"].endswith(ELLIPSIS) and "tick" not in t["cls"]
                # No text shrunk past reading: a bar segment's or treemap box's label that does not fit is hidden
                # instead. (The matrix's cell text is sized to the column, checked against its cell above.)
                too_small = t["size"] < MIN_TEXT and t["cls"] != "hm"
                if outside or tick_over_plot or over_cell or shortened or too_small:
                    problems.append(f"{name}: '{t['text']}' ({t['size']:.0f}px) at {t['left']:.0f}-{t['right']:.0f} x "
                                    f"{t['top']:.0f}-{t['bottom']:.0f} in {result['width']:.0f}x{result['height']:.0f}"
                                    f" (plot from {result['plotLeft']:.0f})")
        browser.close()
    assert not problems, "\n".join(problems)



# --- the matrix, the treemap and the framework's titles ----------------------------------------------------------

def test_under_filters_the_matrix_leaves_out_empty_rows_and_columns() -> None:
    from decimal import Decimal

    import pandas as pd

    from sp_analysis.output import charts

    bands, impacts = ["Under £25k", "£25k to £100k", "£100k and over"], ["High", "Medium", "Low"]
    rows = [(b, i, Decimal(0), 0, False) for b in bands for i in impacts]
    rows[0] = ("Under £25k", "High", Decimal("120.50"), 2, False)
    rows[8] = ("£100k and over", "Low", Decimal("250000.00"), 1, False)
    frame = pd.DataFrame(rows, columns=["value_band", "impact_group", "total", "supplier_years", "priority"])
    text = charts.ChartText("Matrix", "Net spend", "Source: test")
    figure = charts.band_impact_matrix(frame, text, bands, impacts, drop_empty=True)
    heatmap = next(t for t in figure.data if t.type == "heatmap")
    assert list(heatmap.y) == ["Under £25k", "£100k and over"] and list(heatmap.x) == ["High", "Low"]
    assert [list(r) for r in heatmap.z] == [[120.5, 0.0], [0.0, 250000.0]]
    # A click lands on the point over a cell: its x and y name the cell.
    cells = next(t for t in figure.data if t.type == "scatter")
    assert list(zip(cells.y, cells.x, strict=True)) == [("Under £25k", "High"), ("Under £25k", "Low"),
                                                        ("£100k and over", "High"), ("£100k and over", "Low")]
    whole = charts.band_impact_matrix(frame, text, bands, impacts)
    assert len(next(t for t in whole.data if t.type == "heatmap").y) == 3


def test_the_treemap_wraps_its_labels_and_sizes_each_on_its_own() -> None:
    from decimal import Decimal

    import pandas as pd

    from sp_analysis.output import charts

    frame = pd.DataFrame({"impact_group": ["High", "High"], "category": ["Furniture and soft furnishings"] * 2,
                          "supplier_key": ["a", "b"], "supplier": ["GREENFIELD WASTE SERVICES LIMITED", "Acme"],
                          "total": [Decimal(900), Decimal(100)], "payments": [1, 1]})
    figure = charts.impact_treemap(frame, charts.ChartText("Treemap", "Net spend", "Source: test"))
    trace = figure.data[0]
    # One readable size for every box's label; a box too small for it shows none (never a label shrunk to a speck).
    assert figure.layout.uniformtext.mode == "hide" and figure.layout.uniformtext.minsize == 12
    assert trace.textfont.size == 12
    assert "Furniture and soft<br>furnishings" in trace.labels
    assert all(text_width(line, 12, bold=True) <= 7 * 15 for label in trace.labels[1:] for line in lines_of(label))
    # Every bundled category's name is whole in its box: wrapped onto at most four lines, no word cut.
    import csv

    from sp_analysis.spend.classify import DEFAULT_TAXONOMY
    with DEFAULT_TAXONOMY.open(encoding="utf-8", newline="") as bundled:
        names = [row["category"] for row in csv.DictReader(bundled)]
    assert "Housing management and temporary accommodation" in names
    for name in names:
        label = charts._box_label(name, 15)
        assert "…" not in label and len(lines_of(label)) <= 4, label
    assert "GREENFIELD WASTE SERVICES LIMITED" in trace.hovertext  # the full name on hover
    # Each impact group named with its share beside the chart, so a group too small to hold its name is not
    # known by its colour alone.
    assert "Impact groups: High impact 100.0%" in figure.layout.title.subtitle.text
    # A small group's box carries the short form of its name, which fits where the long one would be hidden.
    small = pd.concat([frame, pd.DataFrame({"impact_group": ["Low"], "category": ["Stationery"], "supplier_key": ["c"],
                                            "supplier": ["Pens"], "total": [Decimal(50)], "payments": [1]})])
    trace = charts.impact_treemap(small, charts.ChartText("Treemap", "Net spend", "Source: test")).data[0]
    groups = [label for label, parent in zip(trace.labels, trace.parents, strict=True) if parent == ""]
    assert groups == ["High impact", "Low"] and "Low impact" in trace.hovertext


def test_the_two_framework_charts_have_their_own_titles(workspace_path: Path) -> None:
    import datetime as dt

    from sp_analysis.output import plan_charts
    from sp_analysis.plan import framework

    ws = open_workspace(workspace_path)
    as_at = dt.date(2025, 3, 31)
    matrix = plan_charts.framework_matrix_figure(framework.framework_matrix(ws, as_at), as_at, "Source: test")
    bars = plan_charts.level_against_target_figure(framework.current_against_target(ws, as_at), as_at, "Source: test")
    assert matrix.layout.meta["title"] != bars.layout.meta["title"]
    cells = framework.framework_matrix(ws, as_at)
    assert matrix.layout.meta["title"] == (f"{int((cells['status'] == 'met').sum())} of {len(cells)} levels met "
                                           "across the 5 themes")
