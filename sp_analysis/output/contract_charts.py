"""Figure builders for the contracts pages, in the house style of sp_analysis/output/charts.py (title, subtitle with the
filters in words, source line, direct labels, impact colours, money short on labels and exact on hover).

Each builder writes its own text alternative where the generic one would misread its values (durations on a
timeline, shares on a percentage axis).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import plotly.graph_objects as go

from sp_analysis.output.charts import (
    DARK_BLUE,
    DARK_GREY,
    DARK_PINK,
    IMPACT_COLOURS,
    LIGHT_PURPLE,
    SEGMENT_TEXT_LESS,
    TEXT,
    TURQUOISE,
    ChartText,
    _apply_text,
    _escape,
    _money_axis,
    _readable_segments,
    category_bar,
)
from sp_analysis.output.labels import fit_label, margin_for
from sp_analysis.words import pounds

DAY_MS = 86_400_000
STATUS_COLOURS = {"Yes": DARK_BLUE, "No": TURQUOISE, "Unknown": LIGHT_PURPLE}


def _with_alt(figure: go.Figure, alt: str) -> go.Figure:
    meta = dict(figure.layout.meta or {})
    meta["alt"] = alt
    figure.layout.meta = meta
    return figure


def _day(value: object) -> dt.date:
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    assert isinstance(value, dt.date)
    return value


def _text(value: object) -> str:
    """A register's text cell, or '' when it is missing (None, NaN or pandas' NA)."""
    return value.strip() if isinstance(value, str) else ""


def renewal_timeline(frame: pd.DataFrame, text: ChartText, today: dt.date, quarter_end: dt.date | None = None,
                     limit: int = 30) -> go.Figure:
    """Each contract's re-procurement window, from its intervention date to its end, ranked top to bottom, with
    lines for today and the end of the quarter; bars coloured by impact and labelled with the contract value."""
    rows = frame.sort_values("rank").head(limit).iloc[::-1]
    figure = go.Figure()
    full = [f"{int(r.rank)}. {_text(r.reference) + ': ' if _text(r.reference) else ''}"
            f"{_text(r.title) or 'untitled contract'}" for r in rows.itertuples()]
    labels = [_escape(label) for label in full]
    # Wrapped onto two lines within 40% of the width, the margin fitted to them; the full title is on hover.
    size = text.style.font_size
    fitted = [fit_label(label, text.style.size[0] * 0.4, size) for label in full]
    label_of = dict(zip(rows["rank"], labels, strict=True))
    # One precision for every value label, at the chart's text size less two (as bar segments are labelled).
    valued = [Decimal(v) for v in rows["contract_value"] if v is not None and v == v]
    money_of = dict(zip(valued, text.style.money_labels(valued), strict=True))
    small = size - SEGMENT_TEXT_LESS
    for group, colour in IMPACT_COLOURS.items():
        part = rows[rows["impact_group"] == group]
        if part.empty:
            continue
        starts = [_day(v) for v in part["intervention_date"]]
        ends = [_day(v) for v in part["ends_on"]]
        values = [None if v is None or v != v else Decimal(v) for v in part["contract_value"]]
        figure.add_bar(
            y=[label_of[r] for r in part["rank"]],
            x=[((e - s).days + 1) * DAY_MS for s, e in zip(starts, ends, strict=True)],
            base=[s.isoformat() for s in starts], orientation="h", name=f"{group} impact" if group in
            ("High", "Medium", "Low") else group, marker_color=colour,
            # Inside the bar, which hides the today and quarter lines drawn below it; outside only when too short.
            text=[money_of[v] if v is not None else "no value" for v in values], textposition="auto",
            insidetextanchor="end", constraintext="none", textfont={"size": small},
            insidetextfont={"color": "white" if group in ("High", "Non-procurement") else TEXT},
            outsidetextfont={"color": TEXT}, cliponaxis=False,
            customdata=[[f"{r.title} ({r.reference})", r.supplier_name, pounds(v) if v is not None else
                         "not published", f"{s:%-d %b %Y}", f"{e:%-d %b %Y}", r.action]
                        for r, v, s, e in zip(part.itertuples(), values, starts, ends, strict=True)],
            hovertemplate=("%{customdata[0]}<br>%{customdata[1]}<br>Value %{customdata[2]}<br>"
                           "Start re-procurement by %{customdata[3]}; ends %{customdata[4]}<br>"
                           "%{customdata[5]}<extra></extra>"),
        )
    all_dates = [_day(v) for v in rows["intervention_date"]] + [_day(v) for v in rows["ends_on"]] + [today]
    low, high = min(all_dates), max(all_dates)
    span = max((high - low).days, 30)
    figure.update_xaxes(type="date", range=[(low - dt.timedelta(days=span * 0.03)).isoformat(),
                                            (high + dt.timedelta(days=span * 0.12)).isoformat()],
                        title="Re-procurement window: from the intervention date to the contract's end",
                        tickformat="%b %Y")
    figure.update_yaxes(title=None, categoryorder="array", categoryarray=labels, automargin=False, tickmode="array",
                        tickvals=labels, ticktext=fitted)
    lines = [(today, f"Today, {today:%-d %b %Y}", DARK_PINK, "solid")]
    if quarter_end is not None:
        lines.append((quarter_end, f"Quarter ends {quarter_end:%-d %b %Y}", DARK_GREY, "dash"))
    for index, (day, label, colour, dash) in enumerate(lines):
        # Below the bars, so the value labels stay readable where a line crosses them.
        figure.add_shape(type="line", x0=day.isoformat(), x1=day.isoformat(), y0=0, y1=1, yref="paper",
                         line={"color": colour, "width": 2, "dash": dash}, layer="below")
        figure.add_annotation(x=day.isoformat(), y=1, yref="paper", yshift=6 + int(small * 1.4) * index,
                              text=_escape(label), showarrow=False, xanchor="left", yanchor="bottom",
                              font={"size": small, "color": colour})
    figure.update_layout(barmode="overlay", bargap=0.25,
                         legend={"orientation": "h", "y": -0.08, "x": 0, "xanchor": "left", "yanchor": "top",
                                 "title": None},
                         height=max(text.style.size[1], 260 + int(size * 2.6 + 8) * len(rows)),
                         margin={"l": margin_for(fitted, size, pad=20), "r": 60})
    _apply_text(figure, text, bottom=150)
    # Room above the plot for the labels of the today and quarter lines, clear of the subtitle.
    figure.update_layout(margin={"t": int(figure.layout.margin.t) + int(small * 1.4) * len(lines) + 8})
    shown = frame.sort_values("rank").head(limit)

    def money(value: object) -> str:
        return "no value" if value is None or value != value else text.style.money(Decimal(str(value)))

    parts = [f"{int(r.rank)}. {r.title}, {r.impact_group} impact, {money(r.contract_value)}, "
             f"start by {_day(r.intervention_date):%-d %b %Y}, ends {_day(r.ends_on):%-d %b %Y}"
             for r in shown.itertuples()]
    more = f" and {len(frame) - limit} more" if len(frame) > limit else ""
    return _with_alt(figure, f"{text.alt_text_intro} Today is {today:%-d %B %Y}. " + "; ".join(parts) + more + ".")


def contract_value_by_category(frame: pd.DataFrame, text: ChartText) -> go.Figure:
    """Horizontal bars of contract value by category, coloured by impact (the house category bar)."""
    return category_bar(frame.rename(columns={"value": "total"}), text)


def contracted_share_by_year(frame: pd.DataFrame, text: ChartText) -> go.Figure:
    """Stacked bars per financial year: influenceable spend within a contract's term, and the rest."""
    years = list(frame["financial_year"])
    contracted = [Decimal(v) for v in frame["contracted"]]
    rest = [Decimal(t) - Decimal(c) for t, c in zip(frame["influenceable"], frame["contracted"], strict=True)]
    shares = list(frame["share"])
    money = text.style.money_labels([*contracted, *rest])  # one precision for every segment
    contracted_money, rest_money = money[:len(contracted)], money[len(contracted):]
    figure = go.Figure()
    figure.add_bar(x=[text.style.year(y) for y in years], y=[float(v) for v in contracted], name="Within a contract's term",
                   marker_color=DARK_BLUE, insidetextfont={"color": "white"}, textposition="inside",
                   text=[f"{m} ({s:.0%})" if s is not None else m for m, s in zip(contracted_money, shares, strict=True)],
                   customdata=[pounds(v) for v in contracted],
                   hovertemplate="Within a contract's term, %{x}: %{customdata}<extra></extra>")
    figure.add_bar(x=[text.style.year(y) for y in years], y=[float(v) for v in rest], name="No contract matched",
                   marker_color=LIGHT_PURPLE, insidetextfont={"color": TEXT}, textposition="inside",
                   text=rest_money, customdata=[pounds(v) for v in rest],
                   hovertemplate="No contract matched, %{x}: %{customdata}<extra></extra>")
    figure.update_layout(barmode="relative", legend={"orientation": "h", "y": 1.02, "x": 1, "xanchor": "right",
                                                     "yanchor": "bottom", "title": None})
    _money_axis(figure, [Decimal(v) for v in frame["influenceable"]], style=text.style)
    _readable_segments(figure, text.style)
    figure.update_xaxes(title="Financial year (1 April to 31 March)", type="category")
    _apply_text(figure, text)
    parts = [f"{text.style.year(y)}: {text.style.money(c)} of {text.style.money(Decimal(t))} within a contract's term"
             + (f" ({s:.1%})" if s is not None else "")
             for y, c, t, s in zip(years, contracted, frame["influenceable"], shares, strict=True)]
    return _with_alt(figure, f"{text.alt_text_intro} " + "; ".join(parts) + ".")


def supplier_shares(frame: pd.DataFrame, text: ChartText, measures: tuple[str, ...] = ("sme", "vcse", "local")) -> go.Figure:
    """100% bars for each measure and financial year: the share of spend with suppliers that are (Yes), are not
    (No) and whose status is unknown, so the unknown share always sits beside the figure."""
    names = {"sme": "SME", "vcse": "VCSE", "local": "Local"}
    years = [y for y in frame["financial_year"] if y != "All years"]
    rows = frame.set_index("financial_year")
    x = [[names[m] for m in measures for _ in years], [text.style.year(y) for _ in measures for y in years]]
    values: dict[str, list[float]] = {"Yes": [], "No": [], "Unknown": []}
    for measure in measures:
        for year in years:
            yes = rows.at[year, f"{measure}_share"] or 0.0
            unknown = rows.at[year, f"{measure}_unknown_share"] or 0.0
            values["Yes"].append(float(yes))
            values["Unknown"].append(float(unknown))
            values["No"].append(max(0.0, 1.0 - float(yes) - float(unknown)))
    figure = go.Figure()
    for status, shares in values.items():
        figure.add_bar(x=x, y=shares, name=status, marker_color=STATUS_COLOURS[status], textposition="inside",
                       text=[f"{s:.0%}" if s >= 0.03 else "" for s in shares],
                       insidetextfont={"color": "white" if status == "Yes" else TEXT},
                       hovertemplate=f"{status}, %{{x}}: %{{y:.1%}}<extra></extra>")
    figure.update_layout(barmode="stack", legend={"orientation": "h", "y": 1.02, "x": 1, "xanchor": "right",
                                                  "yanchor": "bottom", "title": None})
    _readable_segments(figure, text.style)
    figure.update_yaxes(tickformat=".0%", range=[0, 1], title="Share of influenceable spend")
    figure.update_xaxes(title=None)
    _apply_text(figure, text)
    parts = []
    for measure in measures:
        for year in years:
            parts.append(f"{names[measure]} {text.style.year(year)}: {rows.at[year, f'{measure}_share'] or 0:.1%} yes, "
                         f"{rows.at[year, f'{measure}_unknown_share'] or 0:.1%} unknown")
    return _with_alt(figure, f"{text.alt_text_intro} " + "; ".join(parts) + ".")
