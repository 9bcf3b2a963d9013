"""Figure builders: every chart the app draws comes from here, in one house style."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import plotly.graph_objects as go

DARK_BLUE = "#12436D"  # Analysis Function categorical palette, first colour
TEXT = "#0B0C0C"
FONT = "Arial, Helvetica, sans-serif"


def short_money(value: Decimal | float | int) -> str:
    """£12.3m, £450k, £900 for labels and axes; the exact figure goes on hover and in tables."""
    amount = Decimal(value)
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    if amount >= 1_000_000_000:
        return f"{sign}£{amount / 1_000_000_000:.1f}bn"
    if amount >= 1_000_000:
        return f"{sign}£{amount / 1_000_000:.1f}m"
    if amount >= 1_000:
        return f"{sign}£{amount / 1_000:.0f}k"
    return f"{sign}£{amount:.0f}"


def _layout(figure: go.Figure, title: str, subtitle: str, source: str) -> go.Figure:
    figure.update_layout(
        title={"text": f"{title}<br><sup>{subtitle}</sup>", "x": 0, "xanchor": "left"},
        font={"family": FONT, "size": 16, "color": TEXT},
        plot_bgcolor="white",
        paper_bgcolor="white",
        margin={"l": 70, "r": 30, "t": 90, "b": 90},
        height=450,
        showlegend=False,
        annotations=[{
            "text": source, "xref": "paper", "yref": "paper", "x": 0, "y": -0.22,
            "xanchor": "left", "yanchor": "top", "showarrow": False, "font": {"size": 12},
        }],
    )
    figure.update_yaxes(gridcolor="#D6D6D6", zeroline=True, zerolinecolor="#3D3D3D")
    return figure


def spend_by_year_bar(frame: pd.DataFrame, source: str) -> go.Figure:
    """Bars of spend per financial year, labelled with the short figure, exact on hover."""
    totals = [Decimal(v) for v in frame["total"]]
    figure = go.Figure(
        go.Bar(
            x=frame["financial_year"],
            y=[float(v) for v in totals],
            marker_color=DARK_BLUE,
            text=[short_money(v) for v in totals],
            textposition="outside",
            textfont={"color": TEXT},
            customdata=[f"£{v:,.2f}" for v in totals],
            hovertemplate="%{x}: %{customdata}<extra></extra>",
        )
    )
    period = f"{frame['financial_year'].iloc[0]} to {frame['financial_year'].iloc[-1]}" if len(frame) else "no data"
    _layout(figure, "Spend by financial year", f"Net spend over £500, financial years {period}", source)
    figure.update_yaxes(tickprefix="£", tickformat="~s", title=None)
    figure.update_xaxes(title="Financial year (April to March)", type="category")
    return figure
