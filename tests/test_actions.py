"""The action plan: overdue at date edges, dated status, edits, CSV and XLSX round trips, the 2010 sample against
the seed plan, roll-ups, filters and the measures computed from the data."""

from __future__ import annotations

import datetime as dt
import io
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from sp_analysis.ingest.load import load_file
from sp_analysis.plan import actions, framework, measures, plan_files
from sp_analysis.plan.actions import Action, ActionPlanError, Milestone, PlanFilter
from sp_analysis.workspace import Workspace
from tests.conftest import ROOT

D = dt.date
AS_AT = D(2011, 4, 1)
YESTERDAY, TODAY, TOMORROW = AS_AT - dt.timedelta(days=1), AS_AT, AS_AT + dt.timedelta(days=1)
SEED = ROOT.parent / "shared" / "seed" / "sustainable-procurement-resource-plan-2010.txt"
THEMES = ["People", "Policy, Strategy and Communications", "Procurement Process", "Engaging Suppliers",
          "Measurement and Results"]


@pytest.fixture
def plan_ws(ws: Workspace) -> Workspace:
    """A workspace with the bundled framework and no plan."""
    framework.install_framework(ws)
    return ws


def action(**changes: object) -> Action:
    base = Action(None, "Write the policy", ("People",), 2, start_date=D(2010, 6, 1), officer="JS/FM")
    return Action(**{**base.__dict__, **changes})  # type: ignore[arg-type]


# --- overdue at the edges --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("due", "overdue"), [(YESTERDAY, True), (TODAY, False), (TOMORROW, False), (None, False)])
def test_a_milestone_is_overdue_only_once_its_date_is_before_the_as_at_date(due: dt.date | None, overdue: bool) -> None:
    milestone = Milestone("Toolkit launched", due)
    assert actions.is_milestone_overdue(milestone, "in progress", AS_AT) is overdue
    assert actions.is_milestone_overdue(milestone, "not started", AS_AT) is overdue
    assert actions.is_milestone_overdue(milestone, "done", AS_AT) is False
    assert actions.is_milestone_overdue(milestone, "dropped", AS_AT) is False


@pytest.mark.parametrize(("done_on", "overdue"), [(YESTERDAY, False), (TODAY, False), (TOMORROW, True), (None, True)])
def test_a_milestone_reached_on_or_before_the_as_at_date_is_not_overdue(done_on: dt.date | None, overdue: bool) -> None:
    milestone = Milestone("Toolkit launched", D(2010, 12, 31), done_on)
    assert actions.is_milestone_overdue(milestone, "in progress", AS_AT) is overdue


@pytest.mark.parametrize(("due", "status", "overdue"), [
    (YESTERDAY, "not started", True), (YESTERDAY, "in progress", True), (YESTERDAY, "done", False),
    (YESTERDAY, "dropped", False), (TODAY, "not started", False), (TOMORROW, "in progress", False), (None, "not started", False),
])
def test_an_action_is_overdue_when_its_due_date_is_before_the_as_at_date(due: dt.date | None, status: str, overdue: bool) -> None:
    assert actions.is_action_overdue(action(due_date=due, status=status), AS_AT) is overdue


def test_an_action_due_later_is_overdue_when_one_of_its_milestones_is() -> None:
    late = action(due_date=D(2012, 4, 30), milestones=(Milestone("First step", YESTERDAY), Milestone("Second", D(2012, 4, 30))))
    assert actions.is_action_overdue(late, AS_AT) is True
    assert actions.days_overdue(late, AS_AT) == 1
    assert actions.is_action_overdue(late, YESTERDAY) is False
    assert actions.days_overdue(late, YESTERDAY) == 0
    reached = action(due_date=D(2012, 4, 30), milestones=(Milestone("First step", YESTERDAY, YESTERDAY),))
    assert actions.is_action_overdue(reached, AS_AT) is False


def test_overdue_counts_follow_the_status_as_at_the_date(plan_ws: Workspace) -> None:
    [a, b, c] = actions.save_actions(plan_ws, [
        action(title="Due yesterday", due_date=YESTERDAY),
        action(title="Due today", due_date=TODAY),
        action(title="Due tomorrow", due_date=TOMORROW),
    ], D(2010, 6, 1))
    assert actions.action_counts(plan_ws, AS_AT) == {"total": 3, "done": 0, "in_progress": 0, "overdue": 1}
    assert actions.action_counts(plan_ws, TOMORROW) == {"total": 3, "done": 0, "in_progress": 0, "overdue": 2}
    # Done on the as-at date: no longer overdue from that date, still overdue the day before.
    current = {x.action_id: x for x in actions.load_actions(plan_ws)}
    actions.save_actions(plan_ws, [Action(**{**current[a].__dict__, "status": "done"})], AS_AT)
    assert actions.action_counts(plan_ws, AS_AT) == {"total": 3, "done": 1, "in_progress": 0, "overdue": 0}
    assert actions.action_counts(plan_ws, YESTERDAY) == {"total": 3, "done": 0, "in_progress": 0, "overdue": 0}
    assert {b, c} == {a + 1, a + 2}


# --- status as a dated log ---------------------------------------------------------------------------------------


def test_status_is_logged_by_date_and_read_as_at_a_date(plan_ws: Workspace) -> None:
    [action_id] = actions.save_actions(plan_ws, [action()], D(2010, 6, 1))
    original = actions.load_actions(plan_ws)[0]
    actions.save_actions(plan_ws, [Action(**{**original.__dict__, "status": "in progress", "percent_complete": 40})], D(2010, 9, 1))
    actions.save_actions(plan_ws, [Action(**{**original.__dict__, "status": "done", "percent_complete": 40})], D(2011, 1, 15))

    def status(on: dt.date) -> tuple[str, int]:
        [a] = actions.load_actions(plan_ws, on)
        return a.status, a.percent_complete

    assert status(D(2010, 5, 31)) == ("not started", 0)
    assert status(D(2010, 8, 31)) == ("not started", 0)
    assert status(D(2010, 9, 1)) == ("in progress", 40)
    assert status(D(2011, 1, 14)) == ("in progress", 40)
    assert status(D(2011, 1, 15)) == ("done", 100)  # done is always 100%
    history = actions.status_history(plan_ws)
    assert list(history["status"]) == ["not started", "in progress", "done"]
    assert list(history["action_id"]) == [action_id] * 3
    # Saving the same status again adds nothing.
    actions.save_actions(plan_ws, [actions.load_actions(plan_ws)[0]], D(2011, 2, 1))
    assert len(actions.status_history(plan_ws)) == 3


def test_an_action_with_an_unknown_theme_or_bad_dates_is_refused(plan_ws: Workspace) -> None:
    with pytest.raises(ActionPlanError, match="theme 'Peeple' is not one of People"):
        actions.save_actions(plan_ws, [action(themes=("Peeple",))], AS_AT)
    with pytest.raises(ActionPlanError, match=r"is due .* before it starts"):
        actions.save_actions(plan_ws, [action(due_date=D(2010, 1, 1))], AS_AT)
    assert actions.load_actions(plan_ws) == []


def test_page_edits_update_add_and_delete_only_the_shown_actions(plan_ws: Workspace) -> None:
    ids = actions.save_actions(plan_ws, [
        action(title="One", milestones=(Milestone("Step", D(2010, 12, 31)),)), action(title="Two"), action(title="Three"),
    ], D(2010, 6, 1))
    table = actions.actions_table(plan_ws, AS_AT, PlanFilter(levels=(2,)))
    shown = [int(i) for i in table["action_id"]][:2]  # as if the third were filtered out
    edited = table[table["action_id"].isin(shown)].copy()
    edited.loc[edited["title"] == "One", "status"] = "in progress"
    edited.loc[edited["title"] == "One", "percent_complete"] = 25
    edited = edited[edited["title"] != "Two"]
    edited = pd.concat([edited, pd.DataFrame([{"title": "Four", "themes": "People; Engaging Suppliers", "level": 3,
                                               "status": "not started"}])], ignore_index=True)
    plan_files.save_action_edits(plan_ws, edited, shown, AS_AT)
    plan = {a.title: a for a in actions.load_actions(plan_ws, AS_AT)}
    assert sorted(plan) == ["Four", "One", "Three"]
    assert (plan["One"].status, plan["One"].percent_complete) == ("in progress", 25)
    assert plan["One"].milestones == (Milestone("Step", D(2010, 12, 31)),)  # kept through the edit
    assert plan["Four"].action_id == ids[-1] + 1 and plan["Four"].themes == ("People", "Engaging Suppliers")
    assert actions.load_actions(plan_ws, YESTERDAY)[0].status == "not started"


def test_milestone_edits_replace_the_milestones_of_the_shown_actions(plan_ws: Workspace) -> None:
    [one, two] = actions.save_actions(plan_ws, [
        action(title="One", milestones=(Milestone("Old", D(2010, 12, 31)),)),
        action(title="Two", milestones=(Milestone("Keep", D(2011, 1, 31)),)),
    ], D(2010, 6, 1))
    edited = pd.DataFrame([
        {"action_id": one, "milestone": "New first", "due_date": pd.Timestamp("2010-10-31"), "done_on": pd.NaT},
        {"action_id": one, "milestone": "New second", "due_date": None, "done_on": pd.Timestamp("2011-02-01")},
    ])
    assert actions.save_milestone_edits(plan_ws, edited, [one]) == 2
    plan = {a.action_id: a for a in actions.load_actions(plan_ws)}
    assert plan[one].milestones == (Milestone("New first", D(2010, 10, 31)), Milestone("New second", None, D(2011, 2, 1)))
    assert plan[two].milestones == (Milestone("Keep", D(2011, 1, 31)),)
    with pytest.raises(ActionPlanError, match="row 1: action 99 is not one of the actions shown"):
        actions.save_milestone_edits(plan_ws, pd.DataFrame([{"action_id": 99, "milestone": "x"}]), [one])


# --- import and export -------------------------------------------------------------------------------------------

TRICKY = [
    Action(None, "Adopt the policy, with £ and \"quotes\"", ("Policy, Strategy and Communications",), 2, "July 2010",
           D(2010, 6, 1), D(2010, 7, 31), "Cabinet report approved", "Officer time", "FM", "Line one\nline two",
           ("sme_vcse_share",), (Milestone("Adopted at Cabinet: a colon", D(2010, 7, 31), D(2010, 7, 20)),
                                 Milestone("No date yet"))),
    Action(None, "Supplier workshop", ("Engaging Suppliers", "People"), 2, "Dec 2010; April 2011", D(2010, 6, 1),
           D(2011, 4, 30), "Workshop held", "Existing budgets", "JS/DB", "", (),
           (Milestone("Suppliers engaged", D(2010, 12, 31)), Milestone("Staff workshops", D(2011, 4, 30))),
           "in progress", 30),
    Action(None, "Supply chain management", ("Engaging Suppliers",), 3, "April 2012 onwards", D(2012, 4, 1), None,
           measures="Toolkit agreed", resources="£TBC", officer="DB", status="dropped"),
]


def _saved_tricky(ws: Workspace) -> list[Action]:
    framework.install_framework(ws)
    actions.save_actions(ws, TRICKY, D(2010, 6, 1))
    return actions.load_actions(ws)


def test_plan_csv_round_trip(plan_ws: Workspace, tmp_path: Path) -> None:
    before = _saved_tricky(plan_ws)
    text = plan_files.export_plan_csv(plan_ws)
    assert text.splitlines()[0] == ",".join(actions.PLAN_COLUMNS)
    assert "2010-07-31: Adopted at Cabinet: a colon [done 2010-07-20]" in text
    from sp_analysis.workspace import close_workspace, open_workspace

    other = open_workspace(tmp_path / "other.duckdb")
    try:
        framework.install_framework(other)
        assert plan_files.import_plan(other, text.encode(), "plan.csv", D(2010, 6, 1)) == 3
        assert actions.load_actions(other) == before
        assert plan_files.export_plan_csv(other) == text
    finally:
        close_workspace(tmp_path / "other.duckdb")


def test_plan_xlsx_round_trip(plan_ws: Workspace, tmp_path: Path) -> None:
    before = _saved_tricky(plan_ws)
    data = plan_files.export_plan_xlsx(plan_ws, D(2011, 1, 1))
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Actions", "About"]
    sheet = book["Actions"]
    assert [c.value for c in sheet[1]] == list(actions.PLAN_COLUMNS)
    assert sheet["F2"].value == dt.datetime(2010, 6, 1)  # start_date is a real date cell
    from sp_analysis.workspace import close_workspace, open_workspace

    other = open_workspace(tmp_path / "other.duckdb")
    try:
        framework.install_framework(other)
        assert plan_files.import_plan(other, data, "plan.xlsx", D(2010, 6, 1)) == 3
        assert actions.load_actions(other) == [a for a in before]
        assert plan_files.export_plan_csv(other) == plan_files.export_plan_csv(plan_ws)
    finally:
        close_workspace(tmp_path / "other.duckdb")


def test_import_adds_or_updates_by_number_unless_told_to_replace(plan_ws: Workspace) -> None:
    _saved_tricky(plan_ws)
    update = "action_id,title,themes,level,status\n2,Supplier workshop (renamed),Engaging Suppliers,2,done\n,New one,People,3,\n"
    assert plan_files.import_plan(plan_ws, update.encode(), "update.csv", AS_AT, replace_all=False) == 2
    titles = [a.title for a in actions.load_actions(plan_ws)]
    assert titles == [TRICKY[0].title, "Supplier workshop (renamed)", "Supply chain management", "New one"]
    assert actions.load_actions(plan_ws, AS_AT)[1].status == "done"
    assert actions.load_actions(plan_ws, YESTERDAY)[1].status == "in progress"
    assert plan_files.import_plan(plan_ws, update.encode(), "update.csv", AS_AT, replace_all=True) == 2
    assert [a.action_id for a in actions.load_actions(plan_ws)] == [2, 5]


@pytest.mark.parametrize(("row", "message"), [
    ("1,A,People,2,finished", "row 3: status 'finished' is not one of not started, in progress, done, dropped"),
    ("1,A,People,7,", "row 3: level 7 is not 1 to 5"),
    ("1,,People,2,", "row 3: the title is empty"),
    ("1,A,Peeple,2,", "theme 'Peeple' is not one of"),
])
def test_a_bad_plan_file_is_refused_whole(plan_ws: Workspace, row: str, message: str) -> None:
    _saved_tricky(plan_ws)
    before = plan_files.export_plan_csv(plan_ws)
    data = ("action_id,title,themes,level,status\n3,Fine,People,2,done\n" + row + "\n").encode()
    with pytest.raises(ActionPlanError, match=message):
        plan_files.import_plan(plan_ws, data, "bad.csv", AS_AT)
    assert plan_files.export_plan_csv(plan_ws) == before


def test_a_bad_date_names_the_row(plan_ws: Workspace) -> None:
    data = b"title,themes,due_date\nA,People,31/02/2011\n"
    with pytest.raises(ActionPlanError, match=r"bad.csv: row 2: due_date '31/02/2011' is not a date"):
        plan_files.import_plan(plan_ws, data, "bad.csv", AS_AT)


def test_milestone_lines_parse_and_format() -> None:
    text = "2010-12-31: Toolkit launched\n31/03/2011: Review held [done 2011-03-30]\nno date: Ongoing support\nFree text line"
    milestones = plan_files.parse_milestones(text)
    assert milestones == (Milestone("Toolkit launched", D(2010, 12, 31)), Milestone("Review held", D(2011, 3, 31), D(2011, 3, 30)),
                          Milestone("Ongoing support"), Milestone("Free text line"))
    assert plan_files.format_milestones(milestones) == ("2010-12-31: Toolkit launched\n2011-03-31: Review held [done 2011-03-30]\n"
                                                     "no date: Ongoing support\nno date: Free text line")


# --- the sample: the 2010 plan ----------------------------------------------------------------------------------

SAMPLE_TITLES = [
    "Adopt Sustainable Procurement Policy", "Develop Toolkit", "Training", "Supplier workshop",
    "Address contracts and commissioning over £100k and high impact areas", "Whole life cost analysis adopted",
    "Undertake Review", "Staff Awareness", "Strategy",
    "Address contracts and commissioning under £100k and medium/low impact areas", "Supply chain management",
]
SAMPLE_OFFICERS = ["FM", "DB", "JS/FM", "JS/DB", "JS", "JS", "JS/FM", "JS", "JS", "JS", "DB"]


def test_the_sample_plan_holds_every_action_of_the_seed_plan(ws: Workspace) -> None:
    assert framework.install_sample_plan(ws) is True
    assert framework.install_sample_plan(ws) is False
    plan = actions.load_actions(ws)
    assert len(plan) == 11
    assert [a.title for a in plan] == SAMPLE_TITLES
    assert [a.officer for a in plan] == SAMPLE_OFFICERS
    assert actions.officer_names(ws) == ["DB", "FM", "JS"]
    assert [a.level for a in plan] == [2] * 7 + [3] * 4  # short term: Level 2; medium term: Level 3
    assert all(set(a.themes) <= set(THEMES) and a.themes for a in plan)
    due = {a.title: a.due_date for a in plan}
    assert due["Adopt Sustainable Procurement Policy"] == D(2010, 7, 31)
    assert due["Develop Toolkit"] == D(2010, 12, 31)
    assert due["Training"] is None  # the plan gives no date
    assert due["Supplier workshop"] == D(2011, 4, 30)
    assert due["Whole life cost analysis adopted"] == due["Undertake Review"] == D(2011, 4, 30)
    assert due["Staff Awareness"] == due["Strategy"] == D(2012, 4, 30)
    assert due["Address contracts and commissioning under £100k and medium/low impact areas"] == D(2013, 4, 30)
    by_title = {a.title: a for a in plan}
    over = by_title["Address contracts and commissioning over £100k and high impact areas"]
    assert (over.timescale, over.start_date, over.due_date) == ("April 2011 onwards", D(2011, 4, 1), None)
    chain = by_title["Supply chain management"]
    assert (chain.timescale, chain.start_date, chain.due_date) == ("April 2012 onwards", D(2012, 4, 1), None)
    workshop = by_title["Supplier workshop"]
    assert sorted({m.due_date for m in workshop.milestones}) == [D(2010, 12, 31), D(2011, 4, 30)]
    assert len(workshop.milestones) == 4
    assert by_title["Adopt Sustainable Procurement Policy"].measures == "Cabinet report approved"
    assert by_title["Staff Awareness"].resources == "£TBC"
    assert over.data_measures == ("contracts_over_100k", "high_impact_spend")
    assert chain.data_measures == ("sme_vcse_share",)
    assert sum(len(a.milestones) for a in plan) == 25
    targets = framework.load_targets(ws)
    assert sorted({(t.level, t.target_date) for t in targets}) == [(2, D(2011, 4, 1)), (3, D(2012, 4, 1))]
    assert sorted({t.theme for t in targets}) == sorted(THEMES) and len(targets) == 10
    history = framework.assessment_history(ws)
    assert len(history) == 5 and set(history["assessed_on"]) == {D(2010, 6, 1)}


def test_the_sample_titles_officers_and_dates_are_those_of_the_seed_text() -> None:
    if not SEED.exists():
        pytest.skip(f"{SEED} is absent (a clone without ../shared)")
    seed = " ".join(SEED.read_text(encoding="utf-8").split())
    for title in SAMPLE_TITLES:
        assert title[:15] in seed, title  # the seed's table breaks some titles across lines
    plan = plan_files.read_plan_file(actions.SAMPLE_PLAN.read_bytes(), "sample")
    for a in plan:
        for officer in a.officers:
            assert f" {officer}" in seed
        if a.timescale:
            for part in a.timescale.replace(" onwards", "").split("; "):
                assert part in seed, (a.title, part)
    for phrase in ("Cabinet report approved", "July 2010", "Dec 2010", "April 2011", "April 2012", "April 2013", "£TBC"):
        assert phrase in seed


# --- filters and roll-ups ----------------------------------------------------------------------------------------


def test_filters_word_themselves_and_match_single_officers(ws: Workspace) -> None:
    framework.install_sample_plan(ws)
    js = PlanFilter(officers=("JS",))
    assert js.describe() == "officer JS"
    assert js.slug() == "officer-js"
    assert [a.action_id for a in actions.filtered_actions(ws, AS_AT, js)] == [3, 4, 5, 6, 7, 8, 9, 10]
    mixed = PlanFilter(themes=("People",), levels=(2,), statuses=("not started",), overdue_only=True)
    assert mixed.describe() == "theme People; level 2; status not started; overdue only"
    assert [a.action_id for a in actions.filtered_actions(ws, D(2011, 1, 1), mixed)] == [2, 4]
    assert PlanFilter().describe() == "all actions" and PlanFilter().slug() == "all-actions"


def test_rollups_by_level_and_theme(ws: Workspace) -> None:
    framework.install_sample_plan(ws)
    by_level = actions.plan_rollup(ws, D(2011, 5, 1), "level")
    assert by_level.to_dict("records") == [
        {"level": 2, "total": 7, "not started": 6, "in progress": 1, "done": 0, "dropped": 0, "overdue": 6},
        {"level": 3, "total": 4, "not started": 4, "in progress": 0, "done": 0, "dropped": 0, "overdue": 0},
    ]
    by_theme = actions.plan_rollup(ws, D(2011, 5, 1), "theme").set_index("theme")
    assert list(by_theme.index) == THEMES
    assert list(by_theme["total"]) == [4, 2, 4, 2, 2]
    assert list(by_theme["overdue"]) == [2, 1, 3, 1, 2]
    table = actions.actions_table(ws, D(2011, 5, 1))
    assert list(table.loc[table["overdue"], "action_id"]) == [1, 2, 4, 5, 6, 7]
    assert table.set_index("action_id").loc[1, "days_overdue"] == 274  # 31 July 2010 to 1 May 2011
    milestones = actions.milestones_table(ws, D(2011, 5, 1))
    assert int(milestones["overdue"].sum()) == 14


# --- measures tied to the data -------------------------------------------------------------------------------------

CONTRACTS = """Contract Title,Supplier Name,Contract Value,Annual Value,Start Date,End Date,SME,VCSE
Ends in window,A Ltd,150000,,01/01/2024,30/06/2025,Y,N
Exactly 100k,B Ltd,100000,,01/01/2024,31/12/2026,N,N
Annual only,C Trust,,120000,01/01/2023,31/03/2027,,Y
Expired,D Ltd,500000,,01/01/2020,31/12/2024,N,N
Not started,E Ltd,200000,,01/02/2025,31/01/2026,N,N
Open ended,F Ltd,250000.50,,,,Y,
"""


def test_measures_from_the_contracts_register(ws: Workspace) -> None:
    load_file(ws, "register.csv", CONTRACTS.encode(), "contracts")
    by_key = {m.key: m for m in measures.data_measures(ws, D(2025, 1, 1))}
    over = by_key["contracts_over_100k"].values
    # £100,000.00 is on the line (as on the Renewals page); the annual-only contract is worth its annual value
    # times its term in years (days inclusive / 365.25, to two places), as on the Contracts page.
    annual_only = _annual_times_term(Decimal(120_000), D(2023, 1, 1), D(2027, 3, 31))
    assert annual_only == Decimal("510000.00")
    assert {k: over[k] for k in ("live", "over", "ending", "over_no_end", "over_annual_only", "no_value")} == {
        "live": 4, "over": 4, "ending": 2, "over_no_end": 1, "over_annual_only": 1, "no_value": 0}
    assert over["over_value"] == Decimal("150000") + Decimal("100000") + annual_only + Decimal("250000.50")
    assert over["ending_value"] == Decimal("150000") + Decimal("100000")
    assert (over["window_start"], over["window_end"]) == (D(2025, 1, 1), D(2026, 12, 31))
    assert by_key["contracts_over_100k"].figure == (
        "4 live contracts of £100,000 or more (£1 million); 2 of them end in the two years from 1 January 2025 to "
        "31 December 2026")
    assert "high-impact" in by_key["contracts_over_100k"].pending
    shares = by_key["sme_vcse_share"].values
    assert (shares["live"], shares["sme"], shares["sme_unknown"], shares["vcse"], shares["vcse_unknown"]) == (4, 2, 1, 1, 1)
    assert shares["sme_value"] == Decimal("400000.50") and shares["live_value"] == Decimal("620000.50")
    assert by_key["sme_vcse_share"].figure == (
        "SMEs hold 50.0% of live contracts (64.5% by value); VCSE organisations 25.0% (19.4% by value)")
    assert "SME status unknown 1 (25.0%, £120,000)" in by_key["sme_vcse_share"].detail
    assert "VCSE status unknown 1 (25.0%, £250,000.50)" in by_key["sme_vcse_share"].detail
    assert by_key["sme_vcse_share"].as_of.startswith("Live on 1 January 2025; contracts register register.csv")


def _annual_times_term(annual: Decimal, start: dt.date, end: dt.date) -> Decimal:
    years = (Decimal((end - start).days + 1) / Decimal("365.25")).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return (annual * years).quantize(Decimal("0.01"), ROUND_HALF_UP)


LINE_CONTRACTS = """Contract Title,Supplier Name,Contract Value,Annual Value,Start Date,End Date,CPV Code
On the line,A Energy Ltd,100000.00,,01/01/2024,30/06/2025,09310000
A penny under,B Energy Ltd,99999.99,,01/01/2024,30/06/2025,09310000
Annual only on the line,C Energy Ltd,,50000.00,01/01/2024,31/12/2025,09310000
"""


def test_a_contract_of_exactly_100000_is_over_the_line_in_the_plan_and_on_renewals(ws: Workspace) -> None:
    """£100,000.00 exactly, and an annual-only contract worth £100,000.00 over its term, count in the plan's
    measure and are plan priority on the Renewals page; £99,999.99 is neither."""
    from sp_analysis.contracts.reprocurement import renewal_pipeline

    load_file(ws, "register.csv", LINE_CONTRACTS.encode(), "contracts")
    assert _annual_times_term(Decimal(50_000), D(2024, 1, 1), D(2025, 12, 31)) == Decimal("100000.00")
    as_at = D(2025, 1, 1)
    over = {m.key: m for m in measures.data_measures(ws, as_at)}["contracts_over_100k"].values
    assert (over["live"], over["over"], over["ending"], over["over_annual_only"]) == (3, 2, 2, 1)
    assert over["over_value"] == Decimal("200000.00")
    pipeline = renewal_pipeline(ws, as_at, 12).set_index("title")
    assert set(pipeline.index) == {"On the line", "A penny under", "Annual only on the line"}
    assert set(pipeline.index[pipeline["impact_group"] == "High"]) == set(pipeline.index)
    assert pipeline["plan_priority"].to_dict() == {
        "On the line": True, "A penny under": False, "Annual only on the line": True}


def test_the_renewal_window_runs_to_the_end_of_the_plan_while_it_lasts(ws: Workspace) -> None:
    framework.install_sample_plan(ws)
    assert measures.renewal_window(ws, D(2011, 1, 1)) == (
        D(2011, 1, 1), D(2013, 4, 30), "from 1 January 2011 to the end of the plan, 30 April 2013")
    start, end, wording = measures.renewal_window(ws, D(2013, 4, 30))
    assert (start, end) == (D(2013, 4, 30), D(2015, 4, 29))
    assert wording.endswith("(the plan's own dates have passed)")


HEADER = "Date,Supplier Name,Amount,Expense Area\n"


def test_high_impact_share_of_influenceable_spend(ws: Workspace) -> None:
    empty = {m.key: m for m in measures.data_measures(ws, D(2025, 1, 1))}["high_impact_spend"]
    assert empty.figure == "No spend loaded on or before the as-at date"
    load_file(ws, "spend.csv", (HEADER + "01/04/2024,Alpha,1000.00,H\n15/06/2024,Beta,300.00,H\n20/07/2024,Gamma,200.00,H\n"
                                "02/04/2025,Delta,999.99,H\n").encode(), "spend")
    with ws.write() as cur:
        cur.execute("DELETE FROM payment_classes")
        cur.execute("""INSERT INTO categories VALUES ('Test high', 'High', true, ''), ('Test low', 'Low', true, ''),
                       ('Test grant', 'Low', false, '') ON CONFLICT DO NOTHING""")
        cur.execute("""INSERT INTO payment_classes SELECT file_id, source_row,
                       CASE supplier_name WHEN 'Alpha' THEN 'Test high' WHEN 'Beta' THEN 'Test low'
                                          WHEN 'Delta' THEN 'Unclassified' ELSE 'Test grant' END, NULL
                       FROM payments""")  # every payment has a class, so the measures do not classify afresh
    measure = {m.key: m for m in measures.data_measures(ws, D(2025, 3, 31))}["high_impact_spend"]
    assert measure.values == {"financial_year": "2024/25", "influenceable": Decimal("1300.00"), "high_impact": Decimal("1000.00"),
                              "unclassified": Decimal("0"), "share": "76.9%"}
    assert measure.figure == "76.9% of influenceable spend is in high-impact categories (£1,000 of £1,300)"
    assert measure.as_of.startswith("Financial year 2024/25, payments from 1 April 2024 to 20 July 2024")
    later = {m.key: m for m in measures.data_measures(ws, D(2025, 4, 2))}["high_impact_spend"]
    assert later.values["financial_year"] == "2025/26" and later.values["unclassified"] == Decimal("999.99")
    assert later.values["share"] == "no data"


def test_one_action_in_full_with_its_measures(ws: Workspace) -> None:
    framework.install_sample_plan(ws)
    detail = measures.action_detail(ws, 5, D(2011, 5, 1))
    assert detail is not None
    assert detail["officer"] == "JS" and detail["timescale"] == "April 2011 onwards"
    assert detail["overdue_words"] == "Overdue by 1 day as at 1 May 2011."
    assert list(detail["milestones"]["Overdue"]) == ["overdue", "", ""]
    assert [m.key for m in detail["data_measures"]] == ["contracts_over_100k", "high_impact_spend"]
    assert measures.action_detail(ws, 99, D(2011, 5, 1)) is None


def test_measures_say_so_when_nothing_is_live(ws: Workspace) -> None:
    none_loaded = {m.key: m.figure for m in measures.data_measures(ws, D(2025, 1, 1))}
    assert none_loaded["contracts_over_100k"] == none_loaded["sme_vcse_share"] == (
        "No contracts register is loaded, so this cannot be computed yet")
    dated_only = "".join(line for line in CONTRACTS.splitlines(keepends=True) if not line.startswith("Open ended"))
    load_file(ws, "register.csv", dated_only.encode(), "contracts")
    early = {m.key: m.figure for m in measures.data_measures(ws, D(2010, 1, 1))}
    assert early["contracts_over_100k"] == early["sme_vcse_share"] == "No contract in the register is live on 1 January 2010"
