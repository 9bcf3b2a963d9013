"""Contracts from OCDS notices (sp_analysis/ingest/ocds.py) and the register beside them (sp_analysis/contracts/notices.py).

The files in tests/fixtures/ocds were written for these tests from the published OCDS schema (release 1.1, and
the 1.0 shape where the buyer and each supplier are whole organisations with no parties list); every name in
them is made up. They carry the faults real notices have: suppliers sharing one company number, empty names,
impossible dates (30 February, an end before the start), a value of 0, a value in euros, a value written as
text, an award updated by a later release, a cancelled award, an award with no supplier, a tender notice with
no award, a record package with a compiled release and one without.

Every expected figure below is written out by hand from the fixture files; the totals are also computed by a
plain-Python reading of the JSON (`_model_total`), independent of the SQL.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from conftest import FIXTURES, SAMPLE_EXPECTED, table_state

from sp_analysis.contracts import compare
from sp_analysis.contracts import register as C
from sp_analysis.ingest.errors import AlreadyLoaded, LoadError
from sp_analysis.ingest.load import load_file, load_path
from sp_analysis.ingest.report import describe
from sp_analysis.workspace import Workspace

OCDS = FIXTURES / "ocds"
RELEASES_11 = OCDS / "release-package-1-1.json"
RELEASES_10 = OCDS / "release-package-1-0.json"
RECORDS = OCDS / "record-package.json"
REGISTER = OCDS / "register.csv"
TODAY = dt.date(2026, 1, 1)
ROOT = Path(__file__).resolve().parent.parent

ROWS = """
SELECT ocid, award_id, supplier_name, company_number, ppon, value_whole_life, start_date, end_date, award_date, sme,
       cpv_code, route, buyer, title, source, notice_id
FROM contracts ORDER BY source_row
"""


def _rows(ws: Workspace) -> list[dict[str, object]]:
    with ws.read() as cur:
        relation = cur.execute(ROWS)
        names = [d[0] for d in relation.description]
        return [dict(zip(names, row, strict=True)) for row in relation.fetchall()]


def _model_total(path: Path) -> Decimal:
    """The value the loader should count, by plain Python: each award's latest release; active awards with a
    supplier and a positive value in pounds; the award's value once, however many suppliers."""
    doc = json.loads(path.read_text())
    releases = doc.get("releases") or [r.get("compiledRelease") or r["releases"][-1] for r in doc["records"]]
    latest: dict[tuple[str, str], tuple[str, dict[str, object], dict[str, object]]] = {}
    for release in releases:
        for award in release.get("awards", []):
            key = (release["ocid"], str(award["id"]))
            if key not in latest or release["date"] >= latest[key][0]:
                latest[key] = (release["date"], award, release)
    total = Decimal(0)
    for _date, award, release in latest.values():
        if award.get("status") in ("cancelled", "unsuccessful", "pending") or not award.get("suppliers"):
            continue
        value = award.get("value") or next((c["value"] for c in release.get("contracts", [])
                                            if c.get("awardID") == award["id"]), None)
        if not value or value.get("currency", "GBP") != "GBP":
            continue
        amount = Decimal(str(value["amount"]).replace(",", ""))
        if amount > 0:
            total += amount.quantize(Decimal("0.01"))
    return total


def test_release_package_1_1_loads_each_award_and_supplier_with_its_faults_reported(ws: Workspace) -> None:
    result = load_path(ws, RELEASES_11, "contracts")
    assert (result.kind, result.rows, result.total) == ("contracts", 7, Decimal("450000.00"))
    assert result.total == _model_total(RELEASES_11)
    rows = {(r["ocid"], r["supplier_name"]): r for r in _rows(ws)}
    assert len(rows) == 7
    assert {r["source"] for r in rows.values()} == {"notices"}
    # The later release (an award update) supersedes the first: 125,000.00, not 120,000.50.
    cleaning = rows[("ocds-t3st01-0001", "Brightwater Cleaning Ltd")]
    assert cleaning == {
        "ocid": "ocds-t3st01-0001", "award_id": "1", "supplier_name": "Brightwater Cleaning Ltd",
        "company_number": "01234567", "ppon": "PABC-1234-DEFG", "value_whole_life": Decimal("125000.00"),
        "start_date": dt.date(2025, 5, 1), "end_date": dt.date(2028, 4, 30), "award_date": dt.date(2025, 4, 20),
        "sme": True, "cpv_code": "90910000", "route": "Open procedure", "buyer": "Testshire County Council",
        "title": "Office cleaning", "source": "notices", "notice_id": "ocds-t3st01-0001-award-2"}
    # Two suppliers share company number 07654321: it is used for neither. The value is counted once.
    kestrel = rows[("ocds-t3st01-0002", "Kestrel Grounds Ltd")]
    fernhill = rows[("ocds-t3st01-0002", "Fernhill Landscapes CIC")]
    assert (kestrel["company_number"], kestrel["value_whole_life"], kestrel["sme"]) == (None, Decimal("250000.00"), False)
    assert (fernhill["company_number"], fernhill["value_whole_life"], fernhill["sme"]) == (None, None, True)
    # An empty name everywhere keeps the company number; an empty award name takes the party's.
    nameless = rows[("ocds-t3st01-0003", None)]
    assert (nameless["company_number"], nameless["value_whole_life"]) == ("11223344", Decimal("30000.00"))
    printing = rows[("ocds-t3st01-0004", "Marlow Print Services Ltd")]
    # 30 February is no date: the start is left out, the end kept; '45,000.00' as text reads.
    assert (printing["start_date"], printing["end_date"], printing["value_whole_life"]) == (
        None, dt.date(2026, 1, 31), Decimal("45000.00"))
    software = rows[("ocds-t3st01-0005", "Quillon Software Ltd")]
    # A value of 0 is no value; an end before the start is left out.
    assert (software["value_whole_life"], software["start_date"], software["end_date"]) == (
        None, dt.date(2025, 9, 1), None)
    euros = rows[("ocds-t3st01-0008", "Ravensworth Consulting GmbH")]
    assert (euros["value_whole_life"], euros["start_date"], euros["end_date"], euros["award_date"]) == (
        None, None, None, None)

    quality = result.quality
    assert quality["source"] == "notices"
    assert (quality["releases"], quality["awards"], quality["rows"]) == (10, 9, 7)
    assert quality["skipped"] == {"award_not_active": 1, "superseded": 1, "no_award": 1, "award_without_supplier": 1}
    assert quality["skipped_examples"]["award_without_supplier"] == ["ocds-t3st01-0009"]
    assert {k: v["count"] for k, v in quality["issues"].items()} == {
        "not_positive": 1, "other_currency": 1, "no_dates": 1, "impossible_start": 1, "end_before_start": 1,
        "shared_identifier": 2, "no_name": 1, "several_suppliers": 1}
    assert quality["issues"]["impossible_start"]["examples"] == ["ocds-t3st01-0004"]
    assert quality["shared_identifiers"] == [
        {"company_number": "07654321", "suppliers": "Fernhill Landscapes CIC; Kestrel Grounds Ltd"}]
    assert (quality["no_value"], quality["no_end_date"], quality["first_date"], quality["last_date"]) == (
        2, 2, "2025-05-01", "2028-04-30")
    lines = dict(describe(quality, "contracts"))
    assert lines["Contracts loaded (one per award and supplier)"] == "7"
    assert lines["Total value of the awards loaded"] == "£450,000.00"
    assert lines["Contract dates"] == "1 May 2025 to 30 Apr 2028"
    assert lines["Loaded, but: start dates that are not real dates or lie outside 1990-2100 (left out)"] == (
        "1 (e.g. ocds-t3st01-0004)")
    assert lines["Not loaded: awards that name no supplier"] == "1 (e.g. ocds-t3st01-0009)"
    assert lines["Company number shared"] == "07654321: Fernhill Landscapes CIC; Kestrel Grounds Ltd"


def test_ocds_1_0_organisations_are_read_from_the_award_itself(ws: Workspace) -> None:
    result = load_path(ws, RELEASES_10, "contracts")
    assert (result.rows, result.total) == (2, Decimal("82500.99")) and result.total == _model_total(RELEASES_10)
    first, second = _rows(ws)
    # The 1.0 supplier object carries its identifier; a 7-digit company number is padded to 8.
    assert (first["supplier_name"], first["company_number"], first["buyer"], first["cpv_code"]) == (
        "Oakridge Transport Ltd", "05544332", "Testshire County Council", "60130000")
    # No name, an identifier 'N/A': the legal name names it, and there is no company number.
    assert (second["supplier_name"], second["company_number"], second["value_whole_life"]) == (
        "Hollin Catering Ltd", None, Decimal("18500.00"))
    assert result.quality["ocds_versions"] == ["1.0"]


def test_record_package_reads_compiled_releases_else_the_latest_embedded_release(ws: Workspace) -> None:
    result = load_path(ws, RECORDS, "contracts")
    assert (result.rows, result.total) == (2, Decimal("117000.10")) and result.total == _model_total(RECORDS)
    legal, security = _rows(ws)
    # The compiled release's award has no value or period: its contract's stand in, signed 20 Feb 2025.
    assert (legal["value_whole_life"], legal["start_date"], legal["end_date"], legal["award_date"]) == (
        Decimal("75000.00"), dt.date(2025, 3, 1), dt.date(2027, 2, 28), dt.date(2025, 2, 20))
    assert legal["company_number"] == "OC123456"
    assert (security["value_whole_life"], security["notice_id"]) == (Decimal("42000.10"), "0202-2")
    assert result.quality["skipped"] == {"superseded": 1}
    assert result.quality["format"] == "record package"


def test_a_notices_file_loaded_twice_is_refused_and_its_awards_never_count_twice(ws: Workspace) -> None:
    load_path(ws, RECORDS, "contracts")
    before = table_state(ws)
    with pytest.raises(AlreadyLoaded):
        load_path(ws, RECORDS, "contracts")
    # The same notices saved again (other bytes): every award is loaded already, so the file is refused.
    again = json.dumps(json.loads(RECORDS.read_text())).encode()
    with pytest.raises(LoadError, match=r"holds no award that can be loaded .*2 awards already loaded"):
        load_file(ws, "record-package-again.json", again, "contracts")
    assert table_state(ws) == before


@pytest.mark.parametrize(("name", "data", "kind", "words"), [
    ("broken.json", b'{"releases": [\n  {"ocid": "x",\n   "awards": [}\n]}', "contracts",
     r"broken\.json: is not valid JSON: it breaks off or holds a mistake on line 3"),
    ("cut-short.json", b'{"releases": [{"ocid": "x"', "contracts", r"is not valid JSON"),
    ("other.json", b'{"data": [1, 2, 3]}', "contracts", r"not an OCDS release or record package"),
    ("tenders.json", json.dumps({"releases": [{"ocid": "o-1", "id": "1", "date": "2025-01-01", "tag": ["tender"],
                                              "tender": {"id": "1"}}]}).encode(), "contracts",
     r"holds no award that can be loaded .*1 notices with no award"),
    ("latin.json", '{"releases": [{"ocid": "caf\u00e9"}]}'.encode("cp1252"), "contracts", r"is not UTF-8 text"),
    ("notices.json", RECORDS.read_bytes(), "spend", r"is JSON, not a spend file"),
])
def test_a_file_that_is_not_usable_ocds_is_refused_whole_naming_the_cause(
        ws: Workspace, name: str, data: bytes, kind: str, words: str) -> None:
    load_path(ws, REGISTER, "contracts")
    before = table_state(ws)
    with pytest.raises(LoadError, match=words) as refused:
        load_file(ws, name, data, kind)  # type: ignore[arg-type]
    assert refused.value.message.startswith(name)
    assert table_state(ws) == before


def test_register_and_notices_side_by_side(ws: Workspace) -> None:
    load_path(ws, REGISTER, "contracts")
    load_path(ws, RELEASES_11, "contracts")
    seen = compare.compare_register_and_notices(ws, TODAY)
    # Notice dates run from the award of ocds-t3st01-0004 (its start is no date) to the start of 0005.
    assert (seen.notices, seen.matched, seen.first, seen.last) == (7, 3, dt.date(2025, 2, 10), dt.date(2025, 9, 1))
    assert seen.buyers == (("Testshire County Council", 7),)
    pairs = {(p["reference"], p["ocid"]): p["matched_by"] for _, p in seen.pairs.iterrows()}
    assert pairs == {
        ("REF-001", "ocds-t3st01-0001"): "reference",  # the register's Open Contracting ID column
        ("REF-002", "ocds-t3st01-0002"): "supplier, start date and value",  # 14 days and £10,000 (4%) apart
        ("REF-008", "ocds-t3st01-0005"): "supplier, start date and value",  # the notice has no value
    }
    # REF-003: same supplier and start, £60,000 against £45,000 (25% apart): no match. REF-004: no notice.
    # REF-005 is under £30,000, REF-006 starts before the notices' period, REF-007 has no start date.
    assert list(seen.register_without_notice["reference"]) == ["REF-003", "REF-004"]
    assert list(seen.register_without_notice["contract_value"]) == [Decimal("60000.00"), Decimal("35000.00")]
    assert seen.register_not_compared == 1
    frame = seen.notices_without_register
    assert list(zip(frame["ocid"], frame["supplier_name"].astype(object).where(frame["supplier_name"].notna(), None),
                    strict=True)) == [
        ("ocds-t3st01-0004", "Marlow Print Services Ltd"), ("ocds-t3st01-0003", None),
        ("ocds-t3st01-0002", "Fernhill Landscapes CIC"), ("ocds-t3st01-0008", "Ravensworth Consulting GmbH")]

    # Matched notices are set aside: the register's 8 contracts and the 4 notices with no entry count, once each.
    register = C.contract_register(ws, TODAY)
    assert len(register) == 12
    assert list(register["source"]).count("notices") == 4
    values = [Decimal(v) for v in register["contract_value"] if v is not None and v == v]
    assert sum(values, Decimal(0)) == Decimal("1089999.99") + Decimal("45000.00") + Decimal("30000.00")


def test_the_threshold_edge_and_a_workspace_without_notices(ws: Workspace) -> None:
    load_path(ws, REGISTER, "contracts")
    empty = compare.compare_register_and_notices(ws, TODAY)
    assert (empty.has_notices, len(empty.register_without_notice), len(empty.pairs)) == (False, 0, 0)
    load_path(ws, RELEASES_11, "contracts")
    # At £29,999.99 the stationery contract (REF-005, £29,999.99) is in; at £30,000 it is not.
    lower = compare.compare_register_and_notices(ws, TODAY, threshold=Decimal("29999.99"))
    assert list(lower.register_without_notice["reference"]) == ["REF-003", "REF-004", "REF-005"]


def test_the_comparison_reads_its_figures_from_the_thresholds_table(ws: Workspace) -> None:
    """The £30,000 line and both matching tolerances are rows of act_thresholds: changing a row changes the result."""
    from sp_analysis.contracts import act

    load_path(ws, REGISTER, "contracts")
    load_path(ws, RELEASES_11, "contracts")
    pairs = lambda seen: {p["reference"] for _, p in seen.pairs.iterrows()}  # noqa: E731
    assert pairs(compare.compare_register_and_notices(ws, TODAY)) == {"REF-001", "REF-002", "REF-008"}
    # REF-002's notice starts 14 days after the register's: 13 days is too few
    act.set_threshold(ws, "notice_match_days", "13", None, "test")
    seen = compare.compare_register_and_notices(ws, TODAY)
    assert pairs(seen) == {"REF-001", "REF-008"} and "REF-002" in set(seen.register_without_notice["reference"])
    assert "13 days apart" in compare.notice_definitions(ws)["matching"]
    act.set_threshold(ws, "notice_match_days", "14", None, "test")
    assert pairs(compare.compare_register_and_notices(ws, TODAY)) == {"REF-001", "REF-002", "REF-008"}
    # REF-003: £60,000 against £45,000, 25% of the larger: within 25% it matches
    act.set_threshold(ws, "notice_match_value", "25", None, "test")
    assert "REF-003" in pairs(compare.compare_register_and_notices(ws, TODAY))
    assert "within 25% of the larger" in compare.notice_definitions(ws)["matching"]
    # the £30,000 line is the notifiable below-threshold row: at £29,999.99 REF-005 (£29,999.99) is listed
    act.set_threshold(ws, "notifiable_below_threshold", "29999.99", None, "test")
    assert "REF-005" in set(compare.compare_register_and_notices(ws, TODAY).register_without_notice["reference"])


def test_the_command_line_loads_notices_as_contracts(tmp_path: Path) -> None:
    workspace = tmp_path / "cli.duckdb"
    run = subprocess.run([sys.executable, "-m", "sp_analysis", "load", "--workspace", str(workspace), "--kind",
                          "contracts", str(RELEASES_11), str(RELEASES_11)], cwd=ROOT, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    assert "[1/2] loaded release-package-1-1.json: 7 contracts from notices, total £450,000.00" in run.stdout
    assert "[2/2] skipped release-package-1-1.json: already loaded" in run.stdout


EXPECTED_NOTICES = json.loads((ROOT / "sample_data" / "expected_notices.json").read_text())


def test_the_sample_council_has_notices_beside_its_register(tmp_path: Path) -> None:
    from sp_analysis.sample import build_sample_workspace
    from sp_analysis.summary import build_summary
    from sp_analysis.workspace import close_workspace, open_workspace

    path = tmp_path / "sample.duckdb"
    ws = open_workspace(path)
    try:
        _loaded, refused = build_sample_workspace(ws)
        assert not refused, [e.message for e in refused]
        seen = compare.compare_register_and_notices(ws, TODAY)
        assert seen.notices == EXPECTED_NOTICES["notice_contracts"]
        assert seen.matched == EXPECTED_NOTICES["matched"]
        assert sorted(seen.pairs["reference"]) == sorted(EXPECTED_NOTICES["matched_references"])
        assert sorted(seen.register_without_notice["reference"]) == EXPECTED_NOTICES["register_without_notice"]
        assert len(seen.notices_without_register) == EXPECTED_NOTICES["notices_without_register"]
        assert [seen.first.isoformat(), seen.last.isoformat()] == EXPECTED_NOTICES["period"]  # type: ignore[union-attr]
        summary = build_summary(ws, TODAY)["contracts"]
        # The register's own figures are as the generator made them; the notices are counted apart.
        assert (summary["rows"], summary["notices"]["rows"]) == (SAMPLE_EXPECTED["contracts"]["rows"],
                                                                 EXPECTED_NOTICES["notice_contracts"])
        assert summary["notices"]["total_value"] == EXPECTED_NOTICES["notice_value"]
        assert summary["notices"]["matched"] == EXPECTED_NOTICES["matched"]
    finally:
        close_workspace(path)


def test_the_contracts_page_shows_register_and_notices_with_downloads(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.testing.v1 import AppTest

    from sp_analysis.workspace import close_workspace, open_workspace

    path = tmp_path / "page.duckdb"
    monkeypatch.setenv("SP_WORKSPACE", str(path))
    try:
        page = AppTest.from_file(str(ROOT / "views" / "contracts.py"), default_timeout=120)
        page.run()
        assert not page.exception, [e.message for e in page.exception]
        assert any("No notices are loaded yet" in i.value for i in page.info)
        from sp_analysis.settings import set_setting

        set_setting(open_workspace(path), "council_name", "Harrowdale County Council")

        ws = open_workspace(path)
        load_path(ws, REGISTER, "contracts")
        load_path(ws, RELEASES_11, "contracts")
        page.run()
        assert not page.exception, [e.message for e in page.exception]
        shown = {m.label: m.value for m in page.metric}
        assert (shown["Contracts in notices"], shown["Matched to the register"], shown["In the register, no notice"],
                shown["In a notice, not in the register"]) == ("7", "3", "2", "4")
        # The notices are another council's: the page says so.
        assert any("a buyer other than Harrowdale County Council: Testshire County Council (7)" in w.value
                   for w in page.warning)

        def table(column: str) -> pd.DataFrame:
            return next(d.value for d in page.dataframe if column in d.value.columns)

        missing = table("Register file")
        assert list(missing["Reference"]) == ["REF-003", "REF-004"]
        assert list(missing["Value"]) == ["£60,000.00", "£35,000.00"]
        assert list(missing["Start"]) == ["10 Feb 2025", "1 Jun 2025"]
        extra = table("Notices file")
        assert list(extra["Process id (ocid)"]) == ["ocds-t3st01-0004", "ocds-t3st01-0003", "ocds-t3st01-0002",
                                                    "ocds-t3st01-0008"]
        assert list(extra["Value"]) == ["£45,000.00", "£30,000.00", "", ""]
        matched = table("Matched by")
        assert list(matched["Matched by"]) == ["supplier, start date and value", "reference",
                                               "supplier, start date and value"]
        assert list(matched["Notice minus register"]) == ["£10,000.00", "£0.00", ""]
        # The register counts each contract once: 8 from the register, 4 from notices with no entry.
        register = table("Paid to supplier within term")
        assert len(register) == 12 and list(register["From"]).count("notices") == 4
        keys = {b.key for b in page.get("download_button")}
        assert {"contracts_no_notice_download_csv", "contracts_no_notice_download_xlsx",
                "contracts_no_register_download_csv", "contracts_matched_download_xlsx"} <= keys
    finally:
        close_workspace(path)
