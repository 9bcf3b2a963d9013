"""The sustainable procurement action plan: actions, milestones, dated status, overdue flags and roll-ups.

Status is a dated log (`plan_action_status`): an action's status "as at" a date is its latest entry dated on
or before it, "not started" before the first. So setting the as-at date to a past Cabinet meeting shows
the plan as it stood then.

Overdue, precisely (the as-at date itself is never late):
- a milestone is overdue when its date is before the as-at date, its action is neither done nor dropped as
  at that date, and it was not marked done on or before the as-at date;
- an action is overdue when it is neither done nor dropped as at the date and either its due date is before
  the as-at date or one of its milestones is overdue. Actions and milestones without a date are never overdue.

Plans travel as one row per action, in CSV or XLSX (written with openpyxl, read with calamine); milestones
sit in one cell, a line each: `2010-12-31: text`, with ` [done 2010-12-20]` when reached.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar, Literal, get_args

import duckdb
import pandas as pd

from sp_analysis.config import PACKAGE_DATA_DIR
from sp_analysis.spend.filters import Filters, Part
from sp_analysis.sql import scalar_int
from sp_analysis.words import day
from sp_analysis.workspace import Workspace

Status = Literal["not started", "in progress", "done", "dropped"]
STATUSES: tuple[Status, ...] = get_args(Status)
CLOSED: frozenset[str] = frozenset({"done", "dropped"})

DATA_DIR = PACKAGE_DATA_DIR
SAMPLE_PLAN = DATA_DIR / "sample_action_plan.csv"

PLAN_COLUMNS = (
    "action_id", "title", "themes", "level", "timescale", "start_date", "due_date", "milestones", "measures",
    "resources", "officer", "status", "percent_complete", "status_date", "notes", "data_measures",
)
COLUMN_HELP = {
    "action_id": "Number of the action; leave blank for a new one.",
    "title": "What is to be done (required).",
    "themes": "Flexible Framework theme(s) the action serves, separated by semicolons.",
    "level": "Flexible Framework level (1 to 5) the action helps reach.",
    "timescale": "The timescale as written in the plan, e.g. 'April 2011 onwards'.",
    "start_date": "When work starts (YYYY-MM-DD).",
    "due_date": "When the action should be complete (YYYY-MM-DD); blank for ongoing or undated work.",
    "milestones": "One milestone a line: 'YYYY-MM-DD: text', or 'no date: text'; add ' [done YYYY-MM-DD]' when reached.",
    "measures": "Measures of success.",
    "resources": "Financial and resource requirements.",
    "officer": "Responsible officer(s), initials as in the plan; several separated by '/'.",
    "status": "not started, in progress, done or dropped.",
    "percent_complete": "0 to 100 (done is 100).",
    "status_date": "The date the status was true (YYYY-MM-DD); blank means the day of import.",
    "notes": "Anything else.",
    "data_measures": "Figures computed from the workspace to show beside the action: "
                     "contracts_over_100k, high_impact_spend, sme_vcse_share (separated by semicolons).",
}
MILESTONE_LINE = re.compile(
    r"^\s*(?P<due>\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{4}|no date)\s*:\s*(?P<text>.*?)"
    r"\s*(?:\[done (?P<done>\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{4})\])?\s*$",
    re.IGNORECASE,
)
OVERDUE_RULE = ("Overdue: a milestone dated before the as-at date whose action is neither done nor dropped, and which was "
                "not marked reached by then; an action that is neither done nor dropped whose due date, or one of whose "
                "milestones, is before the as-at date. Something due on the as-at date itself is not overdue, and "
                "nothing without a date is.")
OFFICER_SPLIT = re.compile(r"\s*(?:/|,|&|\band\b)\s*")


class ActionPlanError(ValueError):
    """An action plan, row or file that cannot be used; the message names the row and the cause."""


@dataclass(frozen=True)
class Milestone:
    """A dated step of an action; `done_on` is when it was reached, if it was."""

    milestone: str
    due_date: dt.date | None = None
    done_on: dt.date | None = None


@dataclass(frozen=True)
class Action:
    """One action of the plan, with its status as at some date."""

    action_id: int | None
    title: str
    themes: tuple[str, ...] = ()
    level: int | None = None
    timescale: str = ""
    start_date: dt.date | None = None
    due_date: dt.date | None = None
    measures: str = ""
    resources: str = ""
    officer: str = ""
    notes: str = ""
    data_measures: tuple[str, ...] = ()
    milestones: tuple[Milestone, ...] = ()
    status: Status = "not started"
    percent_complete: int = 0
    status_date: dt.date | None = None

    @property
    def officers(self) -> tuple[str, ...]:
        """Each responsible officer on their own ("JS/FM" is JS and FM)."""
        return tuple(o for o in OFFICER_SPLIT.split(self.officer.strip()) if o)


# --- overdue, the heart of the "as at" view ---------------------------------------------------------------


def is_milestone_overdue(milestone: Milestone, action_status: str, as_at: dt.date) -> bool:
    """Dated before the as-at date, its action not done or dropped, and not reached on or before the date."""
    return (
        milestone.due_date is not None
        and milestone.due_date < as_at
        and action_status not in CLOSED
        and (milestone.done_on is None or milestone.done_on > as_at)
    )


def is_action_overdue(action: Action, as_at: dt.date) -> bool:
    """Not done or dropped, and its due date is before the as-at date or one of its milestones is overdue."""
    if action.status in CLOSED:
        return False
    late = action.due_date is not None and action.due_date < as_at
    return late or any(is_milestone_overdue(m, action.status, as_at) for m in action.milestones)


def days_overdue(action: Action, as_at: dt.date) -> int:
    """Days since the earliest missed date (the action's or a milestone's); 0 if not overdue."""
    if not is_action_overdue(action, as_at):
        return 0
    missed = [m.due_date for m in action.milestones if m.due_date and is_milestone_overdue(m, action.status, as_at)]
    if action.due_date is not None and action.due_date < as_at:
        missed.append(action.due_date)
    return (as_at - min(missed)).days


# --- reading the plan -----------------------------------------------------------------------------------

SELECT_ACTIONS = """
SELECT action_id, title, themes, level, timescale, start_date, due_date, measures, resources, officer, notes,
       data_measures
FROM plan_actions ORDER BY action_id
"""
SELECT_MILESTONES = "SELECT action_id, milestone, due_date, done_on FROM plan_milestones ORDER BY action_id, position"
# Each action's status as at a date: its latest entry dated on or before it (a later entry of the same date wins).
STATUS_AS_AT = """
SELECT action_id, status, percent_complete, status_date
FROM plan_action_status
WHERE status_date <= $as_at
QUALIFY row_number() OVER (PARTITION BY action_id ORDER BY status_date DESC, entry_id DESC) = 1
"""
STATUS_LATEST = """
SELECT action_id, status, percent_complete, status_date
FROM plan_action_status
QUALIFY row_number() OVER (PARTITION BY action_id ORDER BY status_date DESC, entry_id DESC) = 1
"""
STATUS_HISTORY = """
SELECT s.action_id, a.title, s.status_date, s.status, s.percent_complete, s.recorded_at
FROM plan_action_status s JOIN plan_actions a USING (action_id)
ORDER BY s.action_id, s.status_date, s.entry_id
"""
KNOWN_THEMES = "SELECT theme FROM ff_criteria GROUP BY theme ORDER BY min(theme_order)"


def load_actions(ws: Workspace, as_at: dt.date | None = None) -> list[Action]:
    """Every action with its milestones, and its status as at the date (the latest status when None)."""
    with ws.read() as cur:
        return _load_actions_on(cur, as_at)


def status_history(ws: Workspace) -> pd.DataFrame:
    """Every dated status entry, action by action, oldest first."""
    with ws.read() as cur:
        return cur.execute(STATUS_HISTORY).df()


def action_counts(ws: Workspace, as_at: dt.date) -> dict[str, int]:
    """How many actions there are, and how many are done, in progress and overdue as at the date."""
    plan = load_actions(ws, as_at)
    return {
        "total": len(plan),
        "done": sum(a.status == "done" for a in plan),
        "in_progress": sum(a.status == "in progress" for a in plan),
        "overdue": sum(is_action_overdue(a, as_at) for a in plan),
    }


def officer_names(ws: Workspace) -> list[str]:
    """Every responsible officer named in the plan, each on their own, sorted."""
    return sorted({o for a in load_actions(ws) for o in a.officers})


def plan_themes(ws: Workspace) -> list[str]:
    """The framework's themes (in its order), then any other theme an action names."""
    with ws.read() as cur:
        known = [t for (t,) in cur.execute(KNOWN_THEMES).fetchall()]
    extra = sorted({t for a in load_actions(ws) for t in a.themes} - set(known))
    return known + extra


# --- filters --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanFilter(Filters):
    """Which actions to show; it words itself for captions and names export files."""

    themes: tuple[str, ...] = ()
    levels: tuple[int, ...] = ()
    officers: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    overdue_only: bool = False

    # The plan is filtered over its loaded actions, not in SQL: no part has a column.
    PARTS: ClassVar[tuple[Part, ...]] = (
        Part("themes", "", "theme", "themes", sep=" ", joiner=" or "),
        Part("levels", "", "level", "levels", sep=" ", joiner=" or "),
        Part("officers", "", "officer", "officers", sep=" ", joiner=" or "),
        Part("statuses", "", "status", sep=" ", joiner=" or ", counted="statuses"),
    )
    ALL_WORDS: ClassVar[str] = "all actions"
    ALL_SLUG: ClassVar[str] = "all-actions"

    def _extras(self) -> list[tuple[str, str]]:
        return [("overdue only", "overdue-only")] if self.overdue_only else []

    def keeps(self, action: Action, as_at: dt.date) -> bool:
        """True if the action passes every part of the filter (an empty part lets everything through)."""
        return (
            (not self.themes or bool(set(self.themes) & set(action.themes)))
            and (not self.levels or action.level in self.levels)
            and (not self.officers or bool(set(self.officers) & set(action.officers)))
            and (not self.statuses or action.status in self.statuses)
            and (not self.overdue_only or is_action_overdue(action, as_at))
        )


def filtered_actions(ws: Workspace, as_at: dt.date, plan_filter: PlanFilter | None = None) -> list[Action]:
    """The actions the filter keeps, with status as at the date."""
    plan_filter = plan_filter or PlanFilter()
    return [a for a in load_actions(ws, as_at) if plan_filter.keeps(a, as_at)]


# --- tables and roll-ups for the pages ------------------------------------------------------------------


def actions_table(ws: Workspace, as_at: dt.date, plan_filter: PlanFilter | None = None) -> pd.DataFrame:
    """One row per action as at the date: the editable fields plus overdue, days overdue and next milestone."""
    rows = []
    for a in filtered_actions(ws, as_at, plan_filter):
        upcoming = [m for m in a.milestones if m.due_date and m.due_date >= as_at and (m.done_on is None or m.done_on > as_at)]
        nxt = min(upcoming, key=lambda m: m.due_date or dt.date.max, default=None)
        rows.append({
            "action_id": a.action_id, "title": a.title, "themes": "; ".join(a.themes), "level": a.level,
            "officer": a.officer, "status": a.status, "percent_complete": a.percent_complete,
            "start_date": a.start_date, "due_date": a.due_date, "timescale": a.timescale,
            "overdue": is_action_overdue(a, as_at), "days_overdue": days_overdue(a, as_at),
            "milestones_overdue": sum(is_milestone_overdue(m, a.status, as_at) for m in a.milestones),
            "next_milestone": f"{day(nxt.due_date)}: {nxt.milestone}" if nxt and nxt.due_date else "",
            "measures": a.measures, "resources": a.resources, "notes": a.notes,
            "status_date": a.status_date, "data_measures": "; ".join(a.data_measures),
        })
    return _with_dates(pd.DataFrame.from_records(rows, columns=ACTIONS_TABLE_COLUMNS), "start_date", "due_date", "status_date")


ACTIONS_TABLE_COLUMNS = [
    "action_id", "title", "themes", "level", "officer", "status", "percent_complete", "start_date", "due_date",
    "timescale", "overdue", "days_overdue", "milestones_overdue", "next_milestone", "measures", "resources", "notes",
    "status_date", "data_measures",
]
MILESTONES_TABLE_COLUMNS = ["action_id", "action", "position", "milestone", "due_date", "done_on", "status", "overdue"]


def milestones_table(ws: Workspace, as_at: dt.date, plan_filter: PlanFilter | None = None) -> pd.DataFrame:
    """One row per milestone of the filtered actions, with its action's status and whether it is overdue."""
    rows = [
        {"action_id": a.action_id, "action": a.title, "position": i, "milestone": m.milestone, "due_date": m.due_date,
         "done_on": m.done_on, "status": a.status, "overdue": is_milestone_overdue(m, a.status, as_at)}
        for a in filtered_actions(ws, as_at, plan_filter) for i, m in enumerate(a.milestones, start=1)
    ]
    return _with_dates(pd.DataFrame.from_records(rows, columns=MILESTONES_TABLE_COLUMNS), "due_date", "done_on")


def plan_rollup(ws: Workspace, as_at: dt.date, by: Literal["level", "theme", "officer"],
                plan_filter: PlanFilter | None = None) -> pd.DataFrame:
    """Actions counted by level, theme or officer as at the date: total, each status, and overdue.

    An action with two themes (or two officers) counts once under each, so the theme rows can add up to more
    than the number of actions.
    """
    counts: dict[Any, dict[str, int]] = {}
    for a in filtered_actions(ws, as_at, plan_filter):
        keys: Sequence[Any]
        if by == "level":
            keys = [a.level if a.level is not None else 0]
        elif by == "theme":
            keys = a.themes or ("(no theme)",)
        else:
            keys = a.officers or ("(no officer)",)
        for key in keys:
            row = counts.setdefault(key, {"total": 0, **{s: 0 for s in STATUSES}, "overdue": 0})
            row["total"] += 1
            row[a.status] += 1
            row["overdue"] += is_action_overdue(a, as_at)
    frame = pd.DataFrame.from_dict(counts, orient="index", columns=["total", *STATUSES, "overdue"])
    frame.index.name = by
    frame = frame.reset_index()
    if by == "theme":
        order = {t: i for i, t in enumerate(plan_themes(ws))}
        frame = frame.sort_values(by, key=lambda s: s.map(lambda t: order.get(t, len(order))), kind="stable")
    else:
        frame = frame.sort_values(by, kind="stable")
    return frame.reset_index(drop=True)


# --- writing the plan -----------------------------------------------------------------------------------

DELETE_ACTION = "DELETE FROM plan_actions WHERE action_id = $action_id"
DELETE_MILESTONES = "DELETE FROM plan_milestones WHERE action_id = $action_id"
DELETE_STATUS = "DELETE FROM plan_action_status WHERE action_id = $action_id"
INSERT_ACTION = """
INSERT INTO plan_actions (action_id, title, themes, level, timescale, start_date, due_date, measures, resources,
                          officer, notes, data_measures)
VALUES ($action_id, $title, $themes, $level, $timescale, $start_date, $due_date, $measures, $resources, $officer,
        $notes, $data_measures)
"""
INSERT_MILESTONE = "INSERT INTO plan_milestones VALUES ($action_id, $position, $milestone, $due_date, $done_on)"
INSERT_STATUS = """
INSERT INTO plan_action_status VALUES (nextval('plan_status_seq'), $action_id, $status_date, $status, $percent,
                                       current_localtimestamp())
"""
MAX_ACTION_ID = "SELECT coalesce(max(action_id), 0) FROM plan_actions"
COUNT_ACTIONS = "SELECT count(*) FROM plan_actions"
ACTION_IDS = "SELECT action_id FROM plan_actions"


def save_actions(
    ws: Workspace, plan: Iterable[Action], status_date: dt.date, *, replace_all: bool = False,
    delete_ids: Iterable[int] = (), row_dates: bool = False,
) -> list[int]:
    """Add or update actions (new ones get the next free number); returns their ids in order.

    A status or percentage that differs from the action's status as at `status_date` is logged with that
    date (the actions' own `status_date` is ignored unless `row_dates`, as for a plan file whose rows say
    when: then each action's status is logged at its own date, `status_date` standing in where none is given); earlier entries
    stay, so the plan can still be seen as it was. `replace_all` makes these the whole plan; `delete_ids`
    removes actions (with their milestones and status log).
    """
    plan = [_checked(a) for a in plan]
    with ws.write() as cur:
        known = _known_themes(cur)
        problems = [f"action {a.action_id or a.title!r}: {p}" for a in plan for p in _theme_problems(a, known)]
        if problems:
            raise ActionPlanError("; ".join(problems[:10]) + ".")
        return _save_on(cur, plan, status_date, replace_all=replace_all, delete_ids=set(delete_ids),
                        row_dates=row_dates)


def save_milestone_edits(ws: Workspace, edited: pd.DataFrame, shown_action_ids: Iterable[int]) -> int:
    """Replace the milestones of the shown actions with an edited milestones table; returns how many saved.

    Columns: action_id, milestone, due_date, done_on (position is the row order within each action).
    """
    shown = set(shown_action_ids)
    by_action: dict[int, list[Milestone]] = {i: [] for i in shown}
    problems = []
    for i, row in enumerate(edited.to_dict("records"), start=1):
        text = _text(row.get("milestone"))
        if not text and _blank(row.get("action_id")):
            continue
        try:
            action_id = _to_int(row.get("action_id"), "action_id")
            if action_id is None:
                raise ActionPlanError("action_id is empty")
            due = _to_date(row.get("due_date"), "due_date")
            done = _to_date(row.get("done_on"), "done_on")
        except ActionPlanError as exc:
            problems.append(f"row {i}: {exc}")
            continue
        if not text:
            problems.append(f"row {i}: the milestone text is empty")
        if action_id not in shown:
            problems.append(f"row {i}: action {action_id} is not one of the actions shown")
        by_action.setdefault(action_id, []).append(Milestone(text, due, done))
    if problems:
        raise ActionPlanError("; ".join(problems[:10]) + ".")
    with ws.write() as cur:
        for action_id, milestones in by_action.items():
            cur.execute(DELETE_MILESTONES, {"action_id": action_id})
            _insert_milestones(cur, action_id, milestones)
    return sum(len(m) for m in by_action.values())


# --- helpers --------------------------------------------------------------------------------------------


def _load_actions_on(cur: duckdb.DuckDBPyConnection, as_at: dt.date | None) -> list[Action]:
    milestones: dict[int, list[Milestone]] = {}
    for action_id, text, due, done in cur.execute(SELECT_MILESTONES).fetchall():
        milestones.setdefault(action_id, []).append(Milestone(text, due, done))
    status_rows = cur.execute(STATUS_LATEST).fetchall() if as_at is None else cur.execute(STATUS_AS_AT, {"as_at": as_at}).fetchall()
    status = {action_id: (s, int(p), d) for action_id, s, p, d in status_rows}
    plan = []
    for (action_id, title, themes, level, timescale, start, due, measures, resources, officer, notes,
         data) in cur.execute(SELECT_ACTIONS).fetchall():
        s, p, d = status.get(action_id, ("not started", 0, None))
        plan.append(Action(action_id, title, tuple(themes or ()), level, timescale, start, due, measures, resources, officer,
                           notes, tuple(data or ()), tuple(milestones.get(action_id, ())), s, p, d))
    return plan


def _save_on(cur: duckdb.DuckDBPyConnection, plan: list[Action], status_date: dt.date, *, replace_all: bool,
             delete_ids: set[int], row_dates: bool = False) -> list[int]:
    existing = {i for (i,) in cur.execute(ACTION_IDS).fetchall()}
    next_id = max([scalar_int(cur, MAX_ACTION_ID), *[a.action_id or 0 for a in plan]]) + 1
    keep = {a.action_id for a in plan if a.action_id is not None}
    for action_id in (existing - keep if replace_all else set()) | (delete_ids - keep):
        _delete_on(cur, action_id)
    ids = []
    for action in plan:
        if action.action_id is None:
            action = replace(action, action_id=next_id)
            next_id += 1
        assert action.action_id is not None
        when = (action.status_date if row_dates else None) or status_date
        before = cur.execute(STATUS_AS_AT, {"as_at": when}).fetchall()
        previous = next(((s, int(p)) for i, s, p, _ in before if i == action.action_id), None)
        cur.execute(DELETE_ACTION, {"action_id": action.action_id})
        cur.execute(DELETE_MILESTONES, {"action_id": action.action_id})
        cur.execute(INSERT_ACTION, {
            "action_id": action.action_id, "title": action.title, "themes": list(action.themes), "level": action.level,
            "timescale": action.timescale, "start_date": action.start_date, "due_date": action.due_date,
            "measures": action.measures, "resources": action.resources, "officer": action.officer, "notes": action.notes,
            "data_measures": list(action.data_measures)})
        _insert_milestones(cur, action.action_id, action.milestones)
        current = (action.status, action.percent_complete)
        if previous != current and not (previous is None and current == ("not started", 0) and action.action_id in existing):
            cur.execute(INSERT_STATUS, {"action_id": action.action_id, "status_date": when, "status": action.status,
                                        "percent": action.percent_complete})
        ids.append(action.action_id)
    return ids


def _delete_on(cur: duckdb.DuckDBPyConnection, action_id: int) -> None:
    for sql in (DELETE_ACTION, DELETE_MILESTONES, DELETE_STATUS):
        cur.execute(sql, {"action_id": action_id})


def _insert_milestones(cur: duckdb.DuckDBPyConnection, action_id: int, milestones: Iterable[Milestone]) -> None:
    for position, m in enumerate(milestones, start=1):
        cur.execute(INSERT_MILESTONE, {"action_id": action_id, "position": position, "milestone": m.milestone,
                                       "due_date": m.due_date, "done_on": m.done_on})


def _checked(action: Action) -> Action:
    if not action.title.strip():
        raise ActionPlanError("the title is empty")
    if action.status not in STATUSES:
        raise ActionPlanError(f"status {action.status!r} is not one of {', '.join(STATUSES)}")
    if action.level is not None and not 1 <= action.level <= 5:
        raise ActionPlanError(f"level {action.level} is not 1 to 5")
    if not 0 <= action.percent_complete <= 100:
        raise ActionPlanError(f"percent_complete {action.percent_complete} is not 0 to 100")
    if action.start_date and action.due_date and action.due_date < action.start_date:
        raise ActionPlanError(f"{action.title!r} is due ({action.due_date}) before it starts ({action.start_date})")
    return replace(action, percent_complete=100) if action.status == "done" else action


def _known_themes(cur: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return {t.lower(): t for (t,) in cur.execute(KNOWN_THEMES).fetchall()}


def _theme_problems(action: Action, known: dict[str, str]) -> list[str]:
    if not known:  # no framework installed: any theme name is accepted
        return []
    unknown = [t for t in action.themes if t.lower() not in known]
    return [f"theme {t!r} is not one of {', '.join(known.values())}" for t in unknown]


def _with_dates(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """Date columns as datetime64, so a missing date is NaT (shown blank) rather than None."""
    for column in columns:
        frame[column] = pd.to_datetime(frame[column]).astype("datetime64[s]")
    return frame


def _blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(pd.isna(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def _text(value: object) -> str:
    return "" if _blank(value) else str(value).strip()


def _split(value: object) -> tuple[str, ...]:
    if _blank(value):
        return ()
    if isinstance(value, (list, tuple)):
        return tuple(str(v).strip() for v in value if str(v).strip())
    return tuple(part.strip() for part in re.split(r"[;\n]", str(value)) if part.strip())


def _to_int(value: object, what: str) -> int | None:
    if _blank(value):
        return None
    try:
        number = float(str(value).strip().rstrip("%"))
    except ValueError:
        raise ActionPlanError(f"{what} {value!r} is not a whole number") from None
    if number != int(number):
        raise ActionPlanError(f"{what} {value!r} is not a whole number")
    return int(number)


def _to_date(value: object, what: str) -> dt.date | None:
    if _blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, pd.Timestamp):
        return value.date()
    text = str(value).strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ActionPlanError(f"{what} {text!r} is not a date (use YYYY-MM-DD or DD/MM/YYYY)")


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)
