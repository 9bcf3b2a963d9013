"""Streamlit glue: the shared workspace, cached queries and the few helpers every page uses.

The only module in sp_analysis that imports Streamlit.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, TypeVar

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from sp_analysis import config
from sp_analysis.access import Access
from sp_analysis.definitions import IMPACT_GROUPS
from sp_analysis.ingest.council import Council
from sp_analysis.ingest.council import council as council_of
from sp_analysis.output.charts import ChartStyle, for_screen
from sp_analysis.output.charts import chart_style as workspace_chart_style
from sp_analysis.output.labels import text_width
from sp_analysis.spend import queries
from sp_analysis.spend.facts import ensure_current
from sp_analysis.spend.filters import SpendFilters
from sp_analysis.spend.queries import Headline
from sp_analysis.sql import Statement, recording
from sp_analysis.words import count_of, day, pounds
from sp_analysis.workspace import Workspace, WorkspaceError, WorkspaceLocked, open_workspace

T = TypeVar("T")
STATEMENTS_RAN = "statements_ran"  # session state: query name -> the statements it ran

# --- data strings in markdown ----------------------------------------------------------------------------------
# Streamlit renders captions, st.markdown, st.write of text, alerts, metric and widget labels, expander titles,
# tooltips and st.table cells as Markdown (GitHub-flavoured, with LaTeX, colour directives and autolinks). A
# supplier name or contract title is data: `md` makes it literal text there, so it can neither load an outside
# image nor draw a link, bold text or a formula. Characters that start Markdown wherever they stand are
# escaped with a backslash; a hyphen, plus or number starts a list only at the start. Autolinks are found in
# the text after escapes are read, so a backslash cannot stop them: a word joiner (U+2060, invisible) goes
# between 'http' or 'https' and '://', between 'www' and '.', and before '@'.
_ALWAYS = re.compile(r"([\\`*_\[\]<>|~$#])")
_LINE_BREAKS = re.compile(r"[\r\n\v\f\x85\u2028\u2029]+")
_AUTOLINK = re.compile(r"(?i)(?<=https)(?=://)|(?<=http)(?=://)|(?<=www)(?=\.)|(?=@)")
_ENTITY = re.compile(r"(&)(?=#?[a-z0-9]+;)", re.IGNORECASE)
_LEADING = re.compile(r"^(\s*)(\d+)([.)])|^(\s*)([-+=])")
WORD_JOINER = "\u2060"


def md(value: object) -> str:
    """A data string made literal for any place Streamlit renders Markdown (on one line)."""
    text = _LINE_BREAKS.sub(" ", "" if value is None else str(value))
    text = _ALWAYS.sub(r"\\\1", text)
    text = _AUTOLINK.sub(WORD_JOINER, text)
    text = _ENTITY.sub(r"\\\1", text)
    return _LEADING.sub(lambda m: (f"{m.group(1)}{m.group(2)}\\{m.group(3)}" if m.group(2) is not None
                                   else f"{m.group(4)}\\{m.group(5)}"), text, count=1)


# The modebar's PNG download at print resolution, the same on every chart.
PLOTLY_CONFIG: dict[str, Any] = {
    "displaylogo": False,
    # A fixed export shape, whatever the browser window: 1100 x 620 at 3x is print resolution.
    "toImageButtonOptions": {"format": "png", "scale": 3, "width": 1100, "height": 620},
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"],
}


@st.cache_resource(show_spinner=False)
def _workspace(path: str) -> Workspace:
    return open_workspace(config.workspace_path(path))


def workspace() -> Workspace:
    """The process's one workspace (from $SP_WORKSPACE or the default path), opened afresh after a fatal
    error such as a full disk during an upload, so the dashboard recovers without a restart."""
    path = str(config.workspace_path())
    ws = _workspace(path)
    if ws.invalidated():
        _workspace.clear()  # type: ignore[attr-defined]
        ws = _workspace(path)
    return ws


def workspace_problem(exc: BaseException) -> str:
    """Why the workspace cannot be opened, in words for the page: who holds it, or which backup to restore."""
    from sp_analysis import backup

    path = config.workspace_path()
    if isinstance(exc, WorkspaceLocked):
        cause = str(exc.__cause__ or exc)
        pid = re.search(r"PID (\d+)", cause) or re.search(r"process (\d+)", cause)
        holder = "another program"
        if pid:
            holder = f"process {pid.group(1)}"
            try:
                command = Path(f"/proc/{pid.group(1)}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
            except (OSError, UnicodeDecodeError):
                command = ""
            if command:
                holder += f" ({command})"
        return (f"The workspace {path} is held by {holder}, probably the command line loading, exporting or "
                "importing files. The dashboard cannot read it until that program finishes; reload this page then. "
                "To load files while the dashboard runs, use the Upload page instead.")
    if isinstance(exc, WorkspaceError) and exc.__cause__ is None:
        return str(exc)  # not damage: a file from a newer version of the tool, say
    if any(words in f"{exc} {exc.__cause__}".lower() for words in ("no space left", "disk is full", "disk full")):
        return (f"The disk that holds the workspace {path} is full, so the workspace cannot be opened until there "
                "is space. Nothing that was loaded before is lost; a file whose upload hit the full disk was not "
                "loaded. Free space on that disk, then reload this page and load that file again.")
    backups = backup.find_backups(path.parent)
    if backups:
        folder, exported = backups[0]
        which = f"the newest backup beside it is {folder}" + (f" (exported {exported})" if exported else "")
    else:
        which = ("no backup was found beside it: use the newest folder written by "
                 "'python -m sp_analysis export --out DIR'")
    return (f"The workspace {path} cannot be opened: it looks damaged ({exc}). Restore it from a backup; "
            f"{which}. Stop the dashboard, move the damaged file aside (keep it), then run "
            f"'python -m sp_analysis import --workspace {path} DIR' with that folder as DIR, and start the "
            "dashboard again.")


@st.cache_data(show_spinner=False, max_entries=256)
def _cached(path: str, version: int, name: str, _fn: Callable[..., Any], args: tuple[Any, ...],
            kwargs: tuple[tuple[str, Any], ...] = ()) -> tuple[Any, tuple[Statement, ...]]:
    """The function's result and the statements it ran (kept with the result, so a cached figure still says how)."""
    with recording() as ran:
        result = _fn(_workspace(path), *args, **dict(kwargs))
    return result, tuple(ran)


def query(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """fn(workspace, *args), cached on (workspace file, data version, function, arguments).

    Every write bumps the data version, so no page shows figures from before an upload.
    """
    ws = workspace()
    version = ws.data_version()
    if _classified_at.get(str(ws.path)) != version:
        # New payments get their categories, and the analysis table is rebuilt, before any figure.
        with st.spinner("Placing newly loaded payments in categories and bringing the figures up to date..."):
            current = ensure_current(ws)
        if current:
            version = ws.data_version()
        _classified_at[str(ws.path)] = version
    return _query_at(ws, version, fn, args, kwargs)


def query_as_loaded(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """As `query`, for what reads only the loaded files and settings (the files list, saved column choices,
    the council's name): no classification or analysis-table rebuild first, so the Upload page shows a batch's
    outcome at once and the work waits for the first page that shows figures, as after the command line's load."""
    ws = workspace()
    return _query_at(ws, ws.data_version(), fn, args, kwargs)


def _query_at(ws: Workspace, version: int, fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
    name = f"{fn.__module__}.{fn.__qualname__}"
    result, ran = _cached(str(ws.path), version, name, fn, args, tuple(sorted(kwargs.items())))
    st.session_state.setdefault(STATEMENTS_RAN, {})[name] = ran
    return result  # type: ignore[no-any-return]


_classified_at: dict[str, int] = {}


def chart_style() -> ChartStyle:
    """The chart style for this session: the workspace's settings, and presentation mode if on."""
    return workspace_chart_style(workspace(), bool(st.session_state.get("presentation_mode", False)))


def show_chart(figure: go.Figure, key: str, clickable: bool = False) -> list[dict[str, Any]]:
    """Draw a chart with its text description and PNG / SVG downloads rendered at print quality.

    With `clickable`, a click on a point (a matrix cell, a bar) selects it: the selected points come back, each
    with its x and y, for the page to open what lies behind them."""
    from sp_analysis.output import render

    presenting = bool(st.session_state.get("presentation_mode", False))
    # theme=None: the house template as it is, so the page shows what the downloads and the pack show.
    width: Literal["content", "stretch"] = "content" if presenting else "stretch"
    points: list[dict[str, Any]] = []
    # On the page the chart takes its column's width, its subtitle and source wrapped to the narrowest column; in
    # presentation mode it keeps its own 16:9 size. Downloads are drawn from the figure as built.
    shown = figure if presenting else for_screen(figure)
    if clickable:
        event = st.plotly_chart(shown, config=PLOTLY_CONFIG, key=key, width=width, theme=None, on_select="rerun",
                                selection_mode="points")
        points = list(event.selection.points) if event and event.selection else []
    else:
        st.plotly_chart(shown, config=PLOTLY_CONFIG, key=key, width=width, theme=None)
    if presenting:
        return points
    meta = figure.layout.meta or {}
    alt = meta.get("alt", "") if isinstance(meta, dict) else ""
    title = meta.get("title", key) if isinstance(meta, dict) else key
    name = file_name(re.sub(r"[^a-z0-9]+", "-", str(title).lower()).strip("-")[:80] or key)
    with st.expander("Text description and downloads"):
        st.markdown(md(alt))  # the description names suppliers and contracts: data, shown as text
        problem = render.export_problem()
        if problem:
            st.caption(problem)
            return points
        with_title = not st.session_state.get("downloads_without_title", False)
        left, right, _ = st.columns([1, 1, 3])
        left.download_button("PNG (print quality)", lambda: render.to_image(figure, "png", with_title=with_title),
                             file_name=f"{name}.png", mime="image/png", key=f"{key}_png", on_click="ignore",
                             icon=":material/image:")
        right.download_button("SVG", lambda: render.to_image(figure, "svg", with_title=with_title),
                              file_name=f"{name}.svg", mime="image/svg+xml", key=f"{key}_svg", on_click="ignore",
                              icon=":material/image:")
        st.caption("Images are 1100 by 620 pixels at 3x scale (3300 by 1860), for print. "
                   + ("The title is left out (see the sidebar)." if not with_title else ""))
    return points


FILTER_KEYS = ("filter_years", "filter_impacts", "filter_bands", "filter_departments", "filter_categories",
               "filter_supplier")


def keep_filters() -> None:
    """Keep the sidebar's filters when the analyst moves to another page (the router calls this on every run):
    Streamlit forgets a widget's value on a run that does not draw it, unless the value is set again first."""
    for key in FILTER_KEYS:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def sidebar_filters() -> SpendFilters:
    """The global filters in the sidebar; the same SpendFilters object serves every page."""
    from sp_analysis import settings
    options = query(queries.filter_options)
    bands = query(settings.value_bands)
    # A choice kept from another page (see keep_filters) that the data no longer offer is dropped.
    for key, offered in (("filter_years", options["financial_years"]), ("filter_impacts", IMPACT_GROUPS),
                         ("filter_bands", bands.labels), ("filter_departments", options["departments"]),
                         ("filter_categories", options["categories"])):
        if key in st.session_state:
            st.session_state[key] = [v for v in st.session_state[key] if v in offered]
    with st.sidebar:
        st.header("Filters")
        years = st.multiselect("Financial years", options["financial_years"], key="filter_years",
                               placeholder="All years")
        impacts = st.multiselect("Impact", IMPACT_GROUPS, key="filter_impacts", placeholder="All impact levels")
        value_bands = st.multiselect("Supplier-year value band", bands.labels, key="filter_bands",
                                     placeholder="All value bands")
        departments = st.multiselect("Departments", options["departments"], key="filter_departments",
                                     placeholder="All departments")
        categories = st.multiselect("Categories", options["categories"], key="filter_categories",
                                    placeholder="All categories")
        supplier = st.text_input("Supplier name contains", key="filter_supplier")
    return SpendFilters(
        financial_years=tuple(years), departments=tuple(departments), impacts=tuple(impacts),
        categories=tuple(categories), value_bands=tuple(value_bands), supplier_search=supplier, bands=bands,
    )


def coverage_note(headline: Headline) -> None:
    """'£x, y% of spend classified' under an analysis page's title."""
    classified = headline.classified
    share = headline.classified_share
    if share is None:
        return
    st.caption(f"Classification coverage: {pounds(classified)}, {share:.1%} of net spend in view, is in a "
               "category other than Unclassified. See the Classification page to place the rest.")


def show_sql(fn: Callable[..., Any]) -> None:
    """An expander with the statements `fn` ran for the figures above (its last call through `query` on this
    page), each with the values bound to its parameters: 'how was this calculated?'."""
    ran = st.session_state.get(STATEMENTS_RAN, {}).get(f"{fn.__module__}.{fn.__qualname__}", ())
    with st.expander("How was this calculated?"):
        if not ran:
            st.caption("No statement has run for this figure yet.")
        for index, statement in enumerate(ran, start=1):
            if len(ran) > 1:
                st.caption(f"Statement {index} of {len(ran)}")
            st.code(statement.sql.strip(), language="sql")
            st.caption("Parameters: " + md(", ".join(f"${k} = {v!r}" for k, v in statement.params.items()))
                       if statement.params else "No parameters.")


def council() -> Council:
    """The workspace's council by the rule in sp_analysis/ingest/council.py (cached on the data version)."""
    return query_as_loaded(council_of)


def file_name(*parts: str) -> str:
    """A download's file name without extension: the council's part (when the data are one council's), then
    the parts given: 'devon-county-council-top-suppliers-financial-year-2025-26'."""
    return council().file_name(*parts)


def downloads(frame: pd.DataFrame, name: str, key: str) -> None:
    """CSV and XLSX buttons for a table, of exactly the rows and columns shown: the file's name starts with
    the council's and carries the filters; money goes out as numbers and counts as whole numbers
    (sp_analysis/exports.py)."""
    from sp_analysis import exports

    name = file_name(name)
    row = st.container(horizontal=True)
    # The files are built when a button is pressed, not on every run of the page.
    row.download_button("Download CSV", lambda: exports.to_csv_bytes(frame), file_name=f"{name}.csv", mime="text/csv",
                         key=f"{key}_csv", icon=":material/download:", on_click="ignore")
    row.download_button("Download XLSX", lambda: exports.to_xlsx_bytes(frame), file_name=f"{name}.xlsx",
                          mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                          key=f"{key}_xlsx", icon=":material/download:", on_click="ignore")


def quality_report(quality: dict[str, Any], kind: str, name: str, key: str) -> None:
    """A loaded file's quality report as a two-column table in plain words, with its downloads."""
    from sp_analysis.ingest.report import describe

    frame = pd.DataFrame(describe(quality, kind), columns=["Check", name])  # type: ignore[arg-type]
    # st.table renders its cells as Markdown; the file's name and column names are data.
    shown = frame.map(md).rename(columns=md)
    st.table(shown, hide_index=True, border="horizontal")
    downloads(frame, f"quality-report-{name.rsplit('.', 1)[0]}", key)


def in_words(frame: pd.DataFrame) -> pd.DataFrame:
    """A table's column names in words ('financial_year' -> 'Financial year'), as the downloads write them."""
    from sp_analysis.exports import column_words

    return frame.rename(columns=column_words)


def money_columns(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """A copy for display with the named Decimal columns as exact £ text."""
    shown = frame.copy()
    for column in columns:
        shown[column] = shown[column].map(lambda v: "" if v is None or (isinstance(v, float) and v != v) else pounds(v))
    return shown


def fitted_width(values: pd.Series | list[object], header: str, most: int = 900) -> int:
    """A table column's width in pixels that holds its longest text and its header whole at the table's 14 px
    text (measured with the font's widths, plus the cell's padding), at most `most` (beyond it the cell is cut,
    its full text on hover)."""
    widest = max([text_width(str(v), 14) for v in values if v is not None and v == v] + [text_width(header, 14) + 20])
    return min(most, int(widest) + 20)


def fitted_columns(frame: pd.DataFrame, most: int = 600) -> dict[str, Any]:
    """Column settings giving each text column of a table a width that holds its longest text and its header."""
    return {str(name): st.column_config.TextColumn(width=fitted_width(frame[name], str(name), most))
            for name in frame.columns if frame[name].dtype == object or pd.api.types.is_string_dtype(frame[name])}


# A count in a table: a whole number with thousands separators on screen ('12,345'), a plain number in downloads.
COUNT_COLUMN = st.column_config.NumberColumn(format="localized")

PAYMENT_COLUMNS = {
    "payment_date": "Date", "supplier": "Supplier", "supplier_name": "Payee as published", "amount": "Amount",
    "financial_year": "Financial year", "department": "Department", "expense_type": "Expense type",
    "expense_code": "Expense code", "category": "Category", "impact": "Impact", "rule_id": "Rule",
    "transaction_ref": "Transaction", "supplier_year_total": "Supplier's spend that year",
    "source_file": "Source file", "source_sheet": "Sheet", "source_line": "Line",
}


def date_columns(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """A copy with the date columns as '17 Jan 2025' (blank where there is no date), for display and download."""
    shown = frame.copy()
    for column in columns:
        shown[column] = frame[column].map(day)
    return shown


def payments_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Payments for display and download: dates as '17 Jan 2025', money exact, plain column names."""
    shown = money_columns(frame, "amount", "supplier_year_total")
    if "source_sheet" in shown and shown["source_sheet"].isna().all():
        shown = shown.drop(columns="source_sheet")  # no workbook among these payments
    # A line published without a date says so rather than showing an empty cell or 'None'.
    shown["payment_date"] = frame["payment_date"].map(lambda d: day(d, "date not given"))
    return shown.rename(columns=PAYMENT_COLUMNS)


PAYMENTS_SHOWN = 2_000  # the largest payments a page lists; the count and the total are of all of them


def show_payments_behind(filters: SpendFilters, key: str) -> None:
    """The payments behind a figure (a matrix cell, an impact area's category): how many, their net total and
    the filters in words, then the largest of them as a table with its downloads."""
    payments, count, total = query(queries.payments_behind, filters, PAYMENTS_SHOWN)
    st.caption(f"{count_of(count, 'payment')}, {pounds(total)} net ({md(filters.describe())}). Largest first"
               + (f", first {PAYMENTS_SHOWN:,} shown." if count > PAYMENTS_SHOWN else "."))
    shown = payments_table(payments)
    st.dataframe(shown, hide_index=True, key=f"{key}_payments")
    downloads(shown, f"payments-{filters.slug()}", key=f"{key}_download")


def access() -> Access:
    """The access rules from .streamlit/secrets.toml (open when there is no [auth] section)."""
    try:
        secrets = {key: st.secrets[key] for key in st.secrets}
    except (FileNotFoundError, KeyError, st.errors.StreamlitSecretNotFoundError):
        secrets = {}
    return Access.from_secrets(secrets)


def signed_in() -> bool:
    """Whether this session's user has signed in (always False when sign-in is off)."""
    return bool(getattr(st.user, "is_logged_in", False))


def can_edit() -> bool:
    """Whether this session may change the workspace."""
    email = getattr(st.user, "email", None) if signed_in() else None
    return access().can_edit(signed_in(), email)


def editors_only(action: str) -> bool:
    """True if this session may do the action; otherwise says who can, and returns False."""
    if can_edit():
        return True
    st.caption(f"Only the workspace's editors can {action}. Ask an administrator to add your e-mail address "
               "to the editors list.")
    return False


def spend_page_start(note_coverage: bool = True) -> tuple[SpendFilters, ChartStyle, Any, str]:
    """What every spend page opens with: the sidebar filters, the chart style, the headline figures and
    the period in words; stops the page with a message when no payment matches. A page that shows the
    classification coverage among its own figures passes note_coverage=False, so it is said once."""
    filters = sidebar_filters()
    style = chart_style()
    head = query(queries.headline, filters)
    if head.payments == 0:
        st.info(f"No payments match ({md(filters.describe())}). Load spend on the Upload page or clear some filters.")
        st.stop()
    if note_coverage:
        coverage_note(head)
    return filters, style, head, spend_source(filters).period


def spend_source(filters: SpendFilters) -> Any:
    """The files, period (with months missing said) and coverage of the spend in view, and its source line."""
    from sp_analysis.spend import provenance

    return query(provenance.in_view, filters)


def show_flash(key: str) -> None:
    """Show, once, the message a save left for the rerun that follows it."""
    if key in st.session_state:
        st.success(st.session_state.pop(key))


def saved(key: str, message: str, *editors: str) -> None:
    """Leave a message for the next run, drop saved edits from the editors, and rerun."""
    st.session_state[key] = message
    for editor in editors:
        st.session_state.pop(editor, None)
    st.rerun()
