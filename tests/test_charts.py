"""Cabinet-ready output: one house style on every chart, number formats, safe downloads, the pack."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pandas as pd
import plotly.graph_objects as go
import pytest

from sp_analysis import exports
from sp_analysis.ingest.load import load_file
from sp_analysis.output import charts, pack, render
from sp_analysis.output.charts import CATEGORICAL, ChartStyle
from sp_analysis.plan.framework import install_sample_plan
from sp_analysis.words import govuk_money, pounds, short_money
from sp_analysis.workspace import Workspace
from tests.conftest import ON_CI, ROOT

SPEND = (
    "Date,Supplier Name,Supplier ID,Amount,Expense Area,Expense Type\n"
    "01/04/2024,Brightway Care Ltd,S1,\"60,000.00\",Adult Care,Residential Care - Older People\n"
    "02/05/2024,Greenfield Waste Ltd,S2,\"140,000.00\",Environment,Waste Disposal Contract\n"
    "03/06/2024,Paperclip Stationers,S3,500.00,Corporate,Stationery\n"
    "04/07/2025,Harrowdale Pension Fund,S4,\"2,000.00\",Corporate,Pension Fund Contributions\n"
)

AF_GREYS = {"#BFBFBF", "#F2F2F2", "#FFFFFF"}  # the Analysis Function's focus and missing-value greys, and white
needs_chromium = pytest.mark.skipif(render.export_problem() is not None and not ON_CI,
                                    reason="no Chromium on this machine: server-side image export untested")


@pytest.fixture
def loaded(ws: Workspace) -> Workspace:
    load_file(ws, "spend.csv", SPEND.encode(), "spend")
    install_sample_plan(ws)  # the framework and action plan charts need something to show
    return ws


@pytest.mark.parametrize(("value", "short", "govuk"), [
    (0, "£0", "£0"), (12, "£12", "£12"), (999, "£999", "£999"), (1_000, "£1k", "£1,000"),
    (449_999, "£450k", "£449,999"), (999_499, "£999k", "£999,499"), (999_500, "£1m", "£999,500"),
    (1_000_000, "£1m", "£1 million"), (12_345_678, "£12.3m", "£12.3 million"), (300_000_000, "£300m", "£300 million"),
    (Decimal("-9.90"), "-£10", "-£10"), (1_234_567_890, "£1.2bn", "£1.2 billion"),
])
def test_money_formats(value: Decimal | int, short: str, govuk: str) -> None:
    assert short_money(value) == short
    assert govuk_money(value) == govuk


@pytest.mark.parametrize(("style", "label"), [("slash", "2024/25"), ("dash", "2024-25"), ("words", "2024 to 2025")])
def test_financial_year_styles(style: str, label: str) -> None:
    assert ChartStyle(year_style=style).year("2024/25") == label


def test_exact_money_keeps_pence_and_sign() -> None:
    assert pounds(Decimal("-1234.5")) == "-£1,234.50"


def every_figure(ws: Workspace) -> list[tuple[str, go.Figure]]:
    """Every chart the product builds: the pack's items are built with the pages' own builders."""
    built = pack.build_pack(ws, [k for k, item in pack.ITEMS.items() if item.kind == "chart"])
    return [(item.key, figure) for item, figure in built.figures]


def test_the_house_style_is_on_every_chart(loaded: Workspace) -> None:
    figures = every_figure(loaded)
    assert len(figures) >= 4
    for key, figure in figures:
        layout = figure.layout
        assert layout.title.text and layout.title.subtitle.text, key
        assert layout.title.xref == "container", key
        sources = [a.text for a in layout.annotations if a.text.startswith("Source:")]
        assert sources, f"{key} has no source line"
        assert re.search(r"(19|20)\d\d|all spend loaded", layout.title.subtitle.text), f"{key}: the period is stated"
        assert len(layout.meta["alt"]) > 40, f"{key}: a text alternative that describes the chart"
        assert (layout.width, layout.height) >= (1100, 620), key
        assert (layout.font.family or layout.template.layout.font.family).startswith("Arial"), key
        assert layout.font.size >= 15, key
        palette = set(CATEGORICAL) | AF_GREYS
        for trace in figure.data:
            colours = trace.marker.color if trace.type == "bar" else None
            if isinstance(colours, str):
                assert colours in palette, key
            elif colours is not None:
                assert set(colours) <= palette, key
            if trace.type == "bar":
                assert any(t for t in trace.text), f"{key}: bars carry labels, not colour alone"


def test_presentation_style_is_16_by_9_with_large_text(loaded: Workspace) -> None:
    frame = pd.DataFrame({"financial_year": ["2024/25"], "impact_group": ["High"], "total": [Decimal(5)],
                          "payments": [1]})
    text = charts.ChartText("Title", "Subtitle", "Source: test", style=ChartStyle(presentation=True))
    figure = charts.spend_by_year(frame, text)
    assert (figure.layout.width, figure.layout.height) == (1280, 720)
    assert figure.layout.font.size == 22


def test_data_never_becomes_markup_in_a_chart() -> None:
    frame = pd.DataFrame({"supplier": ["<script>alert(1)</script>"], "total": [Decimal(5)], "share": [1.0]})
    text = charts.ChartText("<b>x</b>", "<img onerror=x>", "Source: <i>y</i>")
    figure = charts.top_suppliers_bar(frame, text)
    assert "<img" not in figure.layout.title.subtitle.text
    assert "&lt;img onerror=x&gt;" in figure.layout.title.subtitle.text


@pytest.mark.parametrize("cell", ["=SUM(A1:A2)", "+44 1234", "-2+3", "@cmd", "\tx", "\rx"])
def test_formula_cells_are_neutralised_numbers_stay_numbers(cell: str) -> None:
    frame = pd.DataFrame({"Text": [cell], "Amount": [Decimal("-12.50")], "Count": [3]})
    csv_text = exports.to_csv_bytes(frame).decode("utf-8-sig")
    # A lone carriage return in a CSV cell is written as a line break (a spreadsheet would start a new row there).
    assert f"'{cell.replace(chr(13), chr(10))}" in csv_text
    assert ",-12.50," in csv_text  # money in pounds with its pence, as a plain number
    book = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx_bytes(frame)))
    sheet = book.active
    assert sheet["A2"].value == "'" + cell
    assert sheet["B2"].value == -12.5 and sheet["C2"].value == 3


@needs_chromium
def test_png_export_is_print_size_and_300_dpi(loaded: Workspace) -> None:
    from PIL import Image

    _key, figure = every_figure(loaded)[0]
    png = render.to_image(figure, "png")
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == (3300, 1860)
        assert round(image.info["dpi"][0]) == 300
    svg = render.to_image(figure, "svg", with_title=False)
    assert svg.startswith(b"<svg") or b"<svg" in svg[:500]
    assert figure.layout.title.text.replace("<b>", "").replace("</b>", "").encode() not in svg


@needs_chromium
def test_the_word_pack_holds_charts_captions_alt_text_and_notes(loaded: Workspace) -> None:
    from docx import Document

    built = pack.build_pack(loaded, pack.PRESETS["cabinet"])
    document = Document(io.BytesIO(pack.write_docx(built)))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "sustainable procurement" in text
    captions = [p.text for p in document.paragraphs if p.style.name == "Caption"]
    assert len(captions) == len(built.figures) >= 3
    assert captions[0].startswith("Figure 1: ")
    described = document.element.body.xpath(".//wp:docPr/@descr")
    assert len(described) == len(built.figures) and all(len(d) > 40 for d in described)
    assert "Data notes" in text and "Influenceable spend" in text and "Filters used" in text
    figures_table = document.tables[0]
    assert figures_table.rows[1].cells[1].text == "£202,500.00"  # total net spend, exact
    with zipfile.ZipFile(io.BytesIO(pack.write_zip(built))) as archive:
        assert len(archive.namelist()) == 2 * len(built.figures)


@needs_chromium
def test_cli_pack_on_the_sample_workspace(tmp_path: Path) -> None:
    workspace = tmp_path / "sample.duckdb"
    assert subprocess.run([sys.executable, "-m", "sp_analysis", "sample", "--workspace", str(workspace)], cwd=ROOT,
                          capture_output=True, timeout=300).returncode == 0
    out = tmp_path / "pack.docx"
    done = subprocess.run([sys.executable, "-m", "sp_analysis", "pack", "--workspace", str(workspace), "--out", str(out),
                           "--preset", "cabinet", "--as-at", "2026-04-01"], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    from docx import Document

    document = Document(str(out))
    paragraphs = [p.text for p in document.paragraphs]
    assert "Harrowdale County Council: sustainable procurement" in paragraphs
    assert "As at 1 April 2026" in paragraphs


def test_the_action_timeline_dates_lie_level_at_round_steps() -> None:
    import datetime as dt

    from sp_analysis.output.plan_charts import _month_ticks

    # 42 months with room for six labels: every January; seven months with room for six: every second month from May.
    assert _month_ticks(dt.date(2010, 3, 5), dt.date(2013, 9, 1), 6) == [dt.date(y, 1, 1) for y in (2011, 2012, 2013)]
    assert _month_ticks(dt.date(2010, 3, 5), dt.date(2010, 10, 1), 6) == [dt.date(2010, m, 1) for m in (5, 7, 9)]
