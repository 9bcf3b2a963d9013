"""Figure builders: every chart the app draws comes from here, in one house style.

The style follows the Analysis Function's guidance (via the `afcharts` palettes and plotly template):
a title that says what the chart shows, a subtitle with the period and the filters in words, a source
line, dark text for labels, direct labels rather than colour alone, money short on labels (£12.3m)
and exact on hover.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from afcharts.af_colours import get_af_colours
from afcharts.pio_template import pio as _af_pio  # registers the "afcharts" template

from sp_analysis.output.labels import fit_label, label_width, lines_of, margin_for, text_width
from sp_analysis.settings import get_setting
from sp_analysis.words import govuk_money, pounds, short_money
from sp_analysis.workspace import Workspace

CATEGORICAL: list[str] = list(get_af_colours("categorical"))
SEQUENTIAL: list[str] = list(get_af_colours("sequential", number_of_colours=5))
DARK_BLUE, TURQUOISE, DARK_PINK, ORANGE, DARK_GREY, LIGHT_PURPLE = CATEGORICAL[:6]
TEXT = "#0B0C0C"
FONT = "Arial, Helvetica, sans-serif"
WIDTH, HEIGHT = 1100, 620  # export size: a fixed 16:9-ish shape that prints on A4 portrait

# Impact groups keep one colour each everywhere; labels always say the name as well.
IMPACT_COLOURS = {
    "High": DARK_BLUE,
    "Medium": TURQUOISE,
    "Low": ORANGE,
    "Non-procurement": DARK_GREY,
    "Unclassified": LIGHT_PURPLE,
}

HOUSE = go.layout.Template(pio.templates["afcharts"])
HOUSE.layout.font = {"family": FONT, "size": 15, "color": TEXT}
HOUSE.layout.paper_bgcolor = "white"
HOUSE.layout.plot_bgcolor = "white"
HOUSE.layout.hovermode = "closest"
pio.templates["sp_house"] = HOUSE
assert _af_pio is pio


@dataclass(frozen=True)
class ChartStyle:
    """How figures are written: money short ('£12.3m') or GOV.UK ('£12.3 million'), financial years
    as '2024/25', '2024-25' or '2024 to 2025', and presentation mode (large text, 16:9)."""

    money_style: str = "short"
    year_style: str = "slash"
    presentation: bool = False

    def money(self, value: Decimal | float | int) -> str:
        """Money for labels and axes in the chosen style."""
        return govuk_money(value) if self.money_style == "govuk" else short_money(value)

    def money_labels(self, values: Sequence[Decimal | float | int]) -> list[str]:
        """Labels for one chart's values at one precision: where any figure in millions or billions needs its
        decimal place, every such figure keeps one ('£34.0m' beside '£64.3m', never '£34m')."""
        amounts = [Decimal(str(v)) for v in values]
        labels = [self.money(v) for v in amounts]
        if any("." in label for label in labels):
            keep = govuk_money if self.money_style == "govuk" else short_money
            labels = [keep(v, keep_place=True) for v in amounts]
        return labels

    def year(self, label: str) -> str:
        """A financial-year label ('2024/25') in the chosen style."""
        if self.year_style == "slash" or "/" not in label:
            return label
        start, end = label.split("/")
        if self.year_style == "dash":
            return f"{start}-{end}"
        return f"{start} to {int(start) + 1}"

    @property
    def size(self) -> tuple[int, int]:
        """Width and height in pixels: fixed, so exports keep their shape."""
        return (1280, 720) if self.presentation else (WIDTH, HEIGHT)

    @property
    def font_size(self) -> int:
        """Base text size: larger on a projector."""
        return 22 if self.presentation else 15


def chart_style(ws: Workspace, presentation: bool = False) -> ChartStyle:
    """The workspace's chart style (its money and financial-year settings), optionally for a projector."""
    return ChartStyle(get_setting(ws, "money_style"), get_setting(ws, "year_style"), presentation)


@dataclass(frozen=True)
class ChartText:
    """The words every chart carries: title, subtitle (period and filters) and source line."""

    title: str
    subtitle: str
    source: str
    style: ChartStyle = ChartStyle()

    @property
    def alt_text_intro(self) -> str:
        """The first sentence of a chart's text alternative."""
        return f"{self.title}. {self.subtitle}."


def _money_axis(figure: go.Figure, values: Sequence[Decimal], axis: str = "y", style: ChartStyle | None = None) -> None:
    """Money ticks in the short style, at round steps covering the values."""
    top = max((abs(v) for v in values), default=Decimal(0))
    low = min((v for v in values), default=Decimal(0))
    if top == 0:
        return
    step = _nice_step(top / 5)
    ticks = []
    tick = (low // step) * step if low < 0 else Decimal(0)
    while tick <= top + step:
        ticks.append(tick)
        tick += step
    money = (style or ChartStyle()).money
    update = {"tickvals": [float(t) for t in ticks], "ticktext": [money(t) for t in ticks], "title": None}
    if axis == "y":
        figure.update_yaxes(**update)
    else:
        figure.update_xaxes(**update)


def _room_for_labels(figure: go.Figure, values: Sequence[Decimal], style: ChartStyle | None = None) -> None:
    """Widen a horizontal bar chart's value axis so the labels outside the longest bar stay inside the figure."""
    top = max((float(v) for v in values), default=0.0)
    low = min((float(v) for v in values), default=0.0)
    if top > 0:
        # The labels are about 14 characters ("£12.3m (45.6%)"); in presentation mode they are larger.
        figure.update_xaxes(range=[min(0.0, low * 1.1), top * (1.45 if style is not None and style.presentation
                                                               else 1.32)])


def _nice_step(rough: Decimal) -> Decimal:
    magnitude = Decimal(10) ** (len(str(int(rough))) - 1) if rough >= 1 else Decimal(1)
    for multiple in (1, 2, 2.5, 5, 10):
        step = magnitude * Decimal(str(multiple))
        if step >= rough:
            return step
    return magnitude * 10


AXIS_TITLE_LINES = 4  # an axis title wraps onto up to this many lines before a word is dropped


def _apply_text(figure: go.Figure, text: ChartText, bottom: int = 110) -> go.Figure:
    width, height = text.style.size
    size = text.style.font_size
    # Subtitle and source wrapped at spaces by the font's widths, within the figure less its side gaps.
    subtitle = fit_label(text.subtitle, width - 40, size, max_lines=12)
    source = fit_label(text.source, width - 40, max(12, size - 3), max_lines=12)
    source_lines = source.count("<br>") + 1
    top = 80 + (subtitle.count("<br>") + 1) * int(size * 1.4) + (size - 15) * 2
    if figure.layout.showlegend is not False and len(figure.data) > 1 and figure.layout.legend.yanchor == "bottom":
        top += int(size * 1.8)  # room for a legend drawn above the plot
    bottom = bottom + (source_lines - 1) * int(max(12, size - 3) * 1.3)
    margin = figure.layout.margin
    left = max(margin.l if margin is not None and margin.l is not None else 90, _left_needed(figure, size))
    right = margin.r if margin is not None and margin.r is not None else 40
    figure.update_layout(
        template="sp_house",
        font={"size": size},
        title={"text": f"<b>{_escape(text.title)}</b>", "subtitle": {"text": subtitle, "font": {"size": size}},
               "xref": "container", "x": 0.012, "xanchor": "left", "yref": "container", "y": 0.985,
               "yanchor": "top", "font": {"size": size + 4}},
        margin={"l": left, "r": right, "t": top, "b": bottom},
        width=width,
        height=height if figure.layout.height is None else max(height, figure.layout.height),
    )
    # Tick labels at the text size (the template's own is larger), so the margins fitted to them hold; an axis
    # title longer than its side of the plot is wrapped at a space (and the bottom margin grows to hold it).
    plot_size = {"x": width - left - right, "y": (figure.layout.height or height) - top - bottom}
    for name in [k for k in figure.layout.to_plotly_json() if k.startswith(("xaxis", "yaxis"))] or ["xaxis", "yaxis"]:
        axis = figure.layout[name]
        if axis.tickfont.size is None:
            axis.tickfont.size = size
        title = axis.title.text
        if title and "<br>" not in title and text_width(title, size) > plot_size[name[0]] - 10:
            axis.title.text = fit_label(title, plot_size[name[0]] - 10, size, max_lines=AXIS_TITLE_LINES)
            if name.startswith("x"):
                bottom += int(size * 1.3) * axis.title.text.count("<br>")
                figure.update_layout(margin={"b": bottom})
    # The source line sits at the figure's left edge, where the title starts, below the plot (placed in pixels
    # from the plot's left edge, so it stays there at any width the page gives the chart).
    figure.add_annotation(
        text=source, xref="paper", yref="paper", x=0, xshift=-(left - 14), y=0, yshift=-(bottom - 12),
        xanchor="left", yanchor="bottom", showarrow=False, font={"size": max(12, size - 3), "color": TEXT},
        align="left", name="source",
    )
    figure.layout.meta = {"alt": alt_text(figure, text), "title": text.title, "subtitle": text.subtitle,
                          "source": text.source, "size": size}
    return figure


SCREEN_WIDTH = 760  # the narrowest a page's chart column is drawn at (a 1280-pixel screen with the sidebar open)


def for_screen(figure: go.Figure, width: int = SCREEN_WIDTH) -> go.Figure:
    """A copy for the page, which sizes charts to its column: the subtitle and source line wrapped to fit the
    narrowest column, the margins grown to hold the extra lines, the width left to the page."""
    shown = go.Figure(figure)
    meta = shown.layout.meta if isinstance(shown.layout.meta, dict) else {}
    if "subtitle" not in meta:
        shown.update_layout(width=None, autosize=True)
        return shown
    size = int(meta["size"])
    old_subtitle = str(shown.layout.title.subtitle.text or "")
    subtitle = fit_label(str(meta["subtitle"]), width - 40, size, max_lines=12)
    source_size = max(12, size - 3)
    source = fit_label(str(meta["source"]), width - 40, source_size, max_lines=12)
    extra_top = (subtitle.count("<br>") - old_subtitle.count("<br>")) * int(size * 1.4)
    margin = shown.layout.margin
    # An x axis title wrapped to the plot's width at this size, the bottom margin grown for an extra line.
    plot_width = width - float(margin.l) - float(margin.r)
    for name in [k for k in shown.layout.to_plotly_json() if k.startswith("xaxis")]:
        axis = shown.layout[name]
        title = str(axis.title.text or "") if axis.title is not None else ""
        if not title:
            continue
        plain = " ".join(lines_of(title))
        refit = fit_label(plain, plot_width - 10, axis.title.font.size or size, max_lines=AXIS_TITLE_LINES)
        if refit.count("<br>") > title.count("<br>"):
            shown.update_layout(margin={"b": int(margin.b) + int(size * 1.3) * (refit.count("<br>")
                                                                                 - title.count("<br>"))})
        axis.title.text = refit
    for annotation in shown.layout.annotations:
        if annotation.name == "source":
            extra_bottom = (source.count("<br>") - str(annotation.text).count("<br>")) * int(source_size * 1.3)
            bottom = int(shown.layout.margin.b) + max(0, extra_bottom)
            annotation.text = source
            annotation.yshift = -(bottom - 12)
            shown.update_layout(margin={"b": bottom})
    shown.update_layout(title={"subtitle": {"text": subtitle}}, margin={"t": int(margin.t) + max(0, extra_top)},
                        width=None, autosize=True)
    if shown.layout.height is not None:
        shown.update_layout(height=int(shown.layout.height) + max(0, extra_top))
    # A matrix's cell text sized to the cells at this width.
    for trace in shown.data:
        if trace.type == "heatmap" and trace.text is not None:
            margin = shown.layout.margin
            cell = (width - float(margin.l) - float(margin.r)) / max(1, len(trace.x)) - 12
            texts = [[str(t) for t in row] for row in trace.text]
            widest = max((label_width(t, size, bold=True) for row in texts for t in row), default=0.0)
            if widest > cell:  # first a line more ('1,141' over 'supplier-years'), then smaller type if need be
                texts = [[t.rsplit("<br>", 1)[0] + "<br>" + t.rsplit("<br>", 1)[-1].replace(" ", "<br>", 1)
                          if "<br>" in t else t for t in row] for row in texts]
                trace.text = texts
                widest = max((label_width(t, size, bold=True) for row in texts for t in row), default=0.0)
            if widest > cell:
                trace.textfont.size = max(9, int(size * cell / widest))
    return shown


def _left_needed(figure: go.Figure, size: int) -> int:
    """The left margin the y axes' tick labels and titles take, measured by the font's widths.

    Set by hand rather than by plotly's automatic margins, which would move the plot but not the source line
    placed from the margin; the axes' automatic margins are turned off to match."""
    needed = 0
    if not any(trace.type in ("bar", "scatter", "heatmap") for trace in figure.data):
        return needed  # no axes: a treemap
    axes = [k for k in figure.layout.to_plotly_json() if k.startswith("yaxis")] or ["yaxis"]
    for name in axes:
        axis = figure.layout[name]
        if axis.side == "right" or axis.visible is False:
            continue
        tick_size = axis.tickfont.size or size
        if axis.ticktext is not None:
            ticks = [str(t) for t in axis.ticktext]
        else:
            trace_values = [v for trace in figure.data if getattr(trace, "y", None) is not None
                            and getattr(trace, "orientation", None) != "h" for v in trace.y]
            strings = [str(v) for v in trace_values if isinstance(v, str)]
            ticks = strings or (["100%"] if str(axis.tickformat or "").endswith("%") else ["0000"])
        widest = max((label_width(t, tick_size) for t in ticks), default=0.0)
        title = axis.title.text if axis.title is not None else None
        title_room = (str(title).count("<br>") + 1) * size * 1.3 + 8 if title else 0
        needed = max(needed, int(widest + 14 + title_room + 10))
        axis.automargin = False
    return needed


def _escape(text: str) -> str:
    """Plotly renders a little HTML in titles: show data as text, never as markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def spend_by_year(frame: pd.DataFrame, text: ChartText, part_years: dict[str, str] | None = None) -> go.Figure:
    """Stacked bars of spend per financial year by impact group, each segment labelled.

    A financial year with fewer than twelve months of data (`part_years`: year -> 'December to March only') is
    marked 'part year' under its bar and said in full in the subtitle."""
    figure = go.Figure()
    years = sorted(frame["financial_year"].unique()) if not frame.empty else []
    part_years = {y: w for y, w in (part_years or {}).items() if y in years}
    ticks = [text.style.year(y) + ("<br>part year" if y in part_years else "") for y in years]

    segments: dict[str, list[Decimal]] = {}
    for group in IMPACT_COLOURS:
        part = frame[frame["impact_group"] == group].set_index("financial_year").reindex(years)
        totals = [Decimal(0) if pd.isna(v) else Decimal(v) for v in part["total"]] if len(part) else []
        if any(totals):
            segments[group] = totals
    # One precision for every segment's label.
    every = text.style.money_labels([v for totals in segments.values() for v in totals])
    label_of = iter(every)
    for group, totals in segments.items():
        colour = IMPACT_COLOURS[group]
        labels = [next(label_of) for _ in totals]
        figure.add_bar(
            x=[text.style.year(y) for y in years], y=[float(v) for v in totals], name=group, marker_color=colour,
            text=[label if v else "" for v, label in zip(totals, labels, strict=True)], textposition="inside",
            insidetextfont={"color": "white" if group in ("High", "Non-procurement") else TEXT},
            customdata=[pounds(v) for v in totals],
            hovertemplate=f"{group}, %{{x}}: %{{customdata}}<extra></extra>",
        )
    year_totals = frame.groupby("financial_year")["total"].sum() if not frame.empty else pd.Series(dtype=object)
    # The legend sits just above the plot at its left, under the subtitle, in the order of the bars.
    # Every segment's label at one readable size; a segment too thin to hold its label at that size shows none
    # (its figure is on hover and in the table) rather than a label shrunk past reading.
    figure.update_layout(barmode="relative", legend={"orientation": "h", "y": 1.0, "x": 0, "xanchor": "left",
                                                     "yanchor": "bottom", "title": None, "traceorder": "normal"})
    _readable_segments(figure, text.style)
    _money_axis(figure, [Decimal(v) for v in year_totals], style=text.style)
    figure.update_xaxes(title="Financial year (1 April to 31 March)", type="category", tickmode="array",
                        tickvals=[text.style.year(y) for y in years], ticktext=ticks)
    if part_years:
        said = "; ".join(f"{text.style.year(y)}: {w}" for y, w in part_years.items())
        text = ChartText(text.title, f"{text.subtitle}. Part years: {said}", text.source, text.style)
    return _apply_text(figure, text, bottom=130 if part_years else 110)


SEGMENT_TEXT_LESS = 2  # a bar segment's label: the text size less this many pixels, never smaller
SMALL_GROUP_SHARE = 0.08  # an impact group below this share of the treemap is named in its box by its short form
TREEMAP_TEXT_LESS = 3  # a treemap box's label (12 px on the page): one size for all, so more boxes hold theirs


def _readable_segments(figure: go.Figure, style: ChartStyle, less: int = SEGMENT_TEXT_LESS) -> None:
    """Labels inside bar segments (and treemap boxes) at one readable size (the text size less SEGMENT_TEXT_LESS);
    a label that does not fit its segment at that size is hidden, never shrunk."""
    size = style.font_size - less
    figure.update_layout(uniformtext={"mode": "hide", "minsize": size})
    figure.update_traces(textfont={"size": size}, selector={"type": "bar"})
    figure.update_traces(textfont={"size": size}, selector={"type": "treemap"})


def band_impact_matrix(frame: pd.DataFrame, text: ChartText, bands: Sequence[str], impacts: Sequence[str],
                       drop_empty: bool = False) -> go.Figure:
    """The value band x impact grid: spend and supplier-years in each cell, the plan's priority cells outlined.

    With `drop_empty` (under filters), a band or an impact with no supplier-year in any cell is left out.
    Each cell carries its band and impact, so a click on it can open its payments."""
    lookup = {(r.value_band, r.impact_group): r for r in frame.itertuples()}
    if drop_empty:
        def held(band: str, impact: str) -> bool:
            cell = lookup.get((band, impact))
            return cell is not None and (int(cell.supplier_years) > 0 or Decimal(cell.total) != 0)

        bands = [b for b in bands if any(held(b, i) for i in impacts)] or list(bands)
        impacts = [i for i in impacts if any(held(b, i) for b in bands)] or list(impacts)
    totals = [Decimal(lookup[(b, i)].total) if (b, i) in lookup else Decimal(0) for b in bands for i in impacts]
    money_of = iter(text.style.money_labels(totals))  # one precision for every cell
    z, labels, hover = [], [], []
    for band in bands:
        row_z, row_labels, row_hover = [], [], []
        for impact in impacts:
            cell = lookup.get((band, impact))
            total = Decimal(cell.total) if cell is not None else Decimal(0)
            years = int(cell.supplier_years) if cell is not None else 0
            row_z.append(float(total))
            row_labels.append(f"<b>{next(money_of)}</b><br>{years:,} supplier-year{'s' if years != 1 else ''}")
            row_hover.append(f"{impact} impact, {band}: {pounds(total)} from {years:,} supplier-years")
        z.append(row_z)
        labels.append(row_labels)
        hover.append(row_hover)
    top = max((abs(v) for row in z for v in row), default=0) or 1
    figure = go.Figure(go.Heatmap(
        z=z, x=list(impacts), y=list(bands), text=labels, texttemplate="%{text}", customdata=hover,
        hovertemplate="%{customdata}<extra></extra>", showscale=False, zmin=0, zmax=top,
        # Light fills only, so the dark cell text passes contrast everywhere; the text carries the values.
        colorscale=[[0, "#F2F2F2"], [0.5, SEQUENTIAL[4]], [1, SEQUENTIAL[3]]],
        textfont={"color": TEXT, "size": text.style.font_size}, xgap=3, ygap=3, hoverinfo="skip",
    ))
    # An invisible square over each cell: heatmaps cannot be selected, points can, so a click on a cell selects
    # its point (with the cell's band as y and impact as x) and the page opens the payments behind it.
    figure.add_trace(go.Scatter(
        x=[i for _ in bands for i in impacts], y=[b for b in bands for _ in impacts], mode="markers",
        marker={"symbol": "square", "size": 90, "opacity": 0, "color": TEXT},
        selected={"marker": {"opacity": 0}}, unselected={"marker": {"opacity": 0}},
        customdata=[h for row in hover for h in row], hovertemplate="%{customdata}<br>Click to see the payments"
        "<extra></extra>", showlegend=False, name="",
    ))
    for band in bands:
        if band in frame.loc[frame["priority"], "value_band"].tolist() and "High" in impacts:
            x = list(impacts).index("High")
            y = list(bands).index(band)
            figure.add_shape(type="rect", x0=x - 0.5, x1=x + 0.5, y0=y - 0.5, y1=y + 0.5,
                             line={"color": DARK_PINK, "width": 4})
    figure.update_xaxes(title="Sustainability impact of the category", side="bottom", showgrid=False)
    figure.update_yaxes(title="Supplier's spend in the year", showgrid=False, autorange="reversed")
    noted = ChartText(text.title, f"{text.subtitle}. Outlined: high-impact supplier-years of £100k and over, the "
                      "plan's short-term priority", text.source, text.style)
    _apply_text(figure, noted)
    # Every cell's text inside its cell: smaller type where the widest label would not fit.
    margin = figure.layout.margin
    cell = (float(figure.layout.width) - float(margin.l) - float(margin.r)) / max(1, len(impacts)) - 12
    size = text.style.font_size
    widest = max((label_width(label, size, bold=True) for row in labels for label in row), default=0.0)
    if widest > cell:
        figure.update_traces(textfont={"size": max(9, int(size * cell / widest))}, selector={"type": "heatmap"})
    return figure


def _box_label(name: str, size: int) -> str:
    """A treemap box's label wrapped into short lines, so that plotly, which shrinks a label to fit its box, can
    keep it readable in a narrow box instead of shrinking one long line to a speck. A line is as wide as the
    longest word at least, so no word is cut ('accommodation' stays whole)."""
    shown = size - TREEMAP_TEXT_LESS  # the size the box's bold label is drawn at
    widest_word = max((text_width(word, shown, bold=True) for word in name.split()), default=0.0)
    return fit_label(name, max(7 * size, widest_word), shown, max_lines=4, bold=True)


def impact_treemap(frame: pd.DataFrame, text: ChartText, suppliers_per_category: int = 8) -> go.Figure:
    """Impact group -> category -> largest suppliers, sized by net spend (credit-heavy cells left out)."""
    positive = frame[frame["total"].map(lambda v: Decimal(v) > 0)].copy()
    positive["total"] = positive["total"].map(Decimal)
    positive["rank"] = positive.groupby(["impact_group", "category"])["total"].rank(method="first", ascending=False)
    positive.loc[positive["rank"] > suppliers_per_category, "supplier"] = "Other suppliers"
    positive.loc[positive["rank"] > suppliers_per_category, "supplier_key"] = "other"
    leaves = positive.groupby(["impact_group", "category", "supplier_key", "supplier"], as_index=False)["total"].sum()
    ids, parents, labels, values, colours, hover = [], [], [], [], [], []
    names: list[str] = []  # the full names, for hover
    whole = float(sum(leaves["total"])) or 1.0
    for group, group_rows in leaves.groupby("impact_group"):
        ids.append(group)
        parents.append("")
        name = f"{group} impact" if group in ("High", "Medium", "Low") else str(group)
        # A small group's box gets the short form ("Low"), which fits where "Low impact" would be hidden.
        labels.append(str(group) if float(sum(group_rows["total"])) / whole < SMALL_GROUP_SHARE else name)
        names.append(name)
        values.append(float(sum(group_rows["total"])))
        colours.append(IMPACT_COLOURS.get(group, DARK_GREY))
        hover.append(pounds(sum(group_rows["total"])))
        for category, rows in group_rows.groupby("category"):
            cid = f"{group}/{category}"
            ids.append(cid)
            parents.append(group)
            labels.append(_box_label(str(category), text.style.font_size))
            names.append(str(category))
            values.append(float(sum(rows["total"])))
            colours.append(IMPACT_COLOURS.get(group, DARK_GREY))
            hover.append(pounds(sum(rows["total"])))
            for row in rows.itertuples():
                ids.append(f"{cid}/{row.supplier_key}")
                parents.append(cid)
                labels.append(_box_label(str(row.supplier), text.style.font_size))
                names.append(str(row.supplier))
                values.append(float(row.total))
                colours.append(IMPACT_COLOURS.get(group, DARK_GREY))
                hover.append(pounds(row.total))
    figure = go.Figure(go.Treemap(
        ids=ids, parents=parents, labels=labels, values=values, branchvalues="total",
        marker={"colors": colours, "line": {"color": "white", "width": 2}}, customdata=hover,
        texttemplate="<b>%{label}</b><br>%{percentRoot:.1%}",
        # White text only on the dark fills; the lighter palette colours fail contrast with it.
        textfont={"color": ["white" if c in (DARK_BLUE, DARK_GREY, DARK_PINK) else TEXT for c in colours]},
        hovertext=[_escape(str(t)) for t in names], hoverinfo="text",
        hovertemplate="%{hovertext}: %{customdata} (%{percentRoot:.1%} of spend shown)<extra></extra>",
        maxdepth=2, pathbar={"visible": True},
    ))
    # Every box's label at one readable size (the text size less SEGMENT_TEXT_LESS, as bar segments): a box too
    # small to hold its label at that size shows none (its name and figure are on hover), rather than a label
    # shrunk to a speck. A long name is wrapped onto short lines above, so most boxes can hold theirs.
    figure.update_layout(margin={"l": 10, "r": 10})
    _readable_segments(figure, text.style, less=TREEMAP_TEXT_LESS)
    shares = _group_shares(parents, names, values)
    return _apply_text(figure, replace(text, subtitle=f"{text.subtitle}. {shares}" if shares else text.subtitle))


def _group_shares(parents: Sequence[str], labels: Sequence[str], values: Sequence[float]) -> str:
    """Each impact group by name with its share, largest first: a small group's box may be too small to hold its
    name, and no group is known only by its colour."""
    groups = [(label, value) for label, parent, value in zip(labels, parents, values, strict=True) if parent == ""]
    whole = sum(value for _, value in groups)
    if not groups or whole <= 0:
        return ""
    shares = ", ".join(f"{label} {value / whole:.1%}" for label, value in sorted(groups, key=lambda g: -g[1]))
    return f"Impact groups: {shares}"


def _horizontal_bars(labels: Sequence[str], totals: Sequence[Decimal], colours: str | list[str],
                     value_text: Sequence[str], text: ChartText, row_height: int) -> go.Figure:
    """Largest at the top, a label outside each bar, exact money on hover, a margin fitted to the labels.

    Each category label is wrapped onto at most two lines within 40% of the width and the left margin is
    set to the widest line, so no name is cut at the figure's edge; a label that still does not fit is
    shortened at a word and the full name is on hover (and in the table beside the chart)."""
    size = text.style.font_size
    names = [_escape(str(v)) for v in labels]
    fitted = [fit_label(str(v), text.style.size[0] * 0.4, size) for v in labels]
    figure = go.Figure(go.Bar(
        x=[float(v) for v in totals], y=names, orientation="h", marker_color=colours,
        text=list(value_text), textposition="outside", textfont={"color": TEXT}, cliponaxis=False,
        customdata=[pounds(v) for v in totals], hovertemplate="%{y}: %{customdata}<extra></extra>",
    ))
    _money_axis(figure, totals, axis="x", style=text.style)
    _room_for_labels(figure, totals, text.style)
    figure.update_yaxes(title=None, automargin=False, tickmode="array", tickvals=names, ticktext=fitted)
    lines = max((f.count("<br>") + 1 for f in fitted), default=1)
    row = max(row_height, int(lines * size * 1.25) + 10)
    figure.update_layout(height=max(text.style.size[1], 220 + row * len(labels)),
                         margin={"l": margin_for(fitted, size, pad=20), "r": 40})
    return _apply_text(figure, text)


def top_suppliers_bar(frame: pd.DataFrame, text: ChartText) -> go.Figure:
    """Horizontal bars of the largest suppliers, labelled with short money and share."""
    ordered = frame.iloc[::-1]
    totals = [Decimal(v) for v in ordered["total"]]
    labels = [f"{m} ({s:.1%})" for m, s in zip(text.style.money_labels(totals), ordered["share"], strict=True)]
    return _horizontal_bars(list(ordered["supplier"]), totals, DARK_BLUE, labels, text, row_height=32)


def category_bar(frame: pd.DataFrame, text: ChartText) -> go.Figure:
    """Horizontal bars of spend by category, coloured by impact with the impact named in each label."""
    ordered = frame.sort_values("total", key=lambda s: s.map(Decimal)).reset_index(drop=True)
    totals = [Decimal(v) for v in ordered["total"]]
    labels = [f"{m} ({g})" for m, g in zip(text.style.money_labels(totals), ordered["impact_group"], strict=True)]
    colours = [IMPACT_COLOURS.get(g, DARK_GREY) for g in ordered["impact_group"]]
    return _horizontal_bars(list(ordered["category"]), totals, colours, labels, text, row_height=34)


def alt_text(figure: go.Figure, text: ChartText) -> str:
    """A text alternative for any chart the house builds: what it shows, then its values in words."""
    parts: list[str] = []
    for trace in figure.data:
        kind = trace.type
        if kind == "bar":
            labels = trace.y if trace.orientation == "h" else trace.x
            values = trace.x if trace.orientation == "h" else trace.y
            pairs = [f"{label} {text.style.money(Decimal(str(v)))}" for label, v in zip(labels, values, strict=False)
                     if v]
            if trace.orientation == "h":
                pairs = pairs[::-1]
            name = f"{trace.name}: " if trace.name else ""
            parts.append(name + ", ".join(pairs[:12]) + (" and more" if len(pairs) > 12 else ""))
        elif kind == "heatmap":
            cells = []
            for row_label, row in zip(trace.y, trace.z, strict=False):
                for col_label, value in zip(trace.x, row, strict=False):
                    if value:
                        cells.append(f"{row_label} and {col_label}: {text.style.money(Decimal(str(value)))}")
            parts.append("; ".join(cells))
        elif kind == "treemap":
            tops = [(label, value) for label, parent, value in zip(trace.hovertext, trace.parents, trace.values,
                                                                    strict=False) if parent == ""]
            parts.append(", ".join(f"{label} {text.style.money(Decimal(str(v)))}" for label, v in tops))
        elif getattr(trace, "name", None):
            parts.append(str(trace.name))
    described = "; ".join(p for p in parts if p)
    return f"{text.alt_text_intro} {described}.".strip() if described else text.alt_text_intro


def choice_example(name: str, choice: str) -> str:
    """What a choice looks like on a chart: "short: £12.3m, £450k"."""
    if name == "money_style":
        style = ChartStyle(money_style=choice)
        return f"{choice}: {style.money(12_345_678)}, {style.money(450_000)}"
    if name == "year_style":
        return f"{choice}: {ChartStyle(year_style=choice).year('2024/25')}"
    return choice
