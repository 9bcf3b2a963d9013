"""The first-run choice, the sample's removal and the settings form, under Streamlit's AppTest on a real
workspace file."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from sp_analysis import settings
from sp_analysis.ingest import council
from sp_analysis.ingest.load import load_file
from sp_analysis.workspace import open_workspace
from tests.conftest import DEVON_2026_03, ROOT, SAMPLE_EXPECTED, SAMPLE_PAYMENTS, SAMPLE_SPEND_FILES, cli

APP = str(ROOT / "app.py")


@pytest.fixture(scope="module")
def built_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sample-pages") / "sample.duckdb"
    assert cli("sample", "--workspace", str(path)).returncode == 0
    return path


def run(page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_an_empty_workspace_offers_the_sample_or_the_councils_own(workspace_path: Path) -> None:
    at = run()
    assert [s.value for s in at.subheader][:2] == ["Start my council's workspace", "Explore the sample"]
    assert not at.metric  # no figures of anyone's
    at.text_input(key="start_council_name").set_value("Harrowdale County Council")
    at.button(key="start_council").click()
    at.run()
    assert any("fictional sample council's name" in e.value for e in at.error)
    at.text_input(key="start_council_name").set_value("  Devon  County Council ")
    at.button(key="start_council").click()
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert [t.value for t in at.title] == ["Upload"]  # straight on to load the council's files
    ws = open_workspace(workspace_path)
    assert settings.get_setting(ws, "council_name") == "Devon County Council"
    assert council.data_already_held(ws) is None
    assert any("Council: Devon County Council" in c.value for c in at.sidebar.caption)


def test_explore_the_sample_builds_it_into_the_workspace(workspace_path: Path) -> None:
    at = run()
    at.button(key="explore_sample").click()
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    ws = open_workspace(workspace_path)
    with ws.read() as cur:
        assert cur.execute("SELECT count(*) FROM payments").fetchone() == (SAMPLE_PAYMENTS,)
    assert council.council(ws).holding == "sample"
    assert {m.label for m in at.metric} >= {"Total net spend", "Influenceable spend"}
    assert any("(fictional sample)" in c.value for c in at.sidebar.caption)


def test_remove_the_sample_on_the_upload_page(workspace_path: Path, built_sample: Path) -> None:
    shutil.copy(built_sample, workspace_path)
    ws = open_workspace(workspace_path)
    load_file(ws, DEVON_2026_03.name, DEVON_2026_03.read_bytes(), "spend")
    at = run("views/upload.py")
    assert any("mixes the fictional sample" in w.value for w in at.sidebar.warning)
    assert at.button(key="remove_sample").disabled  # confirmed first
    at.checkbox(key="remove_sample_confirm").check()
    at.run()
    at.button(key="remove_sample").click()
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert any(i.value.startswith(f"Removed {SAMPLE_SPEND_FILES} sample spend files ({SAMPLE_PAYMENTS:,} payments)")
               and "The 1 other loaded file(s) are kept." in i.value for i in at.info)
    files = next(d.value for d in at.dataframe if "File" in d.value.columns)
    assert list(files["File"]) == [DEVON_2026_03.name]
    assert "None" not in " ".join(files["Dates"])
    assert list(files["Dates"]) == ["2 Mar 2026 to 31 Mar 2026"]
    assert not any("mixes the fictional sample" in w.value for w in at.sidebar.warning)
    # Unnamed now: the page asks for the council's name.
    at.text_input(key="upload_council_name").set_value("Devon County Council")
    at.button(key="upload_council_save").click()
    at.run()
    assert council.council(open_workspace(workspace_path)).label == "Devon County Council"
    assert SAMPLE_EXPECTED["council"] == council.SAMPLE_COUNCIL


def test_settings_are_choices_with_one_save(workspace_path: Path) -> None:
    at = run("views/settings.py")
    # The Procurement Act thresholds below have a form of their own (one threshold changed at a time, with its source).
    assert {s.key for s in at.selectbox if s.key.startswith("setting_")} == {"setting_input_money_style",
                                                                              "setting_input_year_style"}
    money = at.selectbox(key="setting_input_money_style")
    assert money.options == ["short: £12.3m, £450k", "govuk: £12.3 million, £450,000"]
    assert [b.key for b in at.button if not b.key.startswith("act_")] == ["settings_save"]
    money.select("govuk")
    at.selectbox(key="setting_input_year_style").select("dash")
    at.text_input(key="setting_input_council_name").set_value("Devon County Council")
    at.button(key="settings_save").click()
    at.run()
    assert not at.exception and [s.value for s in at.success] == ["Settings saved."]
    ws = open_workspace(workspace_path)
    assert [settings.get_setting(ws, n) for n in ("money_style", "year_style", "council_name")] == [
        "govuk", "dash", "Devon County Council"]


PAGES = ["views/overview.py", "views/upload.py", "views/impact_areas.py", "views/suppliers.py",
         "views/classification.py", "views/contracts.py", "views/renewals.py", "views/framework.py",
         "views/action_plan.py"]
DATE_COLUMN = re.compile(r"date|due|start|end|reached|ends|dates|by$|on$", re.IGNORECASE)


@pytest.mark.parametrize("page", PAGES)
def test_no_date_cell_reads_none(workspace_path: Path, built_sample: Path, page: str) -> None:
    """Streamlit writes 'None' in a table's empty cell unless the table sets a placeholder: every table with a
    date column that has gaps sets one, and no cell holds the text 'None'."""
    shutil.copy(built_sample, workspace_path)
    at = run(page)
    checked = 0
    for table in at.dataframe:
        frame = table.value
        for column in frame.columns:
            assert not frame[column].astype(str).eq("None").any(), (page, column)
            if DATE_COLUMN.search(str(column)) and frame[column].isna().any():
                assert table.proto.HasField("placeholder") and table.proto.placeholder == "", (page, column)
                checked += 1
    if page in ("views/action_plan.py", "views/framework.py"):
        assert checked  # the sample plan has actions and milestones without dates: the check has bitten
