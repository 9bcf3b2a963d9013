"""Families of shapes councils publish, each as a small file written here, loaded with exact rows and totals.

Each test builds a file in one shape (not a copy of any council's file), loads it, and checks the loaded
payments against figures worked out by hand from the file's own text.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sp_analysis.ingest.errors import LoadError, RepeatsLoaded
from sp_analysis.ingest.load import load_file
from sp_analysis.ingest.report import describe
from sp_analysis.ingest.source import ALL_SHEETS, SHEET_SPAN
from sp_analysis.settings import value_bands
from sp_analysis.spend.facts import ensure_current
from sp_analysis.spend.filters import SpendFilters
from sp_analysis.spend.queries import payments_behind
from sp_analysis.workspace import Workspace
from tests.conftest import xlsx_bytes


def _rows(ws: Workspace, file_id: int) -> list[tuple]:
    with ws.read() as cur:
        return cur.execute(
            "SELECT source_row, payment_date, date_precision, date_end, financial_year, amount, supplier_name, "
            "is_redacted, sheet FROM payments WHERE file_id = $f ORDER BY source_row", {"f": file_id}).fetchall()


def test_camel_case_and_snake_case_headers(ws: Workspace) -> None:
    text = "PaymentDate,BeneficiaryName,NetAmount,expense_type\n02/05/2024,Acme Ltd,10.50,Works\n03/05/2024,Beta,-2.25,Fuel\n"
    result = load_file(ws, "camel.csv", text.encode(), "spend")
    assert (result.rows, result.total) == (2, Decimal("8.25"))
    assert result.quality["columns"] == {"payment_date": "PaymentDate", "supplier_name": "BeneficiaryName",
                                         "amount": "NetAmount", "expense_type": "expense_type"}


def test_lga_spend_schema_loads_unasked_into_canonical_columns(ws: Workspace) -> None:
    header = ("OrganisationLabel,OrganisationURI,EffectiveDate,OrganisationalUnit,BeneficiaryName,BeneficiaryOtherID,"
              "PaymentDate,TransactionNumber,Amount,IrrecoverableVATAmount,Purpose,ProclassLabel,ProclassCode,"
              "InvoiceNumber,VATRegistrationNumber\n")
    line = ("Fictional Borough Council,http://example.org/c,2024-06-30,Highways,Roadmend Ltd,S123,2024-06-03,T1,"
            "1200.00,0.00,Pothole repairs,Highways,E10,INV-9,GB123456789\n")
    result = load_file(ws, "lga.csv", (header + line).encode(), "spend")
    assert (result.rows, result.total) == (1, Decimal("1200.00"))
    assert result.quality["columns"] == {
        "payment_date": "PaymentDate", "supplier_name": "BeneficiaryName", "amount": "Amount",
        "supplier_id": "BeneficiaryOtherID", "department": "OrganisationalUnit", "expense_type": "Purpose",
        "proclass_code": "ProclassCode", "proclass_label": "ProclassLabel", "transaction_ref": "TransactionNumber",
        "body": "OrganisationLabel", "vat_number": "VATRegistrationNumber", "invoice_ref": "InvoiceNumber"}
    with ws.read() as cur:
        assert cur.execute("SELECT proclass_code, proclass_label, department FROM payments").fetchone() == (
            "E10", "Highways", "Highways")


def test_gross_vat_net_takes_net_and_never_vat(ws: Workspace) -> None:
    text = "Date,Supplier,Gross,VAT,Net\n01/04/2024,Acme,120.00,20.00,100.00\n"
    result = load_file(ws, "gvn.csv", text.encode(), "spend")
    assert result.total == Decimal("100.00")
    assert result.quality["columns"]["amount"] == "Net"


def test_cr_only_line_ends(ws: Workspace) -> None:
    text = "Date,Supplier,Amount\r01/04/2024,Acme,1.00\r02/04/2024,Beta,2.00\r"
    result = load_file(ws, "mac.csv", text.encode(), "spend")
    assert (result.rows, result.total) == (2, Decimal("3.00"))
    assert [r[0] for r in _rows(ws, result.file_id)] == [2, 3]


def test_excel_serial_dates_in_a_csv(ws: Workspace) -> None:
    text = "Date,Supplier,Amount\n45383,Acme,5.00\n45384,Beta,6.00\n"
    result = load_file(ws, "serial.csv", text.encode(), "spend")
    assert [r[1] for r in _rows(ws, result.file_id)] == [dt.date(2024, 4, 1), dt.date(2024, 4, 2)]


def test_month_dates_keep_their_precision(ws: Workspace) -> None:
    text = "Clearing Date,Supplier,Amount £\nSep 2014,Acme,5.00\nSep 2014,Beta,6.00\nMar-15,Gamma,1.00\n"
    result = load_file(ws, "month.csv", text.encode(), "spend")
    rows = _rows(ws, result.file_id)
    assert [(r[1], r[2], r[3], r[4]) for r in rows] == [
        (dt.date(2014, 9, 1), "month", dt.date(2014, 9, 30), "2014/15"),
        (dt.date(2014, 9, 1), "month", dt.date(2014, 9, 30), "2014/15"),
        (dt.date(2015, 3, 1), "month", dt.date(2015, 3, 31), "2014/15")]
    assert result.quality["precisions"] == ["month"]


def test_period_and_quarter_dates(ws: Workspace) -> None:
    text = ("Date,Supplier,Invoice Line Value (net of VAT)\nJuly 2010-September 2010,Acme,5.00\n"
            "Q4 2010/11,Beta,6.00\n")
    result = load_file(ws, "period.csv", text.encode(), "spend")
    rows = _rows(ws, result.file_id)
    assert [(r[1], r[2], r[3], r[4]) for r in rows] == [
        (dt.date(2010, 7, 1), "quarter", dt.date(2010, 9, 30), "2010/11"),
        (dt.date(2011, 1, 1), "quarter", dt.date(2011, 3, 31), "2010/11")]
    assert result.total == Decimal("11.00")


def test_a_various_line_is_kept_and_takes_the_files_one_year(ws: Workspace) -> None:
    lines = "".join(f"{d % 28 + 1:02d}/01/2017,Supplier {d},{d}.00\n" for d in range(1, 46))
    text = "Pay Date,Supplier Name,Amount\n" + lines + "VARIOUS,Card Payments,99.99\n,Blank Date Ltd,0.01\n"
    result = load_file(ws, "various.csv", text.encode(), "spend")
    assert result.rows == 47
    assert result.total == Decimal(sum(range(1, 46))) + Decimal("100.00")
    assert result.quality["undated"] == 2 and result.quality["undated_lines"] == [47, 48]
    assert result.quality["undated_total"] == "100.00" and result.quality["undated_fy"] == 2016
    undated = [r for r in _rows(ws, result.file_id) if r[2] == "none"]
    assert [(r[1], r[4], r[6]) for r in undated] == [(None, "2016/17", "Card Payments"), (None, "2016/17", "Blank Date Ltd")]


def test_an_undated_line_in_a_file_spanning_years_has_no_year(ws: Workspace) -> None:
    lines = "".join(f"{d % 28 + 1:02d}/03/2017,S{d},1.00\n" for d in range(1, 40)) + "03/04/2017,Late,1.00\n"
    text = "Date,Supplier,Amount\n" + lines + "VARIOUS,Card Payments,5.00\n"
    result = load_file(ws, "span.csv", text.encode(), "spend")
    assert result.quality["undated_fy"] is None
    assert [r[4] for r in _rows(ws, result.file_id) if r[2] == "none"] == ["Year not known"]


def test_a_date_column_that_mostly_does_not_read_refuses_the_file(ws: Workspace) -> None:
    text = "Date,Supplier,Amount\n01/04/2024,Acme,1.00\n" + "".join(f"soon,S{i},1.00\n" for i in range(5))
    with pytest.raises(LoadError) as refused:
        load_file(ws, "words.csv", text.encode(), "spend")
    assert "no date this tool can read" in refused.value.message and refused.value.line == 3


def test_stacked_tables_are_each_mapped_on_their_own(ws: Workspace) -> None:
    text = ("Date,Supplier,Amount\n01/04/2024,Acme,1.00\n02/04/2024,Beta,2.00\n,,\n"
            "Supplier Name,Department,Amount Paid,Payment Date\nGamma,Roads,30.00,03/04/2024\n"
            "Delta,Parks,40.00,04/04/2024\n")
    result = load_file(ws, "stacked.csv", text.encode(), "spend")
    assert (result.rows, result.total) == (4, Decimal("73.00"))
    rows = _rows(ws, result.file_id)
    assert [(r[0], r[1], r[5], r[6]) for r in rows] == [
        (2, dt.date(2024, 4, 1), Decimal("1.00"), "Acme"), (3, dt.date(2024, 4, 2), Decimal("2.00"), "Beta"),
        (6, dt.date(2024, 4, 3), Decimal("30.00"), "Gamma"), (7, dt.date(2024, 4, 4), Decimal("40.00"), "Delta")]
    assert [b["header_line"] for b in result.quality["blocks"]] == [1, 5]


def test_a_repeated_page_header_is_skipped(ws: Workspace) -> None:
    text = "Date,Supplier,Amount\n01/04/2024,Acme,1.00\nDate,Supplier,Amount\n02/04/2024,Beta,2.00\n"
    result = load_file(ws, "pages.csv", text.encode(), "spend")
    assert (result.rows, result.total) == (2, Decimal("3.00"))
    assert result.quality["skipped"] == {"header": 1}


def test_a_header_at_the_foot(ws: Workspace) -> None:
    text = "01/04/2024,Acme,1.00\n02/04/2024,Beta,2.50\nPayment Date,Supplier Name,Amount\n"
    result = load_file(ws, "foot.csv", text.encode(), "spend")
    assert (result.rows, result.total) == (2, Decimal("3.50"))
    assert [r[0] for r in _rows(ws, result.file_id)] == [1, 2]
    assert result.quality["header_line"] == 3


def test_a_redaction_column_names_blank_payees(ws: Workspace) -> None:
    text = ("Supplier Name,Redact Name,Paid Date,Sum of Inv Amount\nAcme,,24/09/14,\"5,303.57 \"\n"
            ",Redacted Supplier,24/09/14,100.00\n")
    result = load_file(ws, "redact.csv", text.encode(), "spend")
    assert (result.rows, result.total) == (2, Decimal("5403.57"))
    assert [(r[6], r[7]) for r in _rows(ws, result.file_id)] == [("Acme", False), ("Redacted Supplier", True)]


def test_duplicate_header_names_keep_both_columns(ws: Workspace) -> None:
    text = "Date,Supplier,Amount,Note,Note\n01/04/2024,Acme,1.00,A1,B2\n"
    result = load_file(ws, "dupes.csv", text.encode(), "spend")
    with ws.read() as cur:
        extra = cur.execute("SELECT extra FROM payments WHERE file_id = $f", {"f": result.file_id}).fetchone()[0]
    assert extra == {"Note": "A1", "Note (2)": "B2"}


def test_a_repeated_header_name_that_a_column_took_is_not_listed_as_unused(ws: Workspace) -> None:
    """Two 'Class Code' cells: the first is the ProClass code, the second is kept as 'Class Code (2)'."""
    text = ("Payment Date,Supplier Name,Net Amount,Procurement Classification,Class Code,Procurement Classification,"
            "Class Code\n2014-06-13,Acme,800.00,Education,E1,Learning,L2\n")
    result = load_file(ws, "wmdc.csv", text.encode(), "spend")
    assert result.quality["unmapped_columns"] == ["Procurement Classification (2)", "Class Code (2)"]
    with ws.read() as cur:
        extra = cur.execute("SELECT extra FROM payments WHERE file_id = $f", {"f": result.file_id}).fetchone()[0]
    assert extra == {"Procurement Classification (2)": "Learning", "Class Code (2)": "L2"}


def test_a_supplier_called_total_is_a_supplier_and_a_totals_row_is_not(ws: Workspace) -> None:
    text = "Date,Supplier,Amount\n,Total Gas & Power Ltd,5.00\n01/04/2024,Total People Ltd,6.00\n,,11.00\n"
    result = load_file(ws, "total.csv", text.encode(), "spend")
    assert (result.rows, result.total) == (2, Decimal("11.00"))
    assert result.quality["published_total_matches"] is True


def test_csv_text_named_xls(ws: Workspace) -> None:
    text = "Body Name,Invoice Payment Date,Net Amount,Supplier Name\nA Council,01.09.2014,\"£2,681.94\",Acme\n"
    result = load_file(ws, "month.xls", text.encode("cp1252"), "spend")
    assert (result.rows, result.total) == (1, Decimal("2681.94"))
    assert "named as a workbook" in result.quality["encoding"]


def test_utf16_text(ws: Workspace) -> None:
    text = "Date,Supplier,Amount\n01/04/2024,Café Ltd,1.00\n"
    result = load_file(ws, "u16.csv", text.encode("utf-16"), "spend")
    assert (result.rows, result.total) == (1, Decimal("1.00"))
    assert _rows(ws, result.file_id)[0][6] == "Café Ltd"


def test_a_multi_sheet_workbook_loads_as_one_file(ws: Workspace) -> None:
    data = xlsx_bytes({"April": [["Date", "Supplier", "Amount"], [dt.datetime(2024, 4, 1), "Acme", 1.5]],
                  "May": [["Title line"], ["Date", "Supplier", "Amount"], [dt.datetime(2024, 5, 2), "Beta", 2.25],
                          [dt.datetime(2024, 5, 3), "Gamma", 3]]})
    result = load_file(ws, "year.xlsx", data, "spend", sheet=ALL_SHEETS)
    assert (result.rows, result.total) == (3, Decimal("6.75"))
    rows = _rows(ws, result.file_id)
    assert [(r[0] % SHEET_SPAN, r[8], r[6]) for r in rows] == [(2, "April", "Acme"), (3, "May", "Beta"), (4, "May", "Gamma")]


def test_a_multi_sheet_workbook_reports_lines_by_sheet_and_row(ws: Workspace) -> None:
    """Lines of a workbook read as one file are named by sheet and row, in the report and the payments table."""
    data = xlsx_bytes({"April": [["Date", "Supplier", "Amount"], [dt.datetime(2024, 4, 1), "Acme", 1.5]],
                       "May": [["Title line"], ["Date", "Supplier", "Amount"], [dt.datetime(2024, 5, 2), "", 2.25],
                               [dt.datetime(2024, 5, 3), "Gamma", 3]]})
    result = load_file(ws, "year.xlsx", data, "spend", sheet=ALL_SHEETS)
    report = dict(describe(result.quality, "spend"))
    assert report["Read as"] == "sheets 'April' and 'May' as one file, Excel workbook"
    assert report["Header on line"] == "sheet 'April' row 1"
    assert report["Skipped: amount and date without a payee"].endswith("sheet 'May' row 3")
    assert report["Layout"] == "sheet 'May': header on row 2"
    ensure_current(ws)
    frame, count, _ = payments_behind(ws, SpendFilters(bands=value_bands(ws)))
    assert count == 2
    assert sorted(zip(frame["source_sheet"], frame["source_line"].astype(int), strict=True)) == [
        ("April", 2), ("May", 4)]


def test_a_biff_xls_workbook(ws: Workspace) -> None:
    xlwt = pytest.importorskip("xlwt", reason="xlwt writes old-format .xls files for this test")
    book = xlwt.Workbook()
    sheet = book.add_sheet("Sep 14 Over 500")
    for col, name in enumerate(["Body Name", "Clearing Date", "Amount £", "Supplier Name"]):
        sheet.write(0, col, name)
    for row, (month, amount, payee) in enumerate([("Sep 2014", 1134.5, "Alarm Co"), ("Sep 2014", 3080.0, "Taxis")], 1):
        for col, value in enumerate(["A Council", month, amount, payee]):
            sheet.write(row, col, value)
    buffer = io.BytesIO()
    book.save(buffer)
    result = load_file(ws, "old.xls", buffer.getvalue(), "spend")
    assert (result.rows, result.total) == (2, Decimal("4214.50"))
    assert {r[2] for r in _rows(ws, result.file_id)} == {"month"}


def test_the_same_month_saved_again_is_refused_naming_the_first(ws: Workspace) -> None:
    text = "Date,Supplier,Amount,Ref\n01/04/2024,Acme,1.00,A\n02/04/2024,Beta,2.00,B\n"
    load_file(ws, "april.csv", text.encode(), "spend")
    again = "\ufeff" + text.replace("\n", "\r\n")
    with pytest.raises(RepeatsLoaded) as refused:
        load_file(ws, "april-resaved.csv", again.encode(), "spend")
    assert "2 of 2 payment lines match lines of 'april.csv'" in refused.value.message
    xlsx = xlsx_bytes({"April": [["Date", "Supplier", "Amount", "Ref"], ["01/04/2024", "Acme", 1, "A"],
                            ["02/04/2024", "Beta", 2, "B"]]})
    with pytest.raises(RepeatsLoaded):
        load_file(ws, "april.xlsx", xlsx, "spend")
    with ws.read() as cur:
        assert cur.execute("SELECT count(*), sum(amount) FROM payments").fetchone() == (2, Decimal("3.00"))
    overlap = load_file(ws, "april-resaved.csv", again.encode(), "spend", allow_overlap=True)
    assert overlap.rows == 2


_amount = st.decimals(min_value=Decimal("-99999.99"), max_value=Decimal("999999.99"), places=2,
                      allow_nan=False, allow_infinity=False)
_line = st.tuples(st.sampled_from(["payment", "no_payee", "totals", "text", "blank", "undated"]), _amount)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(_line, min_size=1, max_size=30))
def test_loaded_plus_not_loaded_is_all_the_money(ws: Workspace, lines: list[tuple[str, Decimal]]) -> None:
    """For generated files: money loaded + money reported not loaded = every readable amount in the file."""
    body = []
    dated = 0
    for kind, amount in lines:
        if kind == "payment":
            body.append(f"0{1 + dated % 9}/04/2024,Supplier {dated},{amount},Goods")
            dated += 1
        elif kind == "no_payee":
            body.append(f"05/04/2024,,{amount},Car allowance")
        elif kind == "totals":
            body.append(f",,{amount},Total")
        elif kind == "text":
            body.append("Report run by finance,,,")
        elif kind == "blank":
            body.append(",,,")
        else:
            body.append(f",Card Payments,{amount},Various")
    text = "Date,Supplier,Amount,Expense Type\n" + "\n".join(body) + "\n"
    # A totals row repeats money the lines hold: it is compared, not counted as money of its own.
    in_file = sum((a for k, a in lines if k not in ("text", "blank", "totals")), Decimal("0"))
    try:
        result = load_file(ws, f"gen-{abs(hash(text))}.csv", text.encode(), "spend", allow_overlap=True)
    except LoadError as refused:
        # Refused whole (no payments at all, or mostly undated): nothing of it was loaded.
        assert "nothing was loaded" in refused.message or "nothing was added" in refused.message
        return
    not_loaded = sum((Decimal(v) for v in result.quality.get("skipped_totals", {}).values()), Decimal("0"))
    assert result.total + not_loaded == in_file
    assert Decimal(result.quality["all_money"]) == in_file
    assert Decimal(result.quality["not_loaded_total"]) == not_loaded


def test_readme_lists_the_columns_and_wordings_the_code_recognises() -> None:
    from pathlib import Path

    from sp_analysis.ingest.columns import columns_table_markdown

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert columns_table_markdown() in readme, "regenerate README's columns table from columns_table_markdown()"


def test_columns_whose_words_say_nothing_are_recognised_by_their_content(ws: Workspace) -> None:
    text = "Updated,Who,Money,Ref\n" + "".join(
        f"{i % 28 + 1:02d}/04/2024,Supplier {i % 7},{i * 3}.50,{100000 + i}\n" for i in range(40))
    result = load_file(ws, "content.csv", text.encode(), "spend")
    assert (result.rows, result.total) == (40, Decimal(sum(i * 3 for i in range(40))) + Decimal("20.00"))
    assert result.quality["columns"]["payment_date"] == "Updated"
    assert result.quality["recognised"]["payment_date"] == "recognised by its content (100% dates)"
    assert result.quality["recognised"]["amount"] == "recognised by its content (100% amounts)"
    assert result.quality["recognised"]["supplier_name"] == "recognised by its content (100% names)"


def test_content_recognition_in_a_workbook(ws: Workspace) -> None:
    rows = [["When", "Who", "Money"]] + [[dt.datetime(2024, 4, 1 + i % 28), f"Supplier {i % 5}", 10 + i + 0.25]
                                          for i in range(30)]
    result = load_file(ws, "content.xlsx", xlsx_bytes({"Data": rows}), "spend")
    assert (result.rows, result.total) == (30, Decimal(sum(10 + i for i in range(30))) + Decimal("7.50"))
    assert result.quality["recognised"]["payment_date"].startswith("recognised by its content")


def test_two_columns_equally_likely_to_be_the_amount_are_asked_about(ws: Workspace) -> None:
    from sp_analysis.ingest.errors import NeedsMapping

    text = "Date,Supplier,A,B\n" + "".join(f"01/04/2024,S{i},{i}.50,{i}.25\n" for i in range(30))
    with pytest.raises(NeedsMapping) as asked:
        load_file(ws, "two.csv", text.encode(), "spend")
    assert "more than one column reads as amounts: 'A', 'B'" in asked.value.message
    assert asked.value.guessed["payment_date"] == 0 and "amount" not in asked.value.guessed


def test_a_register_with_its_header_repeated_skips_the_repeats(ws: Workspace) -> None:
    text = ("Contract Title,Supplier Name,Contract Value,Start Date,End Date\n"
            "Waste,Greenfield,900,01/04/2024,31/03/2026\n"
            "\"CONTRACT TITLE \",Supplier Name,Contract Value,Start Date,End Date\n"
            "Care,Brightway,100.50,01/04/2024,31/03/2026\n")
    result = load_file(ws, "printed-register.csv", text.encode(), "contracts")
    assert (result.rows, result.total) == (2, Decimal("1000.50"))
    assert dict(describe(result.quality, "contracts"))["Skipped: the header repeated lower down (page headers)"] == "1"


def test_a_register_workbook_with_sheets_of_other_shapes_maps_each_sheet(ws: Workspace) -> None:
    data = xlsx_bytes({
        "Goods": [["Contract Title", "Supplier Name", "Contract Value"], ["Waste", "Greenfield", 900]],
        "Works": [["Register of works"], ["Supplier", "Title of the Agreement", "Total Value", "End Date"],
                  ["Brightway Build", "Roofs", 1250.5, "31/03/2027"]]})
    result = load_file(ws, "register.xlsx", data, "contracts", sheet=ALL_SHEETS)
    assert (result.rows, result.total) == (2, Decimal("2150.50"))
    with ws.read() as cur:
        rows = cur.execute("SELECT source_row, title, supplier_name, value_whole_life, end_date FROM contracts "
                           "ORDER BY source_row").fetchall()
    assert rows == [(2, "Waste", "Greenfield", Decimal("900.00"), None),
                    (SHEET_SPAN + 3, "Roofs", "Brightway Build", Decimal("1250.50"), dt.date(2027, 3, 31))]
