"""Header detection and mapping to canonical columns."""

from __future__ import annotations

import pytest

from sp_analysis.ingest.columns import find_header, header_signature, map_header, normalise_header
from sp_analysis.ingest.text import decode_bytes, iter_lines, normalise_lines


@pytest.mark.parametrize(
    ("cell", "expected"),
    [(" Amount ", "amount"), ("Name of  Body", "name of body"), ("\ufeffBody", "body"), ("Pay\u00a0Date", "pay date"),
     (None, "")],
)
def test_normalise_header(cell: str | None, expected: str) -> None:
    assert normalise_header(cell) == expected


def test_devon_header() -> None:
    header = ["Body", "Name of Body", "Date", "Transaction Number", "Invoice Number", "Amount", "Supplier Name",
              "Supplier ID", "Vat Reg No", "Expense Area", "Expense Type", "Expense Code", "Creditor Type"]
    assert map_header(header, "spend") == {
        "body": 1, "payment_date": 2, "transaction_ref": 3, "invoice_ref": 4, "amount": 5, "supplier_name": 6,
        "supplier_id": 7, "vat_number": 8, "department": 9, "expense_type": 10, "expense_code": 11,
        "creditor_type": 12,
    }


def test_padded_and_upper_case_headers_in_another_order() -> None:
    header = ["PAYMENT DATE", " Expense  Area", "SUPPLIER NAME", " Amount ", "TRANSACTION NUMBER"]
    assert map_header(header, "spend") == {
        "payment_date": 0, "department": 1, "supplier_name": 2, "amount": 3, "transaction_ref": 4}


def test_the_stronger_name_wins_and_the_rest_stay_unmapped() -> None:
    assert map_header(["Description", "Expense Type", "Date", "Payee", "Value"], "spend") == {
        "expense_type": 1, "payment_date": 2, "supplier_name": 3, "amount": 4}
    # On equal names the column further left wins.
    assert map_header(["Supplier", "Supplier", "Date", "Amount"], "spend")["supplier_name"] == 0


def test_header_found_below_title_lines() -> None:
    rows = [["Harrowdale County Council"], ["Expenditure over £500 - April 2025"], [],
            ["Report run 05/05/2025", "", ""], ["Date", "Supplier", "Amount"], ["01/04/2025", "Acme", "1.00"]]
    match = find_header(rows, "spend")
    assert match is not None
    assert match.row_index == 4
    assert match.mapping == {"payment_date": 0, "supplier_name": 1, "amount": 2}


def test_no_header_among_data_rows() -> None:
    assert find_header([["01/04/2025", "Acme", "1.00"], ["02/04/2025", "Beta", "2.00"]], "spend") is None


def test_signature_ignores_trailing_empty_cells_and_case() -> None:
    assert header_signature(["Date", "Payee", "Amount", "", ""], "spend") == header_signature(
        ["DATE", " payee", "Amount"], "spend")
    assert header_signature(["Date", "Payee", "Amount"], "spend") != header_signature(
        ["Payee", "Date", "Amount"], "spend")
    assert header_signature(["Date"], "spend") != header_signature(["Date"], "contracts")


def test_contract_header() -> None:
    header = ["Reference Number", "Contract Title", "Department", "Description of Goods and Services",
              "Supplier Name", "Contract Value (Whole Life)", "Estimated Annual Value", "Start Date", "End Date",
              "SME", "VCSE", "CPV Code"]
    mapping = map_header(header, "contracts")
    assert mapping["title"] == 1 and mapping["supplier_name"] == 4 and mapping["value_whole_life"] == 5
    assert mapping["value_annual"] == 6 and mapping["end_date"] == 8 and mapping["cpv_code"] == 11


def test_decode_reports_what_it_did() -> None:
    assert decode_bytes("£1".encode("utf-8-sig")).encoding == "UTF-8 with BOM"
    assert decode_bytes("£1".encode("cp1252")) .text == "£1"
    mixed = decode_bytes("café ".encode() + "£".encode("cp1252"))
    assert mixed.text == "café £" and mixed.bad_bytes == 1


def test_blank_lines_become_empty_rows_so_line_numbers_hold() -> None:
    assert normalise_lines("a,b\r\n\r\n1,2\r\n", ",") == "a,b\n,\n1,2\n"
    # Runs of empty lines, at the start, in the middle and at the end; a file without a last line end.
    assert normalise_lines("\n\na;b\n\n\n\n1;2\n\n", ";") == ";\n;\na;b\n;\n;\n;\n1;2\n;\n"
    assert normalise_lines("a,b\n1,2", ",") == "a,b\n1,2\n"
    assert normalise_lines("a,b\r1,2\r\r", ",") == "a,b\n1,2\n\n"  # a last empty line is no row


def test_lines_are_taken_one_at_a_time_with_their_ends() -> None:
    assert list(iter_lines("a\nb\r\n\nc")) == ["a\n", "b\r\n", "\n", "c"]
    assert list(iter_lines("")) == []
    assert list(iter_lines("a\n")) == ["a\n"]
