"""Figure builders for the Flexible Framework and action plan pages, in the house style.

Analysis Function colours; a headline title, a statistical subtitle and a source line on every chart;
text in dark ink; meaning never carried by colour alone (every cell and bar also says what it is).
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from sp_analysis.output.charts import DARK_BLUE, DARK_GREY, DARK_PINK, ORANGE, TEXT, TURQUOISE, ChartStyle, ChartText, _apply_text
from sp_analysis.output.labels import fit_label, margin_for, text_width
from sp_analysis.words import day

LIGHT_GREY = "#BFBFBF"  # the Analysis Function's focus grey, for what is out of play (dropped actions)
CATEGORICAL = (DARK_BLUE, TURQUOISE, DARK_PINK, ORANGE, DARK_GREY)

STATUS_FILL = {"met": TURQUOISE, "partly met": ORANGE, "not met": "#FFFFFF"}
STATUS_WORDS = {"met": "Met", "partly met": "Partly met", "not met": "Not met"}
ACTION_FILL = {"overdue": ORANGE, "done": TURQUOISE, "in progress": DARK_BLUE, "not started": DARK_GREY, "dropped": LIGHT_GREY}
DAY_MS = 86_400_000
PAGE_STYLE = ChartStyle()  # the page's style where none is given: short money, 2024/25, not presenting


def _px(style: ChartStyle, pixels: float) -> int:
    """A size given for the page's text (15 px) scaled to the style's text size (larger on a projector)."""
    return round(pixels * style.font_size / 15)


def _layout(figure: go.Figure, title: str, subtitle: str, source: str, height: int, bottom: int = 80, top: int = 100,
            right: int = 30, left: int = 60, style: ChartStyle = PAGE_STYLE) -> go.Figure:
    """The house layout (sp_analysis.output.charts): title, subtitle, source line, fonts, fixed size and margins, in the
    style the spend charts take (money and year styles, presentation mode)."""
    figure.update_layout(height=height, margin={"l": left, "r": right},
                         hoverlabel={"font": {"color": TEXT}, "bgcolor": "white"})
    _apply_text(figure, ChartText(title, subtitle, source, style), bottom=bottom + 30)
    # Axis labels drawn above the plot (the matrix's level names) need room under the subtitle.
    extra = _px(style, 60) if figure.layout.xaxis.side == "top" else 0
    figure.update_layout(margin={"t": max(int(figure.layout.margin.t), top) + extra})
    return figure



def _as_date(value: object) -> dt.date | None:
    """A plain date from a date, datetime or Timestamp; None for None, NaN and NaT (NaT passes isinstance checks)."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return None


# --- the framework ---------------------------------------------------------------------------------------


def framework_matrix_figure(matrix: pd.DataFrame, as_at: dt.date, source: str,
                            style: ChartStyle = PAGE_STYLE) -> go.Figure:
    """The 5 x 5 matrix: each cell filled and labelled met / partly met / not met, the target in force outlined."""
    size = style.font_size
    themes = list(dict.fromkeys(matrix["theme"]))
    levels = sorted(set(int(x) for x in matrix["level"])) or [1, 2, 3, 4, 5]
    names = {int(r.level): r.level_name for r in matrix.itertuples()}
    figure = go.Figure()
    hover_x, hover_y, hover_text = [], [], []
    for r in matrix.itertuples():
        x, y = int(r.level), themes.index(r.theme)
        figure.add_shape(type="rect", x0=x - 0.48, x1=x + 0.48, y0=y - 0.45, y1=y + 0.45, line={"color": DARK_GREY, "width": 1},
                         fillcolor=STATUS_FILL[r.status], layer="below")
        words = STATUS_WORDS[r.status]
        if r.status == "met" and not r.counts:
            words = "Met, not counted yet"
        label = f"<b>{words}</b><br>{int(r.met)} of {int(r.criteria)} criteria"
        if r.is_target:
            target_date = _as_date(r.target_date)
            label += f"<br><b>Target {day(target_date)}</b>" if target_date else "<br><b>Target</b>"
            figure.add_shape(type="rect", x0=x - 0.48, x1=x + 0.48, y0=y - 0.45, y1=y + 0.45,
                             line={"color": DARK_PINK, "width": 5}, fillcolor="rgba(0,0,0,0)")
        figure.add_annotation(x=x, y=y, text=label, showarrow=False, font={"size": _px(style, 12), "color": TEXT})
        hover_x.append(x)
        hover_y.append(y)
        counted = "counts towards the level achieved" if r.counts else "does not count yet"
        hover_text.append(f"{r.theme}, Level {x} ({r.level_name}): {words.lower()}, {int(r.met)} of {int(r.criteria)} "
                          f"criteria met; {counted}")
    figure.add_trace(go.Scatter(x=hover_x, y=hover_y, mode="markers", marker={"opacity": 0, "size": 40},
                                hovertext=hover_text, hoverinfo="text", showlegend=False))
    for status in ("met", "partly met", "not met"):
        figure.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=STATUS_WORDS[status],
                                    marker={"symbol": "square", "size": 14, "color": STATUS_FILL[status],
                                            "line": {"color": DARK_GREY, "width": 1}}))
    figure.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name="Target in force (outlined)",
                                marker={"symbol": "square-open", "size": 14, "color": DARK_PINK, "line": {"width": 3}}))
    figure.update_xaxes(tickvals=levels, ticktext=[f"Level {lv}<br>{names.get(lv, '')}" for lv in levels], side="top",
                        range=[min(levels) - 0.55, max(levels) + 0.55], showgrid=False, zeroline=False, fixedrange=True)
    theme_labels = [fit_label(t, _px(style, 170), size) for t in themes]
    figure.update_yaxes(tickvals=list(range(len(themes))), ticktext=theme_labels, autorange="reversed",
                        showgrid=False, zeroline=False, fixedrange=True, range=[len(themes) - 0.5, -0.5])
    # Its own title, about the cells (the level-against-target chart's title is about the targets).
    met = int((matrix["status"] == "met").sum())
    _layout(figure, f"{met} of {len(matrix)} levels met across the {len(themes)} themes" if len(matrix)
            else "No Flexible Framework themes",
            f"Flexible Framework criteria met per theme and level, latest assessment on or before {day(as_at)}",
            source, height=_px(style, 210 + 95 * max(len(themes), 1)), bottom=_px(style, 90), top=_px(style, 150),
            left=max(100, margin_for(theme_labels, size, pad=16)), style=style)
    figure.update_layout(showlegend=True, legend={"orientation": "h", "x": 0, "y": -0.02, "yanchor": "top", "yref": "paper",
                                                  "xanchor": "left", "font": {"size": _px(style, 12)}})
    described = []
    for theme in themes:
        cells = matrix[matrix["theme"] == theme]
        parts = [f"Level {int(c.level)} {STATUS_WORDS[c.status].lower()} ({int(c.met)} of {int(c.criteria)})" for c in cells.itertuples()]
        target = [f"target Level {int(c.level)}" for c in cells.itertuples() if c.is_target]
        described.append(f"{theme}: Level {int(cells['achieved'].iloc[0])} achieved; {', '.join(parts)}"
                         + (f"; {target[0]}" if target else ""))
    _describe(figure, f"Matrix of the Flexible Framework as at {day(as_at)}. " + ". ".join(described) + ".")
    return figure


def level_against_target_figure(frame: pd.DataFrame, as_at: dt.date, source: str,
                                style: ChartStyle = PAGE_STYLE) -> go.Figure:
    """Level achieved per theme as bars, with the target in force marked and labelled beside each."""
    size = style.font_size
    themes = list(frame["theme"])
    achieved = [int(a) for a in frame["achieved"]]
    figure = go.Figure(go.Bar(
        y=themes, x=achieved, orientation="h", marker_color=DARK_BLUE, name="Level achieved",
        text=[f"Level {a}" for a in achieved], textposition="outside", textfont={"color": TEXT}, cliponaxis=False,
        hovertemplate="%{y}: Level %{x} achieved<extra></extra>",
    ))
    with_target = frame[frame["target"].notna()]
    if len(with_target):
        figure.add_trace(go.Scatter(
            y=list(with_target["theme"]), x=[int(t) for t in with_target["target"]], mode="markers+text",
            marker={"symbol": "diamond", "size": _px(style, 16), "color": DARK_PINK, "line": {"color": "white", "width": 1}},
            text=[f"Target {int(t)} by {day(_as_date(d))}" if _as_date(d) else f"Target {int(t)}"  # type: ignore[arg-type]
                  for t, d in zip(with_target["target"], with_target["target_date"], strict=True)],
            textposition="middle right", textfont={"color": TEXT, "size": _px(style, 13)}, name="Target in force",
            hovertemplate="%{y}: %{text}<extra></extra>",
        ))
    figure.update_xaxes(range=[0, 6.6], tickvals=[0, 1, 2, 3, 4, 5], title="Flexible Framework level", gridcolor="#D6D6D6",
                        fixedrange=True)
    theme_labels = [fit_label(t, _px(style, 170), size) for t in themes]
    figure.update_yaxes(autorange="reversed", ticktext=theme_labels, tickvals=themes, fixedrange=True)
    pairs = [(int(a), None if pd.isna(t) else int(t)) for a, t in zip(frame["achieved"], frame["target"], strict=True)]
    _layout(figure, _targets_headline(pairs),
            f"Flexible Framework level achieved per theme and the target in force, as at {day(as_at)}", source,
            height=_px(style, 230 + 60 * max(len(themes), 1)), top=_px(style, 130), bottom=_px(style, 110),
            left=max(100, margin_for(theme_labels, size, pad=16)), style=style)
    figure.update_layout(showlegend=True, legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom",
                                                  "xanchor": "left"}, bargap=0.35)
    _describe(figure, f"Bar chart of the level achieved per theme as at {day(as_at)}, with targets: " + "; ".join(
        f"{r.theme} Level {int(r.achieved)}" + ("" if pd.isna(r.target) else f", target Level {int(r.target)}"
                                                 f"{' by ' + day(_as_date(r.target_date)) if _as_date(r.target_date) else ''}")  # type: ignore[arg-type]
        for r in frame.itertuples()) + ".")
    return figure


def progress_figure(history: pd.DataFrame, targets: Sequence[tuple[str, int, dt.date]], themes: Sequence[str],
                    as_at: dt.date, source: str, style: ChartStyle = PAGE_STYLE) -> go.Figure:
    """Level achieved over time, one small panel per theme, each assessment a point, targets as diamonds."""
    themes = list(themes) or sorted(set(history["theme"]))
    figure = make_subplots(rows=len(themes), cols=1, shared_xaxes=True, vertical_spacing=0.035,
                           subplot_titles=list(themes))
    dates = [_as_date(d) for d in history["assessed_on"]] + [t[2] for t in targets]
    start = min([d for d in dates if d] + [as_at])
    for i, theme in enumerate(themes, start=1):
        colour = CATEGORICAL[(i - 1) % len(CATEGORICAL)]
        own = history[history["theme"] == theme].sort_values("assessed_on")
        xs = [_as_date(d) for d in own["assessed_on"]]
        ys = [int(a) for a in own["achieved"]]
        if xs and xs[-1] and xs[-1] < as_at:  # the last known level holds until the as-at date
            line_x, line_y = [*xs, as_at], [*ys, ys[-1]]
        else:
            line_x, line_y = xs, ys
        figure.add_trace(go.Scatter(x=line_x, y=line_y, mode="lines", line={"shape": "hv", "color": colour, "width": 3},
                                    hoverinfo="skip", showlegend=False), row=i, col=1)
        figure.add_trace(go.Scatter(
            x=xs, y=ys, mode="markers+text", marker={"size": 9, "color": colour}, text=[f"Level {y}" for y in ys],
            textposition="bottom right", textfont={"color": TEXT, "size": _px(style, 12)}, showlegend=False,
            customdata=list(own["assessor"]),
            hovertemplate=f"{theme}<br>%{{x|%-d %b %Y}}: Level %{{y}} (assessor %{{customdata}})<extra></extra>",
        ), row=i, col=1)
        own_targets = [t for t in targets if t[0] == theme]
        if own_targets:
            figure.add_trace(go.Scatter(
                x=[t[2] for t in own_targets], y=[t[1] for t in own_targets], mode="markers+text",
                marker={"symbol": "diamond-open", "size": 12, "color": DARK_PINK, "line": {"width": 2}},
                text=[f"Target {t[1]}" for t in own_targets], textposition="middle right",
                textfont={"color": TEXT, "size": _px(style, 12)}, showlegend=False,
                hovertemplate=f"{theme}: target Level %{{y}} by %{{x|%-d %b %Y}}<extra></extra>",
            ), row=i, col=1)
        figure.update_yaxes(range=[-1.2, 5.6], tickvals=[0, 1, 2, 3, 4, 5], gridcolor="#E5E5E5", fixedrange=True, row=i, col=1)
    figure.add_vline(x=as_at, line={"color": DARK_GREY, "dash": "dash", "width": 1})  # type: ignore[arg-type]
    end = max([d for d in dates if d] + [as_at])
    pad = dt.timedelta(days=max((end - start).days // 12, 45))
    figure.update_xaxes(range=[start - pad, end + pad], gridcolor="#E5E5E5", tickformat="%b %Y")
    figure.update_annotations(font={"size": _px(style, 13), "color": TEXT}, xanchor="left", x=0)
    _layout(figure, "Progress over time", f"Flexible Framework level achieved at each assessment, to {day(as_at)}; "
            "dashed line: the as-at date", source, height=_px(style, 140 + 140 * len(themes)), style=style)
    steps = []
    for theme in themes:
        own = history[history["theme"] == theme].sort_values("assessed_on")
        points = ", ".join(f"Level {int(a)} on {day(_as_date(d))}" for d, a in zip(own["assessed_on"], own["achieved"],  # type: ignore[arg-type]
                                                                                       strict=True))
        steps.append(f"{theme}: {points or 'no assessment'}")
    _describe(figure, "Small line charts of the level achieved per theme at each assessment. " + "; ".join(steps) + ".")
    return figure


# --- the action plan -----------------------------------------------------------------------------------


def action_gantt(table: pd.DataFrame, milestones: pd.DataFrame, as_at: dt.date, source: str,
                 style: ChartStyle = PAGE_STYLE) -> go.Figure:
    """Actions as bars from start to due date and milestones as markers, with the as-at line; overdue in orange.

    Every bar is labelled with its state in words. Actions with no due date run a little past the plan's last
    date and say so. When the as-at date lies far beyond the plan, the axis stays on the plan and the as-at line
    is drawn at its right edge, labelled as such.
    """
    rows = [html.escape(f"{int(r.action_id)}. {' '.join(str(r.title).split())} ({r.officer or 'no officer'})", quote=False)
            for r in table.itertuples()]
    # Wrapped onto two lines within 36% of the width and the margin fitted to them; the full title is on hover.
    small = _px(style, 12)  # the rows' labels and the bars' states: smaller than the title's text, as on the page
    fitted = [fit_label(html.unescape(row), style.size[0] * 0.36, small) for row in rows]
    spans = [d for col in ("start_date", "due_date") for d in map(_as_date, table[col]) if d]
    spans += [d for d in map(_as_date, milestones["due_date"]) if d]
    first = min(spans) if spans else as_at - dt.timedelta(days=180)
    last = max(spans) if spans else as_at + dt.timedelta(days=180)
    if first <= as_at and (as_at - last).days <= 365:
        last = max(last, as_at)  # a recent as-at date is shown on the axis itself
    span = max((last - first).days, 60)
    lo = first - dt.timedelta(days=span // 20)
    open_end = last + dt.timedelta(days=span // 12)  # where bars without a due date stop
    # A little room after the last bar; the state labels beyond the bars go into a right margin sized to them, so
    # they stay whole at any width the page draws the chart at.
    hi = open_end + dt.timedelta(days=span // 30)
    outside = as_at < lo or as_at > hi
    figure = go.Figure()
    by_state: dict[str, dict[str, list[object]]] = {}
    for label, r in zip(rows, table.itertuples(), strict=True):
        start, due = _as_date(r.start_date), _as_date(r.due_date)
        state = "overdue" if r.overdue else str(r.status)
        words = {"overdue": f"Overdue ({r.status})", "done": "Done", "in progress": f"In progress, {int(r.percent_complete)}%",
                 "not started": "Not started", "dropped": "Dropped"}[state]
        if start is None and due is None:
            figure.add_annotation(x=lo, y=label, text=f"  {words}; no dates set", xanchor="left", showarrow=False,
                                  font={"size": small, "color": TEXT})
            continue
        begin = start or due
        assert begin is not None
        finish = due or max(open_end, begin + dt.timedelta(days=30))
        if due is None:
            words += "; no end date"
        bucket = by_state.setdefault(state, {"y": [], "base": [], "x": [], "text": [], "hover": []})
        bucket["y"].append(label)
        bucket["base"].append(begin.isoformat())
        bucket["x"].append(max((finish - begin).days, 3) * DAY_MS)
        bucket["text"].append(f"\u2002\u2002{words}")  # clear of a milestone marker at the bar's end
        bucket["hover"].append(f"{r.title}<br>{day(begin)} to {day(due) if due else 'no end date'}<br>{words}")
    for state in ("overdue", "in progress", "not started", "done", "dropped"):
        if state not in by_state:
            continue
        b = by_state[state]
        figure.add_trace(go.Bar(
            y=b["y"], base=b["base"], x=b["x"], orientation="h", name=f"Action {state}",
            marker={"color": ACTION_FILL[state], "line": {"color": DARK_GREY, "width": 1}},
            text=b["text"], textposition="outside", textfont={"color": TEXT, "size": small}, cliponaxis=False,
            hovertext=b["hover"], hoverinfo="text",
        ))
    if len(milestones):
        title_of = dict(zip(table["action_id"], rows, strict=True))
        reached = milestones["done_on"].notna()
        groups = {
            "Milestone": (milestones[~milestones["overdue"] & ~reached], "white", "diamond"),
            "Milestone reached": (milestones[reached & ~milestones["overdue"]], TURQUOISE, "diamond"),
            "Milestone overdue": (milestones[milestones["overdue"]], DARK_PINK, "x"),
        }
        for name, (part, colour, symbol) in groups.items():
            part = part[part["due_date"].notna() & part["action_id"].isin(title_of)]
            if not len(part):
                continue
            figure.add_trace(go.Scatter(
                x=[_as_date(d) for d in part["due_date"]], y=[title_of[a] for a in part["action_id"]], mode="markers",
                name=name, marker={"symbol": symbol, "size": 12, "color": colour, "line": {"color": TEXT, "width": 1.5}},
                hovertext=[f"{day(_as_date(d))}: {_clip(m, 90)}"  # type: ignore[arg-type]
                           for d, m in zip(part["due_date"], part["milestone"], strict=True)],
                hoverinfo="text",
            ))
    if outside:  # no line: the date is off the axis, and says which way
        after = as_at > hi
        figure.add_annotation(x=1 if after else 0, xref="paper", y=1, yref="paper", yanchor="bottom",
                              xanchor="right" if after else "left", showarrow=False, font={"color": TEXT, "size": small},
                              text=f"As at {day(as_at)}: " + ("after the last date shown →" if after
                                                                      else "← before the first date shown"))
    else:
        figure.add_shape(type="line", x0=as_at, x1=as_at, y0=0, y1=1, yref="paper", line={"color": TEXT, "dash": "dash", "width": 2})
        figure.add_annotation(x=as_at, y=1, yref="paper", yanchor="bottom", text=f"As at {day(as_at)}", showarrow=False,
                              font={"color": TEXT, "size": small}, bgcolor="white")
    overdue = int(table["overdue"].sum())
    headline = (f"{overdue} of {len(table)} action{'s' if len(table) != 1 else ''} overdue"
                if overdue else f"No action overdue of {len(table)}")
    figure.update_xaxes(type="date", range=[lo, hi], gridcolor="#E5E5E5", tickformat="%b %Y")
    figure.update_yaxes(autorange="reversed", categoryorder="array", categoryarray=rows, fixedrange=True, tickfont={"size": small},
                        tickmode="array", tickvals=rows, ticktext=fitted)
    _layout(figure, f"{headline} as at {day(as_at)}",
            "Actions of the sustainable procurement plan from start to due date, with their milestones, "
            f"as at {day(as_at)}", source,
            height=_px(style, 200 + 36 * max(len(rows), 1)), bottom=_px(style, 70), top=_px(style, 140),
            left=max(120, margin_for(fitted, small, pad=14)),
            right=max(30, margin_for([str(t) for trace in figure.data if trace.type == "bar" for t in trace.text or []],
                                     small, pad=24)), style=style)
    height = figure.layout.height
    figure.update_layout(barmode="overlay", bargap=0.35, showlegend=True,
                         legend={"orientation": "h", "x": 0.01, "xref": "container", "y": 1 - _px(style, 66) / height, "yref": "container",
                                 "yanchor": "top", "xanchor": "left", "font": {"size": small}})
    # Dates level, never slanted: as many ticks as the plot's width holds side by side (fewer at presentation size).
    plot_width = (figure.layout.width or style.size[0]) - figure.layout.margin.l - figure.layout.margin.r
    tick_width = text_width("Sep 2026", figure.layout.xaxis.tickfont.size or style.font_size)
    ticks = _month_ticks(lo, hi, max(2, int(plot_width // (tick_width + 20))))
    figure.update_xaxes(tickangle=0, tickmode="array", tickvals=ticks, ticktext=[f"{t:%b %Y}" for t in ticks])
    late = [r.title for r in table.itertuples() if r.overdue]
    _describe(figure, f"Timeline of {len(table)} actions as at {day(as_at)}. {headline}"
              + (f": {'; '.join(late)}." if late else ".") + f" {int(milestones['overdue'].sum())} milestones overdue.")
    return figure


def _month_ticks(lo: dt.date, hi: dt.date, most: int) -> list[dt.date]:
    """First-of-month dates from lo to hi at the shortest round step (1, 2, 3, 4, 6, 12, 24 ... months) giving at most
    `most` ticks; steps of a year or more fall on January."""
    months = (hi.year - lo.year) * 12 + hi.month - lo.month
    step = next((s for s in (1, 2, 3, 4, 6, 12, 24, 60, 120) if months // s + 1 <= most), 240)
    index = lo.year * 12 + lo.month - 1  # months since year 0; a multiple of a step of 12 or more is a January
    index += -index % step
    ticks = []
    while (tick := dt.date(index // 12, index % 12 + 1, 1)) <= hi:
        if tick >= lo:
            ticks.append(tick)
        index += step
    return ticks


def _describe(figure: go.Figure, alt: str) -> None:
    """The chart's text alternative, shown beside it by ui.show_chart."""
    meta = dict(figure.layout.meta or {})
    meta["alt"] = alt
    figure.layout.meta = meta


def _targets_headline(pairs: Sequence[tuple[int, int | None]]) -> str:
    """The message of a framework chart: how many themes have reached the target in force."""
    with_target = [(a, t) for a, t in pairs if t is not None]
    if not pairs:
        return "No Flexible Framework themes"
    if not with_target:
        return "No theme has a target yet"
    reached = sum(a >= t for a, t in with_target)
    if reached == len(with_target):
        return f"Every theme with a target has reached it ({reached} of {len(pairs)})"
    if reached == 0:
        return f"None of the {len(with_target)} themes with a target has reached it yet"
    return f"{reached} of {len(with_target)} themes have reached their target"


def _clip(text: str, width: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"
