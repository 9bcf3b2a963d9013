"""Staging a published file as a relation of text cells, one row per published line.

CSV goes through DuckDB's reader after the text is cleaned (encoding, line ends); XLSX through
calamine. Either way the result is `line, c0 .. cN` as VARCHAR, with `line` the file's own line
(or sheet row) number, so every figure can be traced back to what was published.

A CSV is not copied into a table first: its relation is the `read_csv` itself, so the loaders type
the lines as they are read. Only when quoted cells hold line breaks (the reader then finds fewer
records than the file has lines) is it materialised, to count those breaks into the line numbers.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import tempfile
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from typing import Any

import duckdb
import pyarrow as pa

from sp_analysis.ingest.columns import HeaderMatch, Kind, find_header, header_signature, map_header
from sp_analysis.ingest.errors import LoadError, NeedsMapping, NeedsSheet
from sp_analysis.ingest.text import DELIMITERS, decode_bytes, normalise_lines, plain_spaces, split_rows

PREVIEW_ROWS = 8
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# The widest published line DuckDB will take (the default is 2 MB; real files have run to 10 MB).
MAX_LINE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class ColumnChoice:
    """An analyst's answer to NeedsMapping: which row is the header, which column is which."""

    header_row: int
    mapping: Mapping[str, int]


@dataclass(frozen=True)
class StagedSource:
    """A file staged as a relation `line, c0..cN` (text), with its header and mapping.

    `relation` goes after FROM with `params` bound: a temp table, or the `read_csv` of a cleaned
    copy of the file (which lives as long as the `staged` block). `table` is the temp table's name,
    whether or not it exists yet. `rows_below_header` are the first records under the header as
    text, for sampling (the date format, say) without reading the relation.
    """

    relation: str
    table: str
    header: tuple[str, ...]
    header_line: int
    mapping: dict[str, int]
    encoding: str
    sheet: str | None
    signature: str
    width: int
    delimiter: str | None = None
    params: Mapping[str, object] = field(default_factory=dict)
    rows_below_header: tuple[tuple[str, ...], ...] = ()
    physical_lines: int | None = None

    def column(self, name: str) -> str:
        """The staged column holding canonical `name` (quoted), or NULL when the file lacks it."""
        position = self.mapping.get(name)
        return "NULL::VARCHAR" if position is None else f"c{position}"

    def unmapped(self) -> list[tuple[str, int]]:
        """Named header cells that map to no canonical column: kept in `extra`, never dropped."""
        used = set(self.mapping.values())
        seen: set[str] = set()
        result = []
        for position, cell in enumerate(self.header):
            name = cell.strip()
            if name and position not in used and name not in seen:
                seen.add(name)
                result.append((name, position))
        return result

    def samples(self, name: str) -> list[str]:
        """The first cells under the header in canonical column `name` (none when the file lacks it)."""
        position = self.mapping.get(name)
        if position is None:
            return []
        return [row[position] for row in self.rows_below_header if position < len(row)]

    def lines_are_exact(self, records: int) -> bool:
        """Whether `records` rows read through `relation` are numbered by their published lines.

        Not so when quoted cells hold line breaks: see `materialise`.
        """
        return self.physical_lines is None or self.header_line + records == self.physical_lines

    def unnamed(self) -> list[int]:
        """Header positions with no name (e.g. hundreds of empty trailing columns)."""
        used = set(self.mapping.values())
        return [i for i in range(self.width) if i not in used and (i >= len(self.header) or not self.header[i].strip())]


def is_workbook(name: str, data: bytes) -> bool:
    """XLSX/XLS by content, falling back on the extension."""
    if data.startswith(_ZIP_MAGIC) or data.startswith(_OLE_MAGIC):
        return True
    return name.lower().endswith((".xlsx", ".xlsm", ".xls"))


@dataclass(frozen=True, eq=False)
class PreparedFile:
    """A file read and understood (encoding, header, mapping) before any DuckDB work.

    Preparing touches no database, so it can run in another thread while the previous file's
    lines are typed. A CSV's cleaned copy waits on disk at `temp_path`; a workbook's cells wait in
    `cells`. `staged` puts either in front of a cursor; `discard` removes the copy if it never gets there.
    """

    source: StagedSource
    temp_path: str | None = None
    cells: pa.Table | None = None

    def discard(self) -> None:
        """Remove the cleaned copy, if any (again is harmless)."""
        if self.temp_path is not None:
            with suppress(FileNotFoundError):
                os.unlink(self.temp_path)


def prepare_file(
    name: str,
    data: bytes,
    kind: Kind,
    *,
    sheet: str | None = None,
    choice: ColumnChoice | None = None,
    saved_mappings: Mapping[str, dict[str, int]] | None = None,
) -> PreparedFile:
    """Read one file's bytes into a PreparedFile, or raise LoadError / NeedsMapping / NeedsSheet."""
    if not data.strip():
        raise LoadError(name, "the file is empty.")
    table = f"stage_{uuid.uuid4().hex[:12]}"
    if is_workbook(name, data):
        return _prepare_workbook(table, name, data, kind, sheet, choice, saved_mappings or {})
    handle, temp_path = tempfile.mkstemp(suffix=".csv", prefix="sp-stage-")
    os.close(handle)
    try:
        return PreparedFile(_stage_csv(table, temp_path, name, data, kind, choice, saved_mappings or {}), temp_path)
    except BaseException:
        os.unlink(temp_path)
        raise


@contextmanager
def staged(cur: duckdb.DuckDBPyConnection, prepared: PreparedFile) -> Iterator[StagedSource]:
    """The prepared file as a relation on `cur` for the block; afterwards its table and copy are gone."""
    src = prepared.source
    try:
        if prepared.cells is not None:
            view = f"{src.table}_cells"
            cur.register(view, prepared.cells)
            try:
                cur.execute(f"CREATE TEMP TABLE {src.table} AS SELECT * FROM {view}")
            finally:
                cur.unregister(view)
        yield src
    finally:
        cur.execute(f"DROP TABLE IF EXISTS {src.table}")
        prepared.discard()


def read_into(
    cur: duckdb.DuckDBPyConnection, name: str, src: StagedSource, sql: str, params: Mapping[str, object]
) -> None:
    """Run a statement that reads `src.relation`; a CSV the reader refuses raises LoadError naming the line."""
    try:
        cur.execute(sql, {**params, **src.params})
    except duckdb.Error as exc:
        if src.relation == src.table or "CSV" not in str(exc):
            raise
        raise LoadError(name, _explain_csv_error(str(exc), src.header_line)) from exc


def materialise(cur: duckdb.DuckDBPyConnection, name: str, src: StagedSource) -> StagedSource:
    """The source as its temp table, with line numbers that count line breaks inside quoted cells."""
    if src.relation == src.table:
        return src
    read_into(cur, name, src, f"CREATE TEMP TABLE {src.table} AS SELECT * FROM {src.relation}", {})
    records = _scalar(cur, f"SELECT count(*) FROM {src.table}")
    if not src.lines_are_exact(records):
        cur.execute(_renumber_sql(src.table, src.width))
    return replace(src, relation=src.table, params={}, physical_lines=None)


def _resolve_header(
    name: str,
    rows: Sequence[Sequence[str]],
    kind: Kind,
    choice: ColumnChoice | None,
    saved_mappings: Mapping[str, dict[str, int]],
) -> HeaderMatch:
    """Where the header is and what maps where: the analyst's choice, a saved profile, or a guess."""
    if choice is not None:
        if choice.header_row >= len(rows):
            raise LoadError(name, f"row {choice.header_row + 1} chosen as header is past the rows read.")
        header = tuple(rows[choice.header_row])
        return HeaderMatch(choice.header_row, header, dict(choice.mapping), 0)
    match = find_header(rows, kind)
    if match is not None:
        saved = saved_mappings.get(header_signature(match.header, kind))
        if saved is not None:
            return HeaderMatch(match.row_index, match.header, dict(saved), match.score)
    if match is None:
        # Maybe a saved profile names a header our wordings do not know.
        for index, row in enumerate(rows):
            saved = saved_mappings.get(header_signature(row, kind))
            if saved is not None:
                return HeaderMatch(index, tuple(row), dict(saved), 0)
    from sp_analysis.ingest.columns import missing_required

    if match is None or missing_required(match.mapping, kind):
        header_row = match.row_index if match is not None else _first_wide_row(rows)
        header = tuple(rows[header_row]) if rows else ()
        missing = missing_required(match.mapping if match else {}, kind)
        wanted = ", ".join(c.label.lower() for c in missing) or "date, payee and amount"
        raise NeedsMapping(
            file_name=name,
            reason=f"cannot tell which column holds the {wanted}; choose the columns to load it.",
            header=header,
            header_row=header_row,
            preview=[list(r) for r in rows[header_row + 1 : header_row + 1 + PREVIEW_ROWS]],
            guessed=dict(match.mapping) if match else map_header(header, kind),
            signature=header_signature(header, kind),
        )
    return match


def _first_wide_row(rows: Sequence[Sequence[str]]) -> int:
    widths = [sum(1 for c in r if str(c).strip()) for r in rows]
    widest = max(widths, default=0)
    for index, width in enumerate(widths):
        if width and width >= max(2, widest // 2):
            return index
    return 0


def _stage_csv(
    table: str,
    temp_path: str,
    name: str,
    data: bytes,
    kind: Kind,
    choice: ColumnChoice | None,
    saved_mappings: Mapping[str, dict[str, int]],
) -> StagedSource:
    if b"\x00" in data[:65536]:
        raise LoadError(
            name, "this is not a text CSV file (it holds binary bytes); export the data as CSV or XLSX."
        )
    decoded = decode_bytes(data)
    full_text = plain_spaces(decoded.text)
    head = full_text[: 512 * 1024]
    best: tuple[int, str, list[list[str]], HeaderMatch | None] | None = None
    for delimiter in DELIMITERS:
        rows = split_rows(head, delimiter, HEADER_ROWS_READ)
        match = find_header(rows, kind)
        score = match.score if match else 0
        if best is None or score > best[0]:
            best = (score, delimiter, rows, match)
    assert best is not None
    _, delimiter, rows, _ = best
    match = _resolve_header(name, rows, kind, choice, saved_mappings)
    text = normalise_lines(full_text, delimiter)
    skip = _lines_through_record(text, delimiter, match.row_index)
    widest = max((len(r) for r in rows), default=len(match.header))
    width = max(len(match.header), widest) + 1  # one spare column catches over-long rows
    with open(temp_path, "w", encoding="utf-8", newline="") as out:
        out.write(text)
    below = split_rows(head, delimiter, match.row_index + 1 + SAMPLE_ROWS)[match.row_index + 1 :]
    return StagedSource(
        relation=_READ_CSV_SQL,
        table=table,
        header=match.header,
        header_line=skip,
        mapping=dict(match.mapping),
        encoding=f"{decoded.encoding}, delimiter {_DELIMITER_NAMES[delimiter]}",
        sheet=None,
        signature=header_signature(match.header, kind),
        width=width,
        delimiter=delimiter,
        params={
            "stage_path": temp_path,
            "stage_delim": delimiter,
            "stage_skip": skip,
            "stage_columns": {f"c{i}": "VARCHAR" for i in range(width)},
            "stage_max_line": MAX_LINE_BYTES,
        },
        rows_below_header=tuple(tuple(r) for r in below),
        physical_lines=text.count("\n"),
    )


HEADER_ROWS_READ = 80
# Records under the header kept as text for sampling (see StagedSource.rows_below_header).
SAMPLE_ROWS = 500
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


# `line` is the published line number: records after the `skip` lines above the first.
_READ_CSV_SQL = """(
    SELECT CAST(row_number() OVER () + $stage_skip AS BIGINT) AS line, *
    FROM read_csv($stage_path, delim = $stage_delim, quote = '"', escape = '"', header = false,
                  skip = $stage_skip, auto_detect = false, columns = $stage_columns, null_padding = true,
                  strict_mode = false, parallel = false, max_line_size = $stage_max_line)
)"""


def _renumber_sql(table: str, width: int) -> str:
    cells = ", ".join(f"coalesce(c{i}, '')" for i in range(width))
    return f"""
    UPDATE {table} AS t SET line = r.new_line
    FROM (
        SELECT line, line + coalesce(sum(breaks) OVER (ORDER BY line
                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS new_line
        FROM (SELECT line, length(concat({cells})) - length(replace(concat({cells}), chr(10), ''))
                  AS breaks
              FROM {table})
    ) AS r
    WHERE t.line = r.line
    """


def _explain_csv_error(message: str, skip: int) -> str:
    first = message.strip().splitlines()[0] if message.strip() else message
    import re

    found = re.search(r"Line:\s*(\d+)", message)
    where = f" near line {int(found.group(1)) + skip}" if found else ""
    if "quote" in message.lower():
        return f"the CSV quoting is broken{where}: a quoted cell never closes. ({first})"
    if "maximum line size" in message.lower():
        return f"a line is longer than the reader accepts{where}. ({first})"
    return f"the CSV could not be read{where}. ({first})"


def _lines_through_record(text: str, delimiter: str, record_index: int) -> int:
    """How many physical lines the first `record_index + 1` CSV records occupy."""
    import csv

    reader = csv.reader(io.StringIO(text), delimiter=delimiter, quotechar='"', strict=False)
    for index, _row in enumerate(reader):
        if index == record_index:
            return reader.line_num
    return record_index + 1


def _prepare_workbook(
    table: str,
    name: str,
    data: bytes,
    kind: Kind,
    sheet: str | None,
    choice: ColumnChoice | None,
    saved_mappings: Mapping[str, dict[str, int]],
) -> PreparedFile:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises its own error types for every kind of bad file
        detail = str(exc).strip() or type(exc).__name__
        hint = ""
        if data.startswith(_OLE_MAGIC):
            hint = " If the workbook is password-protected, save an unprotected copy first."
        raise LoadError(name, f"cannot be read as an Excel workbook ({detail}).{hint}") from exc
    # Reading a sheet parses it: each is read once and kept.
    sheets_with_data: dict[str, Any] = {}
    for sheet_name in workbook.sheet_names:
        try:
            candidate = workbook.get_sheet_by_name(sheet_name)
            if candidate.to_python(nrows=2):
                sheets_with_data[sheet_name] = candidate
        except Exception:  # chart sheets and the like hold no cells
            continue
    if sheet is None:
        if not sheets_with_data:
            raise LoadError(name, "the workbook has no sheet with data.")
        if len(sheets_with_data) > 1:
            raise NeedsSheet(
                file_name=name,
                reason=f"the workbook has {len(sheets_with_data)} sheets with data "
                f"({', '.join(sheets_with_data)}); choose the one to load.",
                sheets=tuple(sheets_with_data),
            )
        sheet = next(iter(sheets_with_data))
    elif sheet not in workbook.sheet_names:
        raise LoadError(name, f"the workbook has no sheet called '{sheet}'.")
    elif sheet not in sheets_with_data:
        raise LoadError(name, f"sheet '{sheet}' holds no data.")
    try:
        # From cell A1, empty rows included: row i of the list is sheet row i + 1.
        cells = sheets_with_data[sheet].to_python(skip_empty_area=False)
    except Exception as exc:
        raise LoadError(name, f"sheet '{sheet}' cannot be read ({exc}).") from exc
    rows = [[plain_spaces(cell) if type(cell) is str else _cell_text(cell) for cell in row] for row in cells]
    head_rows = rows[:HEADER_ROWS_READ]
    match = _resolve_header(name, head_rows, kind, choice, saved_mappings)
    body = rows[match.row_index + 1 :]
    width = max(len(match.header), max((len(r) for r in body), default=0))
    first_line = match.row_index + 2
    columns: dict[str, list[Any]] = {"line": list(range(first_line, first_line + len(body)))}
    for i in range(width):
        columns[f"c{i}"] = [(r[i] or None) if i < len(r) else None for r in body]
    source = StagedSource(
        relation=table,
        table=table,
        header=match.header,
        header_line=match.row_index + 1,
        mapping=dict(match.mapping),
        encoding="Excel workbook",
        sheet=sheet,
        signature=header_signature(match.header, kind),
        width=width,
        rows_below_header=tuple(tuple(r) for r in body[:SAMPLE_ROWS]),
    )
    cells_table = pa.table({k: pa.array(v, type=pa.int64() if k == "line" else pa.string()) for k, v in columns.items()})
    return PreparedFile(source, cells=cells_table)


def _cell_text(value: object) -> str:
    """A workbook cell as the text a CSV export would show: dates ISO, whole numbers without '.0'."""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return plain_spaces(str(value))


def _scalar(cur: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = cur.execute(sql).fetchone()
    assert row is not None
    return int(row[0])
