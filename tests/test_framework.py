"""The Flexible Framework: criteria file, level rule and its explanation, dated snapshots, targets, as-at summaries."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest

from sp_analysis.plan import framework
from sp_analysis.plan.framework import AssessmentItem, FrameworkError, LevelState, Target
from sp_analysis.workspace import Workspace

D = dt.date
THEMES = ["People", "Policy, Strategy and Communications", "Procurement Process", "Engaging Suppliers",
          "Measurement and Results"]

# A small framework of two themes: criteria ids are level.position, as in the bundled file.
SMALL = """theme,level,level_name,criterion_id,criterion
Alpha,1,Foundation,1.1,A champion is named.
Alpha,1,Foundation,1.2,Key staff trained.
Alpha,2,Embed,2.1,All staff trained.
Alpha,2,Embed,2.2,Advanced training for key staff.
Alpha,2,Embed,2.3,Training is refreshed.
Alpha,3,Practice,3.1,Objectives include it.
Alpha,4,Enhance,4.1,Competencies include it.
Alpha,5,Lead,5.1,Awards won.
Beta,1,Foundation,1.1,Policy agreed.
Beta,2,Embed,2.1,Policy reviewed.
Beta,3,Practice,3.1,Strategy written.
Beta,4,Enhance,4.1,Strategy linked to the EMS.
Beta,5,Lead,5.1,Strategy scrutinised externally.
"""


@pytest.fixture
def small(ws: Workspace) -> Workspace:
    """A workspace with the two-theme framework above."""
    assert framework.import_framework_csv(ws, SMALL.encode(), "small.csv") == 13
    return ws


def met(*ids: str) -> list[AssessmentItem]:
    return [AssessmentItem(i, True, f"evidence for {i}") for i in ids]


# --- the bundled criteria ------------------------------------------------------------------------------------


def test_install_framework_is_idempotent_and_installs_the_whole_matrix(ws: Workspace) -> None:
    assert framework.install_framework(ws) is True
    version = ws.data_version()
    assert framework.install_framework(ws) is False
    assert ws.data_version() == version  # nothing written the second time
    criteria = framework.load_criteria(ws)
    assert len(criteria) == 78
    assert framework.theme_names(ws) == THEMES
    assert framework.level_names(ws) == {1: "Foundation", 2: "Embed", 3: "Practice", 4: "Enhance", 5: "Lead"}
    cells = Counter((c.theme, c.level) for c in criteria)
    assert len(cells) == 25
    assert min(cells.values()) >= 2, "every cell has several criteria"
    assert all(c.criterion_id.startswith(f"{c.level}.") for c in criteria)


def test_framework_csv_round_trips(ws: Workspace, tmp_path: Path) -> None:
    framework.install_framework(ws)
    text = framework.export_framework_csv(ws, tmp_path / "criteria.csv")
    assert (tmp_path / "criteria.csv").read_text(encoding="utf-8") == text
    assert text == framework.DEFAULT_FRAMEWORK.read_text(encoding="utf-8")
    assert framework.import_framework_csv(ws, tmp_path / "criteria.csv") == 78
    assert framework.export_framework_csv(ws) == text


@pytest.mark.parametrize(("body", "message"), [
    ("Alpha,6,Beyond,6.1,Too high.\n", "line 2: level 6 is not 1 to 5"),
    ("Alpha,one,Foundation,1.1,Bad level.\n", "line 2: level 'one' is not a whole number 1 to 5"),
    ("Alpha,1,Foundation,1.1,First.\nAlpha,1,Foundation,1.1,Again.\n", "line 3: criterion 1.1 appears twice in Alpha"),
    ("Alpha,1,Foundation,1.1,Only level one.\n", "Alpha has no criteria at level 2, 3, 4, 5"),
    ("Alpha,1,Foundation,1.1,\n", "line 2: the criterion text is empty"),
    ("Alpha,1,Foundation,1.1,x\nBeta,1,Basics,1.1,y\n", "line 3: level 1 is called 'Basics' here but 'Foundation' above"),
])
def test_a_bad_framework_file_is_refused_naming_the_line(small: Workspace, body: str, message: str) -> None:
    before = framework.export_framework_csv(small)
    with pytest.raises(FrameworkError, match="bad.csv: .*" + message.replace("(", r"\(").replace(")", r"\)")):
        framework.import_framework_csv(small, ("theme,level,level_name,criterion_id,criterion\n" + body).encode(), "bad.csv")
    assert framework.export_framework_csv(small) == before


# --- the level rule -----------------------------------------------------------------------------------------


def test_a_met_level_3_above_an_unmet_level_2_criterion_gives_level_1_and_says_why() -> None:
    items = [(1, "1.1", True), (1, "1.2", True), (2, "2.1", True), (2, "2.2", True), (2, "2.3", False),
             (3, "3.1", True), (3, "3.2", True), (4, "4.1", False), (5, "5.1", False)]
    levels = framework.level_states(items)
    assert [s.status for s in levels] == ["met", "partly met", "met", "not met", "not met"]
    assert framework.achieved_level(levels) == 1
    assert framework.explain_level(levels) == (
        "Level 1 (Foundation): criterion 2.3 of Level 2 is not met, so Level 3's being met does not count.")


@pytest.mark.parametrize(("answers", "achieved", "explanation"), [
    ({}, 0, "Level 0 (Foundation not yet reached): none of the 2 criteria of Level 1 is met yet."),
    ({"1.1"}, 0, "Level 0 (Foundation not yet reached): criterion 1.2 of Level 1 is not met."),
    ({"1.1", "1.2", "3.1", "4.1"}, 1,
     "Level 1 (Foundation): none of the 3 criteria of Level 2 is met yet, so Levels 3 and 4, though met, do not count."),
    ({"1.1", "1.2", "2.1", "2.2"}, 1, "Level 1 (Foundation): criterion 2.3 of Level 2 is not met."),
    ({"1.1", "1.2", "2.2", "2.3", "3.1"}, 1,
     "Level 1 (Foundation): criterion 2.1 of Level 2 is not met, so Level 3's being met does not count."),
    ({"1.1", "1.2", "2.1", "2.2", "2.3", "3.1"}, 3, "Level 3 (Practice): criterion 4.1 of Level 4 is not met."),
    ({"1.1", "1.2", "2.1", "2.2", "2.3", "3.1", "4.1", "5.1"}, 5, "Level 5 (Lead): every criterion of every level is met."),
])
def test_level_achieved_and_its_explanation(small: Workspace, answers: set[str], achieved: int, explanation: str) -> None:
    framework.record_assessment(small, "Alpha", D(2011, 1, 10), "JS", met(*answers))
    state = framework.theme_state(small, "Alpha", D(2011, 1, 10))
    assert state is not None
    assert state.achieved == achieved
    assert state.explanation == explanation


def test_partly_met_levels_above_the_gap_are_mentioned() -> None:
    levels = (LevelState(1, "Foundation", 2, 2), LevelState(2, "Embed", 2, 1, ("2.2",)), LevelState(3, "Practice", 3, 1, ("3.2", "3.3")),
              LevelState(4, "Enhance", 1, 0, ("4.1",)), LevelState(5, "Lead", 1, 0, ("5.1",)))
    assert framework.explain_level(levels) == (
        "Level 1 (Foundation): criterion 2.2 of Level 2 is not met. "
        "Criteria already met at Level 3 will count once every level below is met.")


def test_many_unmet_criteria_are_summarised() -> None:
    levels = framework.level_states([(1, f"1.{i}", i == 1) for i in range(1, 8)])
    assert framework.explain_level(levels) == (
        "Level 0 (Foundation not yet reached): criteria 1.2, 1.3, 1.4, 1.5 and 2 more of Level 1 are not met.")


# --- snapshots ----------------------------------------------------------------------------------------------


def test_assessments_are_dated_snapshots_and_as_at_reproduces_the_past(small: Workspace) -> None:
    first = framework.record_assessment(small, "Alpha", D(2010, 6, 1), "FM", met("1.1", "1.2"), note="baseline")
    second = framework.record_assessment(small, "Alpha", D(2011, 4, 1), "JS", met("1.1", "1.2", "2.1", "2.2", "2.3"))
    assert second > first

    def level(on: dt.date) -> int:
        state = framework.theme_state(small, "Alpha", on)
        assert state is not None
        return state.achieved

    assert level(D(2010, 5, 31)) == 0
    assert framework.theme_state(small, "Alpha", D(2010, 5, 31)).explanation == (  # type: ignore[union-attr]
        "Level 0: no assessment recorded on or before 31 May 2010.")
    assert level(D(2010, 6, 1)) == 1
    assert level(D(2011, 3, 31)) == 1
    assert level(D(2011, 4, 1)) == 2
    # The first snapshot is untouched by the second.
    items = framework.assessment_items(small, first)
    assert list(items["criterion_id"]) == ["1.1", "1.2", "2.1", "2.2", "2.3", "3.1", "4.1", "5.1"]
    assert list(items["met"]) == [True, True, False, False, False, False, False, False]
    assert items["evidence"].iloc[0] == "evidence for 1.1"
    history = framework.assessment_history(small)
    assert list(history["achieved"]) == [1, 2]
    assert list(history["assessor"]) == ["FM", "JS"]
    assert list(history["met"]) == [2, 5]
    assert list(history["criteria"]) == [8, 8]


def test_a_later_snapshot_of_the_same_day_wins(small: Workspace) -> None:
    framework.record_assessment(small, "Beta", D(2011, 1, 1), "JS", met("1.1", "2.1"))
    framework.record_assessment(small, "Beta", D(2011, 1, 1), "JS", met("1.1"))
    assert framework.theme_state(small, "Beta", D(2011, 1, 1)).achieved == 1  # type: ignore[union-attr]


def test_snapshots_keep_their_criteria_when_the_framework_is_replaced(small: Workspace) -> None:
    framework.record_assessment(small, "Alpha", D(2010, 6, 1), "FM", met("1.1", "1.2"))
    replacement = SMALL.replace("Alpha,1,Foundation,1.2,Key staff trained.\n", "").replace("A champion is named.", "A lead is named.")
    framework.import_framework_csv(small, replacement.encode(), "ours.csv")
    assert next(c.criterion for c in framework.load_criteria(small)) == "A lead is named."
    old = framework.assessment_items(small, 1)
    assert list(old["criterion"])[:2] == ["A champion is named.", "Key staff trained."]
    assert framework.theme_state(small, "Alpha", D(2011, 1, 1)).achieved == 1  # type: ignore[union-attr]
    # A new assessment copies the new criteria.
    new = framework.record_assessment(small, "Alpha", D(2011, 2, 1), "JS", met("1.1"))
    assert list(framework.assessment_items(small, new)["criterion_id"])[:2] == ["1.1", "2.1"]
    assert framework.theme_state(small, "Alpha", D(2011, 2, 1)).achieved == 1  # type: ignore[union-attr]


@pytest.mark.parametrize(("theme", "assessor", "items", "message"), [
    ("Gamma", "JS", [], "'Gamma' is not a theme of the framework"),
    ("Alpha", "  ", [], "Say who made the assessment"),
    ("Alpha", "JS", met("9.9"), "Alpha has no criterion 9.9"),
])
def test_an_invalid_assessment_is_refused(small: Workspace, theme: str, assessor: str, items: list[AssessmentItem],
                                          message: str) -> None:
    with pytest.raises(FrameworkError, match=message):
        framework.record_assessment(small, theme, D(2011, 1, 1), assessor, items)
    assert framework.assessment_history(small).empty


# --- targets and the summary ----------------------------------------------------------------------------------


def test_the_target_in_force_at_date_edges() -> None:
    targets = [Target("Alpha", 2, D(2011, 4, 1)), Target("Alpha", 3, D(2012, 4, 1))]
    assert framework.current_target(targets, "Alpha", D(2011, 3, 31)).level == 2  # type: ignore[union-attr]
    assert framework.current_target(targets, "Alpha", D(2011, 4, 1)).level == 2  # type: ignore[union-attr]
    assert framework.current_target(targets, "Alpha", D(2011, 4, 2)).level == 3  # type: ignore[union-attr]
    assert framework.current_target(targets, "Alpha", D(2012, 4, 2)).level == 3  # type: ignore[union-attr]
    assert framework.current_target(targets, "Beta", D(2011, 1, 1)) is None
    assert framework.target_standing(1, targets[0], D(2011, 3, 31)) == "1 day left"
    assert framework.target_standing(1, targets[0], D(2011, 4, 1)) == "due today"
    assert framework.target_standing(1, targets[0], D(2011, 4, 2)) == "target missed: due 1 April 2011"
    assert framework.target_standing(2, targets[0], D(2011, 4, 2)) == "target reached"
    assert framework.target_standing(0, None, D(2011, 4, 2)) == "no target set"


def test_targets_are_editable_and_checked(small: Workspace) -> None:
    framework.save_targets(small, [Target("Alpha", 2, D(2011, 4, 1), "plan"), Target("Beta", 3, D(2012, 4, 1))])
    assert framework.load_targets(small) == [Target("Alpha", 2, D(2011, 4, 1), "plan"), Target("Beta", 3, D(2012, 4, 1))]
    with pytest.raises(FrameworkError, match="row 1: 'Gamma' is not a theme"):
        framework.save_targets(small, [Target("Gamma", 2, D(2011, 4, 1))])
    with pytest.raises(FrameworkError, match="row 2: Alpha has two targets for Level 2"):
        framework.save_targets(small, [Target("Alpha", 2, D(2011, 4, 1)), Target("Alpha", 2, D(2012, 4, 1))])
    assert len(framework.load_targets(small)) == 2


def test_framework_summary_reproduces_an_old_report(small: Workspace) -> None:
    framework.save_targets(small, [Target("Alpha", 2, D(2011, 4, 1)), Target("Alpha", 3, D(2012, 4, 1))])
    framework.record_assessment(small, "Alpha", D(2010, 6, 1), "FM", met("1.1", "1.2"))
    framework.record_assessment(small, "Beta", D(2010, 6, 1), "FM", met())
    framework.record_assessment(small, "Alpha", D(2011, 5, 1), "JS", met("1.1", "1.2", "2.1", "2.2", "2.3"))
    empty_actions = {"total": 0, "done": 0, "in_progress": 0, "overdue": 0}
    assert framework.framework_summary(small, D(2011, 3, 1)) == {
        "themes": {"Alpha": {"achieved": 1, "target": 2, "target_date": "2011-04-01"},
                   "Beta": {"achieved": 0, "target": 0, "target_date": None}},
        "actions": empty_actions,
    }
    assert framework.framework_summary(small, D(2011, 5, 1))["themes"]["Alpha"] == {
        "achieved": 2, "target": 3, "target_date": "2012-04-01"}
    assert framework.framework_summary(small, D(2011, 4, 30))["themes"]["Alpha"]["achieved"] == 1


def test_the_sample_summary_in_june_2010_and_after_the_level_2_date(ws: Workspace) -> None:
    assert framework.install_sample_plan(ws) is True
    june = framework.framework_summary(ws, D(2010, 6, 1))
    assert june["themes"] == {theme: {"achieved": 1 if theme == "Measurement and Results" else 0, "target": 2,
                                      "target_date": "2011-04-01"} for theme in THEMES}
    assert june["actions"] == {"total": 11, "done": 0, "in_progress": 1, "overdue": 0}
    later = framework.framework_summary(ws, D(2011, 4, 2))
    assert {t["target"] for t in later["themes"].values()} == {3}
    # Overdue on 2 April 2011: actions 1 (July 2010), 2 (Dec 2010) and 4 (its Dec 2010 milestones).
    assert later["actions"] == {"total": 11, "done": 0, "in_progress": 1, "overdue": 3}


def test_matrix_and_gaps_for_the_sample(ws: Workspace) -> None:
    framework.install_sample_plan(ws)
    matrix = framework.framework_matrix(ws, D(2010, 6, 1))
    assert len(matrix) == 25
    people = matrix[matrix["theme"] == "People"].set_index("level")
    assert list(people["status"]) == ["partly met", "not met", "not met", "not met", "not met"]
    assert list(people["is_target"]) == [False, True, False, False, False]
    measurement = matrix[matrix["theme"] == "Measurement and Results"].set_index("level")
    assert measurement.loc[1, "status"] == "met" and bool(measurement.loc[1, "counts"])
    gaps = {g.theme: g for g in framework.target_gaps(ws, D(2010, 6, 1))}
    people_gap = gaps["People"]
    assert [c[0] for c in people_gap.unmet] == ["1.2", "1.3", "2.1", "2.2"]
    assert [a["action_id"] for a in people_gap.actions] == [2, 3, 4]
    assert [a["action_id"] for a in gaps["Procurement Process"].actions] == [2, 5, 6]
    assert [a["action_id"] for a in gaps["Measurement and Results"].actions] == [5, 7]
    standing = framework.current_against_target(ws, D(2010, 6, 1)).set_index("theme")
    assert standing.loc["People", "standing"] == "304 days left"
    assert standing.loc["Measurement and Results", "gap"] == 1


def test_the_matrix_in_words(ws: Workspace) -> None:
    framework.install_sample_plan(ws)
    table = framework.matrix_table(ws, D(2010, 6, 1)).set_index("Theme")
    assert list(table.index) == THEMES
    assert list(table.loc["Measurement and Results"]) == [
        "Met (2 of 2)", "Not met (0 of 2), target", "Not met (0 of 2)", "Not met (0 of 3)", "Not met (0 of 4)"]
