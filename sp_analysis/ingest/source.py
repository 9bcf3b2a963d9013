"""Staging a published file as a relation of text cells, one row per published line.

CSV goes through DuckDB's reader after the text is cleaned (encoding, line ends); XLSX through
calamine. Either way the result is `line, c0 .. cN` as VARCHAR, with `line` the file's own line
(or sheet row) number, so every figure can be traced back to what was published.

A CSV is not copied into a table first: its relation is the `read_csv` itself, so the loaders type
the lines as they are read. Only when quoted cells hold line breaks (the reader then finds fewer
records than the file has lines) is it materialised, to count those breaks into the line numbers.
"""

from __future__ import annotations

import codecs
import datetime as dt
import os
import re
import tempfile
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from typing import Any

import duckdb
import pyarrow as pa

from sp_analysis.ingest.columns import (
    COLUMNS_BY_KIND,
    HeaderMatch,
    Kind,
    find_header,
    header_signature,
    map_header,
    match_strength,
    missing_required,
)
from sp_analysis.ingest.errors import LoadError, NeedsMapping, NeedsSheet
from sp_analysis.ingest.text import (
    DELIMITERS,
    DecodedText,
    decode_bytes,
    iter_lines,
    lf_line_ends,
    normalise_lines,
    plain_spaces,
    split_rows,
)
from sp_analysis.sql import scalar_int

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
    # The block of lines this header governs (a file can hold several: stacked tables, sheets, a header
    # repeated lower down with other columns), and lines inside it that repeat a header.
    first_line: int = 0
    last_line: int = 2**62
    header_lines: tuple[int, ...] = ()
    has_sheet_column: bool = False
    # How each mapped column was recognised, in words, for the quality report.
    recognised: Mapping[str, str] = field(default_factory=dict)
    note: str = ""
    # The sheets of a workbook loaded as one file, in order: line k x SHEET_SPAN + r is row r of sheet k.
    sheets: tuple[str, ...] = ()

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
            if not name:
                continue
            # A name the header repeats keeps its later cells under 'Name (2)', 'Name (3)' ..., counting
            # the cells of that name that a canonical column took, so the report never lists a used name.
            unique, n = name, 1
            while unique in seen:
                n += 1
                unique = f"{name} ({n})"
            seen.add(unique)
            if position not in used:
                result.append((unique, position))
        return result

    def block_params(self) -> dict[str, object]:
        """The bound values that select this block's lines."""
        return {"first_line": self.first_line or self.header_line + 1, "last_line": self.last_line,
                "header_lines": list(self.header_lines)}

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
        skip = self.params.get("stage_skip", self.header_line)
        return self.physical_lines is None or int(skip) + records == self.physical_lines  # type: ignore[call-overload]

    def unnamed(self) -> list[int]:
        """Header positions with no name (e.g. hundreds of empty trailing columns)."""
        used = set(self.mapping.values())
        return [i for i in range(self.width) if i not in used and (i >= len(self.header) or not self.header[i].strip())]


WORKBOOK_EXTENSIONS = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
# Limits that keep one file from taking the server down (a 329 KB CSV can declare 20,000 columns).
MAX_COLUMNS = 4096
MAX_NAMED_COLUMNS = 500


def is_workbook(name: str, data: bytes) -> bool:
    """XLSX/XLS by content (a ZIP or an OLE container): a file named .xls that holds CSV text is CSV."""
    return data.startswith(_ZIP_MAGIC) or data.startswith(_OLE_MAGIC)


def _named_as_workbook(name: str) -> bool:
    return name.lower().endswith(WORKBOOK_EXTENSIONS)


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
    # Every block of the file (the first is `source`); empty means `source` alone.
    blocks: tuple[StagedSource, ...] = ()
    # The file's fingerprint, when it was read from disk in chunks (see `prepare_path`) rather than whole.
    sha256: str | None = None

    def all_blocks(self) -> tuple[StagedSource, ...]:
        """The file's blocks, each with its own header and mapping."""
        return self.blocks or (self.source,)

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
    sheet: str | Sequence[str] | None = None,
    choice: ColumnChoice | None = None,
    saved_mappings: Mapping[str, dict[str, int]] | None = None,
) -> PreparedFile:
    """Read one file's bytes into a PreparedFile, or raise LoadError / NeedsMapping / NeedsSheet."""
    if not data.strip():
        raise LoadError(name, "the file is empty.")
    table = f"stage_{uuid.uuid4().hex[:12]}"
    if is_workbook(name, data):
        return _prepare_workbook(table, name, data, kind, sheet, choice, saved_mappings or {})
    if _named_as_workbook(name) and b"\x00" in data[:65536] and not _looks_utf16(data):
        raise LoadError(name, "is named as an Excel workbook but is neither a workbook nor text; "
                        "open it in Excel and save it as XLSX or CSV.")
    head_bytes = data[:4096].lstrip().lower()
    if head_bytes.startswith((b"<html", b"<!doctype html", b"<table")) or b"<table" in head_bytes[:512]:
        raise LoadError(name, "is a web page (HTML), not a spreadsheet, although it may be named .xls or .csv; "
                        "open it in Excel and save it as XLSX or CSV.")
    handle, temp_path = tempfile.mkstemp(suffix=".csv", prefix=f"{STAGE_PREFIX}{os.getpid()}-")
    os.close(handle)
    try:
        return PreparedFile(_stage_csv(table, temp_path, name, data, kind, choice, saved_mappings or {}), temp_path)
    except BaseException:
        os.unlink(temp_path)
        raise


# A CSV at least this big is read from disk in chunks (`prepare_path`): never whole in memory.
STREAM_MIN_BYTES = 32 * 1024 * 1024
STREAM_CHUNK_BYTES = 8 * 1024 * 1024
# What is decoded whole to find the header, the delimiter and the first rows.
STREAM_HEAD_BYTES = 1024 * 1024


def _chunks(path: str | os.PathLike[str]) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        while chunk := handle.read(STREAM_CHUNK_BYTES):
            yield chunk


def prepare_path(
    name: str, path: str | os.PathLike[str], kind: Kind, *, saved_mappings: Mapping[str, dict[str, int]] | None = None,
) -> PreparedFile | None:
    """A big CSV prepared from disk in chunks, with its fingerprint; None when it is not one for this path
    (small, a workbook, UTF-16 or binary, or a header only the whole file can settle): read it whole then.

    The same steps as for bytes in memory, chunk by chunk: one pass takes the fingerprint and settles the
    encoding (as `decode_bytes` does: UTF-8, Windows-1252, or UTF-8 with some bytes read as Windows-1252);
    the header is found in the first megabyte; a second pass writes the cleaned copy (plain spaces, LF line
    ends, each empty line a lone delimiter) and counts its lines.
    """
    import hashlib

    try:
        if os.path.getsize(path) < STREAM_MIN_BYTES:
            return None
        with open(path, "rb") as handle:
            head = handle.read(STREAM_HEAD_BYTES)
    except OSError:
        return None
    lowered = head[:4096].lstrip().lower()
    if (is_workbook(name, head) or _looks_utf16(head) or b"\x00" in head[:65536]
            or lowered.startswith((b"<html", b"<!doctype html", b"<table")) or b"<table" in lowered[:512]):
        return None
    bom = head.startswith(codecs.BOM_UTF8)
    fingerprint = hashlib.sha256()
    strict = codecs.getincrementaldecoder("utf-8")("strict")
    loose = codecs.getincrementaldecoder("utf-8")("ignore")
    valid, multibyte, size, good = True, False, 0, 0
    for index, chunk in enumerate(_chunks(path)):
        fingerprint.update(chunk)
        body = chunk[len(codecs.BOM_UTF8):] if index == 0 and bom else chunk
        size += len(body)
        if valid:
            try:
                strict.decode(body)
            except UnicodeDecodeError:
                valid = False
        kept = loose.decode(body)
        multibyte = multibyte or not kept.isascii()
        good += len(kept.encode("utf-8"))
    if valid:
        try:
            strict.decode(b"", final=True)
        except UnicodeDecodeError:
            valid = False
    label = "UTF-8 with BOM" if bom else "UTF-8"
    if valid:
        codec, errors = "utf-8", "strict"
    elif not multibyte:
        codec, errors, label = "cp1252", "replace", "Windows-1252"
    else:
        codec, errors, label = "utf-8", "sp_cp1252", f"{label} with {size - good} byte(s) read as Windows-1252"

    def texts() -> Iterator[str]:
        """The file's text, chunk by chunk, with plain spaces and LF line ends (a CR at a chunk's end waits)."""
        decoder = codecs.getincrementaldecoder(codec)(errors)
        carry = ""
        for index, chunk in enumerate(_chunks(path)):
            text = carry + plain_spaces(decoder.decode(chunk[len(codecs.BOM_UTF8):] if index == 0 and bom else chunk))
            carry = "\r" if text.endswith("\r") else ""
            text = text[:-1] if carry else text
            yield lf_line_ends(text)
        last = carry + plain_spaces(decoder.decode(b"", final=True))
        yield lf_line_ends(last)

    head_text = plain_spaces(codecs.getincrementaldecoder(codec)(errors).decode(head[len(codecs.BOM_UTF8):] if bom else head))
    head_text = lf_line_ends(head_text)
    head_text = head_text[: head_text.rfind("\n") + 1]
    table = f"stage_{uuid.uuid4().hex[:12]}"
    delimiter, rows, top_match = _best_delimiter(head_text[: 512 * 1024], kind)
    if top_match is None or missing_required(top_match.mapping, kind):
        return None  # a header at the foot, or one the content must settle: the whole file is read for those
    try:
        match = _resolve_header(name, rows, kind, None, saved_mappings or {})
    except NeedsMapping:
        return None
    text_head = normalise_lines(head_text, delimiter)
    skip = _lines_through_record(text_head, delimiter, match.row_index)
    if match.row_index > 0 and _nothing_after(text_head, skip, delimiter):
        return None
    widest = max((len(r) for r in rows), default=len(match.header))
    width = max(len(match.header), widest) + 1
    _check_width(name, match.header, width)
    handle_no, temp_path = tempfile.mkstemp(suffix=".csv", prefix=f"{STAGE_PREFIX}{os.getpid()}-")
    os.close(handle_no)
    try:
        lines = _write_normalised(temp_path, texts(), delimiter)
    except BaseException:
        os.unlink(temp_path)
        raise
    below = split_rows(text_head[: 512 * 1024], delimiter, match.row_index + 1 + SAMPLE_ROWS)[match.row_index + 1 :]
    source = StagedSource(
        relation=_READ_CSV_SQL, table=table, header=match.header, header_line=skip, first_line=0, last_line=2**62,
        note="", recognised=_recognised_by_name(match, kind, False), mapping=dict(match.mapping),
        encoding=f"{label}, delimiter {_DELIMITER_NAMES[delimiter]}"
                 + (" (CSV text in a file named as a workbook)" if _named_as_workbook(name) else ""), sheet=None,
        signature=header_signature(match.header, kind), width=width, delimiter=delimiter,
        params=_csv_params(temp_path, delimiter, skip, width), rows_below_header=tuple(tuple(r) for r in below),
        physical_lines=lines,
    )
    return PreparedFile(source, temp_path, sha256=fingerprint.hexdigest())


_LINE_AFTER_LINE_END = re.compile(r"(?<=\n)\n")


def _write_normalised(temp_path: str, texts: Iterator[str], delimiter: str) -> int:
    """Write text chunks as `normalise_lines` writes the whole text; returns how many lines were written.

    Each empty line becomes a lone delimiter, except (as there) an empty last line in a file with no
    other empty line.
    """
    lines = subs = 0
    rest = ""
    first, ends_substituted = True, False
    with open(temp_path, "wb") as out:
        for text in texts:
            text = rest + text
            cut = text.rfind("\n") + 1
            whole, rest = text[:cut], text[cut:]
            if not whole:
                continue
            first = False
            ends_empty = whole.endswith("\n\n") or whole == "\n"
            count = 0
            if "\n\n" in whole:
                whole, count = _LINE_AFTER_LINE_END.subn(delimiter + "\n", whole)
            if whole.startswith("\n"):  # the line before ended too (or this is the first): an empty line
                whole, count = delimiter + whole, count + 1
            subs += count
            ends_substituted = ends_empty
            lines += whole.count("\n")
            out.write(whole.encode("utf-8"))
        if rest or first:
            out.write((rest + "\n").encode("utf-8"))
            lines += 1
        elif subs == 1 and ends_substituted:
            out.seek(-len(delimiter.encode("utf-8")) - 1, os.SEEK_END)
            out.write(b"\n")
            out.truncate()
    return lines


# Cleaned copies are named sp-stage-PID-xxxx.csv in the temp folder, PID being the process that made them.
STAGE_PREFIX = "sp-stage-"
# A copy named without a PID (before names carried one) is taken as left behind after this many seconds.
STALE_SECONDS = 3600


def sweep_stale_copies(folder: str | None = None, *, older_than: float = STALE_SECONDS) -> int:
    """Remove the cleaned copies a killed process left in the temp folder; returns how many went.

    A copy goes only when the process named in it is gone, so two running processes (the dashboard and
    the command line, say) never remove each other's copies, however long a load takes. A copy without
    a PID in its name, or where processes cannot be asked after (Windows), goes when older than `older_than`.
    """
    import time

    where = folder or tempfile.gettempdir()
    try:
        names = [n for n in os.listdir(where) if n.startswith(STAGE_PREFIX) and n.endswith(".csv")]
    except OSError:
        return 0
    removed = 0
    for name in names:
        pid_text, named, _ = name[len(STAGE_PREFIX) : -len(".csv")].partition("-")
        path = os.path.join(where, name)
        alive = _process_alive(int(pid_text)) if named and pid_text.isdigit() else None
        if alive is None:
            try:
                alive = time.time() - os.stat(path).st_mtime < older_than
            except OSError:
                continue
        if not alive:
            with suppress(OSError):
                os.unlink(path)
                removed += 1
    return removed


def _process_alive(pid: int) -> bool | None:
    """Whether process `pid` runs; None when that cannot be asked (on Windows, os.kill would end it)."""
    if os.name == "nt" or pid <= 0:
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # another user's process (PermissionError): alive
    return True


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
    return materialise_counted(cur, name, src)[0]


def materialise_counted(cur: duckdb.DuckDBPyConnection, name: str, src: StagedSource) -> tuple[StagedSource, int]:
    """As `materialise`, with how many records the table holds (a CSV not yet in its table)."""
    assert src.relation != src.table
    read_into(cur, name, src, f"CREATE TEMP TABLE {src.table} AS SELECT * FROM {src.relation}", {})
    records = scalar_int(cur, f"SELECT count(*) FROM {src.table}")
    if not src.lines_are_exact(records):
        cur.execute(_renumber_sql(src.table, src.width))
    return replace(src, relation=src.table, params={}, physical_lines=None), records


def _best_delimiter(head: str, kind: Kind) -> tuple[str, list[list[str]], HeaderMatch | None]:
    """The delimiter whose split of the file's first lines gives the best-scoring header (the first on a tie),
    with those rows and that header."""
    best: tuple[int, str, list[list[str]], HeaderMatch | None] | None = None
    for delimiter in DELIMITERS:
        rows = split_rows(head, delimiter, HEADER_ROWS_READ)
        match = find_header(rows, kind)
        score = match.score if match else 0
        if best is None or score > best[0]:
            best = (score, delimiter, rows, match)
    assert best is not None
    return best[1], best[2], best[3]


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
            return HeaderMatch(match.row_index, match.header, dict(saved), -1)
    if match is None:
        # Maybe a saved profile names a header our wordings do not know.
        for index, row in enumerate(rows):
            saved = saved_mappings.get(header_signature(row, kind))
            if saved is not None:
                return HeaderMatch(index, tuple(row), dict(saved), 0)
    if match is None or missing_required(match.mapping, kind):
        header_row = match.row_index if match is not None else _first_wide_row(rows)
        header = tuple(rows[header_row]) if rows else ()
        # A row far wider than any spend file is refused here, before it is offered as a header to map.
        _check_width(name, header, max((len(r) for r in rows), default=0) + 1)
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
    if _looks_utf16(data):
        data_text, label = _decode_utf16(name, data)
        decoded = DecodedText(data_text, label, 0)
    elif b"\x00" in data[:65536]:
        raise LoadError(
            name, "this is not a text CSV file (it holds binary bytes); export the data as CSV or XLSX."
        )
    else:
        decoded = decode_bytes(data)
    full_text = plain_spaces(decoded.text)
    # Old Mac exports end lines with CR alone: every line end becomes LF before anything is split.
    full_text = lf_line_ends(full_text)
    head = full_text[: 512 * 1024]
    delimiter, rows, top_match = _best_delimiter(head, kind)
    text = normalise_lines(full_text, delimiter)
    foot = None
    if choice is None and (top_match is None or missing_required(top_match.mapping, kind)):
        foot = _foot_header(text, delimiter, kind)
    if foot is not None:
        foot_line, foot_match = foot
        match, skip = foot_match, 0
        header_line, first_line, last_line = foot_line, 1, foot_line - 1
        note = f"the header is on line {foot_line}, below the data (a report-writer layout)"
    else:
        recognised: dict[str, str] | None = None
        try:
            match = _resolve_header(name, rows, kind, choice, saved_mappings)
        except NeedsMapping as needs:
            if choice is not None or not needs.header:
                raise
            with open(temp_path, "w", encoding="utf-8", newline="") as out:
                out.write(text)
            skip = _lines_through_record(text, delimiter, needs.header_row)
            width = max(len(needs.header), max((len(r) for r in rows), default=0)) + 1
            params = _csv_params(temp_path, delimiter, skip, width)
            match, recognised = _by_content(name, needs, kind, _READ_CSV_SQL, params, width, skip + 1)
        skip = _lines_through_record(text, delimiter, match.row_index)
        header_line, first_line, last_line, note = skip, 0, 2**62, ""
        if match.row_index > 0 and _nothing_after(text, skip, delimiter):
            # A short file whose header is its last line: the data are above it.
            header_line, first_line, last_line, skip = skip, 1, skip - 1, 0
            note = f"the header is on line {header_line}, below the data (a report-writer layout)"
    widest = max((len(r) for r in rows), default=len(match.header))
    width = max(len(match.header), widest) + 1  # one spare column catches over-long rows
    _check_width(name, match.header, width)
    with open(temp_path, "w", encoding="utf-8", newline="") as out:
        out.write(text)
    if foot is not None:
        below = split_rows(text[: 512 * 1024], delimiter, SAMPLE_ROWS)
    else:
        below = split_rows(text[: 512 * 1024], delimiter, match.row_index + 1 + SAMPLE_ROWS)[match.row_index + 1 :]
    as_named = " (CSV text in a file named as a workbook)" if _named_as_workbook(name) else ""
    return StagedSource(
        relation=_READ_CSV_SQL,
        table=table,
        header=match.header,
        header_line=header_line,
        first_line=first_line,
        last_line=last_line,
        note=note,
        recognised=(recognised if foot is None and recognised else _recognised_by_name(match, kind, choice is not None)),
        mapping=dict(match.mapping),
        encoding=f"{decoded.encoding}, delimiter {_DELIMITER_NAMES[delimiter]}{as_named}",
        sheet=None,
        signature=header_signature(match.header, kind),
        width=width,
        delimiter=delimiter,
        params=_csv_params(temp_path, delimiter, skip, width),
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

    reader = csv.reader(iter_lines(text), delimiter=delimiter, quotechar='"', strict=False)
    for index, _row in enumerate(reader):
        if index == record_index:
            return reader.line_num
    return record_index + 1


# Rows of the second and later sheets of a workbook loaded whole are numbered from sheet k's k x SHEET_SPAN, so
# that (file, line) stays one payment's key; the sheet's own row is line % SHEET_SPAN (Excel has 1,048,576 rows).
SHEET_SPAN = 10_000_000
ALL_SHEETS = "all"


def _read_workbook(name: str, data: bytes) -> tuple[list[str], dict[str, list[list[Any]]]]:
    """The workbook's sheet names, and the cells (from A1) of each sheet with data."""
    from sp_analysis.ingest import workbook

    cells = workbook.read_sheets(name, data)
    return list(cells.sheet_names), {sheet: cells.cells[sheet] for sheet in cells.with_data}


def _prepare_workbook(
    table: str,
    name: str,
    data: bytes,
    kind: Kind,
    sheet: str | Sequence[str] | None,
    choice: ColumnChoice | None,
    saved_mappings: Mapping[str, dict[str, int]],
) -> PreparedFile:
    sheet_names, sheets_with_data = _read_workbook(name, data)
    if not sheets_with_data:
        raise LoadError(name, "the workbook has no sheet with data.")
    chosen: list[str]
    if sheet is None:
        if len(sheets_with_data) > 1:
            shapes = {s: _sheet_shape(rows, kind) for s, rows in sheets_with_data.items()}
            raise NeedsSheet(
                file_name=name,
                reason=f"the workbook has {len(sheets_with_data)} sheets with data "
                f"({', '.join(sheets_with_data)}); choose the ones to load (sheets of the same shape load as one file).",
                sheets=tuple(sheets_with_data),
                shapes=shapes,
            )
        chosen = list(sheets_with_data)
    elif isinstance(sheet, str) and sheet == ALL_SHEETS:
        chosen = list(sheets_with_data)
    else:
        chosen = [sheet] if isinstance(sheet, str) else list(sheet)
        for wanted in chosen:
            if wanted not in sheet_names:
                raise LoadError(name, f"the workbook has no sheet called '{wanted}'.")
            if wanted not in sheets_with_data:
                raise LoadError(name, f"sheet '{wanted}' holds no data.")
    several = len(chosen) > 1
    blocks: list[StagedSource] = []
    lines: list[int] = []
    sheet_column: list[str] = []
    body_rows: list[list[str]] = []
    width = 0
    for index, sheet_name in enumerate(chosen):
        rows = [[plain_spaces(cell) if type(cell) is str else _cell_text(cell) for cell in row]
                for row in sheets_with_data[sheet_name]]
        where = f"{name} (sheet '{sheet_name}')" if several else name
        recognised: dict[str, str] | None = None
        try:
            match = _resolve_header(where, rows[:HEADER_ROWS_READ], kind, choice, saved_mappings)
        except NeedsMapping as needs:
            if choice is not None or not needs.header:
                raise
            below = rows[needs.header_row + 1 :]
            span = max(len(needs.header), max((len(r) for r in below), default=0))
            profile_cells = pa.table({"line": pa.array(range(1, len(below) + 1), type=pa.int64()), **{
                f"c{i}": pa.array([(r[i] or None) if i < len(r) else None for r in below], type=pa.string())
                for i in range(span)}})
            match, recognised = _by_content(where, needs, kind, "profile_cells", {}, span, 1, cells=profile_cells)
        body = rows[match.row_index + 1 :]
        offset = index * SHEET_SPAN
        first = offset + match.row_index + 2
        lines.extend(range(first, first + len(body)))
        sheet_column.extend([sheet_name] * len(body))
        body_rows.extend(body)
        width = max(width, len(match.header), max((len(r) for r in body), default=0))
        blocks.append(StagedSource(
            relation=table,
            table=table,
            header=match.header,
            header_line=offset + match.row_index + 1,
            first_line=first,
            last_line=first + len(body) - 1,
            mapping=dict(match.mapping),
            encoding="Excel workbook",
            sheet=sheet_name if not several else ", ".join(chosen),
            signature=header_signature(match.header, kind),
            width=0,
            rows_below_header=tuple(tuple(r) for r in body[:SAMPLE_ROWS]),
            has_sheet_column=True,
            recognised=recognised or _recognised_by_name(match, kind, choice is not None),
            note=f"sheet '{sheet_name}': header on row {match.row_index + 1}" if several else "",
            sheets=tuple(chosen) if several else (),
        ))
    _check_width(name, max((b.header for b in blocks), key=len), width + 1)
    blocks = [replace(b, width=width) for b in blocks]
    columns: dict[str, Any] = {
        "line": pa.array(lines, type=pa.int64()),
        "sheet": pa.array(sheet_column, type=pa.string()),
    }
    for i in range(width):
        columns[f"c{i}"] = pa.array([(r[i] or None) if i < len(r) else None for r in body_rows], type=pa.string())
    return PreparedFile(blocks[0], cells=pa.table(columns), blocks=tuple(blocks))


def _sheet_shape(rows: Sequence[Sequence[Any]], kind: Kind) -> str:
    """A sheet's header signature (sheets of one shape are offered together), or '' when none is found."""
    texts = [["" if c is None else str(c) for c in row] for row in rows[:HEADER_ROWS_READ]]
    match = find_header(texts, kind)
    return header_signature(match.header, kind) if match is not None else ""


def _cell_text(value: object) -> str:
    """A workbook cell as the text a CSV export would show: dates ISO, whole numbers without '.0'."""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return plain_spaces(str(value))


def _looks_utf16(data: bytes) -> bool:
    """A UTF-16 text file: its byte-order mark, or every other byte NUL in the first lines."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    sample = data[:4096]
    if len(sample) < 16:
        return False
    even, odd = sample[0::2], sample[1::2]
    return odd.count(0) > 0.9 * len(odd) or even.count(0) > 0.9 * len(even)


def _decode_utf16(name: str, data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff"):
        codec, label = "utf-16", "UTF-16 with BOM"
    else:
        codec, label = ("utf-16-le", "UTF-16 (little-endian)") if data[1:2] == b"\x00" else ("utf-16-be", "UTF-16 (big-endian)")
    try:
        return data.decode(codec), label
    except UnicodeDecodeError as exc:
        raise LoadError(name, f"looks like UTF-16 text but byte {exc.start} cannot be read; save it as CSV UTF-8.") from exc


def _check_width(name: str, header: Sequence[str], width: int) -> None:
    named = sum(1 for cell in header if str(cell).strip())
    if width > MAX_COLUMNS or named > MAX_NAMED_COLUMNS:
        raise LoadError(name, f"the header has {named:,} named columns and rows up to {width - 1:,} cells; "
                        f"this tool reads at most {MAX_NAMED_COLUMNS:,} named columns and {MAX_COLUMNS:,} cells a row. "
                        "A spend file has a few dozen: check that this is the file you meant.")


FOOT_HEADER_LINES = 60


def _nothing_after(text: str, skip: int, delimiter: str) -> bool:
    """Whether every line after the first `skip` is empty (delimiters, spaces and quotes only)."""
    rest = text.split("\n", skip)[-1] if skip else text
    return not rest.strip(delimiter + ' \t"\n')


def _foot_header(text: str, delimiter: str, kind: Kind) -> tuple[int, HeaderMatch] | None:
    """A header row among the last lines of the file (report writers that put it at the foot): its line."""
    body = text[:-1] if text.endswith("\n") else text
    tail = body.rsplit("\n", FOOT_HEADER_LINES)
    total_lines = body.count("\n") + 1
    rows = [next(iter(split_rows(line, delimiter, 1)), []) for line in tail]
    match = find_header(rows, kind)
    if match is None or missing_required(match.mapping, kind):
        return None
    line = total_lines - len(tail) + 1 + match.row_index
    if line <= 1:
        return None
    return line, match


def _recognised_by_name(match: HeaderMatch, kind: Kind, chosen: bool) -> dict[str, str]:
    """'by its name' for each mapped column (or the analyst's choice), for the quality report."""
    if chosen:
        return {name: "your choice" for name in match.mapping}
    if match.score <= 0:
        return {name: "a choice saved for this header" for name in match.mapping}
    strength = match_strength(match.header, match.mapping, kind)
    return {name: "by its name" if strength.get(name, 0) >= 50 else "by words in its name" for name in match.mapping}


def _csv_params(path: str, delimiter: str, skip: int, width: int) -> dict[str, object]:
    """The bound values of _READ_CSV_SQL for a cleaned copy."""
    return {"stage_path": path, "stage_delim": delimiter, "stage_skip": skip,
            "stage_columns": {f"c{i}": "VARCHAR" for i in range(width)}, "stage_max_line": MAX_LINE_BYTES}


def _by_content(
    name: str, needs: NeedsMapping, kind: Kind, relation: str, params: Mapping[str, object], width: int,
    first_line: int, cells: pa.Table | None = None,
) -> tuple[HeaderMatch, dict[str, str]]:
    """The header the words left incomplete, completed by what its columns hold; or NeedsMapping naming
    the candidates when the content does not decide."""
    from sp_analysis.ingest import profile

    earliest = dt.date(1990, 1, 1)
    today = dt.date.today()
    latest = today.replace(year=today.year + 1)
    missing = [c.name for c in missing_required(needs.guessed, kind)]
    if width > MAX_COLUMNS or sum(1 for cell in needs.header if str(cell).strip()) > MAX_NAMED_COLUMNS:
        raise needs
    profiles = profile.profile_columns(relation, params, needs.header, width, first_line, 2**62, earliest, latest,
                                       cells=cells)
    proposals = profile.propose(profiles, missing, set(needs.guessed.values()), kind)
    mapping = dict(needs.guessed)
    recognised = {k: "by its name" for k in mapping}
    unclear = []
    for proposal in proposals:
        if proposal.position is None:
            column = next(c for c in COLUMNS_BY_KIND[kind] if c.name == proposal.canonical)
            named = ", ".join(f"'{needs.header[i]}'" for i in proposal.candidates if i < len(needs.header))
            unclear.append(f"the {column.label.lower()} ({proposal.evidence}{': ' + named if named else ''})")
        else:
            mapping[proposal.canonical] = proposal.position
            recognised[proposal.canonical] = proposal.evidence
    if unclear:
        raise NeedsMapping(
            file_name=name,
            reason=f"cannot tell which column holds {'; '.join(unclear)}; choose the columns to load it.",
            header=needs.header, header_row=needs.header_row, preview=needs.preview, guessed=mapping,
            signature=needs.signature,
        )
    return HeaderMatch(needs.header_row, needs.header, mapping, 1), recognised
