"""The optional supplier-attributes upload: each supplier's postcode, company number, SME and VCSE status.

A council's supplier master rarely travels with its spend files, so the analyst may upload one (CSV or XLSX)
to say which suppliers are SMEs, voluntary, community or social enterprises (VCSE), and where they are.
Decisions, stated here and on the Contracts page:

- The file is read by the loaders' own machinery (`prepare_file`: encodings, delimiters, workbooks, title lines
  above the header, published line numbers), then its header is found among the top rows by the wordings
  below. It needs a supplier id or name, and at least one of postcode, company number, SME and VCSE.
- It lands whole or not at all, in one transaction. An unreadable postcode, company number or yes/no, a row
  with details but no supplier, a row with more cells than the header, or one supplier given two different
  sets of details refuses the file, naming the file, the line and the reason. Blank rows are skipped.
- Each upload replaces the list in force: it is the council's current supplier master, not a log. Rows that
  repeat a supplier with the same details are kept once.
- 'Unknown', 'n/a', '-' and the like in any column mean "not known" (not an error). A company number of digits
  only is padded to eight with leading zeros, as spreadsheets drop them.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from sp_analysis.config import SAMPLE_DATA_DIR
from sp_analysis.ingest.columns import Canonical, normalise_header
from sp_analysis.ingest.errors import AlreadyLoaded, LoadError, RowProblem
from sp_analysis.ingest.load import sha256_of
from sp_analysis.ingest.source import ColumnChoice, StagedSource, materialise, prepare_file, staged
from sp_analysis.settings import get_setting, set_setting
from sp_analysis.workspace import Workspace

SAMPLE_ATTRIBUTES = SAMPLE_DATA_DIR / "suppliers" / "harrowdale-supplier-attributes.csv"
# The fictional sample council's postcode districts (sample_data/README.md).
SAMPLE_LOCAL_DISTRICTS = ", ".join(f"ZZ{n}" for n in range(1, 10))

ATTRIBUTE_COLUMNS: tuple[Canonical, ...] = (
    Canonical("supplier_id", "Supplier id",
              ("supplier id", "supplier number", "supplier no", "supplier code", "supplier ref", "supplier reference",
               "vendor id", "vendor number", "vendor no", "creditor id", "creditor number", "creditor no",
               "creditor ref", "payee id", "supplier account", "supplier account number")),
    Canonical("supplier_name", "Supplier name",
              ("supplier name", "supplier", "name", "payee", "payee name", "vendor", "vendor name", "creditor name",
               "creditor", "company name", "organisation name", "organisation", "trading name", "supplier/payee")),
    Canonical("postcode", "Postcode",
              ("postcode", "post code", "supplier postcode", "supplier post code", "postal code", "post-code",
               "registered postcode", "address postcode")),
    Canonical("company_number", "Company number",
              ("company number", "companies house number", "company registration number", "company reg no",
               "registered company number", "companies house no", "company no", "crn", "company reg number")),
    Canonical("sme", "SME", ("sme", "sme (y/n)", "is sme", "supplier is sme", "sme status", "sme?", "sme flag")),
    Canonical("vcse", "VCSE",
              ("vcse", "vcse (y/n)", "is vcse", "vcse status", "vcse?", "vcs", "vcse flag",
               "voluntary or community sector", "voluntary/community organisation")),
)
IDENTITY = ("supplier_id", "supplier_name")
DETAILS = ("postcode", "company_number", "sme", "vcse")
HEADER_ROWS = 60

# Words that mean "not known" in any cell: stored as unknown, not refused.
UNKNOWN_WORDS = ["unknown", "not known", "n/a", "na", "n.a.", "-", "--", "?", "tbc", "tbd", "none", "not applicable"]

POSTCODE_FULL = "[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}"
POSTCODE_DISTRICT = "[A-Z]{1,2}[0-9][A-Z0-9]?"

CURRENT_UPLOAD = """
SELECT upload_id, name, sha256, rows, strftime(loaded_at, '%d %b %Y %H:%M') AS loaded_at, sheet, quality
FROM supplier_attribute_uploads ORDER BY upload_id DESC LIMIT 1
"""
NEXT_UPLOAD_ID = "SELECT nextval('supplier_attribute_upload_seq')"
INSERT_UPLOAD = """
INSERT INTO supplier_attribute_uploads VALUES ($upload_id, $name, $sha, $rows, current_localtimestamp(), $sheet, $quality)
"""
CLEAR_ATTRIBUTES = "DELETE FROM supplier_attributes"
COUNT_ATTRIBUTES = "SELECT count(*) FROM supplier_attributes"
ATTRIBUTES_TABLE = """
SELECT supplier_id, supplier_name, postcode, postcode_district, company_number, sme, vcse, source_row AS line
FROM supplier_attributes ORDER BY source_row
"""


@dataclass(frozen=True)
class AttributesLoadResult:
    """A supplier list that landed: its name, fingerprint, rows kept and quality report."""

    upload_id: int
    name: str
    sha256: str
    rows: int
    quality: dict[str, Any]
    kind: str = "supplier_attributes"

    def describe(self) -> str:
        """One line for the page and the command line."""
        q = self.quality
        return (f"loaded {self.name}: {self.rows:,} supplier{'s' if self.rows != 1 else ''} "
                f"({q['with_postcode']:,} with a postcode, "
                f"{q['sme_known']:,} with SME status, {q['vcse_known']:,} with VCSE status); it replaces any "
                "earlier supplier list")


@dataclass(frozen=True)
class _Header:
    line: int
    cells: tuple[str, ...]
    mapping: dict[str, int]


def _loose(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def map_attribute_header(header: Sequence[str | None]) -> dict[str, int]:
    """Canonical attribute name -> column position, by known wordings; the first column to claim a name wins."""
    exact = {normalise_header(s): c.name for c in ATTRIBUTE_COLUMNS for s in c.synonyms}
    loose = {_loose(k): v for k, v in exact.items()}
    mapping: dict[str, int] = {}
    for position, cell in enumerate(header):
        norm = normalise_header(cell)
        name = exact.get(norm) or loose.get(_loose(norm)) if norm else None
        if name is not None and name not in mapping:
            mapping[name] = position
    return mapping


def _usable(mapping: dict[str, int]) -> bool:
    return any(n in mapping for n in IDENTITY) and any(n in mapping for n in DETAILS)


def _find_header(cur: duckdb.DuckDBPyConnection, src: StagedSource, name: str) -> _Header:
    """The header among the top rows: the staged first row or one below it (title lines above it)."""
    candidates: list[tuple[int, tuple[str, ...]]] = [(src.header_line, tuple(src.header))]
    cells_sql = ", ".join(f"c{i}" for i in range(src.width))
    rows = cur.execute(f"SELECT line, {cells_sql} FROM {src.relation} ORDER BY line LIMIT {HEADER_ROWS}").fetchall()
    candidates += [(int(r[0]), tuple("" if v is None else str(v) for v in r[1:])) for r in rows]
    for line, cells in candidates:
        mapping = map_attribute_header(cells)
        if _usable(mapping):
            last = max((i for i, c in enumerate(cells) if str(c).strip()), default=-1)
            return _Header(line, cells[: last + 1], mapping)
    wanted = "a supplier id or name, and at least one of postcode, company number, SME and VCSE"
    raise LoadError(name, f"no header row among the first {HEADER_ROWS} lines names {wanted} "
                          f"(the first row read was: {', '.join(repr(c) for c in src.header if c) or 'empty'}).")


def _column(header: _Header, name: str) -> str:
    position = header.mapping.get(name)
    return "NULL::VARCHAR" if position is None else f"c{position}"


def parse_attributes_sql(src: StagedSource, header: _Header, parsed: str) -> str:
    """CREATE TEMP TABLE `parsed`: each row below the header typed, with its kind (supplier, blank or a problem)."""
    col = lambda name: _column(header, name)  # noqa: E731
    named = [f"c{i}" for i, cell in enumerate(header.cells) if cell.strip()]
    any_named = " OR ".join(f"sp_clean({c}) IS NOT NULL" for c in named) or "false"
    beyond = " OR ".join(f"sp_clean(c{i}) IS NOT NULL" for i in range(len(header.cells), src.width)) or "false"
    return f"""
    CREATE TEMP TABLE {parsed} AS
    WITH cells AS (
        SELECT line,
               sp_known_id(sp_clean({col('supplier_id')})) AS supplier_id,
               sp_clean({col('supplier_name')}) AS supplier_name,
               sp_clean({col('postcode')}) AS postcode_text,
               sp_clean({col('company_number')}) AS company_text,
               sp_clean({col('sme')}) AS sme_text,
               sp_clean({col('vcse')}) AS vcse_text,
               ({any_named}) AS has_any,
               ({beyond}) AS overflow
        FROM {src.relation} WHERE line > $header_line
    ),
    known AS (
        SELECT *,
               CASE WHEN list_contains($unknown, lower(postcode_text)) THEN NULL
                    ELSE upper(regexp_replace(postcode_text, '\\s+', '', 'g')) END AS pc,
               CASE WHEN list_contains($unknown, lower(company_text)) THEN NULL
                    ELSE upper(regexp_replace(company_text, '\\s+', '', 'g')) END AS co,
               CASE WHEN list_contains($unknown, lower(sme_text)) THEN NULL ELSE sme_text END AS sme_known,
               CASE WHEN list_contains($unknown, lower(vcse_text)) THEN NULL ELSE vcse_text END AS vcse_known
        FROM cells
    ),
    typed AS (
        SELECT line, supplier_id, supplier_name, postcode_text, company_text, sme_text, vcse_text, has_any, overflow,
               pc, co, sme_known, vcse_known,
               CASE WHEN regexp_full_match(pc, '{POSTCODE_FULL}') THEN left(pc, length(pc) - 3) || ' ' || right(pc, 3)
                    WHEN regexp_full_match(pc, '{POSTCODE_DISTRICT}') THEN pc END AS postcode,
               CASE WHEN regexp_full_match(pc, '{POSTCODE_FULL}') THEN left(pc, length(pc) - 3)
                    WHEN regexp_full_match(pc, '{POSTCODE_DISTRICT}') THEN pc END AS postcode_district,
               CASE WHEN regexp_full_match(co, '[0-9]{{1,8}}') THEN lpad(co, 8, '0')
                    WHEN regexp_full_match(co, '[A-Z]{{2}}[0-9]{{6}}') THEN co END AS company_number,
               sp_parse_flag(sme_known) AS sme,
               sp_parse_flag(vcse_known) AS vcse,
               coalesce('id:' || supplier_id, 'name:' || sp_supplier_name_key(supplier_name)) AS who
        FROM known
    )
    SELECT *,
        CASE
            WHEN NOT has_any AND NOT overflow THEN 'blank'
            WHEN overflow THEN 'overflow'
            WHEN supplier_id IS NULL AND supplier_name IS NULL THEN 'no_supplier'
            WHEN pc IS NOT NULL AND postcode IS NULL THEN 'bad_postcode'
            WHEN co IS NOT NULL AND company_number IS NULL THEN 'bad_company_number'
            WHEN sme_known IS NOT NULL AND sme IS NULL THEN 'bad_sme'
            WHEN vcse_known IS NOT NULL AND vcse IS NULL THEN 'bad_vcse'
            ELSE 'supplier'
        END AS row_kind
    FROM typed
    """


PROBLEM_REASONS: dict[str, tuple[str, str, str]] = {
    # row kind: (canonical column, text column, reason)
    "overflow": ("", "", "the row has more cells than the header; a comma inside an unquoted cell may have split it"),
    "no_supplier": ("supplier_name", "supplier_name", "the row gives details but no supplier id or name"),
    "bad_postcode": ("postcode", "postcode_text", "is not a UK postcode or postcode district"),
    "bad_company_number": ("company_number", "company_text",
                           "is not a Companies House number (eight digits, or two letters and six digits)"),
    "bad_sme": ("sme", "sme_text", "is not yes or no (leave it blank or write 'unknown' when not known)"),
    "bad_vcse": ("vcse", "vcse_text", "is not yes or no (leave it blank or write 'unknown' when not known)"),
}


def problems_sql(parsed: str) -> str:
    """Rows that refuse the file (first 50 by line): unreadable cells, and one supplier with two sets of details."""
    kinds = ", ".join(f"'{k}'" for k in PROBLEM_REASONS)
    return f"""
    WITH bad AS (
        SELECT line, row_kind, postcode_text, company_text, sme_text, vcse_text, supplier_name, NULL::BIGINT AS first_line
        FROM {parsed} WHERE row_kind IN ({kinds})
    ),
    firsts AS (
        SELECT who, min(line) AS first_line FROM {parsed} WHERE row_kind = 'supplier'
        GROUP BY who HAVING count(DISTINCT {{'p': postcode, 'c': company_number, 's': sme, 'v': vcse}}) > 1
    ),
    clashes AS (
        SELECT p.line, 'clash' AS row_kind, NULL, NULL, NULL, NULL, coalesce(p.supplier_id, p.supplier_name), f.first_line
        FROM {parsed} p JOIN firsts f USING (who)
        WHERE p.row_kind = 'supplier' AND p.line > f.first_line
    )
    SELECT * FROM (SELECT * FROM bad UNION ALL SELECT * FROM clashes) ORDER BY line LIMIT 50
    """


QUALITY_SQL = """
WITH kept AS (SELECT * FROM {parsed} WHERE row_kind = 'supplier' QUALIFY row_number() OVER (PARTITION BY who ORDER BY line) = 1)
SELECT
    (SELECT count(*) FROM {parsed}) AS rows_read,
    count(*) AS rows,
    (SELECT count(*) FROM {parsed} WHERE row_kind = 'supplier') - count(*) AS repeated_rows,
    (SELECT count(*) FROM {parsed} WHERE row_kind = 'blank') AS blank_rows,
    count(*) FILTER (WHERE supplier_id IS NOT NULL) AS with_supplier_id,
    count(*) FILTER (WHERE postcode IS NOT NULL) AS with_postcode,
    count(*) FILTER (WHERE company_number IS NOT NULL) AS with_company_number,
    count(*) FILTER (WHERE sme IS NOT NULL) AS sme_known,
    count(*) FILTER (WHERE sme) AS sme_yes,
    count(*) FILTER (WHERE vcse IS NOT NULL) AS vcse_known,
    count(*) FILTER (WHERE vcse) AS vcse_yes
FROM kept
"""

INSERT_ATTRIBUTES = """
INSERT INTO supplier_attributes
SELECT $upload_id, line, supplier_id, supplier_name, postcode, postcode_district, company_number, sme, vcse
FROM {parsed}
WHERE row_kind = 'supplier'
QUALIFY row_number() OVER (PARTITION BY who ORDER BY line) = 1
ORDER BY line
"""


def _header_name(header: _Header, canonical: str) -> str:
    position = header.mapping.get(canonical)
    if position is None or position >= len(header.cells):
        return canonical
    return header.cells[position].strip() or canonical


def _refuse_on_problems(cur: duckdb.DuckDBPyConnection, name: str, header: _Header, parsed: str) -> None:
    problems: list[RowProblem] = []
    for line, kind, postcode, company, sme, vcse, supplier, first_line in cur.execute(problems_sql(parsed)).fetchall():
        if kind == "clash":
            problems.append(RowProblem(int(line), _header_name(header, "supplier_id" if "supplier_id" in header.mapping
                                                                  else "supplier_name"), supplier or "",
                                       f"gives different details for a supplier already on line {first_line}"))
            continue
        column, text_column, reason = PROBLEM_REASONS[kind]
        value = {"postcode_text": postcode, "company_text": company, "sme_text": sme, "vcse_text": vcse,
                 "supplier_name": supplier}.get(text_column) or ""
        problems.append(RowProblem(int(line), _header_name(header, column) if column else "(whole row)", value, reason))
    if problems:
        count = len(problems)
        raise LoadError(
            name,
            f"{count}{'+' if count >= 50 else ''} line{'s' if count > 1 else ''} cannot be read, so nothing was loaded "
            "and the supplier list in force is unchanged.",
            tuple(problems),
        )


def load_supplier_attributes(ws: Workspace, name: str, data: bytes, *, sheet: str | None = None) -> AttributesLoadResult:
    """Load a supplier list (CSV or XLSX) in place of the one in force; raise LoadError (changing nothing) if it cannot be.

    LoadError's subclasses tell the caller what to ask: NeedsSheet (a workbook with several sheets: pass `sheet`)
    and AlreadyLoaded (these very bytes are the list in force already).
    """
    sha = sha256_of(data)
    with ws.read() as cur:
        current = current_upload(ws)
        if current is not None and current["sha256"] == sha:
            raise AlreadyLoaded(name, current["name"], current["loaded_at"])
        # The loaders' staging reads the bytes (encoding, delimiter, workbook); the header is found below,
        # among the staged rows, by the attribute wordings, so "row 0" here is only where reading starts.
        choice = ColumnChoice(header_row=0, mapping={})
        parsed = f"attrs_{uuid.uuid4().hex[:12]}"
        with staged(cur, prepare_file(name, data, "contracts", sheet=sheet, choice=choice)) as staged_src:
            # Supplier lists are small: read once into a table, with exact line numbers.
            src = materialise(cur, name, staged_src)
            try:
                header = _find_header(cur, src, name)
                cur.execute(parse_attributes_sql(src, header, parsed), {"header_line": header.line, "unknown": UNKNOWN_WORDS})
                _refuse_on_problems(cur, name, header, parsed)
                relation = cur.execute(QUALITY_SQL.format(parsed=parsed))
                figures = dict(zip([d[0] for d in relation.description], relation.fetchall()[0], strict=True))
                rows = int(figures["rows"])
                if rows == 0:
                    raise LoadError(name, "no row below the header names a supplier, so nothing was loaded.")
                quality: dict[str, Any] = {
                    "encoding": src.encoding,
                    "sheet": src.sheet,
                    "header_line": header.line,
                    "columns": {c.name: _header_name(header, c.name) for c in ATTRIBUTE_COLUMNS if c.name in header.mapping},
                    **{k: int(v) for k, v in figures.items()},
                }
                with ws.write_on(cur) as w:
                    upload_id = int(w.execute(NEXT_UPLOAD_ID).fetchall()[0][0])
                    w.execute(INSERT_UPLOAD, {"upload_id": upload_id, "name": name, "sha": sha, "rows": rows,
                                              "sheet": src.sheet, "quality": json.dumps(quality)})
                    w.execute(CLEAR_ATTRIBUTES)
                    w.execute(INSERT_ATTRIBUTES.format(parsed=parsed), {"upload_id": upload_id})
            finally:
                cur.execute(f"DROP TABLE IF EXISTS {parsed}")
    return AttributesLoadResult(upload_id, name, sha, rows, quality)


def load_supplier_attributes_path(ws: Workspace, path: Path, *, sheet: str | None = None) -> AttributesLoadResult:
    """Load a supplier list from disk (see `load_supplier_attributes`)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError(path.name, f"cannot be read ({exc.strerror or exc}).") from exc
    return load_supplier_attributes(ws, path.name, data, sheet=sheet)


def install_sample_attributes(ws: Workspace) -> AttributesLoadResult | None:
    """The sample council's supplier list, and its postcode districts as the local ones if none are set.

    Returns None when that list is already the one in force.
    """
    if not get_setting(ws, "local_postcode_districts").strip():
        set_setting(ws, "local_postcode_districts", SAMPLE_LOCAL_DISTRICTS)
    try:
        return load_supplier_attributes_path(ws, SAMPLE_ATTRIBUTES)
    except AlreadyLoaded:
        return None


def current_upload(ws: Workspace) -> dict[str, Any] | None:
    """The supplier list in force (name, rows, when loaded, quality report), or None when there is none."""
    with ws.read() as cur:
        relation = cur.execute(CURRENT_UPLOAD)
        names = [d[0] for d in relation.description]
        rows = relation.fetchall()
        if not rows or int(cur.execute(COUNT_ATTRIBUTES).fetchall()[0][0]) == 0:
            return None
    found = dict(zip(names, rows[0], strict=True))
    found["quality"] = json.loads(found["quality"])
    return found


def supplier_attributes_table(ws: Workspace) -> pd.DataFrame:
    """The supplier list in force, as loaded (normalised postcodes and company numbers)."""
    with ws.read() as cur:
        return cur.execute(ATTRIBUTES_TABLE).df()


def clear_supplier_attributes(ws: Workspace) -> int:
    """Remove the supplier list in force (its upload stays on record); returns how many suppliers went."""
    with ws.write() as cur:
        count = int(cur.execute(COUNT_ATTRIBUTES).fetchall()[0][0])
        cur.execute(CLEAR_ATTRIBUTES)
    return count
