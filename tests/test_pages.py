"""Every page runs under Streamlit's AppTest with no exception and shows the right figures."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from sp_analysis.ingest.load import load_file
from sp_analysis.workspace import open_workspace
from tests.conftest import APP, DEVON_2026_03, ROOT, run_page

PAGES = ["views/overview.py", "views/upload.py", "views/impact_areas.py", "views/suppliers.py",
         "views/classification.py", "views/settings.py", "views/cabinet_pack.py", "views/contracts.py",
         "views/renewals.py", "views/framework.py", "views/action_plan.py", "views/procurement_act.py"]
HEADER = "Date,Supplier Name,Amount,Expense Area\n"


def upload(at: AppTest, files: list[tuple[str, bytes]]) -> None:
    """Choose files in the uploader and press Load (one run: form values land on submit)."""
    at.file_uploader(key="upload_files").set_value([(name, data, "text/csv") for name, data in files])
    at.button(key="upload_submit").click()
    at.run()
    assert not at.exception, [e.message for e in at.exception]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_on_an_empty_workspace(workspace_path: Path, page: str) -> None:
    run_page(page)


def test_overview_shows_exact_totals(workspace_path: Path) -> None:
    ws = open_workspace(workspace_path)
    load_file(ws, "a.csv", (HEADER + "01/04/2024,Acme,1000.10,H\n31/03/2025,Beta,\"2,000.05\",W\n"
                            "01/04/2025,Gamma,0.01,W\n").encode(), "spend")
    at = run_page("views/overview.py")
    metrics = {m.label: m for m in at.metric}
    assert metrics["Total net spend"].value == "£3k"
    assert metrics["Total net spend"].proto.help.startswith("£3,000.16.")
    years = next(d.value for d in at.dataframe if "Financial year" in d.value.columns)
    assert list(years["Financial year"]) == ["2024/25", "2025/26"]
    assert list(years["All"]) == ["£3,000.15", "£0.01"]
    assert at.get("plotly_chart")


def test_upload_page_loads_a_file_and_shows_its_report(workspace_path: Path) -> None:
    at = run_page("views/upload.py")
    data = (HEADER + "01/04/2024,Acme,10.50,H\n,,10.50,\n").encode()
    upload(at, [("april.csv", data)])
    successes = [s.value for s in at.success]
    assert any("april.csv: loaded 1 payment, total £10.50" in s for s in successes), successes
    # The report of the file just loaded, then the same from the list of loaded files.
    reports = [dict(t.value.itertuples(index=False)) for t in at.table if list(t.value.columns) == ["Check", "april.csv"]]
    assert len(reports) == 2 and reports[0] == reports[1]
    report = reports[0]
    assert report["Payments loaded"] == "1"
    assert report["Total"] == "£10.50"
    assert report["Rows read below the header"] == "2"
    assert report["Skipped: totals row"] == "1; line 3"
    assert report["Published totals row"] == "£10.50: matches the payments loaded"
    assert report["Payment dates"] == "1 Apr 2024 to 1 Apr 2024"
    table = next(d.value for d in at.dataframe if "File" in d.value.columns)
    assert list(table["File"]) == ["april.csv"]
    assert list(table["Total"]) == ["£10.50"]
    assert list(table["Published total"]) == ["matches"]


def test_upload_page_names_the_bad_line_and_loads_nothing(workspace_path: Path) -> None:
    at = run_page("views/upload.py")
    upload(at, [("bad.csv", (HEADER + "01/04/2024,Acme,ten,H\n").encode())])
    errors = [e.value for e in at.error]
    assert errors and errors[0].startswith("bad.csv: ") and "line 2" in errors[0], errors
    ws = open_workspace(workspace_path)
    with ws.read() as cur:
        assert cur.execute("SELECT count(*) FROM payments").fetchone() == (0,)


def test_upload_page_loads_a_real_council_file(workspace_path: Path) -> None:
    path = DEVON_2026_03
    at = run_page("views/upload.py")
    upload(at, [(path.name, path.read_bytes())])
    assert any("3,545 payments, total £57,492,900.67" in s.value for s in at.success)
    at.switch_page("views/overview.py")
    at.run()
    assert {m.label: m.proto.help for m in at.metric}["Total net spend"].startswith("£57,492,900.67.")


def test_upload_page_asks_for_columns_it_cannot_recognise_and_remembers_them(workspace_path: Path) -> None:
    at = run_page("views/upload.py")
    upload(at, [("odd.csv", b"When,Who,How much,Other\n01/04/2024,Acme,1.50,9.99\n")])
    assert any("cannot tell which column" in w.value for w in at.warning)
    at.selectbox(key="map_0_payment_date").set_value(0)
    at.selectbox(key="map_0_supplier_name").set_value(1)
    at.selectbox(key="map_0_amount").set_value(2)
    at.run()
    at.button(key="map_load_0").click()
    at.run()
    assert not at.exception
    assert any("odd.csv: loaded 1 payment, total £1.50" in s.value for s in at.success)
    # The next file of the same shape loads without asking.
    upload(at, [("odd-2.csv", b"When,Who,How much\n02/04/2024,Beta,2.25\n")])
    assert not at.warning
    assert any("odd-2.csv: loaded 1 payment, total £2.25" in s.value for s in at.success)


def test_upload_page_loads_a_contracts_register(workspace_path: Path) -> None:
    at = run_page("views/upload.py")
    at.radio(key="upload_kind").set_value("contracts")
    register = "Contract Title,Supplier Name,Contract Value\nWaste,Greenfield,\"£1,000\"\nCare,Brightway,2500.5\n"
    upload(at, [("register.csv", register.encode())])
    assert any("register.csv: loaded 2 contracts, total £3,500.50" in s.value for s in at.success), at.error


def test_removing_a_file_from_the_page(workspace_path: Path) -> None:
    ws = open_workspace(workspace_path)
    load_file(ws, "keep.csv", (HEADER + "01/04/2024,A,1.00,H\n").encode(), "spend")
    load_file(ws, "drop.csv", (HEADER + "02/04/2024,B,2.00,H\n03/04/2024,C,3.00,H\n").encode(), "spend")
    at = run_page("views/upload.py")
    at.selectbox(key="remove_pick").set_value(1)
    at.checkbox(key="remove_confirm").check()
    at.run()
    at.button(key="remove_button").click()
    at.run()
    assert not at.exception
    assert any("Removed drop.csv and its 2 rows" in i.value for i in at.info)
    assert list(at.dataframe[0].value["File"]) == ["keep.csv"]


SPEND = (
    "Date,Supplier Name,Supplier ID,Amount,Expense Area,Expense Type\n"
    "01/04/2024,Brightway Care Ltd,S1,\"60,000.00\",Adult Care,Residential Care - Older People\n"
    "02/05/2024,BRIGHTWAY CARE LIMITED,S1,\"40,000.00\",Adult Care,Residential Care - Older People\n"
    "03/06/2024,Paperclip Stationers,S2,500.00,Corporate,Stationery\n"
    "04/07/2024,Harrowdale Pension Fund,S3,\"2,000.00\",Corporate,Pension Fund Contributions\n"
    "05/04/2025,Brightway Care Ltd,S1,\"1,000.00\",Adult Care,Residential Care - Older People\n"
)


@pytest.fixture
def loaded(workspace_path: Path) -> Path:
    ws = open_workspace(workspace_path)
    load_file(ws, "spend.csv", SPEND.encode(), "spend")
    return workspace_path


def test_overview_matrix_and_filters(loaded: Path) -> None:
    at = run_page("views/overview.py")
    metrics = {m.label: m.proto.help.split(". ")[0] for m in at.metric}  # the exact figure leads the help
    assert metrics["Total net spend"] == "£103,500.00"
    assert metrics["Influenceable spend"] == "£101,500.00"  # the pension contribution is not influenceable
    assert metrics["Over £100k"] == "£100,000.00"  # Brightway's 2024/25 total is exactly £100,000.00
    assert metrics["High-impact areas"] == "£101,500.00"  # care, and stationery (paper is a priority area)
    at.multiselect(key="filter_years").set_value(["2025/26"])
    at.run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["Total net spend"] == "£1k"


def test_impact_areas_drill_down(loaded: Path) -> None:
    at = run_page("views/impact_areas.py")
    table = at.dataframe[0].value
    assert dict(zip(table["Category"], table["Net spend"], strict=True)) == {
        "Health and social care": "£101,000.00", "Pulp, paper and printing": "£500.00", "Pensions": "£2,000.00"}
    assert at.selectbox(key="impact_category_pick").value == "Health and social care"
    payments = at.dataframe[2].value
    assert len(payments) == 3


def test_suppliers_page_merges_spellings_and_shows_shares(loaded: Path) -> None:
    at = run_page("views/suppliers.py")
    top = at.dataframe[0].value
    assert list(top["Net spend"]) == ["£101,000.00", "£2,000.00", "£500.00"]
    assert list(top["Share"]) == ["97.6%", "1.9%", "0.5%"]
    assert {m.label: m.value for m in at.metric}["Suppliers paid"] == "3"


def test_how_was_this_calculated_shows_the_statement_that_ran_with_its_values(loaded: Path) -> None:
    at = run_page("views/suppliers.py")
    at.slider(key="suppliers_top_n").set_value(10)
    at.run()
    expander = next(e for e in at.expander if e.label == "How was this calculated?")
    assert "LIMIT $limit" in expander.code[0].value
    assert "$limit = 10" in expander.caption[0].value  # the value that ran, beside the statement


def test_settings_refuse_bands_without_the_100k_line(loaded: Path) -> None:
    at = run_page("views/settings.py")
    at.text_input(key="setting_input_value_band_boundaries").set_value("25k, 200k")
    at.button(key="settings_save").click()
    at.run()
    assert any("Nothing was saved" in e.value and "£100k boundary" in e.value for e in at.error)


SECRETS_AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "test-secret",
                "client_id": "id", "client_secret": "secret",
                "server_metadata_url": "https://login.example.org/.well-known/openid-configuration"}


def signed_app(page: str, user: dict[str, object]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["auth"] = SECRETS_AUTH
    at.secrets["sp_analysis"] = {"editors": ["editor@council.example"]}
    at.user = user
    at.run()
    if page != PAGES[0] and at.get("button") and not any(b.key == "sign_in" for b in at.button):
        at.switch_page(page)
        at.run()
    return at


def test_with_sign_in_configured_nobody_sees_data_before_signing_in(loaded: Path) -> None:
    at = signed_app("views/overview.py", {"is_logged_in": False})
    assert not at.exception
    assert [b.key for b in at.button] == ["sign_in"]
    assert not at.metric and not at.dataframe


def test_a_signed_in_reader_sees_data_but_cannot_upload(loaded: Path) -> None:
    at = signed_app("views/overview.py", {"is_logged_in": True, "email": "reader@council.example"})
    assert {m.label: m.value for m in at.metric}["Total net spend"] == "£104k"
    at.switch_page("views/upload.py")
    at.run()
    assert at.button(key="upload_submit").disabled
    assert any("Only the workspace's editors" in c.value for c in at.caption)
    assert not [b for b in at.button if b.key == "remove_button"]


def test_a_listed_editor_can_upload(loaded: Path) -> None:
    at = signed_app("views/overview.py", {"is_logged_in": True, "email": "Editor@Council.example"})
    at.switch_page("views/upload.py")
    at.run()
    assert not at.button(key="upload_submit").disabled
    upload(at, [("more.csv", (HEADER + "01/04/2024,Acme,10.50,H\n").encode())])
    assert any("more.csv: loaded 1 payment" in s.value for s in at.success)


def test_there_is_no_pages_folder_beside_the_router() -> None:
    # With a folder called pages/ next to app.py, Streamlit runs a page file on its own (skipping the
    # router and its sign-in check) for the first visit to a page's address after the server starts.
    assert not (ROOT / "pages").exists()
