"""Loading spend files with real-world quirks, on small files whose figures are known exactly."""

from __future__ import annotations

import io
import tempfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from sp_analysis.ingest.errors import AlreadyLoaded, LoadError, NeedsMapping, NeedsSheet
from sp_analysis.ingest.load import BATCH_ROWS, LoadResult, load_file, load_paths, remove_file
from sp_analysis.ingest.report import describe, loaded_files, loaded_files_table
from sp_analysis.ingest.source import ColumnChoice
from sp_analysis.workspace import Workspace, close_workspace, open_workspace
from tests.conftest import table_state

HEADER = "Date,Supplier Name,Amount,Expense Area,Expense Type,Transaction Number\n"


def payments(ws: Workspace, file_id: int | None = None) -> list[tuple]:
    with ws.read() as cur:
        return cur.execute(
            "SELECT source_row, payment_date::VARCHAR, supplier_name, amount, is_redacted, financial_year "
            "FROM payments WHERE $f IS NULL OR file_id = $f ORDER BY file_id, source_row", {"f": file_id}
        ).fetchall()


def test_plain_file_lands_with_exact_figures_and_line_numbers(ws: Workspace) -> None:
    text = HEADER + "01/04/2024,Acme Ltd,100.10,Highways,Works,T1\n31/03/2025,Beta plc,\"1,000.01\",Waste,Disposal,T2\n"
    result = load_file(ws, "a.csv", text.encode(), "spend")
    assert result.rows == 2
    assert result.total == Decimal("1100.11")
    assert payments(ws) == [
        (2, "2024-04-01", "Acme Ltd", Decimal("100.10"), False, "2024/25"),
        (3, "2025-03-31", "Beta plc", Decimal("1000.01"), False, "2024/25"),
    ]


def test_preamble_totals_footer_and_blank_rows_are_skipped_and_counted(ws: Workspace) -> None:
    text = (
        "Harrowdale County Council\n"
        "Expenditure over £500 - April 2024\n"
        "\n"
        "Name of  Body, Date ,Supplier Name, Amount ,Expense Type\n"
        'Harrowdale CC,02-Apr-24,Acme Ltd," 1,234.56 ",Works\n'
        "Harrowdale CC,,,,\n"
        "\n"
        'Harrowdale CC,03-Apr-24,REDACTED UNDER DP ACT,(34.56),Care\n'
        ',,," 1,200.00 ",\n'
        "\n"
        "Report SPEND01 run on 05/05/2024 at 09:14\n"
    )
    result = load_file(ws, "b.csv", text.encode(), "spend")
    quality = result.quality
    assert result.rows == 2
    assert result.total == Decimal("1200.00")
    assert quality["skipped"] == {"blank": 2, "text_only": 2, "totals": 1}
    assert quality["published_total"] == "1200.00"
    assert quality["published_total_matches"] is True
    assert quality["redacted"] == 1
    assert quality["credit_notes"] == 1
    assert quality["header_line"] == 4
    # Line numbers are the published lines, blank lines counted.
    assert [r[0] for r in payments(ws)] == [5, 8]
    assert payments(ws)[1][2:5] == ("REDACTED UNDER DP ACT", Decimal("-34.56"), True)


def test_totals_row_that_disagrees_is_reported(ws: Workspace) -> None:
    text = HEADER + "01/04/2024,Acme Ltd,100.00,H,W,1\n,Total,999.99,,,\n"
    quality = load_file(ws, "c.csv", text.encode(), "spend").quality
    assert quality["published_total"] == "999.99"
    assert quality["published_total_matches"] is False
    assert quality["skipped"] == {"totals": 1}
    report = dict(describe(quality, "spend"))
    assert report["Published totals row"] == "£999.99: does NOT match the payments loaded (£100.00)"
    assert report["Skipped: totals row"] == "1; line 3"
    # A totals row repeats the lines' money: it is compared with them, not added to the file's money.
    assert report["All the money in the file"] == "£100.00: £100.00 loaded + £0.00 not loaded"
    assert report["Credit notes (negative amounts)"] == "none"


def test_placeholder_supplier_ids_are_no_id(ws: Workspace) -> None:
    # Read as ids, they would make every payee published with them one supplier.
    text = "Date,Supplier Name,Supplier ID,Amount\n" + "".join(
        f"0{day}/04/2024,Payee {day},{placeholder},1.00\n"
        for day, placeholder in enumerate(["N/A", "null", " 0 ", "-", "Unknown", "#N/A", "NA01"], start=1))
    load_file(ws, "ids.csv", text.encode(), "spend")
    with ws.read() as cur:
        ids = [r[0] for r in cur.execute("SELECT supplier_id FROM payments ORDER BY source_row").fetchall()]
    assert ids == [None, None, None, None, None, None, "NA01"]
    register = "Contract Title,Supplier Name,Supplier ID,Companies House Number\nWaste,Greenfield,N/A,n/a\nCare,Brightway,77,01234567\n"
    load_file(ws, "ids-register.csv", register.encode(), "contracts")
    with ws.read() as cur:
        assert cur.execute("SELECT supplier_id, company_number FROM contracts ORDER BY source_row").fetchall() == [
            (None, None), ("77", "01234567")]


def test_quality_report_of_a_contracts_register_in_words(ws: Workspace) -> None:
    register = ("Contract Title,Supplier Name,Contract Value,Annual Value,Start Date,End Date,SME,Notes\n"
                "Waste,Greenfield,\"£1,000\",500,01/04/2024,31/03/2026,Yes,n1\n"
                "Care,Brightway,,,01/05/2024,,,n2\n,,,,,,,\n")
    quality = load_file(ws, "register.csv", register.encode(), "contracts").quality
    report = dict(describe(quality, "contracts"))
    assert report["Contracts loaded"] == "2"
    assert report["Total whole-life value"] == "£1,000.00"
    assert report["Total annual value"] == "£500.00"
    assert report["Skipped: blank row"] == "1"
    assert report["Contracts without a value"] == "1"
    assert report["Contracts without an end date"] == "1"
    assert report["SME status not stated"] == "1"
    assert (report["Earliest start date"], report["Latest end date"]) == ("1 Apr 2024", "31 Mar 2026")
    assert report["Other columns (kept, not analysed)"] == "'Notes'"
    assert "Title from 'Contract Title'" in report["Columns used"]


def test_a_register_without_an_annual_value_column_says_so(ws: Workspace) -> None:
    register = "Contract Title,Supplier Name,Contract Value,Start Date,End Date\nWaste,Greenfield,900,01/04/2024,31/03/2026\n"
    report = dict(describe(load_file(ws, "whole-life.csv", register.encode(), "contracts").quality, "contracts"))
    assert report["Total annual value"] == "no annual value column in the file"
    assert report["Total whole-life value"] == "£900.00"


def test_the_loaded_files_table_in_words(ws: Workspace) -> None:
    """Counts as integers, money as exact £ text, dates in words, blank (never 'None') where a figure does not apply."""
    spend = ("Date,Supplier,Amount\n01/04/2024,Acme,\"1,200.50\"\n02/04/2024,[Redacted],-20.25\n"
             "03/04/2024,,5.00\n")
    load_file(ws, "april.csv", spend.encode(), "spend")
    register = "Contract Title,Supplier Name,Contract Value,Start Date,End Date\nWaste,Greenfield,900,01/04/2024,31/03/2026\n"
    load_file(ws, "register.csv", register.encode(), "contracts")
    table = loaded_files_table(loaded_files(ws))
    rows = table.drop(columns="Loaded at").astype(object).where(table.notna(), None).to_dict("records")
    assert rows == [
        {"File": "april.csv", "Kind": "Spend", "Rows": 2, "Total": "£1,180.25", "Not loaded (lines)": 1,
         "Credit notes": 1, "Redacted payees": 1, "Dates": "1 Apr 2024 to 2 Apr 2024", "Published total": ""},
        {"File": "register.csv", "Kind": "Contracts register", "Rows": 1, "Total": "£900.00", "Not loaded (lines)": 0,
         "Credit notes": None, "Redacted payees": None, "Dates": "earliest start 1 Apr 2024; latest end 31 Mar 2026",
         "Published total": ""},
    ]


@pytest.mark.parametrize(
    ("encoding", "prefix"), [("utf-8", b""), ("utf-8-sig", b""), ("cp1252", b"")]
)
def test_encodings(ws: Workspace, encoding: str, prefix: bytes) -> None:
    text = HEADER + "01/04/2024,Café Crème Ltd,£1.00,H,W,1\n02/04/2024,O’Brien & Sons,£2.00,H,W,2\n"
    load_file(ws, "d.csv", prefix + text.encode(encoding), "spend")
    assert [r[2] for r in payments(ws)] == ["Café Crème Ltd", "O’Brien & Sons"]


def test_mostly_utf8_with_a_few_bad_bytes(ws: Workspace) -> None:
    good = (HEADER + "01/04/2024,Café Ltd,1.00,H,W,1\n").encode("utf-8")
    bad = "02/04/2024,Costa £ Ltd,2.00,H,W,2\n".encode("cp1252")
    result = load_file(ws, "e.csv", good + bad, "spend")
    assert [r[2] for r in payments(ws)] == ["Café Ltd", "Costa £ Ltd"]
    assert "Windows-1252" in result.quality["encoding"]


def test_hundreds_of_empty_trailing_columns_and_comma_rows(ws: Workspace) -> None:
    pad = "," * 248
    text = ("Supplier id,Supplier Name,Transno,Account,Description,Amount,Pay Date,Group" + pad + "\n"
            + '1,Acme,5,R1,Works,"£1,000.00",18/01/2017,Communities' + pad + "\n"
            + ",,,,,,," + pad + "\n")
    result = load_file(ws, "f.csv", text.encode("cp1252"), "spend")
    assert (result.rows, result.total) == (1, Decimal("1000.00"))
    assert result.quality["skipped"] == {"blank": 1}
    assert result.quality["columns"]["department"] == "Group"


def test_identical_lines_and_repeated_references_are_kept_and_reported(ws: Workspace) -> None:
    line = "01/04/2024,Acme Ltd,100.00,H,W,T1\n"
    text = HEADER + line + line + "01/04/2024,Acme Ltd,50.00,H,W,T1\n"
    result = load_file(ws, "g.csv", text.encode(), "spend")
    assert result.rows == 3
    assert result.total == Decimal("250.00")
    assert result.quality["repeated_lines"] == 1
    assert result.quality["repeated_transaction_refs"] == 1


def test_unmapped_columns_are_kept(ws: Workspace) -> None:
    text = "Date,Supplier Name,Amount,Costcuk,Body\n01/04/2024,Acme,1.00,P039,18\n"
    result = load_file(ws, "h.csv", text.encode(), "spend")
    assert result.quality["unmapped_columns"] == ["Costcuk"]
    assert result.quality["columns"]["body"] == "Body"
    with ws.read() as cur:
        assert cur.execute("SELECT extra['Costcuk'], body FROM payments").fetchone() == ("P039", "18")


@pytest.mark.parametrize(("names", "keys"), [
    # Names that differ only in case are two columns, each kept under its own name.
    (["Ward Name", "WARD NAME"], ["Ward Name", "WARD NAME"]),
    # A name the header repeats keeps its later cell as 'Name (2)'.
    (["Ward", "Ward"], ["Ward", "Ward (2)"]),
    (["it's \"quoted\"", "Ward"], ["it's \"quoted\"", "Ward"]),
])
def test_unmapped_columns_keep_every_name_in_order(ws: Workspace, names: list[str], keys: list[str]) -> None:
    header = ",".join('"' + n.replace('"', '""') + '"' for n in names)
    text = f"Date,Supplier Name,Amount,{header}\n01/04/2024,Acme,1.00,a,b\n"
    load_file(ws, "cased.csv", text.encode(), "spend")
    with ws.read() as cur:
        assert cur.execute("SELECT map_keys(extra), map_values(extra) FROM payments").fetchone() == (keys, ["a", "b"])


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_other_delimiters(ws: Workspace, delimiter: str) -> None:
    text = f"Date{delimiter}Supplier{delimiter}Amount\n01/04/2024{delimiter}Acme, Ltd{delimiter}1234.50\n"
    result = load_file(ws, "i.csv", text.encode(), "spend")
    assert (result.rows, result.total) == (1, Decimal("1234.50"))
    assert payments(ws)[0][2] == "Acme, Ltd"


def test_quoted_line_breaks_keep_line_numbers_true(ws: Workspace) -> None:
    text = HEADER + '01/04/2024,"Acme\nLtd",1.00,H,W,1\n02/04/2024,Beta,2.00,H,W,2\n'
    load_file(ws, "j.csv", text.encode(), "spend")
    assert [r[0] for r in payments(ws)] == [2, 4]


def test_no_break_spaces_and_stray_byte_order_marks_are_padding(ws: Workspace) -> None:
    # Spreadsheet exports pad cells with U+00A0 and leave U+FEFF where files were pasted together.
    text = HEADER + "01/04/2024,\u00a0Acme Ltd\u00a0,\"\u00a01,234.50\u00a0\",H,W,1\n\ufeff02/04/2024,Beta,\u00a0,H,W,2\n"
    result = load_file(ws, "nbsp.csv", text.encode(), "spend")
    assert (result.rows, result.total) == (1, Decimal("1234.50"))
    assert result.quality["skipped"] == {"text_only": 1}
    assert payments(ws)[0][2] == "Acme Ltd"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Date", "Supplier Name", "Amount"])
    sheet.append(["03/04/2024", "Gamma\u00a0Ltd\u00a0", "\u00a02.25"])
    buffer = io.BytesIO()
    book.save(buffer)
    result = load_file(ws, "nbsp.xlsx", buffer.getvalue(), "spend")
    assert (result.rows, result.total) == (1, Decimal("2.25"))
    assert payments(ws, result.file_id)[0][2] == "Gamma Ltd"


def state_unchanged_after(ws: Workspace, name: str, data: bytes) -> LoadError:
    load_file(ws, "seed.csv", (HEADER + "01/04/2024,Seed Ltd,5.00,H,W,1\n").encode(), "spend")
    before = table_state(ws)
    with pytest.raises(LoadError) as caught:
        load_file(ws, name, data, "spend")
    assert table_state(ws) == before
    assert caught.value.file_name == name
    return caught.value


@pytest.mark.parametrize(
    ("body", "line", "needle"),
    [
        ("01/04/2024,Acme,12abc,H,W,1\n", 2, "amount is not a number"),
        ("01/04/2024,Acme,1.00,H,W,1\n32/13/2024,Acme,1.00,H,W,1\n", 3, "date is not one"),
        ("01/04/1989,Acme,1.00,H,W,1\n", 2, "implausible"),
        ("01/04/2099,Acme,1.00,H,W,1\n", 2, "implausible"),
        ("01/04/2024,Acme,1.00,H,W,1,extra,cells\n", 2, "more cells than the header"),
    ],
)
def test_bad_lines_refuse_the_file_naming_the_line(ws: Workspace, body: str, line: int, needle: str) -> None:
    error = state_unchanged_after(ws, "bad.csv", (HEADER + body).encode())
    assert error.line == line
    assert needle in error.message
    assert f"line {line}" in error.message
    assert error.message.startswith("bad.csv: ")


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b"", "empty"),
        (b"\x00\x01\x02binary" * 100, "binary"),
        (HEADER.encode(), "no rows"),
        (b"PK\x03\x04not really a workbook", "workbook"),
    ],
)
def test_unloadable_files_change_nothing(ws: Workspace, data: bytes, needle: str) -> None:
    error = state_unchanged_after(ws, "broken.csv", data)
    assert needle in error.message


def test_same_bytes_twice_are_refused_and_change_nothing(ws: Workspace) -> None:
    data = (HEADER + "01/04/2024,Acme,1.00,H,W,1\n").encode()
    load_file(ws, "k.csv", data, "spend")
    before = table_state(ws)
    with pytest.raises(AlreadyLoaded):
        load_file(ws, "k-renamed.csv", data, "spend")
    assert table_state(ws) == before


def test_remove_takes_exactly_that_files_rows(ws: Workspace) -> None:
    first = load_file(ws, "1.csv", (HEADER + "01/04/2024,A,1.00,H,W,1\n02/04/2024,B,2.00,H,W,2\n").encode(), "spend")
    second = load_file(ws, "2.csv", (HEADER + "03/04/2024,C,4.00,H,W,3\n").encode(), "spend")
    assert remove_file(ws, first.file_id) == 2
    assert payments(ws) == payments(ws, second.file_id)
    assert [r[3] for r in payments(ws)] == [Decimal("4.00")]
    with ws.read() as cur:
        assert cur.execute("SELECT name FROM loaded_files").fetchall() == [("2.csv",)]


def test_unknown_header_asks_for_a_mapping_then_remembers_it(ws: Workspace) -> None:
    # Two columns read as money, so neither the words nor the content decide the amount.
    text = "When,Who,How much,Other\n01/04/2024,Acme,1.50,9.99\n"
    with pytest.raises(NeedsMapping) as caught:
        load_file(ws, "m1.csv", text.encode(), "spend")
    error = caught.value
    assert error.header == ("When", "Who", "How much", "Other")
    assert error.preview[0] == ["01/04/2024", "Acme", "1.50", "9.99"]
    choice = ColumnChoice(header_row=0, mapping={"payment_date": 0, "supplier_name": 1, "amount": 2})
    assert load_file(ws, "m1.csv", text.encode(), "spend", choice=choice).total == Decimal("1.50")
    # The next file of the same shape loads unasked.
    again = "When,Who,How much,Other\n02/04/2024,Beta,2.25,9.99\n"
    assert load_file(ws, "m2.csv", again.encode(), "spend").total == Decimal("2.25")


def _workbook(rows: list[list[object]], sheets: tuple[str, ...] = ("Spend",)) -> bytes:
    book = openpyxl.Workbook()
    book.active.title = sheets[0]
    for extra in sheets[1:]:
        book.create_sheet(extra).append(["Date", "Supplier", "Amount"])
    for row in rows:
        book[sheets[0]].append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_xlsx_with_date_cells_serials_and_numbers(ws: Workspace) -> None:
    import datetime as dt

    data = _workbook([
        ["Spend over £500"],
        [],
        ["Date", "Supplier", "Amount", "Purpose"],
        [dt.datetime(2025, 10, 3), "Acme Ltd", 1234.5, "Works"],
        [46000, "Beta Ltd", -20, "Refund"],
        ["15/11/2025", "Gamma", "£1,000.00", "Care"],
        [None, None, 2214.5, None],
    ])
    result = load_file(ws, "x.xlsx", data, "spend")
    assert result.rows == 3
    assert result.total == Decimal("2214.50")
    assert result.quality["published_total_matches"] is True
    rows = payments(ws)
    assert [(r[0], r[1]) for r in rows] == [(4, "2025-10-03"), (5, "2025-12-09"), (6, "2025-11-15")]


def test_xlsx_lines_are_sheet_rows_when_the_data_starts_lower_and_further_right(ws: Workspace) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["B3"] = "Expenditure over £500"
    for column, value in enumerate(["Date", "Supplier Name", "Amount", "Supplier ID"], start=2):
        sheet.cell(row=5, column=column, value=value)
    for row, (day, name, amount, supplier_id) in {6: ("01/04/2024", "Acme", 1.5, 1001.0),
                                                  8: ("02/04/2024", "Beta", 2, 1002),
                                                  10: ("03/04/2024", "Gamma", 3.25, "S-3")}.items():
        for column, value in enumerate([day, name, amount, supplier_id], start=2):
            sheet.cell(row=row, column=column, value=value)
    buffer = io.BytesIO()
    book.save(buffer)
    result = load_file(ws, "lower.xlsx", buffer.getvalue(), "spend")
    assert (result.rows, result.total, result.quality["header_line"]) == (3, Decimal("6.75"), 5)
    assert result.quality["skipped"] == {"blank": 2}
    assert [r[0] for r in payments(ws)] == [6, 8, 10]
    with ws.read() as cur:
        assert [r[0] for r in cur.execute("SELECT supplier_id FROM payments ORDER BY source_row").fetchall()] == [
            "1001", "1002", "S-3"]


def test_workbook_with_several_sheets_asks_which(ws: Workspace) -> None:
    data = _workbook([["Date", "Supplier", "Amount"], ["01/04/2024", "Acme", 1]], sheets=("Spend", "Notes"))
    with pytest.raises(NeedsSheet) as caught:
        load_file(ws, "y.xlsx", data, "spend")
    assert caught.value.sheets == ("Spend", "Notes")
    assert load_file(ws, "y.xlsx", data, "spend", sheet="Spend").rows == 1


def test_contracts_register(ws: Workspace) -> None:
    text = (
        "Reference Number,Contract Title,Supplier Name,Contract Value (Whole Life),Estimated Annual Value,"
        "Start Date,End Date,SME,VCSE,Procurement Route\n"
        'C1,Waste collection,Greenfield Ltd,"£1,250,000.00",,01/04/2024,31/03/2029,No,No,Tender\n'
        "C2,Community transport,Trip CIC,,\"£40,000\",01/04/2025,31/03/2027,Yes,Yes,Quote\n"
        ",,,,,,,,,\n"
    )
    result = load_file(ws, "reg.csv", text.encode(), "contracts")
    assert result.rows == 2
    assert result.total == Decimal("1250000.00")
    assert result.quality["skipped"] == {"blank": 1}
    with ws.read() as cur:
        rows = cur.execute("SELECT reference, value_whole_life, value_annual, end_date::VARCHAR, sme, vcse, route "
                           "FROM contracts ORDER BY reference").fetchall()
    assert rows == [
        ("C1", Decimal("1250000.00"), None, "2029-03-31", False, False, "Tender"),
        ("C2", None, Decimal("40000.00"), "2027-03-31", True, True, "Quote"),
    ]


def test_contract_with_unreadable_end_date_refuses_the_file(ws: Workspace) -> None:
    text = "Contract Title,Supplier Name,End Date\nWaste,Greenfield,soon\n"
    before = table_state(ws)
    with pytest.raises(LoadError) as caught:
        load_file(ws, "reg2.csv", text.encode(), "contracts")
    assert caught.value.line == 2
    assert "End Date" in caught.value.message
    assert table_state(ws) == before


def _stage_copies(folder: Path) -> list[Path]:
    return sorted(folder.glob("sp-stage-*"))


def test_a_batch_loads_in_order_reports_the_bad_and_leaves_no_copies(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    files = {
        "1-good.csv": HEADER + "01/04/2024,Acme,1.00,H,W,1\n",
        "2-bad.csv": HEADER + "02/04/2024,Acme,ten,H,W,1\n",
        "3-empty.csv": "",
        "4-good.csv": HEADER + "03/04/2024,Beta,2.50,H,W,1\n04/04/2024,Gamma,0.25,H,W,2\n",
        "5-again.csv": HEADER + "01/04/2024,Acme,1.00,H,W,1\n",  # the same bytes as 1-good.csv
    }
    paths = []
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        paths.append(tmp_path / name)
    outcomes = list(load_paths(ws, paths, "spend"))
    assert [p.name for p, _ in outcomes] == list(files)
    kinds = [type(o).__name__ for _, o in outcomes]
    assert kinds == ["LoadResult", "LoadError", "LoadError", "LoadResult", "AlreadyLoaded"]
    assert "line 2" in outcomes[1][1].message  # type: ignore[union-attr]
    assert [(r.rows, r.total) for _, r in outcomes if isinstance(r, LoadResult)] == [
        (1, Decimal("1.00")), (2, Decimal("2.75"))]
    assert [r[2] for r in payments(ws)] == ["Acme", "Beta", "Gamma"]
    assert _stage_copies(scratch) == []


def test_stopping_a_batch_early_leaves_no_copies(ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    paths = []
    for month in range(1, 5):
        path = tmp_path / f"m{month}.csv"
        path.write_text(HEADER + f"0{month}/04/2024,Acme,{month}.00,H,W,1\n", encoding="utf-8")
        paths.append(path)
    batch = load_paths(ws, paths, "spend")
    first = next(batch)
    batch.close()  # the next file is being read ahead at this point
    assert isinstance(first[1], LoadResult)
    assert len(payments(ws)) == 1
    assert _stage_copies(scratch) == []


def test_files_landing_together_are_checked_against_each_other(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With batch_rows, checked files land in one transaction: the same bytes twice, or a month repeating
    an earlier file of the same batch, are refused there as they would be one file at a time."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    month = "".join(f"0{d}/05/2024,Supplier {d},{d}0.00,H,W,T{d}\n" for d in range(1, 10))
    files = {
        "1-good.csv": HEADER + "01/04/2024,Acme,1.00,H,W,1\n",
        "2-bad.csv": HEADER + "02/04/2024,Acme,ten,H,W,1\n",
        "3-may.csv": HEADER + month,
        "4-again.csv": HEADER + "01/04/2024,Acme,1.00,H,W,1\n",  # the same bytes as 1-good.csv
        "5-may-resaved.csv": (HEADER + month).replace("\n", "\r\n"),  # 3-may.csv saved with other line ends
        "6-good.csv": HEADER + "03/04/2024,Beta,2.50,H,W,1\n",
    }
    paths = []
    for name, text in files.items():
        (tmp_path / name).write_bytes(text.encode("utf-8"))
        paths.append(tmp_path / name)
    seen: list[tuple[int, str, str]] = []
    outcomes = list(load_paths(ws, paths, "spend", batch_rows=BATCH_ROWS,
                               progress=lambda i, n, what: seen.append((i, n, what))))
    assert [p.name for p, _ in outcomes] == list(files)
    kinds = [type(o).__name__ for _, o in outcomes]
    assert kinds == ["LoadResult", "LoadError", "LoadResult", "AlreadyLoaded", "RepeatsLoaded", "LoadResult"]
    # Each file is read first, then typed with the batch's files of its header shape and checked on its own.
    assert [what for _, _, what in seen] == ["read"] * 6 + ["checked", "refused", "checked", "checked", "checked",
                                                            "checked"]
    assert [i for i, _, _ in seen] == [*range(6), *range(6)]
    assert [r[2] for r in payments(ws)] == ["Acme"] + [f"Supplier {d}" for d in range(1, 10)] + ["Beta"]
    with ws.read() as cur:
        assert cur.execute("SELECT name FROM loaded_files ORDER BY file_id").fetchall() == [
            ("1-good.csv",), ("3-may.csv",), ("6-good.csv",)]
        assert cur.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchone() == (0,)
    assert _stage_copies(scratch) == []


def test_a_big_csv_read_in_chunks_loads_as_when_read_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A CSV read from disk in chunks (as a big one is) gives the same payments and quality report as when
    read whole: encodings, line ends and empty lines split across chunk boundaries included."""
    from sp_analysis.ingest import source
    from sp_analysis.workspace import close_workspace, open_workspace

    rows = "".join(f"0{d % 9 + 1}/04/2024,Caf\u00e9 {d} Ltd,\"1,{d:03d}.50\",H\u00a0,W,T{d}\n" for d in range(40))
    files = {
        "bom-crlf.csv": (codecs_bom := b"\xef\xbb\xbf") + (HEADER + rows).replace("\n", "\r\n").encode("utf-8"),
        "windows-1252.csv": ("Harrowdale County Council\nSpend over \u00a3500\n\n" + HEADER + rows
                             + "\n\n,Total,,,,\n").encode("cp1252"),
        "mixed.csv": (HEADER + rows).encode("utf-8").replace(b"Caf\xc3\xa9 3 ", b"Caf\xe9 3 "),
        "breaks.csv": (HEADER + rows.replace("Caf\u00e9 5 Ltd", "\"Caf\u00e9 5\nLtd\"") + "\n").encode("utf-8"),
    }
    assert codecs_bom
    paths = []
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        paths.append(tmp_path / name)

    def loaded(streamed: bool) -> list[tuple[object, ...]]:
        if streamed:
            monkeypatch.setattr(source, "STREAM_MIN_BYTES", 0)
            monkeypatch.setattr(source, "STREAM_CHUNK_BYTES", 7)  # boundaries everywhere, mid-character too
        else:
            monkeypatch.setattr(source, "STREAM_MIN_BYTES", 2**62)
        path = tmp_path / f"ws-{streamed}.duckdb"
        ws = open_workspace(path)
        try:
            # The files share their lines on purpose (one text, four encodings and layouts).
            outcomes = list(load_paths(ws, paths, "spend", batch_rows=BATCH_ROWS, allow_overlap=True))
            assert all(isinstance(o, LoadResult) for _, o in outcomes), outcomes
            with ws.read() as cur:
                figures = cur.execute("SELECT name, sha256, rows, total, quality FROM loaded_files ORDER BY file_id").fetchall()
                lines = cur.execute("SELECT file_id, source_row, payment_date, amount, supplier_name, department, extra "
                                    "FROM payments ORDER BY file_id, source_row").fetchall()
            return [*figures, *lines]
        finally:
            close_workspace(path)

    whole, chunked = loaded(False), loaded(True)
    assert chunked == whole
    assert any("Windows-1252" in str(row) for row in whole)
    assert any("read as Windows-1252" in str(row) for row in whole)


def test_files_typed_together_keep_their_published_line_numbers(tmp_path: Path) -> None:
    """Files of one shape in a batch are read and typed by one statement; a file whose quoted cells hold line
    breaks has fewer records than lines, and each payment still carries the line its record starts on, the
    same as when the file is loaded on its own."""
    def month(n: int, breaks_at: set[int]) -> tuple[str, list[int]]:
        text, starts, line = "Wrenford Council payments\n" + HEADER, [], 3  # a title line, then the header
        for d in range(1, 13):
            payee = f"\"Supplier {n}-{d}\nTrading as {d}\"" if d in breaks_at else f"Supplier {n}-{d}"
            detail = "\"Works\nand\nrepairs\"" if d == 7 and breaks_at else "Works"
            text += f"{d:02d}/0{n}/2024,{payee},{d}.{n:02d},Highways,{detail},T{n}-{d}\n"
            starts.append(line)
            line += 1 + payee.count("\n") + detail.count("\n")
        return text, starts

    layouts = {1: set(), 2: {1, 5}, 3: {12}, 4: set(), 5: {2, 3, 4}}
    paths, expected = [], {}
    for n, breaks_at in layouts.items():
        text, starts = month(n, breaks_at)
        path = tmp_path / f"2024-0{n}.csv"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
        expected[path.name] = starts

    def lines(batch_rows: int) -> dict[str, list[int]]:
        ws_path = tmp_path / f"ws-{batch_rows}.duckdb"
        ws = open_workspace(ws_path)
        try:
            outcomes = list(load_paths(ws, paths, "spend", batch_rows=batch_rows))
            assert all(isinstance(o, LoadResult) for _, o in outcomes), outcomes
            with ws.read() as cur:
                rows = cur.execute("SELECT f.name, list(p.source_row ORDER BY p.source_row) FROM payments p "
                                   "JOIN loaded_files f USING (file_id) GROUP BY f.name").fetchall()
            return {name: list(found) for name, found in rows}
        finally:
            close_workspace(ws_path)

    assert lines(BATCH_ROWS) == expected
    assert lines(0) == expected


def test_a_second_table_lower_down_keeps_its_own_unmapped_columns(tmp_path: Path) -> None:
    """A file holding two tables whose headers differ in the columns this tool does not map: every payment
    lands with its own table's extra cells, loaded alone or in a batch beside a file of the first shape."""
    first = "Date,Supplier Name,Amount,Ward\n01/04/2024,Acme Ltd,10.00,North\n02/04/2024,Beta plc,20.00,South\n"
    second = "Date,Supplier Name,Amount,Polling District,Ward Name,WARD NAME\n03/04/2024,Cobb Ltd,30.00,PD1,East,E\n"
    (tmp_path / "two-tables.csv").write_text(first + "\n" + second, encoding="utf-8")
    (tmp_path / "plain.csv").write_text(first.replace("Acme", "Alder"), encoding="utf-8")
    for batch_rows in (0, BATCH_ROWS):
        rows = _loaded_then(tmp_path / f"ws-{batch_rows}.duckdb", [tmp_path / "plain.csv", tmp_path / "two-tables.csv"],
                            batch_rows, "SELECT supplier_name, amount, extra FROM payments p JOIN loaded_files f "
                            "USING (file_id) WHERE f.name = 'two-tables.csv' ORDER BY source_row")
        assert rows == [("Acme Ltd", Decimal("10.00"), {"Ward": "North"}),
                        ("Beta plc", Decimal("20.00"), {"Ward": "South"}),
                        ("Cobb Ltd", Decimal("30.00"), {"Polling District": "PD1", "Ward Name": "East", "WARD NAME": "E"})]


def test_a_file_with_line_breaks_and_a_header_repeated_lower_down_loads_as_it_does_alone(tmp_path: Path) -> None:
    """In a batch, a file whose quoted cells hold line breaks above a header repeated lower down (a report
    printed page by page) lands with the same lines, payments and figures as when it is loaded on its own."""
    page = "".join(f"0{d}/04/2024,Supplier {d},{d}0.00,Highways,Works,T{d}\n" for d in range(1, 5))
    broken = page.replace("Supplier 2", "\"Supplier 2\nTrading as Two\"")
    (tmp_path / "a-paged.csv").write_text(HEADER + broken + "\n" + HEADER + page.replace("T", "U"), encoding="utf-8")
    (tmp_path / "b-plain.csv").write_text(HEADER + page.replace("T", "V"), encoding="utf-8")

    def loaded(batch_rows: int) -> list[tuple[object, ...]]:
        return _loaded_then(tmp_path / f"ws-{batch_rows}.duckdb", [tmp_path / "a-paged.csv", tmp_path / "b-plain.csv"],
                            batch_rows, "SELECT f.name, f.rows, f.total, p.source_row, p.supplier_name, p.amount "
                            "FROM payments p JOIN loaded_files f USING (file_id) ORDER BY f.name, p.source_row")

    alone = loaded(0)
    assert loaded(BATCH_ROWS) == alone
    assert [row[3] for row in alone if row[0] == "a-paged.csv"] == [2, 3, 5, 6, 9, 10, 11, 12]


def _loaded_then(ws_path: Path, paths: list[Path], batch_rows: int, sql: str) -> list[tuple[object, ...]]:
    """The files loaded into a new workspace (every one must land), then `sql`'s rows there."""
    ws = open_workspace(ws_path)
    try:
        outcomes = list(load_paths(ws, paths, "spend", batch_rows=batch_rows))
        assert all(isinstance(o, LoadResult) for _, o in outcomes), outcomes
        with ws.read() as cur:
            return cur.execute(sql).fetchall()
    finally:
        close_workspace(ws_path)
