"""Streamlit glue: the shared workspace, cached queries and the few helpers every page uses.

The only module in sp_analysis that imports Streamlit.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

import plotly.graph_objects as go
import streamlit as st

from sp_analysis import config
from sp_analysis.classify import ensure_classified
from sp_analysis.workspace import Workspace, open_workspace

T = TypeVar("T")

# The modebar's PNG download at print resolution, the same on every chart.
PLOTLY_CONFIG: dict[str, Any] = {
    "displaylogo": False,
    "toImageButtonOptions": {"format": "png", "scale": 3},
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"],
}


@st.cache_resource(show_spinner=False)
def _workspace(path: str) -> Workspace:
    return open_workspace(config.workspace_path(path))


def workspace() -> Workspace:
    """The process's one workspace (from $SP_WORKSPACE or the default path)."""
    return _workspace(str(config.workspace_path()))


@st.cache_data(show_spinner=False, max_entries=256)
def _cached(path: str, version: int, name: str, _fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    return _fn(_workspace(path), *args)


def query(fn: Callable[..., T], *args: Any) -> T:
    """fn(workspace, *args), cached on (workspace file, data version, function, arguments).

    Every write bumps the data version, so no page shows figures from before an upload.
    """
    ws = workspace()
    version = ws.data_version()
    if _classified_at.get(str(ws.path)) != version:
        # New payments since the last run get their categories before any figure is drawn.
        if ensure_classified(ws):
            version = ws.data_version()
        _classified_at[str(ws.path)] = version
    name = f"{fn.__module__}.{fn.__qualname__}"
    return _cached(str(ws.path), version, name, fn, args)  # type: ignore[no-any-return]


_classified_at: dict[str, int] = {}


def show_chart(figure: go.Figure, key: str) -> None:
    """Draw a plotly figure with the house download settings."""
    st.plotly_chart(figure, config=PLOTLY_CONFIG, key=key, width="stretch")


def pounds(value: Decimal | str | int) -> str:
    """£1,234.56 for tables and metrics (exact, with pence)."""
    return f"£{Decimal(value):,.2f}"
