"""Plan files: the action plan read from and written to CSV and Excel (formula-safe), checked whole before
anything is saved, and the sample council's 2010 plan.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import replace

import pandas as pd

from sp_analysis.exports import csv_cell, neutralise_workbook, restore
from sp_analysis.plan.actions import (
    COLUMN_HELP,
    COUNT_ACTIONS,
    MILESTONE_LINE,
    OVERDUE_RULE,
    PLAN_COLUMNS,
    SAMPLE_PLAN,
    STATUSES,
    Action,
    ActionPlanError,
    Milestone,
    PlanFilter,
    _blank,
    _checked,
    _save_on,
    _split,
    _text,
    _to_date,
    _to_int,
    filtered_actions,
    load_actions,
    save_actions,
)
from sp_analysis.plan.measures import MEASURE_KEYS
from sp_analysis.sql import scalar_int
from sp_analysis.workspace import Workspace

# --- import and export ----------------------------------------------------------------------------------


def save_action_edits(ws: Workspace, edited: pd.DataFrame, shown_ids: Iterable[int], status_date: dt.date) -> list[int]:
    """Apply an edited actions table (the page's data editor) to the plan.

    Rows keep their milestones; a row without an action_id is a new action; an action that was shown but is
    no longer in the table is deleted. Actions not shown (filtered out) are left alone.
    """
    current = {a.action_id: a for a in load_actions(ws, status_date)}
    edits = actions_from_frame(edited, "the edited table", default_status_date=status_date)
    kept = []
    for action in edits:
        before = current.get(action.action_id)
        kept.append(replace(action, milestones=before.milestones) if before else action)
    gone = set(shown_ids) - {a.action_id for a in kept if a.action_id is not None}
    return save_actions(ws, kept, status_date, delete_ids=gone)


def plan_frame(plan: Sequence[Action]) -> pd.DataFrame:
    """The actions in the exchange format: one row per action, PLAN_COLUMNS, milestones one a line."""
    rows = [{
        "action_id": a.action_id, "title": a.title, "themes": "; ".join(a.themes), "level": a.level,
        "timescale": a.timescale, "start_date": a.start_date, "due_date": a.due_date,
        "milestones": format_milestones(a.milestones), "measures": a.measures, "resources": a.resources,
        "officer": a.officer, "status": a.status, "percent_complete": a.percent_complete, "status_date": a.status_date,
        "notes": a.notes, "data_measures": "; ".join(a.data_measures),
    } for a in plan]
    return pd.DataFrame.from_records(rows, columns=list(PLAN_COLUMNS))


def export_plan_csv(ws: Workspace, as_at: dt.date | None = None, plan_filter: PlanFilter | None = None) -> str:
    """The plan (status as at the date, else the latest) as CSV text in the import format."""
    plan = load_actions(ws, as_at) if plan_filter is None else filtered_actions(ws, as_at or dt.date.max, plan_filter)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(PLAN_COLUMNS)
    for row in plan_frame(plan).itertuples(index=False):
        writer.writerow([csv_cell("" if _blank(v) else (v.isoformat() if isinstance(v, dt.date) else str(v)))
                         for v in row])
    return buffer.getvalue()


def export_plan_xlsx(ws: Workspace, as_at: dt.date | None = None, plan_filter: PlanFilter | None = None) -> bytes:
    """The plan as an Excel workbook: an "Actions" sheet in the import format and an "About" sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    plan = load_actions(ws, as_at) if plan_filter is None else filtered_actions(ws, as_at or dt.date.max, plan_filter)
    frame = plan_frame(plan)
    book = Workbook()
    sheet = book.active
    sheet.title = "Actions"
    sheet.append(list(PLAN_COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = {"title": 40, "themes": 30, "milestones": 60, "measures": 50, "resources": 40, "notes": 40, "timescale": 18}
    for row in frame.itertuples(index=False):
        sheet.append([None if _blank(v) else (int(v) if isinstance(v, float) else v) for v in row])
    for i, column in enumerate(PLAN_COLUMNS, start=1):
        letter = sheet.cell(row=1, column=i).column_letter
        sheet.column_dimensions[letter].width = widths.get(column, 14)
        for cell in sheet[letter][1:]:
            if column.endswith("_date"):
                cell.number_format = "yyyy-mm-dd"
            cell.alignment = Alignment(wrap_text=column in widths, vertical="top")
    sheet.freeze_panes = "B2"
    about = book.create_sheet("About")
    about.append(["Sustainable procurement action plan"])
    about["A1"].font = Font(bold=True)
    about.append(["Status as at", (as_at or dt.date.today()).isoformat() if as_at else "latest recorded"])
    about.append(["Rows", len(frame)])
    about.append([])
    about.append(["column", "meaning"])
    for column in PLAN_COLUMNS:
        about.append([column, COLUMN_HELP[column]])
    about.append([])
    about.append(["Overdue", OVERDUE_RULE.removeprefix("Overdue: ")])
    about.column_dimensions["A"].width = 18
    about.column_dimensions["B"].width = 110
    neutralise_workbook(book)  # no text from the plan becomes a live formula
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def read_plan_file(data: bytes, name: str) -> list[Action]:
    """Actions from a CSV or XLSX file in the export format (XLSX: the "Actions" sheet, else the first)."""
    if name.lower().endswith((".xlsx", ".xlsm", ".xls", ".ods")):
        try:
            book = pd.ExcelFile(io.BytesIO(data), engine="calamine")
            sheet = "Actions" if "Actions" in book.sheet_names else book.sheet_names[0]
            frame = pd.read_excel(book, sheet_name=sheet, dtype=object)
        except Exception as exc:  # calamine raises its own types for damaged files
            raise ActionPlanError(f"{name} cannot be read as a workbook ({exc}).") from exc
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252")
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    frame = frame.map(restore)  # the app's own export neutralised formula-like text: take that off
    if "title" not in frame.columns:
        raise ActionPlanError(f"{name}: the header lacks title (expected {','.join(PLAN_COLUMNS)}).")
    return actions_from_frame(frame, name)


def import_plan(ws: Workspace, data: bytes, name: str, status_date: dt.date, *, replace_all: bool = True) -> int:
    """Load a plan file (CSV or XLSX); with `replace_all` it becomes the whole plan. Returns how many actions.

    Rows without a status_date take `status_date`. Refused whole, naming each bad row, if any row is invalid.
    """
    plan = read_plan_file(data, name)
    if not plan:
        raise ActionPlanError(f"{name} holds no actions.")
    ids = [a.action_id for a in plan if a.action_id is not None]
    if len(ids) != len(set(ids)):
        raise ActionPlanError(f"{name}: an action_id appears twice.")
    save_actions(ws, plan, status_date, replace_all=replace_all, row_dates=True)
    return len(plan)


def actions_from_frame(frame: pd.DataFrame, name: str, default_status_date: dt.date | None = None) -> list[Action]:
    """Actions from a table in the exchange format (missing columns take their defaults)."""
    plan: list[Action] = []
    problems: list[str] = []
    for i, row in enumerate(frame.to_dict("records"), start=2):
        if all(_blank(v) for v in row.values()):
            continue
        try:
            status = (_text(row.get("status")) or "not started").lower()
            if status not in STATUSES:
                raise ActionPlanError(f"status {row.get('status')!r} is not one of {', '.join(STATUSES)}")
            level = _to_int(row.get("level"), "level")
            if level is not None and not 1 <= level <= 5:
                raise ActionPlanError(f"level {level} is not 1 to 5")
            percent = _to_int(row.get("percent_complete"), "percent_complete")
            percent = (100 if status == "done" else 0) if percent is None else percent
            if not 0 <= percent <= 100:
                raise ActionPlanError(f"percent_complete {percent} is not 0 to 100")
            measures = _split(row.get("data_measures"))
            unknown = [m for m in measures if m not in MEASURE_KEYS]
            if unknown:
                raise ActionPlanError(f"data_measures {', '.join(unknown)} unknown (use {', '.join(MEASURE_KEYS)})")
            milestones = row.get("milestones")
            action = Action(
                action_id=_to_int(row.get("action_id"), "action_id"),
                title=_text(row.get("title")),
                themes=_split(row.get("themes")),
                level=level,
                timescale=_text(row.get("timescale")),
                start_date=_to_date(row.get("start_date"), "start_date"),
                due_date=_to_date(row.get("due_date"), "due_date"),
                measures=_text(row.get("measures")),
                resources=_text(row.get("resources")),
                officer=_text(row.get("officer")),
                notes=_text(row.get("notes")),
                data_measures=measures,
                milestones=parse_milestones(_text(milestones)) if not _blank(milestones) else (),
                status=status,  # type: ignore[arg-type]
                percent_complete=100 if status == "done" else percent,
                status_date=_to_date(row.get("status_date"), "status_date") or default_status_date,
            )
            _checked(action)
            plan.append(action)
        except ActionPlanError as exc:
            problems.append(f"row {i}: {exc}")
    if problems:
        raise ActionPlanError(f"{name}: " + "; ".join(problems[:10]) + ".")
    return plan


def format_milestones(milestones: Iterable[Milestone]) -> str:
    """Milestones one a line, as in the exchange format."""
    lines = []
    for m in milestones:
        line = f"{m.due_date.isoformat() if m.due_date else 'no date'}: {m.milestone}"
        if m.done_on:
            line += f" [done {m.done_on.isoformat()}]"
        lines.append(line)
    return "\n".join(lines)


def parse_milestones(text: str) -> tuple[Milestone, ...]:
    """Milestones from the exchange format; a line without a date prefix is an undated milestone."""
    milestones = []
    for raw in text.replace("\r\n", "\n").split("\n"):
        if not raw.strip():
            continue
        match = MILESTONE_LINE.match(raw)
        if match is None:
            milestones.append(Milestone(raw.strip()))
            continue
        due = None if match["due"].lower() == "no date" else _to_date(match["due"], "milestone date")
        if not match["text"]:
            raise ActionPlanError(f"the milestone line {raw.strip()!r} has no text")
        milestones.append(Milestone(match["text"], due, _to_date(match["done"], "milestone done date")))
    return tuple(milestones)


# --- the sample plan (the council's 2010 resource plan) -----------------------------------------------------


def install_sample_actions(ws: Workspace) -> bool:
    """Install the 2010 plan's actions where the workspace has none; True if it did (idempotent). The sample's
    targets and baseline assessment come with it through `framework.install_sample_plan`."""
    with ws.read() as cur:
        if scalar_int(cur, COUNT_ACTIONS):
            return False
    plan = read_plan_file(SAMPLE_PLAN.read_bytes(), SAMPLE_PLAN.name)
    with ws.write() as cur:
        if scalar_int(cur, COUNT_ACTIONS):
            return False
        _save_on(cur, plan, min(a.status_date for a in plan if a.status_date), replace_all=False, delete_ids=set(),
                 row_dates=True)
    return True
