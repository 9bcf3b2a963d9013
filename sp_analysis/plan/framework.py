"""The Flexible Framework: criteria, dated self-assessments, targets and the level each theme has reached.

The criteria are data (`data/flexible_framework.csv`, replaceable by a council's own file). An assessment
is a dated snapshot of one theme: it copies every criterion of the theme as it stood, with whether it was
met and the evidence, so later edits to the criteria never change history and an earlier report can be
reproduced by asking for the state "as at" its date.

A level counts as achieved when all of its criteria and all of those of every level below it are met.
The sources do not spell this rule out; it is the usual reading, and the pages state it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import duckdb
import pandas as pd

from sp_analysis.config import PACKAGE_DATA_DIR
from sp_analysis.exports import csv_cell, restore_csv_bytes
from sp_analysis.plan import actions, plan_files
from sp_analysis.sql import scalar_int
from sp_analysis.words import and_list, long_day
from sp_analysis.workspace import Workspace

DATA_DIR = PACKAGE_DATA_DIR
DEFAULT_FRAMEWORK = DATA_DIR / "flexible_framework.csv"
SAMPLE_TARGETS = DATA_DIR / "sample_targets.csv"
SAMPLE_ASSESSMENT = DATA_DIR / "sample_assessment.csv"
FRAMEWORK_COLUMNS = ("theme", "level", "level_name", "criterion_id", "criterion", "source_note")
LEVELS = (1, 2, 3, 4, 5)
DEFAULT_LEVEL_NAMES = {1: "Foundation", 2: "Embed", 3: "Practice", 4: "Enhance", 5: "Lead"}
LEVEL_RULE = ("A level is achieved when every criterion of that level, and of every level below it, is met. "
              "Criteria met at a higher level count only once the levels below are complete.")

LevelStatus = Literal["met", "partly met", "not met"]


class FrameworkError(ValueError):
    """A framework file, assessment or target that cannot be used; the message names the row and the cause."""


@dataclass(frozen=True)
class Criterion:
    """One criterion of one cell (theme x level) of the framework."""

    theme: str
    level: int
    level_name: str
    criterion_id: str
    criterion: str
    source_note: str = ""


@dataclass(frozen=True)
class AssessmentItem:
    """The assessor's answer for one criterion: met or not, and the evidence."""

    criterion_id: str
    met: bool
    evidence: str = ""
    links: str = ""


@dataclass(frozen=True)
class LevelState:
    """How much of one level of one theme is met."""

    level: int
    level_name: str
    criteria: int
    met: int
    unmet_ids: tuple[str, ...] = ()

    @property
    def status(self) -> LevelStatus:
        if self.criteria and self.met == self.criteria:
            return "met"
        return "partly met" if self.met else "not met"


@dataclass(frozen=True)
class ThemeState:
    """A theme as at a date: its latest assessment on or before that date, level by level."""

    theme: str
    levels: tuple[LevelState, ...]
    achieved: int
    explanation: str
    assessment_id: int | None = None
    assessed_on: dt.date | None = None
    assessor: str = ""


@dataclass(frozen=True)
class Target:
    """A level a theme should reach by a date."""

    theme: str
    level: int
    target_date: dt.date
    note: str = ""


@dataclass(frozen=True)
class TargetGap:
    """What stands between a theme and its current target, and the actions meant to close the gap."""

    theme: str
    achieved: int
    target: Target | None
    standing: str
    unmet: tuple[tuple[str, int, str], ...] = ()
    actions: tuple[dict[str, Any], ...] = field(default_factory=tuple)


# --- SQL -----------------------------------------------------------------------------------------------

COUNT_CRITERIA = "SELECT count(*) FROM ff_criteria"
DELETE_CRITERIA = "DELETE FROM ff_criteria"
INSERT_CRITERION = """
INSERT INTO ff_criteria (theme, theme_order, level, level_name, criterion_id, position, criterion, source_note)
VALUES ($theme, $theme_order, $level, $level_name, $criterion_id, $position, $criterion, $source_note)
"""
SELECT_CRITERIA = """
SELECT theme, level, level_name, criterion_id, criterion, source_note
FROM ff_criteria ORDER BY theme_order, level, position
"""
SELECT_THEME_CRITERIA = """
SELECT criterion_id, level, position, criterion FROM ff_criteria WHERE theme = $theme ORDER BY level, position
"""
NEXT_ASSESSMENT_ID = "SELECT nextval('ff_assessment_seq')"
INSERT_ASSESSMENT = """
INSERT INTO ff_assessments (assessment_id, theme, assessed_on, assessor, note, recorded_at)
VALUES ($assessment_id, $theme, $assessed_on, $assessor, $note, current_localtimestamp())
"""
INSERT_ASSESSMENT_ITEM = """
INSERT INTO ff_assessment_items (assessment_id, criterion_id, level, position, criterion, met, evidence, links)
VALUES ($assessment_id, $criterion_id, $level, $position, $criterion, $met, $evidence, $links)
"""
# The latest assessment of each theme dated on or before the as-at date; a later entry of the same date wins.
LATEST_ASSESSMENTS = """
SELECT assessment_id, theme, assessed_on, assessor
FROM ff_assessments
WHERE assessed_on <= $as_at
QUALIFY row_number() OVER (PARTITION BY theme ORDER BY assessed_on DESC, assessment_id DESC) = 1
"""
ALL_ASSESSMENTS = """
SELECT assessment_id, theme, assessed_on, assessor, note, recorded_at
FROM ff_assessments ORDER BY assessed_on, assessment_id
"""
ASSESSMENT_ITEMS = """
SELECT assessment_id, criterion_id, level, criterion, met, evidence, links
FROM ff_assessment_items ORDER BY assessment_id, level, position
"""
COUNT_ASSESSMENTS = "SELECT count(*) FROM ff_assessments"
SELECT_TARGETS = """
SELECT t.theme, t.level, t.target_date, t.note
FROM ff_targets t LEFT JOIN (SELECT DISTINCT theme, theme_order FROM ff_criteria) c USING (theme)
ORDER BY c.theme_order NULLS LAST, t.theme, t.target_date, t.level
"""
COUNT_TARGETS = "SELECT count(*) FROM ff_targets"
DELETE_TARGETS = "DELETE FROM ff_targets"
INSERT_TARGET = "INSERT INTO ff_targets VALUES ($theme, $level, $target_date, $note)"


# --- the criteria --------------------------------------------------------------------------------------


def install_framework(ws: Workspace) -> bool:
    """Install the bundled criteria into a workspace that has none; True if it did (idempotent)."""
    with ws.read() as cur:
        if scalar_int(cur, COUNT_CRITERIA):
            return False
    criteria = parse_framework_csv(DEFAULT_FRAMEWORK.read_bytes(), DEFAULT_FRAMEWORK.name)
    with ws.write() as cur:
        if scalar_int(cur, COUNT_CRITERIA):  # another session got there first
            return False
        _insert_criteria(cur, criteria)
    return True


def load_criteria(ws: Workspace) -> list[Criterion]:
    """Every criterion, in theme order, then level, then the order of the file."""
    with ws.read() as cur:
        return [Criterion(theme, int(level), level_name, cid, text, note or "")
                for theme, level, level_name, cid, text, note in cur.execute(SELECT_CRITERIA).fetchall()]


def theme_names(ws: Workspace) -> list[str]:
    """The framework's themes in the order of its file."""
    seen: dict[str, None] = {}
    for criterion in load_criteria(ws):
        seen.setdefault(criterion.theme, None)
    return list(seen)


def level_names(ws: Workspace) -> dict[int, str]:
    """Level number to name (Foundation ... Lead, or the council's own)."""
    names = dict(DEFAULT_LEVEL_NAMES)
    for criterion in load_criteria(ws):
        names[criterion.level] = criterion.level_name
    return names


def parse_framework_csv(data: bytes, name: str) -> list[Criterion]:
    """Criteria from a framework CSV; refused whole, naming every problem, if any row is unusable."""
    data = restore_csv_bytes(data)  # the app's own export neutralised formula-like text: take that off
    rows = _csv_rows(data, name, FRAMEWORK_COLUMNS, optional=("source_note",))
    criteria: list[Criterion] = []
    problems: list[str] = []
    seen: set[tuple[str, str]] = set()
    names: dict[int, str] = {}
    for line, row in rows:
        theme, cid, text, level_name = row["theme"], row["criterion_id"], row["criterion"], row["level_name"]
        try:
            level = int(row["level"])
        except ValueError:
            problems.append(f"line {line}: level {row['level']!r} is not a whole number 1 to 5")
            continue
        if level not in LEVELS:
            problems.append(f"line {line}: level {level} is not 1 to 5")
            continue
        if not theme:
            problems.append(f"line {line}: the theme is empty")
        if not cid:
            problems.append(f"line {line}: the criterion_id is empty")
        elif (theme.lower(), cid.lower()) in seen:
            problems.append(f"line {line}: criterion {cid} appears twice in {theme}")
        if not text:
            problems.append(f"line {line}: the criterion text is empty")
        if not level_name:
            problems.append(f"line {line}: the level_name is empty")
        elif names.setdefault(level, level_name) != level_name:
            problems.append(f"line {line}: level {level} is called {level_name!r} here but {names[level]!r} above")
        seen.add((theme.lower(), cid.lower()))
        criteria.append(Criterion(theme, level, level_name, cid, text, row.get("source_note", "")))
    if not criteria and not problems:
        problems.append("it holds no criteria")
    for theme in dict.fromkeys(c.theme for c in criteria):
        missing = sorted(set(LEVELS) - {c.level for c in criteria if c.theme == theme})
        if missing:
            problems.append(f"{theme} has no criteria at level {', '.join(map(str, missing))} (every theme needs all five)")
    if problems:
        raise FrameworkError(f"{name}: " + "; ".join(problems[:10]) + ".")
    return criteria


def import_framework_csv(ws: Workspace, source: Path | bytes, name: str | None = None) -> int:
    """Replace the criteria with a council's own file; returns how many. Past assessments keep their copies."""
    data, label = _read_source(source, name)
    criteria = parse_framework_csv(data, label)
    with ws.write() as cur:
        cur.execute(DELETE_CRITERIA)
        _insert_criteria(cur, criteria)
    return len(criteria)


def export_framework_csv(ws: Workspace, path: Path | None = None) -> str:
    """The criteria as CSV text in the import format; also written to `path` when given."""
    rows = [(c.theme, str(c.level), c.level_name, c.criterion_id, c.criterion, c.source_note) for c in load_criteria(ws)]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(FRAMEWORK_COLUMNS)
    writer.writerows([csv_cell(cell) for cell in row] for row in rows)
    text = buffer.getvalue()
    if path is not None:
        path.write_text(text, encoding="utf-8")
    return text


# --- assessments ---------------------------------------------------------------------------------------


def record_assessment(
    ws: Workspace, theme: str, assessed_on: dt.date, assessor: str, items: Iterable[AssessmentItem], note: str = ""
) -> int:
    """Save a dated snapshot of one theme (never overwriting earlier ones); returns its id.

    Every criterion of the theme is copied into the snapshot; those not among `items` are recorded as not met.
    """
    with ws.write() as cur:
        return _record_assessment_on(cur, theme, assessed_on, assessor, list(items), note)


def level_states(items: Iterable[tuple[int, str, bool]], names: dict[int, str] | None = None) -> tuple[LevelState, ...]:
    """Each level's criteria and how many are met, from (level, criterion_id, met) triples."""
    names = names or DEFAULT_LEVEL_NAMES
    by_level: dict[int, list[tuple[str, bool]]] = {level: [] for level in LEVELS}
    for level, cid, met in items:
        by_level.setdefault(int(level), []).append((cid, bool(met)))
    return tuple(
        LevelState(level, names.get(level, DEFAULT_LEVEL_NAMES.get(level, f"Level {level}")), len(answers),
                   sum(met for _, met in answers), tuple(cid for cid, met in answers if not met))
        for level, answers in sorted(by_level.items())
    )


def achieved_level(levels: Sequence[LevelState]) -> int:
    """The highest level whose criteria, and those of every level below, are all met (0 if Level 1 is not)."""
    achieved = 0
    for state in sorted(levels, key=lambda s: s.level):
        if state.status != "met":
            break
        achieved = state.level
    return achieved


def explain_level(levels: Sequence[LevelState]) -> str:
    """Why a theme sits at its level, naming the criteria that hold it back and what they stop counting.

    For example: "Level 1 (Foundation): criterion 2.3 of Level 2 is not met, so Level 3's being met does not count."
    """
    ordered = sorted(levels, key=lambda s: s.level)
    achieved = achieved_level(ordered)
    head = f"Level {achieved} ({ordered[achieved - 1].level_name})" if achieved else "Level 0 (Foundation not yet reached)"
    if achieved == len(ordered):
        return f"{head}: every criterion of every level is met."
    blocker = ordered[achieved]
    if blocker.criteria == 0:
        why = f"Level {blocker.level} has no criteria to assess"
    elif blocker.met == 0 and blocker.criteria > 1:
        why = f"none of the {blocker.criteria} criteria of Level {blocker.level} is met yet"
    else:
        verb = "is" if len(blocker.unmet_ids) == 1 else "are"
        why = f"{_criteria_phrase(blocker.unmet_ids)} of Level {blocker.level} {verb} not met"
    above = ordered[achieved + 1:]
    met_above = [s.level for s in above if s.status == "met"]
    partly_above = [s.level for s in above if s.status == "partly met"]
    text = f"{head}: {why}"
    if len(met_above) == 1:
        text += f", so Level {met_above[0]}'s being met does not count"
    elif met_above:
        text += f", so Levels {and_list([str(x) for x in met_above])}, though met, do not count"
    text += "."
    if partly_above:
        label = "Level" if len(partly_above) == 1 else "Levels"
        text += (f" Criteria already met at {label} {and_list([str(x) for x in partly_above])} "
                 "will count once every level below is met.")
    return text


def theme_states(ws: Workspace, as_at: dt.date) -> list[ThemeState]:
    """Every theme as at the date, from its latest assessment dated on or before it (later ones ignored)."""
    criteria = load_criteria(ws)
    names = level_names(ws)
    with ws.read() as cur:
        latest = {theme: (aid, on, who) for aid, theme, on, who in cur.execute(LATEST_ASSESSMENTS, {"as_at": as_at}).fetchall()}
        items = _items_by_assessment(cur, [aid for aid, _, _ in latest.values()])
    themes = list(dict.fromkeys([c.theme for c in criteria] + sorted(latest)))
    states = []
    for theme in themes:
        if theme in latest:
            aid, on, who = latest[theme]
            levels = level_states([(lvl, cid, met) for cid, lvl, _, met, _, _ in items.get(aid, [])], names)
            states.append(ThemeState(theme, levels, achieved_level(levels), explain_level(levels), aid, on, who))
        else:
            levels = level_states([(c.level, c.criterion_id, False) for c in criteria if c.theme == theme], names)
            states.append(ThemeState(theme, levels, 0, f"Level 0: no assessment recorded on or before {long_day(as_at)}."))
    return states


def theme_state(ws: Workspace, theme: str, as_at: dt.date) -> ThemeState | None:
    """One theme as at the date, or None if the framework has no such theme."""
    return next((s for s in theme_states(ws, as_at) if s.theme == theme), None)


def latest_answers(ws: Workspace, theme: str, as_at: dt.date) -> dict[str, AssessmentItem]:
    """The answers of the theme's latest assessment on or before the date, by criterion_id (to prefill a form)."""
    with ws.read() as cur:
        latest = [aid for aid, t, _, _ in cur.execute(LATEST_ASSESSMENTS, {"as_at": as_at}).fetchall() if t == theme]
        items = _items_by_assessment(cur, latest)
    return {cid: AssessmentItem(cid, bool(met), evidence, links)
            for aid in latest for cid, _, _, met, evidence, links in items.get(aid, [])}


def assessment_history(ws: Workspace) -> pd.DataFrame:
    """Every saved assessment, oldest first, with the level it gave its theme."""
    names = level_names(ws)
    with ws.read() as cur:
        rows = cur.execute(ALL_ASSESSMENTS).fetchall()
        items = _items_by_assessment(cur, [r[0] for r in rows])
    records = []
    for aid, theme, on, who, note, recorded_at in rows:
        answers = items.get(aid, [])
        levels = level_states([(lvl, cid, met) for cid, lvl, _, met, _, _ in answers], names)
        records.append({
            "assessment_id": aid, "theme": theme, "assessed_on": on, "assessor": who,
            "criteria": len(answers), "met": sum(bool(a[3]) for a in answers), "achieved": achieved_level(levels),
            "explanation": explain_level(levels), "note": note, "recorded_at": recorded_at,
        })
    columns = ["assessment_id", "theme", "assessed_on", "assessor", "criteria", "met", "achieved", "explanation", "note",
               "recorded_at"]
    return pd.DataFrame.from_records(records, columns=columns)


def assessment_items(ws: Workspace, assessment_id: int) -> pd.DataFrame:
    """One snapshot's criteria as recorded: level, id, text, met, evidence and links."""
    with ws.read() as cur:
        items = _items_by_assessment(cur, [assessment_id]).get(assessment_id, [])
    return pd.DataFrame(items, columns=["criterion_id", "level", "criterion", "met", "evidence", "links"])


# --- targets -------------------------------------------------------------------------------------------


def load_targets(ws: Workspace) -> list[Target]:
    """Every target, theme by theme in framework order, earliest date first."""
    with ws.read() as cur:
        return [Target(theme, int(level), date, note or "") for theme, level, date, note in cur.execute(SELECT_TARGETS).fetchall()]


def save_targets(ws: Workspace, targets: Iterable[Target]) -> int:
    """Replace every target with these; returns how many. Refused whole if one names an unknown theme."""
    targets = list(targets)
    known = set(theme_names(ws))
    problems = []
    seen: set[tuple[str, int]] = set()
    for i, t in enumerate(targets, start=1):
        if t.theme not in known:
            problems.append(f"row {i}: {t.theme!r} is not a theme of the framework")
        if t.level not in LEVELS:
            problems.append(f"row {i}: level {t.level} is not 1 to 5")
        if not isinstance(t.target_date, dt.date):
            problems.append(f"row {i}: the target date is missing")
        if (t.theme, t.level) in seen:
            problems.append(f"row {i}: {t.theme} has two targets for Level {t.level}")
        seen.add((t.theme, t.level))
    if problems:
        raise FrameworkError("; ".join(problems[:10]) + ".")
    with ws.write() as cur:
        cur.execute(DELETE_TARGETS)
        _insert_targets(cur, targets)
    return len(targets)


def targets_from_frame(frame: pd.DataFrame) -> list[Target]:
    """Targets from an edited table (columns theme, level, target_date, note); blank rows are dropped."""
    targets = []
    problems = []
    for i, row in enumerate(frame.to_dict("records"), start=1):
        theme = str(row.get("theme") or "").strip()
        level, date = row.get("level"), row.get("target_date")
        if not theme and _blank(level) and _blank(date):
            continue
        if _blank(level) or _blank(date):
            problems.append(f"row {i}: a target needs a level and a date")
            continue
        note = "" if _blank(row.get("note")) else str(row.get("note"))
        targets.append(Target(theme, int(level), pd.Timestamp(date).date(), note))
    if problems:
        raise FrameworkError("; ".join(problems) + ".")
    return targets


def current_target(targets: Sequence[Target], theme: str, as_at: dt.date) -> Target | None:
    """The theme's target in force at the date: the earliest still due on or after it, else the last one."""
    own = sorted((t for t in targets if t.theme == theme), key=lambda t: (t.target_date, t.level))
    if not own:
        return None
    return next((t for t in own if t.target_date >= as_at), own[-1])


def target_standing(achieved: int, target: Target | None, as_at: dt.date) -> str:
    """In words: whether a theme has reached its target, is still in time, or has missed it."""
    if target is None:
        return "no target set"
    if achieved >= target.level:
        return "target reached"
    if target.target_date < as_at:
        return f"target missed: due {long_day(target.target_date)}"
    days = (target.target_date - as_at).days
    return "due today" if days == 0 else f"{days:,} day{'s' if days != 1 else ''} left"


# --- the summary, the matrix and the gaps ---------------------------------------------------------------


def framework_summary(ws: Workspace, as_at: dt.date) -> dict[str, Any]:
    """The figures behind `summary --json`'s "framework" as at a date (later assessments are ignored).

    A theme without a target reports target 0 and target_date None.
    """
    targets = load_targets(ws)
    themes: dict[str, dict[str, Any]] = {}
    for state in theme_states(ws, as_at):
        target = current_target(targets, state.theme, as_at)
        themes[state.theme] = {
            "achieved": state.achieved,
            "target": target.level if target else 0,
            "target_date": target.target_date.isoformat() if target else None,
        }
    return {"themes": themes, "actions": actions.action_counts(ws, as_at)}


def framework_matrix(ws: Workspace, as_at: dt.date) -> pd.DataFrame:
    """The 5 x 5 matrix as at a date: one row per theme and level, with its status and the target in force."""
    targets = load_targets(ws)
    records = []
    for order, state in enumerate(theme_states(ws, as_at)):
        target = current_target(targets, state.theme, as_at)
        for level in state.levels:
            records.append({
                "theme": state.theme, "theme_order": order, "level": level.level, "level_name": level.level_name,
                "criteria": level.criteria, "met": level.met, "status": level.status,
                "counts": level.level <= state.achieved, "achieved": state.achieved,
                "is_target": bool(target and target.level == level.level),
                "target_date": target.target_date if target else None,
            })
    return pd.DataFrame.from_records(records, columns=[
        "theme", "theme_order", "level", "level_name", "criteria", "met", "status", "counts", "achieved", "is_target",
        "target_date"])


def matrix_table(ws: Workspace, as_at: dt.date) -> pd.DataFrame:
    """The matrix in words, a theme a row and a level a column: the text alternative to the matrix chart."""
    matrix = framework_matrix(ws, as_at)
    cells = matrix.assign(cell=[
        f"{status.capitalize()} ({met} of {criteria}){', target' if target else ''}"
        for status, met, criteria, target in zip(matrix["status"], matrix["met"], matrix["criteria"], matrix["is_target"], strict=True)
    ])
    table = cells.pivot(index="theme", columns="level", values="cell").reindex(list(dict.fromkeys(matrix["theme"])))
    table.columns = [f"Level {c}" for c in table.columns]
    table.index.name = "Theme"
    return table.reset_index()


def targets_frame(ws: Workspace) -> pd.DataFrame:
    """The targets as an editable table: theme, level, target_date, note."""
    return pd.DataFrame([{"theme": t.theme, "level": t.level, "target_date": t.target_date, "note": t.note}
                         for t in load_targets(ws)], columns=["theme", "level", "target_date", "note"])


def current_against_target(ws: Workspace, as_at: dt.date) -> pd.DataFrame:
    """Per theme: level achieved, the target in force, its date, the gap in levels and the standing in words."""
    targets = load_targets(ws)
    records = []
    for state in theme_states(ws, as_at):
        target = current_target(targets, state.theme, as_at)
        records.append({
            "theme": state.theme, "achieved": state.achieved, "target": target.level if target else None,
            "target_date": target.target_date if target else None,
            "gap": max(target.level - state.achieved, 0) if target else None,
            "standing": target_standing(state.achieved, target, as_at),
            "assessed_on": state.assessed_on, "assessor": state.assessor, "explanation": state.explanation,
        })
    return pd.DataFrame.from_records(records, columns=[
        "theme", "achieved", "target", "target_date", "gap", "standing", "assessed_on", "assessor", "explanation"])


def progress_over_time(ws: Workspace, as_at: dt.date | None = None) -> pd.DataFrame:
    """The level each theme reached at each of its assessments (on or before `as_at` when given)."""
    history = assessment_history(ws)
    if as_at is not None:
        history = history[history["assessed_on"] <= as_at]
    return history[["theme", "assessed_on", "achieved", "assessor", "assessment_id"]].reset_index(drop=True)


def target_gaps(ws: Workspace, as_at: dt.date) -> list[TargetGap]:
    """For each theme, the criteria still unmet up to its target level and the plan's actions that address them.

    An action addresses a gap when it names the theme and its level lies above the level achieved and no
    higher than the target.
    """
    targets = load_targets(ws)
    plan = actions.load_actions(ws, as_at)
    criteria = load_criteria(ws)
    with ws.read() as cur:
        latest = {t: aid for aid, t, _, _ in cur.execute(LATEST_ASSESSMENTS, {"as_at": as_at}).fetchall()}
        items = _items_by_assessment(cur, list(latest.values()))
    gaps = []
    for state in theme_states(ws, as_at):
        target = current_target(targets, state.theme, as_at)
        top = target.level if target else 0
        if state.theme in latest:
            answers = [(cid, int(lvl), text, bool(met)) for cid, lvl, text, met, _, _ in items.get(latest[state.theme], [])]
        else:
            answers = [(c.criterion_id, c.level, c.criterion, False) for c in criteria if c.theme == state.theme]
        unmet = tuple((cid, lvl, text) for cid, lvl, text, met in answers if not met and lvl <= top)
        closing = tuple(
            {"action_id": a.action_id, "title": a.title, "level": a.level, "officer": a.officer, "status": a.status,
             "due_date": a.due_date, "overdue": actions.is_action_overdue(a, as_at)}
            for a in plan
            if state.theme in a.themes and a.level is not None and state.achieved < a.level <= max(top, 0)
        )
        gaps.append(TargetGap(state.theme, state.achieved, target, target_standing(state.achieved, target, as_at), unmet, closing))
    return gaps


# --- the sample plan (the council's 2010 resource plan) -------------------------------------------------


def install_sample_plan(ws: Workspace) -> bool:
    """Install the 2010 plan's actions, its Level 2 and Level 3 targets and a June 2010 baseline assessment,
    each only where the workspace has none; True if anything was installed (idempotent)."""
    install_framework(ws)
    installed = plan_files.install_sample_actions(ws)
    with ws.read() as cur:
        if scalar_int(cur, COUNT_TARGETS) and scalar_int(cur, COUNT_ASSESSMENTS):
            return installed
    targets = [Target(r["theme"], int(r["level"]), dt.date.fromisoformat(r["target_date"]), r["note"])
               for r in _csv_dicts(SAMPLE_TARGETS)]
    baseline: dict[tuple[str, dt.date, str, str], list[AssessmentItem]] = {}
    for r in _csv_dicts(SAMPLE_ASSESSMENT):
        key = (r["theme"], dt.date.fromisoformat(r["assessed_on"]), r["assessor"], r["note"])
        baseline.setdefault(key, []).append(
            AssessmentItem(r["criterion_id"], r["met"].lower() == "true", r["evidence"], r["links"]))
    with ws.write() as cur:
        if not scalar_int(cur, COUNT_TARGETS):
            _insert_targets(cur, targets)
        if not scalar_int(cur, COUNT_ASSESSMENTS):
            for (theme, on, who, note), items in baseline.items():
                _record_assessment_on(cur, theme, on, who, items, note)
    return True


# --- helpers -------------------------------------------------------------------------------------------


def _record_assessment_on(
    cur: duckdb.DuckDBPyConnection, theme: str, assessed_on: dt.date, assessor: str, items: list[AssessmentItem], note: str
) -> int:
    criteria = cur.execute(SELECT_THEME_CRITERIA, {"theme": theme}).fetchall()
    if not criteria:
        raise FrameworkError(f"{theme!r} is not a theme of the framework.")
    if not assessor.strip():
        raise FrameworkError("Say who made the assessment (the assessor).")
    if not isinstance(assessed_on, dt.date):
        raise FrameworkError("The assessment needs a date.")
    answers = {item.criterion_id: item for item in items}
    unknown = sorted(set(answers) - {c[0] for c in criteria})
    if unknown:
        raise FrameworkError(f"{theme} has no criterion {', '.join(unknown)}.")
    assessment_id = scalar_int(cur, NEXT_ASSESSMENT_ID)
    cur.execute(INSERT_ASSESSMENT, {"assessment_id": assessment_id, "theme": theme, "assessed_on": assessed_on,
                                    "assessor": assessor.strip(), "note": note.strip()})
    for cid, level, position, text in criteria:
        answer = answers.get(cid, AssessmentItem(cid, False))
        cur.execute(INSERT_ASSESSMENT_ITEM, {
            "assessment_id": assessment_id, "criterion_id": cid, "level": level, "position": position, "criterion": text,
            "met": bool(answer.met), "evidence": answer.evidence.strip(), "links": answer.links.strip()})
    return assessment_id


def _items_by_assessment(cur: duckdb.DuckDBPyConnection, ids: list[int]) -> dict[int, list[tuple[Any, ...]]]:
    wanted = set(ids)
    grouped: dict[int, list[tuple[Any, ...]]] = {}
    if not wanted:
        return grouped
    for aid, *rest in cur.execute(ASSESSMENT_ITEMS).fetchall():
        if aid in wanted:
            grouped.setdefault(aid, []).append(tuple(rest))
    return grouped


def _insert_criteria(cur: duckdb.DuckDBPyConnection, criteria: list[Criterion]) -> None:
    order: dict[str, int] = {}
    positions: dict[tuple[str, int], int] = {}
    for c in criteria:
        order.setdefault(c.theme, len(order))
        position = positions[(c.theme, c.level)] = positions.get((c.theme, c.level), 0) + 1
        cur.execute(INSERT_CRITERION, {"theme": c.theme, "theme_order": order[c.theme], "level": c.level,
                                       "level_name": c.level_name, "criterion_id": c.criterion_id, "position": position,
                                       "criterion": c.criterion, "source_note": c.source_note})


def _insert_targets(cur: duckdb.DuckDBPyConnection, targets: Iterable[Target]) -> None:
    for t in targets:
        cur.execute(INSERT_TARGET, {"theme": t.theme, "level": t.level, "target_date": t.target_date, "note": t.note})


def _csv_dicts(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


def _read_source(source: Path | bytes, name: str | None) -> tuple[bytes, str]:
    if isinstance(source, Path):
        try:
            return source.read_bytes(), name or source.name
        except OSError as exc:
            raise FrameworkError(f"{source.name} cannot be read ({exc.strerror or exc}).") from exc
    return source, name or "the uploaded file"


def _csv_rows(data: bytes, name: str, columns: tuple[str, ...], optional: tuple[str, ...] = ()) -> list[tuple[int, dict[str, str]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252")
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in columns if c not in header and c not in optional]
    if missing:
        raise FrameworkError(f"{name}: the header lacks {', '.join(missing)} (expected {','.join(columns)}).")
    reader.fieldnames = header
    rows = []
    for line, raw in enumerate(reader, start=2):
        row = {c: (raw.get(c) or "").strip() for c in columns}
        if any(row.values()):
            rows.append((line, row))
    return rows


def _criteria_phrase(ids: Sequence[str]) -> str:
    if len(ids) == 1:
        return f"criterion {ids[0]}"
    shown = list(ids[:4])
    if len(ids) > 4:
        return f"criteria {', '.join(shown)} and {len(ids) - 4} more"
    return f"criteria {and_list(shown)}"




def _blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
