"""A council's own workspace: 'new' (and 'init'), removing the sample in one step, and the rule that a council's
name labels only its own data, on title pages, source lines and file names. Exact figures throughout: the
sample's from sample_data/expected.json (the generator's own), the Devon file's from its published totals row."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from sp_analysis import sample, settings
from sp_analysis.ingest import council
from sp_analysis.ingest.load import load_file, load_paths
from sp_analysis.output.pack import build_pack, write_docx
from sp_analysis.workspace import Workspace, close_workspace, open_workspace
from tests.conftest import DEVON_2026_03, ROOT, SAMPLE_EXPECTED, SAMPLE_PAYMENTS, SAMPLE_SPEND_FILES, cli

DEVON_ROWS, DEVON_TOTAL = 3_545, Decimal("57492900.67")  # the file's published totals row
GOOD = "Date,Supplier Name,Amount\n01/04/2024,Acme,10.00\n02/04/2025,Beta,\"1,000.25\"\n"


@pytest.fixture(scope="module")
def built_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample workspace, built once through the command line; each test works on a copy."""
    path = tmp_path_factory.mktemp("sample") / "sample.duckdb"
    done = cli("sample", "--workspace", str(path))
    assert done.returncode == 0, done.stderr
    return path


@pytest.fixture
def sample_ws(built_sample: Path, tmp_path: Path) -> Workspace:
    path = tmp_path / "copy.duckdb"
    shutil.copy(built_sample, path)
    workspace = open_workspace(path)
    yield workspace
    close_workspace(path)


def docx_text(data: bytes) -> str:
    """Every paragraph and table cell of a Word document, one per line."""
    import io

    import docx

    document = docx.Document(io.BytesIO(data))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def scalar(ws: Workspace, sql: str) -> object:
    with ws.read() as cur:
        row = cur.execute(sql).fetchone()
    assert row is not None
    return row[0]


# --- new / init ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("command", ["new", "init"])
def test_new_makes_an_empty_workspace_with_the_councils_name(tmp_path: Path, command: str) -> None:
    path = tmp_path / "devon.duckdb"
    done = cli(command, "--workspace", str(path), "--council", "  Devon   County Council ")
    assert done.returncode == 0, done.stderr
    assert "an empty workspace for Devon County Council" in done.stdout
    ws = open_workspace(path)
    try:
        assert council.data_already_held(ws) is None
        assert scalar(ws, "SELECT count(*) FROM plan_actions") == 0
        assert scalar(ws, "SELECT count(*) FROM ff_assessments") == 0
        assert settings.get_setting(ws, "council_name") == "Devon County Council"
        who = council.council(ws)
        assert (who.label, who.holding, who.slug) == ("Devon County Council", "own", "devon-county-council")
    finally:
        close_workspace(path)
    again = cli(command, "--workspace", str(path), "--council", "Devon County Council")
    assert again.returncode == 0 and "nothing was changed" in again.stdout


def test_new_refuses_the_samples_name_and_a_workspace_holding_data(tmp_path: Path, built_sample: Path) -> None:
    path = tmp_path / "x.duckdb"
    refused = cli("new", "--workspace", str(path), "--council", "harrowdale county council")
    assert refused.returncode == 1 and "fictional sample council's name" in refused.stderr
    held = cli("new", "--workspace", str(built_sample), "--council", "Devon County Council")
    assert held.returncode == 1
    notices = json.loads((ROOT / "sample_data" / "expected_notices.json").read_text(encoding="utf-8"))
    contracts = SAMPLE_EXPECTED["contracts"]["rows"] + notices["notice_contracts"]  # as the generators counted them
    assert f"{SAMPLE_SPEND_FILES + 3} loaded files, {SAMPLE_PAYMENTS:,} payments and {contracts} contracts" in held.stderr
    assert "for Harrowdale County Council, so nothing was changed" in held.stderr


def test_sample_is_not_built_into_a_named_councils_workspace(tmp_path: Path) -> None:
    path = tmp_path / "devon.duckdb"
    assert cli("new", "--workspace", str(path), "--council", "Devon County Council").returncode == 0
    done = cli("sample", "--workspace", str(path))
    assert done.returncode == 1 and "is Devon County Council's workspace" in done.stderr
    ws = open_workspace(path)
    try:
        assert council.data_already_held(ws) is None
    finally:
        close_workspace(path)


# --- the naming rule -----------------------------------------------------------------------------------------

def test_the_sample_alone_is_labelled_with_the_samples_name(sample_ws: Workspace) -> None:
    who = council.council(sample_ws)
    assert (who.holding, who.sample_files, who.other_files) == ("sample", SAMPLE_SPEND_FILES + 3, 0)
    assert who.label == "Harrowdale County Council"
    # Even when someone typed another council's name into Settings: the data are still the sample's.
    settings.set_setting(sample_ws, "council_name", "Devon County Council")
    assert council.council(sample_ws).label == "Harrowdale County Council"


def test_a_workspace_mixing_the_sample_with_other_files_names_no_council(sample_ws: Workspace) -> None:
    load_file(sample_ws, DEVON_2026_03.name, DEVON_2026_03.read_bytes(), "spend")
    who = council.council(sample_ws)
    assert (who.holding, who.sample_files, who.other_files) == ("mixed", SAMPLE_SPEND_FILES + 3, 1)
    assert who.label == council.MIXED_LABEL and "Harrowdale" not in who.whose("published spend")
    assert who.file_name("top-suppliers") == "sample-mixed-with-other-files-top-suppliers"
    built = build_pack(sample_ws, ["top_suppliers_table"])
    assert "Harrowdale" not in built.council and "Harrowdale" not in built.context.source
    assert built.context.source.startswith("Source: published spend over £500 of the fictional sample council mixed "
                                           "with other files")
    text = docx_text(write_docx(built))
    # (The sample's own suppliers, such as Harrowdale Pension Fund, are in its data; its council's name is not.)
    assert council.SAMPLE_COUNCIL not in text and f"{council.MIXED_LABEL}: sustainable procurement" in text


def test_remove_sample_leaves_only_the_councils_own(sample_ws: Workspace) -> None:
    load_file(sample_ws, DEVON_2026_03.name, DEVON_2026_03.read_bytes(), "spend")
    settings.set_setting(sample_ws, "renewal_lead_times", "6, 100k: 9")  # a setting of the council's own
    removed = sample.remove_sample(sample_ws)
    # the register and the two notice files, as their generators counted them
    notices = json.loads((ROOT / "sample_data" / "expected_notices.json").read_text(encoding="utf-8"))
    contracts = SAMPLE_EXPECTED["contracts"]["rows"] + notices["notice_contracts"]
    assert removed == sample.SampleRemoval(spend_files=SAMPLE_SPEND_FILES, contracts_files=3, payments=SAMPLE_PAYMENTS,
                                           contracts=contracts, actions=11, targets=10, assessments=5,
                                           supplier_list=True, kept_files=1)
    assert removed.describe().startswith(f"Removed {SAMPLE_SPEND_FILES} sample spend files ({SAMPLE_PAYMENTS:,} "
                                         f"payments), 3 contracts files, the register and its notices ({contracts:,} "
                                         "contracts)")
    with sample_ws.read() as cur:
        assert cur.execute("SELECT count(*), sum(amount) FROM payments").fetchone() == (DEVON_ROWS, DEVON_TOTAL)
        assert cur.execute("SELECT list(name) FROM loaded_files").fetchone() == ([DEVON_2026_03.name],)
        for table in ("contracts", "plan_actions", "plan_milestones", "plan_action_status", "ff_targets",
                      "ff_assessments", "ff_assessment_items", "supplier_attributes", "supplier_attribute_uploads"):
            assert cur.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,), table
        assert cur.execute("SELECT count(*) FROM payment_classes WHERE file_id NOT IN "
                           "(SELECT file_id FROM loaded_files)").fetchone() == (0,)
        # The Flexible Framework's criteria, the categories and rules are not the sample's.
        assert cur.execute("SELECT count(*) > 0 FROM ff_criteria").fetchone() == (True,)
    assert settings.get_setting(sample_ws, "council_name") == ""
    assert settings.get_setting(sample_ws, "local_postcode_districts") == ""
    assert settings.get_setting(sample_ws, "renewal_lead_times") == "6, 100k: 9"
    who = council.council(sample_ws)
    assert (who.holding, who.label, who.whose("spend")) == ("own", "", "the council's spend")
    assert sample.remove_sample(sample_ws).describe() == "The workspace held no sample data; nothing was removed."


def test_remove_sample_empties_a_sample_workspace_for_the_first_run_choice(sample_ws: Workspace) -> None:
    assert not council.is_blank(sample_ws)
    sample.remove_sample(sample_ws)
    assert council.is_blank(sample_ws)
    assert council.start_workspace(sample_ws, "Devon County Council") is True
    assert [r.rows for _p, r in load_paths(sample_ws, [DEVON_2026_03], "spend")] == [DEVON_ROWS]
    built = build_pack(sample_ws, ["top_suppliers_table"])
    assert built.council == "Devon County Council"
    text = docx_text(write_docx(built))
    assert "Devon County Council: sustainable procurement" in text and "Harrowdale" not in text
    assert built.context.source.startswith("Source: Devon County Council's published spend over £500 (1 file with payments in view)")


def test_the_samples_name_left_in_settings_never_labels_other_data(ws: Workspace, tmp_path: Path) -> None:
    settings.set_setting(ws, "council_name", council.SAMPLE_COUNCIL)
    load_file(ws, "good.csv", GOOD.encode(), "spend")
    who = council.council(ws)
    assert (who.holding, who.name, who.label, who.slug) == ("own", "", "", "")
    assert who.file_name("payments-all") == "payments-all"
    assert build_pack(ws, ["top_suppliers_table"]).council == "The council"


def test_start_workspace_refuses_what_it_should(ws: Workspace) -> None:
    for name, words in (("  ", "give the council's name"), ("Harrowdale County Council", "fictional sample")):
        with pytest.raises(ValueError, match=words):
            council.start_workspace(ws, name)
    load_file(ws, "good.csv", GOOD.encode(), "spend")
    with pytest.raises(ValueError, match="already holds data"):
        council.start_workspace(ws, "Devon County Council")
    assert settings.get_setting(ws, "council_name") == ""
