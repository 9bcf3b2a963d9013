"""Benchmark: loading 15 years of monthly "expenditure over £500" files, against bare DuckDB.

What it measures, and why
-------------------------
The loader (`python -m sp_analysis load`) does much more than read a CSV: it decodes each file in
Python (BOM, Windows-1252), finds the header below title lines, writes a normalised UTF-8 copy,
reads it with DuckDB's read_csv as text and parses money and dates in SQL in the same statement (the
files of a batch sharing a header shape together), measures quality, checks each file against what is
loaded, and inserts typed rows, files landing together in transactions of about 500,000 payments.
The targets for a realistic archive (180 monthly files, at least 1.5 million payment lines):

* loading takes at most 1.5x as long as the fastest bare DuckDB way to read the same files: one
  multi-file read_csv per header shape over clean UTF-8 copies (every column as text,
  union_by_name) into a persistent table; the one-statement-per-file figure is kept beside it;
* the loading process peaks under 1.5 GB of memory.

Steps:
1. Generate 180 quirky files (seeded, deterministic) into bench/out/files/: five header shapes in
   eras of three years each (12 to 19 named columns), as a council's exports change over time;
   UTF-8 with BOM, Windows-1252 (two shapes of five), title lines above the header, amounts such
   as `£1,234.56`, `" 1,234.56 "`, `(123.45)`, `-£9.9`, `6.82121E-13`, three date styles, totals
   rows, a report footer, ~2% redacted payees, ~3% credit notes, 40 empty trailing columns, and in
   a third of the files of the shapes with a free-text column, quoted cells with a line break
   inside. The generator keeps its own record (integer pence) of each file's payment count and
   total. The same text re-encoded as plain UTF-8 goes to bench/out/clean/.
2. Bare DuckDB (bench/bare_read.py) in a subprocess: one multi-file read per shape (the baseline),
   then one statement per file (for reference).
3. The CLI loads all 180 quirky files in ONE process; wall clock and peak RSS (from wait4) are
   taken for each subprocess the same way.
4. `summary --json` must give exactly the generator's row count and total, overall and file by
   file (else exit 1).
5. Results: a table on stdout, bench/out/results.json, and bench/results.md (full-size runs
   only; smaller runs write bench/out/results.md so they never overwrite the recorded figures).

Usage:  python bench/run.py [--files N] [--lines-per-file N] [--keep] [--queries]  (--queries: then bench/queries.py)
Smoke:  python bench/run.py --files 6 --lines-per-file 2000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from decimal import Decimal
from functools import reduce
from itertools import repeat
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"
FILES_DIR = OUT / "files"
CLEAN_DIR = OUT / "clean"
MANIFEST = OUT / "manifest.json"
WORKSPACE = OUT / "bench.duckdb"
BARE_DB = OUT / "bare.duckdb"
MULTI_DB = OUT / "bare-multi.duckdb"
RESULTS_JSON = OUT / "results.json"
RESULTS_MD = BENCH / "results.md"
SMALL_RESULTS_MD = OUT / "results.md"
BARE_READ = BENCH / "bare_read.py"

DEFAULT_FILES = 180
DEFAULT_LINES_PER_FILE = 8_400
SEED = 20_261_127
MIX_VERSION = 2  # bumped whenever the generated files change, so --keep never reuses older ones
TARGET_RATIO = 1.5
TARGET_PEAK_MB = 1.5 * 1024  # 1.5 GB, in MiB as ru_maxrss reports (KiB / 1024)

Strings = npt.NDArray[np.str_]
Ints = npt.NDArray[np.int64]

# ---------------------------------------------------------------------------------------------
# Generation: vectorised string building with numpy (lookup tables + np.strings.add)
# ---------------------------------------------------------------------------------------------

COUNCIL = "Wrenford Borough Council"
BODY_CODE = "E0742"
REDACTED = "REDACTED UNDER DP ACT"
PAD2 = np.array([f"{i:02d}" for i in range(100)])
PAD3 = np.array([f"{i:03d}" for i in range(1000)])
# Pence as a spreadsheet's "General" format shows them: 20050, 14.2, 1516.82.
SHORT_PENCE = np.array(["" if i == 0 else f".{i // 10}" if i % 10 == 0 else f".{i:02d}" for i in range(100)])
MONTH_NAMES = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
               "October", "November", "December"]

DEPARTMENTS = ["Adult Care & Health", "Children's Services", "Highways & Transport", "Waste & Environment",
               "Corporate Services", "Education", "Public Health", "Property & Capital", "Communities",
               "Housing – Temporary Accommodation"]
EXPENSE_TYPES = ["Residential Care", "Home Care", "Foster Care - Independent Agencies", "Road Resurfacing",
                 "Street Lighting", "Waste Disposal Contract", "Electricity", "Gas", "Stationery",
                 "Software Licences", "IT Hardware", "Consultancy", "Legal Fees", "Agency Staff",
                 "Building Repairs & Maintenance", "School Transport", "Grants to Voluntary Bodies",
                 "Catering, Provisions", "Cleaning", "Bed & Breakfast – Emergency", "Direct Payments",
                 "Refunds"]
CREDITOR_TYPES = ["LTD", "PLC", "CHTY", "SOLE", "LLP", "CIC", "INDV", "BUSN"]
STEMS = ["Alder", "Amber", "Bracken", "Briar", "Calder", "Cinder", "Cobble", "Copper", "Crane", "Elder", "Fen",
         "Flint", "Hazel", "Heron", "Holly", "Juniper", "Kestrel", "Lark", "Linnet", "Marl", "Meadow", "Moss",
         "Otter", "Pebble", "Plover", "Raven", "Reed", "Rowan", "Sedge", "Sorrel", "Swallow", "Tansy", "Wren",
         "Yarrow", "Bramble", "Clover", "Larch", "Sloe", "Gorse", "Mallow"]
ENDINGS = ["bank", "brook", "combe", "croft", "dale", "gate", "holt", "hurst", "leigh", "mere", "moor", "stead",
           "wick", "worth", "way", "ridge", "well", "fold"]
TRADES = ["Care Homes Ltd", "Homecare Ltd", "Construction Ltd", "Civils Ltd", "Coaches", "Waste Services Ltd",
          "Energy PLC", "Foods Ltd", "Office Supplies", "Systems Ltd", "Cleaning Services CIC", "Consulting LLP",
          "Community Trust", "Academy Trust", "Motors", "Print & Design", "Fostering Ltd", "Surfacing Ltd"]
# Real-world names that exercise quoting, quotes, non-ASCII (all encodable as Windows-1252),
# double spaces, and the word "total" inside a payment line.
SPECIAL_SUPPLIERS = ["Marrowby, Garside & Partners LLP", 'The "Old Mill" Tea Rooms', "O’Marrow Minibus Services",
                     "Café Rowan Ltd", "Brontë Books Ltd", "Kestrelway  Court Residential Care PLC",
                     "Total Facilities Management Ltd", "Smith & Sons (Builders), Ltd"]


def csv_cell(text: str) -> str:
    """A cell as a CSV writer would write it (quoted when it holds a comma, quote or line end)."""
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def cat(*parts: Strings | str) -> Strings:
    """Element-wise concatenation of string arrays and constants."""
    return reduce(np.strings.add, parts)  # type: ignore[arg-type]


def cells_of(values: Strings | str, n: int) -> Iterable[str]:
    """A column's n cells as Python strings (a constant repeated)."""
    return values.tolist() if isinstance(values, np.ndarray) else repeat(values, n)


def quote_where(cells: Strings, mask: npt.NDArray[np.bool_]) -> Strings:
    return np.where(mask, cat('"', cells, '"'), cells)


def grouped(pounds: Ints) -> Strings:
    """Whole pounds with thousands commas: 1,234,567."""
    g0, g1, g2, g3 = pounds % 1000, pounds // 1000 % 1000, pounds // 1_000_000 % 1000, pounds // 1_000_000_000
    return np.where(
        pounds >= 1_000_000_000, cat(g3.astype(str), ",", PAD3[g2], ",", PAD3[g1], ",", PAD3[g0]),
        np.where(pounds >= 1_000_000, cat(g2.astype(str), ",", PAD3[g1], ",", PAD3[g0]),
                 np.where(pounds >= 1000, cat(g1.astype(str), ",", PAD3[g0]), g0.astype(str))),
    )


@dataclass(frozen=True)
class MoneyStyle:
    """How one publisher writes amounts."""

    commas: bool = False          # 1,234.56
    short_pence: bool = False     # 14.2 and 20050 rather than 14.20 and 20050.00
    pound_sign: bool = False      # £1,234.56 / -£9.9
    brackets: bool = False        # credits as (123.45) rather than -123.45
    padded: bool = False          # " 1,234.56 " (always quoted)


def money_cells(pence: Ints, style: MoneyStyle) -> Strings:
    """Amounts in pence, as the publisher's CSV cells (quoted where needed)."""
    size = np.abs(pence)
    pounds = grouped(size // 100) if style.commas else (size // 100).astype(str)
    fraction = SHORT_PENCE[size % 100] if style.short_pence else cat(".", PAD2[size % 100])
    body = cat("£" if style.pound_sign else "", pounds, fraction)
    before, after = ("(", ")") if style.brackets else ("-", "")
    body = np.where(pence < 0, cat(before, body, after), body)
    if style.padded:
        return cat('" ', body, ' "')
    return quote_where(body, np.strings.find(body, ",") >= 0) if style.commas else body


@dataclass(frozen=True)
class Shape:
    """One publishing shape: header, encoding, date and money styles, and what surrounds the data."""

    key: str
    columns: tuple[tuple[str, str], ...]  # (header text, field)
    encoding: str                         # "utf-8-sig", "cp1252" or "utf-8"
    newline: str
    date_format: str
    money: MoneyStyle
    preamble: tuple[str, ...] = ()        # lines above the header; {month} is filled in
    trailing_empty: int = 0               # empty columns after the last named one
    totals_field: str | None = None       # where a totals row puts its label ("" = no label)
    totals_label: str = ""
    footer: str | None = None
    blank_tail: int = 0                   # rows of bare delimiters at the end
    tiny_amounts: bool = False            # some zero amounts written as 6.82121E-13 (float residue)
    line_breaks: bool = False             # some files have a line break inside a quoted free-text cell


SHAPES: tuple[Shape, ...] = (
    Shape("A", (("Body", "body_code"), ("Name of Body", "body_name"), ("Date", "date"),
                ("Transaction Number", "trans"), ("Invoice Number", "invoice"), ("Amount", "amount"),
                ("Supplier Name", "supplier"), ("Supplier ID", "supplier_id"), ("Vat Reg No", "vat"),
                ("Expense Area", "dept"), ("Expense Type", "etype"), ("Expense Code", "ecode"),
                ("Creditor Type", "ctype"), ("Service", "service"), ("Cost Centre", "cost_centre"),
                ("Payment Method", "pay_method")),
          "utf-8-sig", "\r\n", "%Y-%m-%d 00:00:00", MoneyStyle(short_pence=True), tiny_amounts=True),
    Shape("B", (("Supplier id", "supplier_id"), ("Supplier Name", "supplier"), ("Transno", "trans"),
                ("Account", "ecode"), ("Description", "etype"), ("Amount", "amount"), ("Pay Date", "date"),
                ("Group", "dept"), ("Service Area", "service"), ("Cost Centre", "cost_centre"),
                ("Order Number", "po"), ("Narrative", "narrative")),
          "cp1252", "\r\n", "%d/%m/%Y", MoneyStyle(commas=True, short_pence=True, pound_sign=True),
          trailing_empty=40, blank_tail=3, line_breaks=True),
    Shape("C", (("Name of  Body", "body_name"), (" Date ", "date"), ("Transaction Number", "trans"),
                (" Amount ", "amount"), ("Supplier Name", "supplier"), ("Supplier ID", "supplier_id"),
                ("Expense Area", "dept"), ("Expense Type", "etype"), ("Expense Code", "ecode"),
                ("Creditor Type", "ctype"), ("Service Division", "service"), ("Cost Centre", "cost_centre"),
                ("Capital or Revenue", "cap_rev"), ("Purpose of Spend", "narrative")),
          "utf-8", "\n", "%d-%b-%y", MoneyStyle(commas=True, brackets=True, padded=True),
          preamble=(COUNCIL, "Expenditure over £500 - {month}", ""), totals_field="",
          footer="Report SPEND01 run on {run_date} at 16:28 by FINANCE"),
    Shape("D", (("Date", "date"), ("Supplier", "supplier"), ("Amount £", "amount"), ("Department", "dept"),
                ("Purpose", "etype"), ("Reference", "trans"), ("Invoice No", "invoice"), ("VAT Reg No", "vat"),
                ("Service", "service"), ("Cost Centre", "cost_centre"), ("Payment Method", "pay_method"),
                ("Notes", "narrative")),
          "cp1252", "\n", "%d/%m/%Y", MoneyStyle(commas=True, short_pence=True, pound_sign=True),
          preamble=("Expenditure over £500 – {month},,,,,,,,,,,", f"{COUNCIL},,,,,,,,,,,",
                    "Published under the Local Government Transparency Code 2015"),
          totals_field="supplier", totals_label="Total", line_breaks=True),
    Shape("E", (("ORGANISATION NAME", "body_name"), ("ORGANISATION CODE", "body_code"), ("PAYMENT DATE", "date"),
                ("EXPENSE AREA", "dept"), ("SERVICE", "service"), ("EXPENSE TYPE", "etype"),
                ("EXPENSE CODE", "ecode"), ("SUPPLIER NAME", "supplier"), ("SUPPLIER ID", "supplier_id"),
                ("VAT REGISTRATION NUMBER", "vat"), ("AMOUNT", "amount"), ("TRANSACTION NUMBER", "trans"),
                ("INVOICE NUMBER", "invoice"), ("PURCHASE ORDER", "po"), ("CREDITOR TYPE", "ctype"),
                ("COST CENTRE", "cost_centre"), ("CAPITAL OR REVENUE", "cap_rev"), ("PAYMENT METHOD", "pay_method"),
                ("DESCRIPTION", "narrative")),
          "utf-8", "\r\n", "%d-%b-%Y", MoneyStyle(), totals_field="supplier", totals_label="TOTAL",
          line_breaks=True),
)
# Publishers change their layout every few years: the archive runs through the shapes in eras of equal
# length (36 months in the full 180-file run), April 2011 onwards, rather than mixing them month by month.
# In shapes with a free-text column, one file in LINE_BREAK_EVERY has cells with a line break inside quotes.
LINE_BREAK_EVERY = 3
NARRATIVES = ["Monthly charge", "Invoice as agreed", "Stage payment", "Annual licence renewal", "Works to date",
              "Placement fees, four weeks", "Call-off under framework", "Final account", "Retention release"]
SERVICES = ["Adult Social Care", "Children and Families", "Environment", "Highways", "Resources", "Public Health",
            "Economy and Place", "Schools"]
PAY_METHODS = ["BACS", "BACS", "BACS", "CHAPS", "Cheque", "Purchase Card"]


@dataclass(frozen=True)
class SupplierPool:
    """Suppliers as pre-escaped CSV cells, with their attributes, and draw weights."""

    names: Strings
    ids: Strings
    vats: Strings
    creditor_types: Strings
    departments: Strings
    expense_types: Ints
    weights: npt.NDArray[np.float64]


def supplier_pool(rng: np.random.Generator, size: int = 2_500) -> SupplierPool:
    names = [csv_cell(n) for n in SPECIAL_SUPPLIERS]
    while len(names) < size:
        stem = f"{STEMS[rng.integers(len(STEMS))]}{ENDINGS[rng.integers(len(ENDINGS))]}"
        name = f"{stem} {TRADES[rng.integers(len(TRADES))]}"
        names.append(csv_cell(name.upper() if rng.random() < 0.1 else name))
    vat_numbers = rng.integers(100_000_000, 999_999_999, size)
    has_vat = rng.random(size) < 0.4
    vats = np.where(has_vat, [f"{v // 1_000_000} {v // 100 % 10_000:04d} {v % 100:02d}" for v in vat_numbers], "")
    ranks = np.arange(1, size + 1, dtype=np.float64)
    weights = 1.0 / (ranks + 20.0)
    return SupplierPool(
        names=np.array(names),
        ids=rng.integers(100_000, 999_999, size).astype(str),
        vats=np.array(vats),
        creditor_types=np.array(CREDITOR_TYPES)[rng.integers(len(CREDITOR_TYPES), size=size)],
        departments=np.array([csv_cell(d) for d in DEPARTMENTS])[rng.integers(len(DEPARTMENTS), size=size)],
        expense_types=rng.integers(len(EXPENSE_TYPES), size=size).astype(np.int64),
        weights=weights / weights.sum(),
    )


def amounts_in_pence(rng: np.random.Generator, n: int) -> Ints:
    """Mostly lines over £500, a few very large ones, ~3% credit notes, ~15% whole pounds."""
    pence = np.maximum(np.round(rng.lognormal(np.log(1_800.0), 1.1, n) * 100), 50_000).astype(np.int64)
    big = rng.random(n) < 0.01
    pence[big] = rng.integers(10_000_000, 250_000_000, int(big.sum()))
    whole = rng.random(n) < 0.15
    pence[whole] = pence[whole] // 100 * 100
    credit = rng.random(n) < 0.03
    pence[credit] = -np.maximum(np.round(rng.lognormal(np.log(250.0), 1.2, int(credit.sum())) * 100), 1).astype(np.int64)
    return pence


@dataclass
class FileRecord:
    """One generated file and the generator's own figures for it."""

    name: str
    shape: str
    encoding: str
    path: str
    clean_path: str
    skip: int           # lines above the header (for the bare read)
    rows: int           # payment lines
    line_breaks: bool   # cells with a line break inside quotes
    short_lines: bool   # lines with fewer cells than the header (a footer): the bare read needs null_padding
    total_pence: int
    bytes: int


def narrative_cells(rng: np.random.Generator, n: int, breaks: bool) -> Strings:
    """Free text: mostly short phrases, some with a comma (quoted), and, where `breaks`, ~0.3% of cells
    holding a line break inside their quotes (an analyst's note typed over two lines)."""
    phrases = np.array([csv_cell(t) for t in NARRATIVES])
    cells = phrases[rng.integers(len(NARRATIVES), size=n)]
    if breaks:
        broken = rng.random(n) < 0.003
        cells = np.where(broken, '"Paid in two parts:\nsee the second line"', cells)
    return cells


def month_of(index: int) -> tuple[int, int]:
    """File 0 is April 2011; 180 files run to March 2026."""
    months = 2011 * 12 + 3 + index
    return months // 12, months % 12 + 1


def shape_of(index: int, files: int) -> Shape:
    """The shape of file `index` of `files`: one era each, in order."""
    return SHAPES[min(index * len(SHAPES) // files, len(SHAPES) - 1)]


def build_file(index: int, files: int, lines: int, pool: SupplierPool, rng: np.random.Generator) -> tuple[Shape, str, int, int]:
    """One month's file as text; returns (shape, text, payment rows, total in pence)."""
    shape = shape_of(index, files)
    year, month = month_of(index)
    days_in_month = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.date(year, month, 1)).days
    day_cells = np.array([dt.date(year, month, d).strftime(shape.date_format) for d in range(1, days_in_month + 1)])
    if shape.key == "E":
        day_cells = np.strings.upper(day_cells)

    supplier = rng.choice(len(pool.names), size=lines, p=pool.weights)
    redacted = rng.random(lines) < 0.02
    pence = amounts_in_pence(rng, lines)
    amount = money_cells(pence, shape.money)
    if shape.tiny_amounts:
        tiny = rng.random(lines) < 0.002
        pence[tiny] = 0
        residue = np.where(rng.random(lines) < 0.5, "6.82121E-13", "-1.13687E-13")
        amount = np.where(tiny, residue, amount)  # np.where widens the strings; assignment would cut them
    etype = pool.expense_types[supplier]
    fields: dict[str, Strings | str] = {
        "body_code": BODY_CODE,
        "body_name": COUNCIL,
        "date": day_cells[np.sort(rng.integers(0, days_in_month, lines))],
        "trans": np.arange(index * 100_000 + 1, index * 100_000 + lines + 1).astype(str),
        "invoice": cat("INV-", rng.integers(100_000, 999_999, lines).astype(str)),
        "amount": amount,
        "supplier": np.where(redacted, REDACTED, pool.names[supplier]),
        "supplier_id": np.where(redacted, "", pool.ids[supplier]),
        "vat": np.where(redacted, "", pool.vats[supplier]),
        "dept": pool.departments[supplier],
        "etype": np.array([csv_cell(e) for e in EXPENSE_TYPES])[etype],
        "ecode": (4100 + etype).astype(str),
        "ctype": np.where(redacted, "INDV", pool.creditor_types[supplier]),
        "service": np.array(SERVICES)[etype % len(SERVICES)],
        "cost_centre": cat("CC", (1000 + supplier % 400).astype(str)),
        "po": np.where(rng.random(lines) < 0.6, cat("PO", rng.integers(4_000_000, 4_999_999, lines).astype(str)), ""),
        "pay_method": np.array(PAY_METHODS)[rng.integers(len(PAY_METHODS), size=lines)],
        "cap_rev": np.where(rng.random(lines) < 0.12, "Capital", "Revenue"),
        "narrative": narrative_cells(rng, lines, shape.line_breaks and index % LINE_BREAK_EVERY == 0),
    }
    # Rows are joined by str.join over the columns (C speed); concatenating whole fixed-width
    # numpy string arrays column by column is several times slower.
    tail = "," * shape.trailing_empty
    columns = [cells_of(fields[f], lines) for _, f in shape.columns]
    if tail:
        columns.append(repeat(tail[1:], lines))  # the join adds the first comma
    month_label = f"{MONTH_NAMES[month - 1]} {year}"
    out: list[str] = [line.format(month=month_label) for line in shape.preamble]
    out.append(",".join(csv_cell(h) for h, _ in shape.columns) + tail)
    out.extend(map(",".join, zip(*columns, strict=True)))
    total = int(pence.sum())
    if shape.totals_field is not None:
        totals = ["" for _ in shape.columns]
        names = [f for _, f in shape.columns]
        totals[names.index("amount")] = str(money_cells(np.array([total], dtype=np.int64), shape.money)[0])
        if shape.totals_field:
            totals[names.index(shape.totals_field)] = shape.totals_label
        out.append(",".join(totals) + tail)
    if shape.footer is not None:
        next_month = dt.date(year + month // 12, month % 12 + 1, 6)
        out.extend(["", shape.footer.format(run_date=next_month.strftime("%d/%m/%Y"))])
    out.extend("," * (len(shape.columns) - 1) + tail for _ in range(shape.blank_tail))
    return shape, shape.newline.join(out) + shape.newline, lines, total


def generate(files: int, lines_per_file: int) -> list[FileRecord]:
    """Write the quirky files and their clean UTF-8 copies; return the generator's figures."""
    for folder in (FILES_DIR, CLEAN_DIR):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    rng = np.random.default_rng(SEED)
    pool = supplier_pool(rng)
    records = []
    for index in range(files):
        shape, text, rows, total = build_file(index, files, lines_per_file, pool, np.random.default_rng([SEED, index]))
        breaks = shape.line_breaks and index % LINE_BREAK_EVERY == 0
        year, month = month_of(index)
        name = f"wrenford-spend-{year}-{month:02d}.csv"
        data = text.encode(shape.encoding)
        (FILES_DIR / name).write_bytes(data)
        (CLEAN_DIR / name).write_bytes(text.encode("utf-8"))
        records.append(FileRecord(name, shape.key, shape.encoding, str(FILES_DIR / name), str(CLEAN_DIR / name),
                                  len(shape.preamble), rows, breaks, shape.footer is not None, total, len(data)))
    return records


def generated(files: int, lines_per_file: int, keep: bool) -> list[FileRecord]:
    """The files for this run: reused with --keep when the manifest matches, else generated."""
    params = {"files": files, "lines_per_file": lines_per_file, "seed": SEED, "mix": MIX_VERSION}
    if keep and MANIFEST.exists():
        manifest = json.loads(MANIFEST.read_text())
        records = [FileRecord(**r) for r in manifest["files"]]
        if manifest["params"] == params and all(Path(r.path).exists() and Path(r.clean_path).exists() for r in records):
            print(f"reusing {len(records)} generated files (--keep)")
            return records
        print("--keep: the generated files do not match these options; generating again")
    started = time.perf_counter()
    records = generate(files, lines_per_file)
    MANIFEST.write_text(json.dumps({"params": params, "files": [asdict(r) for r in records]}, indent=1))
    size = sum(r.bytes for r in records) / 1e6
    print(f"generated {len(records)} files, {sum(r.rows for r in records):,} payment lines, {size:,.0f} MB "
          f"in {time.perf_counter() - started:.1f}s")
    return records


# ---------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measured:
    """One subprocess: wall clock, peak resident memory, exit code and output."""

    seconds: float
    peak_mb: float
    exit_code: int
    stdout: str
    stderr: str


def measure(command: list[str], log_name: str) -> Measured:
    """Run a command to completion; wall clock and its own peak RSS (wait4 gives this child's)."""
    stdout_path, stderr_path = OUT / f"{log_name}.stdout.log", OUT / f"{log_name}.stderr.log"
    with stdout_path.open("w") as out, stderr_path.open("w") as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
    return Measured(seconds, usage.ru_maxrss / 1024, process.returncode, stdout_path.read_text(), stderr_path.read_text())


def remove_database(path: Path) -> None:
    for stale in (path, path.with_name(path.name + ".wal")):
        stale.unlink(missing_ok=True)


def bare(mode: str, database: Path) -> tuple[Measured, dict[str, Any]]:
    remove_database(database)
    run = measure([sys.executable, str(BARE_READ), mode, str(MANIFEST), str(database)], f"bare-{mode}")
    if run.exit_code != 0:
        raise SystemExit(f"bare DuckDB {mode} read failed:\n{run.stderr}")
    return run, json.loads(run.stdout)


def load_with_cli() -> Measured:
    remove_database(WORKSPACE)
    return measure([sys.executable, "-m", "sp_analysis", "load", "--workspace", str(WORKSPACE),
                    str(FILES_DIR / "*.csv")], "load")


def check(records: list[FileRecord], load: Measured) -> tuple[bool, list[str], dict[str, Any]]:
    """The workspace's figures against the generator's, exactly; returns (ok, problems, summary)."""
    done = subprocess.run([sys.executable, "-m", "sp_analysis", "summary", "--workspace", str(WORKSPACE), "--json"],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    problems = []
    if load.exit_code != 0:
        problems.append(f"load exited {load.exit_code}: {load.stderr.strip()[-2000:]}")
    if done.returncode != 0:
        return False, [*problems, f"summary failed: {done.stderr.strip()}"], {}
    spend = json.loads(done.stdout)["spend"]
    rows, total = sum(r.rows for r in records), Decimal(sum(r.total_pence for r in records)) / 100
    if spend["rows"] != rows:
        problems.append(f"rows: loaded {spend['rows']:,}, generated {rows:,}")
    if Decimal(spend["total"]) != total:
        problems.append(f"total: loaded £{Decimal(spend['total']):,.2f}, generated £{total:,.2f}")
    by_name = {f["name"]: f for f in spend["files"]}
    for record in records:
        entry = by_name.get(record.name)
        want = Decimal(record.total_pence) / 100
        if entry is None:
            problems.append(f"{record.name}: not loaded")
        elif entry["rows"] != record.rows or Decimal(entry["total"]) != want:
            problems.append(f"{record.name} (shape {record.shape}): loaded {entry['rows']} rows £{entry['total']}, "
                            f"generated {record.rows} rows £{want}")
    return not problems, problems, {"rows": spend["rows"], "total": spend["total"],
                                    "expected_rows": rows, "expected_total": f"{total:.2f}"}


# ---------------------------------------------------------------------------------------------
# Reporting
# ---------------------------------------------------------------------------------------------


def mix_of(records: list[FileRecord]) -> dict[str, Any]:
    shapes = {s.key: s for s in SHAPES}
    used = [shapes[r.shape] for r in records]
    return {"shapes": {k: sum(1 for r in records if r.shape == k) for k in shapes if any(r.shape == k for r in records)},
            "columns": {k: len(s.columns) for k, s in shapes.items()},
            "cp1252_files": sum(1 for s in used if s.encoding == "cp1252"),
            "title_files": sum(1 for s in used if s.preamble),
            "totals_files": sum(1 for s in used if s.totals_field is not None),
            "line_break_files": sum(1 for r in records if r.line_breaks)}


def machine() -> dict[str, Any]:
    memory_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                     if line.startswith("MemTotal:"))
    import duckdb  # only for its version; imported here so the measured processes never pay for it

    return {"nproc": len(os.sched_getaffinity(0)), "memory_gb": round(memory_kb / 1024 / 1024, 1),
            "platform": platform.platform(), "python": platform.python_version(), "duckdb": duckdb.__version__}


def mix_words(results: dict[str, Any]) -> str:
    """The generated archive in words, for results.md."""
    mix = results["mix"]
    shapes = ", ".join(f"{k}: {v} files, {mix['columns'][k]} columns" for k, v in mix["shapes"].items())
    return (f"{results['files']} monthly files in {len(mix['shapes'])} header shapes over the years "
            f"({shapes}), "
            f"{mix['cp1252_files']} Windows-1252, {mix['title_files']} with title lines, "
            f"{mix['line_break_files']} with quoted line breaks, {mix['totals_files']} with a totals row; "
            "~2% redacted payees, ~3% credit notes")


def markdown(results: dict[str, Any]) -> str:
    m, load, bare_run, multi = results["machine"], results["load"], results["bare_per_file"], results["bare_multi_file"]
    targets = results["targets"]
    yes = {True: "met", False: "NOT met"}
    return "\n".join([
        "# Benchmark: loading spend files",
        "",
        f"Run {results['date']} on {m['nproc']} CPUs, {m['memory_gb']} GB memory ({m['platform']}, "
        f"Python {m['python']}, DuckDB {m['duckdb']}); `make bench` (bench/run.py). Timings are whole-process "
        "wall clock (start-up and imports included); memory is the process's peak RSS.",
        "",
        "| files | lines | MB | load s | lines/s | bare DuckDB s | load / bare | load peak MB | bare peak MB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {results['files']} | {results['lines']:,} | {results['megabytes']:,.0f} | {load['seconds']:.1f} | "
        f"{load['lines_per_second']:,.0f} | {multi['seconds']:.1f} | {results['ratio']:.2f} | "
        f"{load['peak_mb']:,.0f} | {multi['peak_mb']:,.0f} |",
        "",
        f"- Mix: {mix_words(results)}.",
        "- Bare DuckDB (the baseline): one `read_csv([...], all_varchar = true, header = true, union_by_name = true)` "
        "over the clean UTF-8 copies of all the files of each header shape, into a persistent table per shape. "
        f"For reference, one statement per file took {bare_run['seconds']:.1f} s (peak {bare_run['peak_mb']:,.0f} MB; "
        f"load / that {results['ratio_per_file']:.2f}x).",
        f"- Target load <= {TARGET_RATIO:g}x bare: **{yes[targets['ratio_met']]}** ({results['ratio']:.2f}x).",
        f"- Target peak memory < 1.5 GB: **{yes[targets['memory_met']]}** ({load['peak_mb']:,.0f} MB).",
        f"- Loaded figures equal the generator's ({results['check']['expected_rows']:,} payments, "
        f"£{Decimal(results['check']['expected_total']):,.2f}): **{'yes' if results['correct'] else 'NO'}**.",
        "",
    ])


def report(records: list[FileRecord], load: Measured, bare_run: Measured, bare_out: dict[str, Any],
           multi: Measured, multi_out: dict[str, Any], correct: bool, figures: dict[str, Any]) -> dict[str, Any]:
    lines = sum(r.rows for r in records)
    ratio = load.seconds / multi.seconds
    per_file_ratio = load.seconds / bare_run.seconds
    results: dict[str, Any] = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": machine(),
        "files": len(records),
        "lines": lines,
        "megabytes": sum(r.bytes for r in records) / 1e6,
        "mix": mix_of(records),
        "load": {"seconds": load.seconds, "lines_per_second": lines / load.seconds, "peak_mb": load.peak_mb,
                 "exit_code": load.exit_code},
        "bare_per_file": {"seconds": bare_run.seconds, "seconds_in_process": bare_out["seconds_in_process"],
                          "peak_mb": bare_run.peak_mb, "rows_read": bare_out["rows_read"]},
        "bare_multi_file": {"seconds": multi.seconds, "seconds_in_process": multi_out["seconds_in_process"],
                            "peak_mb": multi.peak_mb, "rows_read": multi_out["rows_read"]},
        "ratio": ratio,
        "ratio_per_file": per_file_ratio,
        "targets": {"ratio_max": TARGET_RATIO, "ratio_met": ratio <= TARGET_RATIO,
                    "peak_mb_max": TARGET_PEAK_MB, "memory_met": load.peak_mb < TARGET_PEAK_MB},
        "correct": correct,
        "check": figures,
    }
    RESULTS_JSON.write_text(json.dumps(results, indent=2))
    full_size = len(records) == DEFAULT_FILES and lines >= DEFAULT_FILES * DEFAULT_LINES_PER_FILE
    md_path = RESULTS_MD if full_size else SMALL_RESULTS_MD
    md_path.write_text(markdown(results))

    rows = [
        ("files / payment lines", f"{len(records)} / {lines:,} ({results['megabytes']:,.0f} MB)"),
        ("load (CLI, one process)", f"{load.seconds:8.1f} s  {lines / load.seconds:>10,.0f} lines/s  "
                                    f"peak {load.peak_mb:,.0f} MB"),
        ("bare DuckDB, multi-file", f"{multi.seconds:8.1f} s  {lines / multi.seconds:>10,.0f} lines/s  "
                                    f"peak {multi.peak_mb:,.0f} MB  (the baseline)"),
        ("bare DuckDB, per file", f"{bare_run.seconds:8.1f} s  {lines / bare_run.seconds:>10,.0f} lines/s  "
                                  f"peak {bare_run.peak_mb:,.0f} MB  (load / per file {per_file_ratio:.2f}x)"),
        ("load / bare multi-file", f"{ratio:.2f}x  (target <= {TARGET_RATIO:g}x: "
                                   f"{'met' if results['targets']['ratio_met'] else 'NOT met'})"),
        ("peak memory target", f"< 1.5 GB: {'met' if results['targets']['memory_met'] else 'NOT met'}"),
        ("correct", "yes" if correct else "NO"),
    ]
    width = max(len(k) for k, _ in rows)
    print()
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    print(f"\nwrote {RESULTS_JSON.relative_to(ROOT)} and {md_path.relative_to(ROOT)}")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--files", type=int, default=DEFAULT_FILES, help=f"monthly files (default {DEFAULT_FILES})")
    parser.add_argument("--lines-per-file", type=int, default=DEFAULT_LINES_PER_FILE,
                        help=f"payment lines in each file (default {DEFAULT_LINES_PER_FILE:,})")
    parser.add_argument("--keep", action="store_true", help="reuse the generated files if they match the options")
    parser.add_argument("--queries", action="store_true",
                        help="then run bench/queries.py (queries and pages on a 10-million-line workspace)")
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)

    records = generated(args.files, args.lines_per_file, args.keep)
    print("bare DuckDB, multi-file (the baseline) ...", flush=True)
    multi, multi_out = bare("multi-file", MULTI_DB)
    print("bare DuckDB, per file ...", flush=True)
    bare_run, bare_out = bare("per-file", BARE_DB)
    print("loading through the CLI ...", flush=True)
    load = load_with_cli()
    correct, problems, figures = check(records, load)
    report(records, load, bare_run, bare_out, multi, multi_out, correct, figures)
    if not correct:
        print("\nFAILED: the workspace does not hold what was generated:", file=sys.stderr)
        for problem in problems[:20]:
            print(f"  {problem}", file=sys.stderr)
        return 1
    if args.queries:
        return subprocess.call([sys.executable, str(BENCH / "queries.py")], cwd=ROOT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
