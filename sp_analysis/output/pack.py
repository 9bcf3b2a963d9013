"""The Cabinet pack: chosen charts and tables as one Word document (and a ZIP of the chart images).

Each item builds its figure (or table) from the workspace with the same builders the pages use, so
the document shows exactly the figures on screen. The document carries a title page, numbered
captions with alt text on every image, a key-figures table and data notes (sources, coverage,
definitions, the filters used).
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go

from sp_analysis.definitions import IMPACT_GROUPS, PLAN_THRESHOLD
from sp_analysis.ingest.council import council as council_of
from sp_analysis.output import chart_words, charts, render
from sp_analysis.settings import value_bands
from sp_analysis.spend import provenance, queries
from sp_analysis.spend.classify import coverage_beside
from sp_analysis.spend.facts import ensure_current
from sp_analysis.spend.filters import SpendFilters
from sp_analysis.spend.provenance import files_in_view
from sp_analysis.words import pounds
from sp_analysis.workspace import Workspace


@dataclass(frozen=True)
class PackContext:
    """What every item is built for: the filters, the date the pack speaks of, the style."""

    filters: SpendFilters
    as_at: dt.date
    style: charts.ChartStyle
    period: str
    source: str


@dataclass(frozen=True)
class PackItem:
    """One chart or table that can go into the pack."""

    key: str
    title: str
    build: Callable[[Workspace, PackContext], go.Figure | pd.DataFrame | NoData]
    kind: str = "chart"
    note: str = ""  # the definitions the page gives beside the same chart, for its caption
    caption: str = ""  # the document's heading for a table, where the title (told apart from a chart) will not do


@dataclass(frozen=True)
class NoData:
    """What an item returns when there is nothing to draw: it is left out of the pack, with the reason."""

    reason: str


@dataclass
class Pack:
    """The built pieces, ready to be written as DOCX or ZIP."""

    context: PackContext
    council: str
    figures: list[tuple[PackItem, go.Figure]] = field(default_factory=list)
    tables: list[tuple[PackItem, pd.DataFrame]] = field(default_factory=list)
    key_figures: list[tuple[str, str, str]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    coverage: str = ""
    left_out: list[tuple[str, str]] = field(default_factory=list)  # (item title, why)
    part_years: dict[str, str] = field(default_factory=dict)


def _no_spend(ws: Workspace, ctx: PackContext) -> NoData | None:
    if queries.headline(ws, ctx.filters).payments == 0:
        return NoData(f"no payments in view ({ctx.filters.describe()})")
    return None


def _matrix(ws: Workspace, ctx: PackContext) -> go.Figure | NoData:
    if empty := _no_spend(ws, ctx):
        return empty
    frame = queries.band_impact_matrix(ws, ctx.filters)
    text = chart_words.band_impact(ctx.filters, ctx.period, ctx.source, ctx.style)
    return charts.band_impact_matrix(frame, text, ctx.filters.bands.labels, IMPACT_GROUPS)


def _high_over_100k(ws: Workspace, ctx: PackContext) -> go.Figure | NoData:
    filters = ctx.filters.narrow(impacts=("High",), value_bands=ctx.filters.bands.over_threshold)
    frame = queries.category_summary(ws, filters)
    if frame.empty:
        return NoData(f"no high-impact spend with suppliers over £100k in view ({ctx.filters.describe()})")
    text = chart_words.high_over_100k(filters, ctx.period, ctx.source, ctx.style)
    return charts.category_bar(frame, text)


def _by_year(ws: Workspace, ctx: PackContext) -> go.Figure | NoData:
    if empty := _no_spend(ws, ctx):
        return empty
    frame = queries.spend_by_financial_year(ws, ctx.filters)
    part_years = provenance.data_months(ws).part_years(sorted(frame["financial_year"].unique()))
    return charts.spend_by_year(frame, chart_words.by_year(ctx.filters, ctx.source, ctx.style), part_years)


def _top_suppliers(ws: Workspace, ctx: PackContext) -> go.Figure | NoData:
    if empty := _no_spend(ws, ctx):
        return empty
    frame = queries.top_suppliers(ws, ctx.filters, 15)
    return charts.top_suppliers_bar(frame, chart_words.top_suppliers(15, ctx.filters, ctx.period, ctx.source, ctx.style))


def _top_suppliers_table(ws: Workspace, ctx: PackContext) -> pd.DataFrame | NoData:
    if empty := _no_spend(ws, ctx):
        return empty
    frame = queries.top_suppliers(ws, ctx.filters, 20)
    return pd.DataFrame({
        "Supplier": frame["supplier"], "Net spend": frame["total"].map(pounds),
        "Share": frame["share"].map(lambda s: f"{s:.1%}"), "Main category": frame["main_category"],
    })


def _renewals(ws: Workspace, ctx: PackContext) -> go.Figure | NoData:
    from sp_analysis.contracts import register as contracts
    from sp_analysis.contracts import reprocurement, terms
    from sp_analysis.output import contract_charts

    lead = terms.lead_times(ws)
    pipeline = reprocurement.renewal_pipeline(ws, ctx.as_at, 18, lead=lead,
                                          filters=contracts.ContractFilters(bands=ctx.filters.bands))
    if pipeline.empty:
        with ws.read() as cur:
            row = cur.execute("SELECT count(*) FROM contracts").fetchone()
        held = int(row[0]) if row else 0
        return NoData("no contracts register is loaded" if not held else
                      f"none of the {held:,} contracts ends within 18 months of {ctx.as_at:%-d %B %Y}")
    _, _, quarter_end = reprocurement.financial_quarter(ctx.as_at)
    shown = min(30, len(pipeline))
    text = chart_words.renewals(shown, len(pipeline), chart_words.renewal_window(18, ctx.as_at),
                                council_of(ws).whose("contracts register"), lead, ctx.style)
    return contract_charts.renewal_timeline(pipeline, text, ctx.as_at, quarter_end, limit=30)


def _no_assessment(ws: Workspace, ctx: PackContext) -> NoData | None:
    from sp_analysis.plan import framework

    history = framework.assessment_history(ws)
    if history.empty or not (history["assessed_on"] <= ctx.as_at).any():
        return NoData(f"no Flexible Framework assessment is recorded on or before {ctx.as_at:%-d %B %Y}")
    return None


def _framework_progress(ws: Workspace, ctx: PackContext) -> go.Figure | NoData:
    from sp_analysis.output import plan_charts
    from sp_analysis.plan import framework

    if empty := _no_assessment(ws, ctx):
        return empty
    standing = framework.current_against_target(ws, ctx.as_at)
    return plan_charts.level_against_target_figure(standing, ctx.as_at, _plan_source(ws, ctx), ctx.style)


def _framework_matrix(ws: Workspace, ctx: PackContext) -> go.Figure | NoData:
    from sp_analysis.output import plan_charts
    from sp_analysis.plan import framework

    if empty := _no_assessment(ws, ctx):
        return empty
    return plan_charts.framework_matrix_figure(framework.framework_matrix(ws, ctx.as_at), ctx.as_at,
                                               _plan_source(ws, ctx), ctx.style)


def _action_plan(ws: Workspace, ctx: PackContext) -> go.Figure | NoData:
    from sp_analysis.output import plan_charts
    from sp_analysis.plan import actions

    table = actions.actions_table(ws, ctx.as_at)
    if table.empty:
        return NoData("no action plan is loaded")
    milestones = actions.milestones_table(ws, ctx.as_at)
    source = (f"Source: {council_of(ws).whose('sustainable procurement action plan')} in this workspace; status as at "
              f"{ctx.as_at:%-d %b %Y}.")
    return plan_charts.action_gantt(table, milestones, ctx.as_at, source, ctx.style)


def _plan_source(ws: Workspace, ctx: PackContext) -> str:
    return (f"Source: {council_of(ws).whose('Flexible Framework self-assessments')} in this workspace, as at "
            f"{ctx.as_at:%-d %b %Y}; criteria after the Sustainable Procurement Task Force's Flexible Framework (2006).")


ITEMS: dict[str, PackItem] = {
    item.key: item
    for item in (
        PackItem("band_impact_matrix", "Value band and impact matrix", _matrix, note=queries.DEFINITIONS["cells"]),
        PackItem("high_impact_over_100k", "High-impact spend over £100k by category", _high_over_100k),
        PackItem("spend_by_year", "Spend by financial year and impact", _by_year),
        PackItem("top_suppliers", "Largest suppliers (chart)", _top_suppliers),
        PackItem("top_suppliers_table", "Largest suppliers (table)", _top_suppliers_table, kind="table",
                 caption="The 20 largest suppliers by net spend, with their share and main category"),
        PackItem("renewal_pipeline", "Renewal pipeline", _renewals),
        PackItem("framework_progress", "Flexible Framework: level against target", _framework_progress),
        PackItem("framework_matrix", "Flexible Framework matrix", _framework_matrix),
        PackItem("action_plan", "Action plan status (timeline)", _action_plan),
    )
}

# The plan's headline set. Items other parts of the product add (renewals, framework, actions) join
# the preset when they register themselves with `register_item`.
PRESETS: dict[str, list[str]] = {
    "cabinet": ["band_impact_matrix", "high_impact_over_100k", "renewal_pipeline", "framework_progress",
                "action_plan", "spend_by_year", "top_suppliers_table"],
}


def register_item(item: PackItem, *, preset: str | None = None) -> None:
    """Offer another chart or table for the pack (and, optionally, put it in a preset)."""
    ITEMS[item.key] = item
    if preset is not None and item.key not in PRESETS[preset]:
        PRESETS[preset].append(item.key)


def _procurement_act(ws: Workspace, ctx: PackContext) -> pd.DataFrame:
    """The Procurement Act 2023 duties: pipeline notice, payment performance, KPI notices, changes (sp_analysis/contracts/act.py)."""
    from sp_analysis.contracts import act

    return act.pack_table(ws, ctx.as_at)


def _performance_notices(ws: Workspace, ctx: PackContext) -> pd.DataFrame:
    from sp_analysis.contracts import act

    return act.pack_kpi_notices(ws, ctx.as_at)


register_item(PackItem("procurement_act", "Procurement Act", _procurement_act, kind="table"), preset="cabinet")
register_item(PackItem("performance_notices", "Procurement Act: contract performance notices overdue and due next quarter",
                       _performance_notices, kind="table"), preset="cabinet")


def build_pack(ws: Workspace, keys: Sequence[str], filters: SpendFilters | None = None,
               as_at: dt.date | None = None) -> Pack:
    """Build the chosen items for the filters, as at the date (default today)."""
    ensure_current(ws)
    filters = filters or SpendFilters(bands=value_bands(ws))
    head = queries.headline(ws, filters)
    view = provenance.in_view(ws, filters)
    # The files whose payments are in view, not every file loaded.
    files = files_in_view(ws, filters)
    coverage = (f"{head.classified_share:.1%} of net spend in view by value is classified"
                if head.classified_share is not None else "no spend in view")
    council = view.council or "The council"
    ctx = PackContext(filters, as_at or dt.date.today(), charts.chart_style(ws), view.period, view.source)
    pack = Pack(ctx, council, files=files, coverage=coverage, part_years=view.part_years)
    for key in keys:
        item = ITEMS[key]
        built = item.build(ws, ctx)
        if isinstance(built, NoData):
            pack.left_out.append((item.title, built.reason))
        elif isinstance(built, go.Figure):
            pack.figures.append((item, built))
        else:
            pack.tables.append((item, built))
    share = queries.Headline._share
    # Each impact figure carries the classification coverage of the spend in view beside it: spend the
    # rules have not placed is in none of them.
    beside = "; " + coverage_beside(ws, filters, head)
    defined = f" Coverage: {queries.DEFINITIONS['coverage']}"
    pack.key_figures = [
        ("Total net spend", pounds(head.total), queries.DEFINITIONS["total"]),
        ("Influenceable spend", pounds(head.influenceable) + beside, queries.DEFINITIONS["influenceable"] + defined),
        ("Spend with suppliers over £100k", pounds(head.over_100k)
         + _share_text(share(head.over_100k, head.influenceable)) + beside, queries.DEFINITIONS["over_100k"] + defined),
        ("High-impact spend", pounds(head.high_impact)
         + _share_text(share(head.high_impact, head.influenceable)) + beside,
         queries.DEFINITIONS["high_impact"] + defined),
        ("High-impact spend over £100k", pounds(head.high_over_100k) + beside,
         "High-impact spend with suppliers whose year total is £100,000 or more: the plan's short-term list."
         + defined),
        ("Classification coverage", coverage, queries.DEFINITIONS["coverage"]),
    ]
    return pack



def _figure_source(figure: go.Figure) -> str:
    """The chart's own source line, as plain text."""
    import html

    for annotation in figure.layout.annotations:
        text = html.unescape(str(annotation.text or "").replace("<br>", " "))
        if text.startswith("Source:"):
            return text
    return ""


def _share_text(value: float | None) -> str:
    return "" if value is None else f" ({value:.1%} of influenceable)"


def _set_alt_text(run: object, title: str, description: str) -> None:
    """Word keeps an image's alt text on its drawing properties (wp:docPr)."""
    for element in run._r.xpath(".//wp:docPr"):  # type: ignore[attr-defined]
        element.set("title", title)
        element.set("descr", description)


def write_docx(pack: Pack, *, with_titles: bool = False) -> bytes:
    """The pack as a Word document: title page, figures with captions and alt text, key figures, notes."""
    from docx import Document
    from docx.enum.text import WD_BREAK
    from docx.shared import Cm, Pt

    doc = Document()
    doc.styles["Normal"].font.name = "Arial"
    doc.styles["Normal"].font.size = Pt(11)
    doc.add_heading(f"{pack.council}: sustainable procurement", level=0)
    doc.add_paragraph("Annex to the Cabinet report: spend analysis")
    doc.add_paragraph(f"Data period: {pack.context.period}")
    for year, months in pack.part_years.items():
        doc.add_paragraph(f"Part year: {pack.context.style.year(year)}: {months}")
    doc.add_paragraph(f"As at {pack.context.as_at:%-d %B %Y}")
    doc.add_paragraph(f"Filters: {pack.context.filters.describe()}")
    if pack.left_out:
        doc.add_paragraph("Left out, having no data: " + "; ".join(f"{title} ({why})" for title, why in pack.left_out)
                          + ".")
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    _footer(doc, f"{pack.council}: sustainable procurement. As at {pack.context.as_at:%-d %B %Y}. "
                 f"Data {pack.context.period}.")

    doc.add_heading("Key figures", level=1)
    table = doc.add_table(rows=1, cols=3)
    table.style = "Table Grid"
    for cell, heading in zip(table.rows[0].cells, ("Measure", "Figure", "Definition"), strict=True):
        cell.text = heading
    for measure, figure, definition in pack.key_figures:
        row = table.add_row().cells
        row[0].text, row[1].text, row[2].text = measure, figure, definition

    for number, (item, figure) in enumerate(pack.figures, start=1):
        title = figure.layout.meta.get("title", item.title) if isinstance(figure.layout.meta, dict) else item.title
        alt = figure.layout.meta.get("alt", title) if isinstance(figure.layout.meta, dict) else title
        doc.add_heading(title, level=2)
        image = render.to_image(figure, "png", with_title=with_titles)
        paragraph = doc.add_paragraph()
        run = paragraph.add_run()
        run.add_picture(io.BytesIO(image), width=Cm(16.5))
        _set_alt_text(run, str(title), str(alt))
        note = f" {item.note}" if item.note else ""
        caption = doc.add_paragraph(f"Figure {number}: {title}. {_figure_source(figure) or pack.context.source}{note}")
        caption.style = doc.styles["Caption"]

    for number, (item, frame) in enumerate(pack.tables, start=1):
        doc.add_heading(f"Table {number}: {item.caption or item.title}", level=2)
        grid = doc.add_table(rows=1, cols=len(frame.columns))
        grid.style = "Table Grid"
        for cell, column in zip(grid.rows[0].cells, frame.columns, strict=True):
            cell.text = str(column)
        for values in frame.itertuples(index=False):
            cells = grid.add_row().cells
            for cell, value in zip(cells, values, strict=True):
                cell.text = "" if value is None else str(value)

    doc.add_heading("Data notes", level=1)
    part_years = "; ".join(f"{pack.context.style.year(y)}: {m}" for y, m in pack.part_years.items())
    notes = [
        f"Data period: {pack.context.period}." + (f" Part years (fewer than twelve months of data): {part_years}; "
                                                   "their totals are not comparable with full years." if part_years
                                                   else ""),
        f"Sources: {len(pack.files)} published spend files: {', '.join(pack.files[:30])}"
        + (" and more." if len(pack.files) > 30 else "."),
        f"Coverage: {pack.coverage}. {queries.DEFINITIONS['coverage']} Each impact figure above gives the "
        "coverage of the spend in view beside it: spend not yet classified is in none of them.",
        f"Filters used: {pack.context.filters.describe()}.",
        "Value bands: " + ", ".join(pack.context.filters.bands.labels) + ". "
        + pack.context.filters.bands.describe(),
        "Impact levels: each spend category is rated High, Medium or Low for its sustainability impact; High "
        "covers the Sustainable Procurement Task Force's priority areas. Non-procurement spend (grants, payments "
        "to individuals and other public bodies, taxes, pensions, refunds) is shown apart.",
        "Influenceable spend: " + queries.DEFINITIONS["influenceable"],
        f"Over £100k: {queries.DEFINITIONS['over_100k']} The plan's line is £{PLAN_THRESHOLD:,.0f}.",
        "SME: fewer than 250 staff (UK government definition). VCSE: voluntary, community and social enterprise "
        "organisations. Local: a supplier whose postcode district is in the council's list.",
        "Money is exact to the penny in tables; charts round (e.g. £12.3m).",
    ]
    for note in notes:
        doc.add_paragraph(note, style="List Bullet")
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def _footer(doc: object, text: str) -> None:
    """Every page's footer: the council, the as-at date and the data period, then 'Page n of m' (Word fields)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    footer = doc.sections[0].footer  # type: ignore[attr-defined]
    paragraph = footer.paragraphs[0]
    paragraph.text = text + " Page "
    for field_code, after in (("PAGE", " of "), ("NUMPAGES", "")):
        run = paragraph.add_run()
        field = OxmlElement("w:fldSimple")
        field.set(qn("w:instr"), field_code)
        inner = OxmlElement("w:r")
        shown = OxmlElement("w:t")
        shown.text = "1"
        inner.append(shown)
        field.append(inner)
        run._r.addnext(field)
        if after:
            paragraph.add_run(after)
    for run in paragraph.runs:
        run.font.size = Pt(9)


def write_zip(pack: Pack, *, with_titles: bool = True) -> bytes:
    """Every chart of the pack as PNG (print quality) and SVG, numbered as in the document."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for number, (item, figure) in enumerate(pack.figures, start=1):
            stem = f"figure-{number:02d}-{item.key.replace('_', '-')}"
            archive.writestr(f"{stem}.png", render.to_image(figure, "png", with_title=with_titles))
            archive.writestr(f"{stem}.svg", render.to_image(figure, "svg", with_title=with_titles))
    return buffer.getvalue()
