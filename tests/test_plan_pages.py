"""The Flexible Framework and Action plan pages under AppTest: they run on an empty workspace, show the sample's
figures as at a date, and survive every filter, the assessment form, saving, import and export."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from sp_analysis.plan import actions, framework, plan_files
from sp_analysis.workspace import open_workspace
from tests.conftest import ROOT

APP = str(ROOT / "app.py")
FRAMEWORK_PAGE = "views/framework.py"
PLAN_PAGE = "views/action_plan.py"


@pytest.fixture
def sample_path(workspace_path: Path) -> Path:
    framework.install_sample_plan(open_workspace(workspace_path))
    return workspace_path


def run_page(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page(page)
    at.run()
    ok(at)
    return at


def ok(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def table_with(at: AppTest, column: str):  # type: ignore[no-untyped-def]
    """The first table on the page with this column (AppTest keeps no key for read-only tables)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.mark.parametrize("page", [FRAMEWORK_PAGE, PLAN_PAGE])
def test_plan_pages_run_on_a_workspace_without_the_framework(workspace_path: Path, page: str) -> None:
    run_page(page)
    ws = open_workspace(workspace_path)
    assert len(framework.load_criteria(ws)) == 78  # installed by the page
    assert actions.load_actions(ws) == []


def test_the_plan_page_offers_the_sample_and_loads_it(workspace_path: Path) -> None:
    at = run_page(PLAN_PAGE)
    assert any("no action plan yet" in i.value for i in at.info)
    at.button(key="plan_install_sample").click()
    at.run()
    ok(at)
    assert metrics(at)["Actions"] == "11"
    assert len(framework.load_targets(open_workspace(workspace_path))) == 10


def test_the_plan_page_as_at_a_past_date_with_every_filter(sample_path: Path) -> None:
    at = run_page(PLAN_PAGE)
    at.date_input(key="plan_as_at").set_value(dt.date(2011, 4, 2))
    at.run()
    ok(at)
    assert metrics(at) == {"Actions": "11", "Done": "0", "In progress": "1", "Overdue actions": "3", "Overdue milestones": "7"}
    assert at.get("plotly_chart")
    at.multiselect(key="plan_filter_officer").set_value(["JS"])
    at.run()
    ok(at)
    assert metrics(at)["Actions"] == "8"
    assert metrics(at)["Overdue actions"] == "1"  # the supplier workshop (JS/DB), late on its Dec 2010 milestones
    at.multiselect(key="plan_filter_theme").set_value(["Engaging Suppliers"])
    at.multiselect(key="plan_filter_level").set_value([2])
    at.multiselect(key="plan_filter_status").set_value(["not started"])
    at.run()
    ok(at)
    assert metrics(at)["Actions"] == "1"
    at.toggle(key="plan_filter_overdue").set_value(True)
    at.run()
    ok(at)
    assert metrics(at)["Actions"] == "1"
    assert any("theme Engaging Suppliers; level 2; officer JS; status not started; overdue only" in c.value for c in at.caption)
    at.multiselect(key="plan_filter_status").set_value(["done"])
    at.run()
    ok(at)
    assert metrics(at)["Actions"] == "0"
    assert any("No action matches the filters" in m.value for m in at.markdown)


def test_the_plan_page_saves_a_status_change_as_at_its_date(sample_path: Path) -> None:
    at = run_page(PLAN_PAGE)
    at.date_input(key="plan_as_at").set_value(dt.date(2010, 7, 20))
    at.run()
    ok(at)
    at.button(key="plan_save").click()  # the editor unchanged: nothing changes
    at.run()
    ok(at)
    assert any("Saved the actions." in s.value for s in at.success)
    ws = open_workspace(sample_path)
    assert len(actions.status_history(ws)) == 11
    # Mark the policy done through the same function the editor uses, then the page shows it from that date on.
    table = actions.actions_table(ws, dt.date(2010, 7, 20))
    table.loc[table["action_id"] == 1, "status"] = "done"
    plan_files.save_action_edits(ws, table, list(table["action_id"]), dt.date(2010, 7, 20))
    at.run()
    ok(at)
    assert metrics(at)["Done"] == "1"
    at.date_input(key="plan_as_at").set_value(dt.date(2010, 7, 19))
    at.run()
    assert metrics(at)["Done"] == "0"


def test_the_plan_page_imports_and_exports(sample_path: Path) -> None:
    at = run_page(PLAN_PAGE)
    downloads = {d.key for d in at.get("download_button")}
    assert {"plan_download_csv", "plan_download_xlsx"} <= downloads
    data = plan_files.export_plan_csv(open_workspace(sample_path)).replace("Develop Toolkit", "Develop the toolkit")
    at.file_uploader(key="plan_upload").set_value(("plan.csv", data.encode(), "text/csv"))
    at.run()
    at.button(key="plan_import").click()
    at.run()
    ok(at)
    assert any("Imported 11 actions from plan.csv" in s.value for s in at.success)
    assert actions.load_actions(open_workspace(sample_path))[1].title == "Develop the toolkit"


def test_the_framework_page_as_at_dates_and_the_assessment_form(sample_path: Path) -> None:
    at = run_page(FRAMEWORK_PAGE)
    assert len(at.get("plotly_chart")) == 3
    at.date_input(key="framework_as_at").set_value(dt.date(2010, 5, 31))
    at.run()
    ok(at)
    assert any("No assessment is recorded on or before this date" in i.value for i in at.info)
    at.date_input(key="framework_as_at").set_value(dt.date(2010, 6, 1))
    at.run()
    ok(at)
    table = table_with(at, "Level achieved").set_index("Theme")
    assert list(table["Level achieved"]) == [0, 0, 0, 0, 1]
    assert set(table["Target level"]) == {2}
    # Record People at Level 1 on 1 March 2011.
    at.selectbox(key="assess_theme").set_value("People")
    at.run()
    at.date_input(key="assess_date").set_value(dt.date(2011, 3, 1))
    at.text_input(key="assess_assessor").input("JS")
    at.checkbox(key="assess_met_0_1.2").check()
    at.checkbox(key="assess_met_0_1.3").check()
    at.text_input(key="assess_evidence_0_1.3").input("Induction pack, March 2011")
    at.button(key="assess_submit").click()
    at.run()
    ok(at)
    assert any("Saved the People assessment of 1 March 2011. Level 1 (Foundation)" in s.value for s in at.success)
    ws = open_workspace(sample_path)
    assert framework.framework_summary(ws, dt.date(2011, 3, 1))["themes"]["People"]["achieved"] == 1
    assert framework.framework_summary(ws, dt.date(2011, 2, 28))["themes"]["People"]["achieved"] == 0
    at.date_input(key="framework_as_at").set_value(dt.date(2011, 3, 1))
    at.run()
    ok(at)
    table = table_with(at, "Level achieved").set_index("Theme")
    assert table.loc["People", "Level achieved"] == 1
    at.button(key="targets_save").click()
    at.run()
    ok(at)
    assert any("Saved 10 targets." in s.value for s in at.success)


def test_the_framework_page_refuses_an_assessment_without_an_assessor(sample_path: Path) -> None:
    at = run_page(FRAMEWORK_PAGE)
    at.button(key="assess_submit").click()
    at.run()
    assert not at.exception
    assert any("Say who made the assessment" in e.value for e in at.error)
    assert len(framework.assessment_history(open_workspace(sample_path))) == 5
