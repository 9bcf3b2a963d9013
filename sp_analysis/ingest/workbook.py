"""A workbook's cells, read so that no file can take the app down with it.

Excel files are parsed by calamine, which trusts what a file claims: one cell at XFD1048576 makes it
lay out 17 billion cells, and a shared-strings table that claims four billion entries makes it
reserve 96 GB, and either way the process aborts. So a workbook is read in two steps:

1. The container is inspected here, without parsing it. For an XLSX (a ZIP): the sizes and
   compression ratios of its parts, each worksheet's stated <dimension>, the shared-strings table's
   size and stated count; then, while step 2 runs, every worksheet's XML is streamed through to find
   the largest cell reference it really holds (a sheet can misstate or omit its dimension). A file
   over any limit below is refused with a message saying which limit and by how much.
2. calamine runs in a child process (`python -I -c ...`, started with subprocess) that caps its
   own address space (RLIMIT_AS) and CPU time; the parent also kills it after a wall-clock limit.
   Rows come back as pickles through a pipe while the child is still writing them. If the child
   dies (a signal, MemoryError, the time limit) the file is refused, and the parent carries on.

An old BIFF .xls (an OLE file) gets only step 2: the format cannot hold more than 65,536 rows by
256 columns, and the child checks each sheet's extent again before laying it out from A1.

Everything refused is a LoadError with a reason in plain words.
"""

from __future__ import annotations

import functools
import io
import json
import os
import pickle
import posixpath
import re
import signal
import subprocess
import sys
import tempfile
import threading
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from xml.etree import ElementTree

from sp_analysis.ingest.errors import LoadError

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# --- Limits. A council's monthly spend file has up to ~100,000 rows by ~60 columns (6 million
# cells); a yearly workbook a few hundred thousand rows over several sheets. The caps leave several
# times that room while keeping the worst case (the child's memory, then the parent's copy of the
# cells as Python values, about 60 bytes a filled cell) within a few GB.

MAX_FILE_BYTES = 1 << 30
"""The largest workbook file read at all (1 GiB)."""
MAX_ROWS = 1_048_576
"""Excel's own last row: a reference past it was not written by Excel."""
MAX_COLUMNS = 16_384
"""Excel's own last column (XFD)."""
MAX_DECLARED_CELLS = 50_000_000
"""The most cells a worksheet may claim in its <dimension ref="...">."""
MAX_SHEET_CELLS = 25_000_000
"""The most cells one sheet may span, counted as rows x columns from A1 to its last cell
(calamine lays the sheet out as that rectangle): 400,000 rows of 60 columns fit."""
MAX_TOTAL_CELLS = 50_000_000
"""The most cells, summed over the sheets whose cells are returned."""
MAX_ZIP_ENTRIES = 10_000
MAX_PART_BYTES = 1536 << 20
"""The largest single part of an XLSX once unpacked (1.5 GiB; a 25-million-cell sheet is ~1 GB)."""
MAX_UNPACKED_BYTES = 3 << 30
"""All parts of an XLSX together, unpacked (3 GiB)."""
MAX_COMPRESSION_RATIO = 200
"""Unpacked / packed size above which a large part is taken for a zip bomb (real sheets: 5-30)."""
RATIO_CHECKED_FROM_BYTES = 16 << 20
"""Parts smaller than this (unpacked) may have any ratio: they cannot hurt."""
MAX_SHARED_STRINGS = 10_000_000
"""The most entries the shared-strings table may claim or hold (calamine reserves what it claims)."""
MAX_SHARED_STRINGS_BYTES = 1 << 30
MAX_XML_RUN_BYTES = 16 << 20
"""The longest stretch of sheet XML between two '<' (a cell's text is at most 32,767 characters)."""
CHILD_MEMORY_BYTES = 4 << 30
"""The reading process's address-space cap (RLIMIT_AS), 4 GiB."""
CHILD_SECONDS = 180.0
"""Wall-clock limit for reading one workbook, inspection included."""


@dataclass(frozen=True)
class Limits:
    """The limits one read works within; the defaults are the module constants."""

    max_file_bytes: int = MAX_FILE_BYTES
    max_rows: int = MAX_ROWS
    max_columns: int = MAX_COLUMNS
    max_declared_cells: int = MAX_DECLARED_CELLS
    max_sheet_cells: int = MAX_SHEET_CELLS
    max_total_cells: int = MAX_TOTAL_CELLS
    max_zip_entries: int = MAX_ZIP_ENTRIES
    max_part_bytes: int = MAX_PART_BYTES
    max_unpacked_bytes: int = MAX_UNPACKED_BYTES
    max_compression_ratio: float = MAX_COMPRESSION_RATIO
    ratio_checked_from_bytes: int = RATIO_CHECKED_FROM_BYTES
    max_shared_strings: int = MAX_SHARED_STRINGS
    max_shared_strings_bytes: int = MAX_SHARED_STRINGS_BYTES
    child_memory_bytes: int = CHILD_MEMORY_BYTES
    child_seconds: float = CHILD_SECONDS


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class WorkbookCells:
    """What read_sheets gives back.

    `sheet_names`: every sheet, in workbook order. `with_data`: those holding at least one value, in
    the same order. `cells`: for each sheet read, its rows from cell A1, empty rows included (row i
    is sheet row i + 1), each a list of str, float, int, bool, datetime/date/time/timedelta, or ""
    for an empty cell, exactly as calamine's `to_python(skip_empty_area=False)` gives them.
    """

    sheet_names: tuple[str, ...]
    with_data: tuple[str, ...]
    cells: dict[str, list[list[Any]]] = field(default_factory=dict)


def read_sheets(
    name: str,
    data: bytes,
    sheets: Sequence[str] | None = None,
    *,
    limits: Limits = DEFAULT_LIMITS,
) -> WorkbookCells:
    """Sheet names, which hold data, and the cells of `sheets` (None: every sheet with data; an
    empty sequence: none, only the names). Raises LoadError(name, reason) for any file that cannot
    be read: damaged, password-protected, over a limit, no sheet with data, or a requested sheet
    that is missing or empty."""
    wanted: tuple[str, ...] | None
    if sheets is None:
        wanted = None
    elif isinstance(sheets, str):
        wanted = (sheets,)
    else:
        wanted = tuple(sheets)
    if len(data) > limits.max_file_bytes:
        raise LoadError(name, f"the workbook is {_bytes(len(data))}; the largest read is {_bytes(limits.max_file_bytes)}.")
    plan: _ZipPlan | None = None
    if data.startswith(ZIP_MAGIC):
        plan = _inspect_zip(name, data, limits)
    elif data.startswith(OLE_MAGIC):
        if _UTF16_ENCRYPTED in data or _UTF16_ENCRYPTION_INFO in data:
            raise LoadError(name, "the workbook is encrypted. " + _PASSWORD_HINT)
    else:
        raise LoadError(name, "is not an Excel workbook (neither an XLSX nor an old-style XLS file).")
    child = _Child(name, data, wanted, limits)
    try:
        if plan is not None:
            _scan_worksheets(name, plan, wanted, limits)
        return child.collect()
    finally:
        child.close()


# --- Step 1: the container -------------------------------------------------------------------

_PASSWORD_HINT = "If the workbook is password-protected, save an unprotected copy first."
_UTF16_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")
_UTF16_ENCRYPTION_INFO = "EncryptionInfo".encode("utf-16-le")
_HEAD_BYTES = 64 << 10
_CHUNK_BYTES = 1 << 20
_ADVICE = "A spend file needs far fewer: save a copy holding only the data (or export it as CSV) and load that."


@dataclass
class _Part:
    path: str
    label: str  # how messages name it: "sheet 'Payments'"
    sheet: str | None  # the sheet name, when known


@dataclass
class _ZipPlan:
    archive: zipfile.ZipFile
    worksheets: list[_Part]
    shared_strings: str | None


def _inspect_zip(name: str, data: bytes, limits: Limits) -> _ZipPlan:
    """The cheap checks, made before any parsing starts; returns what step 1 streams later."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise LoadError(name, f"the file is damaged or incomplete: it is not a complete XLSX workbook ({_detail(exc)}). "
                        "Download it again, or open it in Excel and save a copy.") from exc
    if len(entries) > limits.max_zip_entries:
        raise LoadError(name, f"the workbook holds {len(entries):,} parts; a workbook needs far fewer "
                        f"(the limit is {limits.max_zip_entries:,}).")
    total = 0
    for entry in entries:
        if entry.flag_bits & 0x1:
            raise LoadError(name, f"part '{entry.filename}' of the workbook is encrypted. {_PASSWORD_HINT}")
        if entry.file_size > limits.max_part_bytes:
            raise LoadError(name, f"part '{entry.filename}' of the workbook unpacks to {_bytes(entry.file_size)}; "
                            f"the limit is {_bytes(limits.max_part_bytes)}. {_ADVICE}")
        if (entry.file_size >= limits.ratio_checked_from_bytes
                and entry.file_size > limits.max_compression_ratio * max(entry.compress_size, 1)):
            ratio = entry.file_size / max(entry.compress_size, 1)
            raise LoadError(name, f"part '{entry.filename}' of the workbook unpacks from {_bytes(entry.compress_size)} to "
                            f"{_bytes(entry.file_size)} ({ratio:,.0f} times): no real sheet packs that tightly, so it was "
                            "taken for a zip bomb and not opened.")
        total += entry.file_size
    if total > limits.max_unpacked_bytes:
        raise LoadError(name, f"the workbook unpacks to {_bytes(total)}; the limit is {_bytes(limits.max_unpacked_bytes)}. {_ADVICE}")
    names = {entry.filename for entry in entries}
    worksheets, shared = _workbook_parts(name, archive, names)
    for part in worksheets:
        head = _read_head(name, archive, part.path)
        _check_dimension(name, part, head, limits)
    if shared is not None:
        size = archive.getinfo(shared).file_size
        if size > limits.max_shared_strings_bytes:
            raise LoadError(name, f"the workbook's shared-text table unpacks to {_bytes(size)}; "
                            f"the limit is {_bytes(limits.max_shared_strings_bytes)}. {_ADVICE}")
        found = _SST_COUNT.search(_read_head(name, archive, shared))
        if found:
            claimed = _int(found.group(1))
            if claimed > limits.max_shared_strings:
                raise LoadError(name, f"the workbook's shared-text table claims {_amount(claimed)} entries; "
                                f"the limit is {_amount(limits.max_shared_strings)}, so it was not opened. {_ADVICE}")
    return _ZipPlan(archive, worksheets, shared)


_WORKSHEET_TYPES = ("/worksheet", "/dialogsheet", "/macrosheet", "/xlMacrosheet", "/xlIntlMacrosheet")


def _workbook_parts(name: str, archive: zipfile.ZipFile, names: set[str]) -> tuple[list[_Part], str | None]:
    """The worksheet parts (named after their sheets where workbook.xml says) and the shared strings."""
    by_id: dict[str, str] = {}
    worksheets: dict[str, _Part] = {}
    shared: str | None = None
    rels = _small_xml(name, archive, "xl/_rels/workbook.xml.rels") if "xl/_rels/workbook.xml.rels" in names else None
    if rels is not None:
        for rel in rels.iter():
            if _local(rel.tag) != "Relationship":
                continue
            target, kind, rid = rel.get("Target", ""), rel.get("Type", ""), rel.get("Id", "")
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
            if kind.endswith("/sharedStrings") and path in names:
                shared = path
            elif kind.endswith(_WORKSHEET_TYPES) and path in names:
                by_id[rid] = path
    book = _small_xml(name, archive, "xl/workbook.xml") if "xl/workbook.xml" in names else None
    if book is not None:
        for sheet in book.iter():
            if _local(sheet.tag) != "sheet":
                continue
            rid = next((v for k, v in sheet.attrib.items() if _local(k) == "id"), "")
            sheet_name = sheet.get("name", "")
            if rid in by_id and by_id[rid] not in worksheets:
                worksheets[by_id[rid]] = _Part(by_id[rid], f"sheet '{sheet_name}'", sheet_name)
    for path in list(by_id.values()) + sorted(names):
        if path not in worksheets and (path in by_id.values() or ("worksheets/" in path and path.endswith(".xml"))):
            worksheets[path] = _Part(path, f"worksheet part '{path}'", None)
    if shared is None and "xl/sharedStrings.xml" in names:
        shared = "xl/sharedStrings.xml"
    return list(worksheets.values()), shared


def _small_xml(name: str, archive: zipfile.ZipFile, path: str) -> ElementTree.Element | None:
    """A small part (workbook.xml, its rels) as a tree; None when it is not usable XML."""
    if archive.getinfo(path).file_size > 16 << 20:
        raise LoadError(name, f"part '{path}' of the workbook is {_bytes(archive.getinfo(path).file_size)}; such a part is a few KB.")
    raw = _read_all(name, archive, path)
    if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:
        raise LoadError(name, f"part '{path}' of the workbook declares XML entities, which Excel never writes; it was not opened.")
    try:
        return ElementTree.fromstring(raw)
    except ElementTree.ParseError:
        return None


def _read_all(name: str, archive: zipfile.ZipFile, path: str) -> bytes:
    try:
        return archive.read(path)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError, RuntimeError) as exc:
        raise _damaged(name, path, exc) from exc


def _read_head(name: str, archive: zipfile.ZipFile, path: str) -> bytes:
    try:
        with archive.open(path) as stream:
            return stream.read(_HEAD_BYTES)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError, RuntimeError) as exc:
        raise _damaged(name, path, exc) from exc


def _damaged(name: str, path: str, exc: BaseException) -> LoadError:
    return LoadError(name, f"the file is damaged: part '{path}' of the workbook cannot be unpacked ({_detail(exc)}). "
                     "Download it again, or open it in Excel and save a copy.")


_DIMENSION = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?dimension\b[^>]*?\sref\s*=\s*[\"']([^\"']*)[\"']")
_SST_COUNT = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?sst\b[^>]*?\suniqueCount\s*=\s*[\"']\s*(\d+)\s*[\"']")
_REF = re.compile(rb"\$?([A-Za-z]{1,4})\$?(\d{1,10})")


def _check_dimension(name: str, part: _Part, head: bytes, limits: Limits) -> None:
    found = _DIMENSION.search(head)
    if not found:
        return
    corners = [_REF.fullmatch(c.strip()) for c in found.group(1).split(b":")]
    if len(corners) not in (1, 2) or not all(corners):
        return
    points = [(_column_number(m.group(1)), _int(m.group(2))) for m in corners if m]
    (c1, r1), (c2, r2) = points[0], points[-1]
    rows, columns = abs(r2 - r1) + 1, abs(c2 - c1) + 1
    claimed = rows * columns
    if claimed > limits.max_declared_cells:
        ref = found.group(1).decode("ascii", "replace")
        raise LoadError(name, f"{part.label} claims {_amount(claimed)} cells (its stated range is {ref}: {rows:,} rows by "
                        f"{columns:,} columns); the limit is {_amount(limits.max_declared_cells)}, so it was not opened. {_ADVICE}")


# --- Step 1, streamed: the real extent of every worksheet ---------------------------------------

_CELL_OPENS = (b"<c ", b"<c>", b"<c/", b"<c\n", b"<c\r", b"<c\t")
_ROW_OPENS = (b"<row ", b"<row>", b"<row/", b"<row\n", b"<row\r", b"<row\t")
_CELL_LETTERS = re.compile(rb'<c r="([A-Za-z]{1,4})')
_CELL_ROWS = re.compile(rb'<c r="[A-Za-z]{1,4}(\d{1,12})"')
_ROW_ROWS = re.compile(rb'<row r="(\d{1,12})"')
_ANY_R = re.compile(rb'r="([A-Za-z]*)(\d*)"')
# A <c> or <row> start tag, any prefix, and its first r attribute wherever it stands among the others.
_TAG = re.compile(
    rb"<(?:[A-Za-z_][\w.\-]*:)?(c|row)(?=[\s/>])"
    rb"(?:\s+(?!r\s*=)[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*"
    rb"(?:\s+r\s*=\s*(?:\"([^\"]*)\"|'([^']*)'))?"
)
_LOOSE_REF = re.compile(rb"\s*\$?([A-Za-z]{0,4})\$?(\d{0,12})\s*")
_SI_OPENS = (b"<si>", b"<si ", b":si>", b":si ")


class _Refused(Exception):
    """A limit was crossed while streaming; the reason is the message."""


class _SheetExtent:
    """The last row and column a worksheet's XML reaches, fed its bytes in order.

    Text is scanned up to the last '<' seen (a '<' cannot occur inside a tag), so each scan sees
    whole tags. A scan takes the fast path when every <c> and <row> tag is written `<c r="...` /
    `<row r="...` (as Excel, LibreOffice and openpyxl write them): then the extent is the largest
    of those references, found with one regex search for any reference past the known extent, and
    of any other ` r="..."` in the text. Otherwise (prefixed tags, references left out or placed
    after other attributes, single quotes) each tag is read in turn, a cell or row written without
    a reference counting as the one after the previous. A second r attribute in another quoting is
    not looked for (XML forbids duplicate attributes); the child's memory cap covers what is missed.
    """

    def __init__(self, part: _Part, limits: Limits) -> None:
        self.part = part
        self.limits = limits
        self.max_row = 0
        self.max_column = 0
        self.row = 0
        self.column = 0
        self.carry = b""

    def feed(self, chunk: bytes) -> None:
        text = self.carry + chunk if self.carry else chunk
        cut = text.rfind(b"<")
        if cut <= 0:
            if len(text) > MAX_XML_RUN_BYTES:
                raise _Refused(f"{self.part.label} has a stretch of more than {_bytes(MAX_XML_RUN_BYTES)} without any XML tag; "
                               "no cell holds that much, so the file was not opened.")
            self.carry = text
            return
        self.carry = text[cut:]
        self._scan(text[:cut])

    def finish(self) -> None:
        if self.carry:
            self._scan(self.carry)
            self.carry = b""

    def cells(self) -> int:
        return self.max_row * self.max_column

    def _scan(self, text: bytes) -> None:
        cells, plain_cells = text.count(b"<c"), text.count(b'<c r="')
        if cells != plain_cells:  # <col>, <cfRule> ... start with "<c" too: count the cell tags alone
            cells = sum(text.count(t) for t in _CELL_OPENS)
        rows, plain_rows = text.count(b"<row"), text.count(b'<row r="')
        if rows != plain_rows:  # <rowBreaks>
            rows = sum(text.count(t) for t in _ROW_OPENS)
        plain = (
            cells == plain_cells
            and rows == plain_rows
            and b":c" not in text
            and b":row" not in text
        )
        row_rows = _ROW_ROWS.findall(text) if plain else []
        if plain and len(row_rows) != plain_rows:
            plain = False
        if not plain:
            self._scan_tags(text)
            self._check()
            return
        row = max(self.max_row, max(map(int, row_rows), default=0))
        if self.max_column and not _beyond(self.max_column, row).search(text):
            self._reach(row, self.max_column)  # every cell reference is plain and within what is known
        else:
            letters = _CELL_LETTERS.findall(text)
            cell_rows = _CELL_ROWS.findall(text)
            if not len(letters) == len(cell_rows) == plain_cells:
                self._scan_tags(text)
                self._check()
                return
            column = max((_column_number(x) for x in set(letters)), default=0)
            self._reach(max(row, max(map(int, cell_rows), default=0)), column)
        if text.count(b' r="') != plain_cells + plain_rows:
            # another r="..." (a second r attribute?): count every one that reads as a reference
            for extra_letters, extra_digits in _ANY_R.findall(text):
                self._reach(_int(extra_digits or b"0"), _column_number(extra_letters) if extra_letters else 0)
        last_row, last_cell = text.rfind(b'<row r="'), text.rfind(b'<c r="')
        if last_row >= 0:
            self.row = int(row_rows[-1])
        if last_cell > last_row:
            found = _CELL_LETTERS.match(text, last_cell)
            self.column = _column_number(found.group(1)) if found else self.column + 1
        elif last_row >= 0:
            self.column = 0
        self._check()

    def _scan_tags(self, text: bytes) -> None:
        """Each <c> and <row> tag in turn; one written without r is the one after the previous."""
        for tag in _TAG.finditer(text):
            value = tag.group(2) if tag.group(2) is not None else tag.group(3)
            row, column = (0, 0) if value is None else self._ref(value)
            if tag.group(1) == b"row":
                self.row = row or self.row + 1
                self.column = 0
                self._reach(self.row, 0)
            else:
                self.column = column or self.column + 1
                self._reach(row or max(self.row, 1), self.column)

    def _ref(self, value: bytes) -> tuple[int, int]:
        """(row, column) of a reference; 0 for a part it leaves out."""
        found = _LOOSE_REF.fullmatch(value)
        if not found:
            shown = value[:24].decode("utf-8", "replace")
            raise _Refused(f"{self.part.label} has a cell reference written in a way this reader does not accept "
                           f"('{shown}'), so the file was not opened.")
        return _int(found.group(2) or b"0"), _column_number(found.group(1)) if found.group(1) else 0

    def _reach(self, row: int, column: int) -> None:
        self.max_row = max(self.max_row, row)
        self.max_column = max(self.max_column, column)

    def _check(self) -> None:
        limits = self.limits
        if self.max_row <= limits.max_rows and self.max_column <= limits.max_columns and self.cells() <= limits.max_sheet_cells:
            return
        corner = f"{_column_letters(self.max_column)}{self.max_row}" if self.max_column <= 16_384 * 26 else "a column past XFD"
        if self.max_row > limits.max_rows or self.max_column > limits.max_columns:
            raise _Refused(f"{self.part.label} has a cell at {corner}, beyond Excel's own last cell "
                           f"({_column_letters(limits.max_columns)}{limits.max_rows:,}); no spreadsheet program wrote it, "
                           "so the file was not opened.")
        raise _Refused(f"{self.part.label} reaches cell {corner}, so from A1 it spans {self.max_row:,} rows by "
                       f"{self.max_column:,} columns: {_amount(self.cells())} cells, more than the "
                       f"{_amount(limits.max_sheet_cells)} read from one sheet. {_ADVICE}")


def _beyond(column: int, row: int) -> re.Pattern[bytes]:
    """A pattern finding a plain cell reference past (column, row), or one not written plainly."""
    return _beyond_pattern(_column_letters(column), str(row))


@functools.lru_cache(maxsize=64)
def _beyond_pattern(letters: str, digits: str) -> re.Pattern[bytes]:
    more_letters = [f"[A-Z]{{{len(letters) + 1},4}}"] + [
        f"{letters[:i]}[{chr(ord(ch) + 1)}-Z][A-Z]{{{len(letters) - i - 1}}}" for i, ch in enumerate(letters) if ch < "Z"
    ]
    more_digits = [f"\\d{{{len(digits) + 1},12}}"] + [
        f"{digits[:i]}[{int(ch) + 1}-9]\\d{{{len(digits) - i - 1}}}" for i, ch in enumerate(digits) if ch < "9"
    ]
    pattern = (
        '<c r="(?:(?![A-Z]{1,4}\\d{1,12}")'
        f"|(?:{'|'.join(more_letters)})\\d"
        f"|[A-Z]{{1,4}}(?:{'|'.join(more_digits)})\")"
    )
    return re.compile(pattern.encode("ascii"))


_NS = rb"(?:[A-Za-z_][\w.\-]*:)?"
_FORMULA_OPEN = re.compile(rb"<" + _NS + rb"f[\s/>]")
_CELL_CLOSE = re.compile(rb"</" + _NS + rb"c\s*>")
_CELL_START = re.compile(rb"<" + _NS + rb"c\s[^>]*>\s*$")
_VALUE = re.compile(rb"<" + _NS + rb"v(?:\s[^>]*)?(?:/>|>([^<]*)<)")
_ATTRIBUTE = re.compile(rb"\s(r|t)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_MAX_FORMULA_CARRY = 4 << 20


class _UnsavedFormulas:
    """Cells of a worksheet's XML that hold a formula but no saved value, fed its bytes in order.

    Excel saves each formula's last result beside it (`<c r="D14"><f>SUM(D2:D13)</f><v>7000</v></c>`);
    a file written by a program that does not calculate (openpyxl, some report writers) leaves the value
    out or empty, and calamine then reads the cell as empty, so its money would be skipped as text.
    Only text holding a formula is looked at closely; a cell cut by a chunk's end waits for the next.
    A formula whose result is text (t="str") may rightly have an empty value.
    """

    def __init__(self) -> None:
        self.cells: list[str] = []
        self.count = 0
        self.carry = b""

    def feed(self, chunk: bytes) -> None:
        text = self.carry + chunk if self.carry else chunk
        # Whole cells lie before the last cell start (or, with none, before the last tag start).
        cut = text.rfind(b"<c")
        prefixed = text.rfind(b":c ")
        if prefixed > cut:
            cut = text.rfind(b"<", 0, prefixed)
        if cut < 0:
            cut = text.rfind(b"<")
        if cut < 0:
            cut = len(text)
        self.carry = text[cut:] if len(text) - cut <= _MAX_FORMULA_CARRY else b""
        self._scan(text[:cut])

    def finish(self) -> None:
        if self.carry:
            self._scan(self.carry)
            self.carry = b""

    def _scan(self, text: bytes) -> None:
        if b"<f" not in text and b":f" not in text:
            return
        if b":f" not in text:
            # As Excel writes them, every formula followed by its value: nothing to look at closely.
            opens = text.count(b"<f>") + text.count(b"<f ")
            valued = (text.count(b"</f><v>") - text.count(b"</f><v></v>")
                      + text.count(b"/><v>") - text.count(b"/><v></v>"))
            if opens == valued:
                return
        for formula in _FORMULA_OPEN.finditer(text):
            start = text.rfind(b"<", 0, formula.start())
            tag = _CELL_START.match(text, start, formula.start()) if start >= 0 else None
            end = _CELL_CLOSE.search(text, formula.end())
            if tag is None or end is None:
                continue
            attributes = {m.group(1): m.group(2) if m.group(2) is not None else m.group(3)
                          for m in _ATTRIBUTE.finditer(tag.group(0))}
            value = _VALUE.search(text, formula.end(), end.end())
            if attributes.get(b"t") == b"str" or (value is not None and (value.group(1) or b"").strip()):
                continue
            self.count += 1
            if len(self.cells) < 5:
                self.cells.append((attributes.get(b"r") or b"?").decode("ascii", "replace")[:16])

    def describe(self, label: str) -> str:
        """The refusal: which cells, and what to do."""
        more = self.count - len(self.cells)
        if self.count == 1:
            which = f"cell {self.cells[0]} holds a formula"
        else:
            listed = ", ".join(self.cells[:-1]) + (f", {self.cells[-1]}" if more else f" and {self.cells[-1]}")
            which = f"cells {listed}" + (f" and {more:,} more" if more else "") + " hold formulas"
        return (f"{label}: {which} with no saved value; open the workbook in Excel, let it calculate, save, "
                "and load it again. (The program that wrote it saved the formulas but not their results, "
                "so the amounts cannot be read.)")


def _scan_worksheets(name: str, plan: _ZipPlan, wanted: tuple[str, ...] | None, limits: Limits) -> None:
    """Stream every worksheet (and the shared strings) through, refusing past a limit."""
    total = 0
    for part in plan.worksheets:
        extent = _SheetExtent(part, limits)
        formulas = _UnsavedFormulas()

        def feed(chunk: bytes, extent: _SheetExtent = extent, formulas: _UnsavedFormulas = formulas) -> None:
            extent.feed(chunk)
            formulas.feed(chunk)

        try:
            _stream(name, plan.archive, part.path, feed)
            extent.finish()
            formulas.finish()
        except _Refused as refused:
            raise LoadError(name, str(refused)) from None
        if wanted is None or part.sheet is None or part.sheet in wanted:
            total += extent.cells()
            if formulas.cells:
                raise LoadError(name, formulas.describe(part.label))
    if total > limits.max_total_cells:
        raise LoadError(name, f"the sheets to read span {_amount(total)} cells from A1 together; the limit is "
                        f"{_amount(limits.max_total_cells)}. {_ADVICE}")
    if plan.shared_strings is not None:
        counted = [0]

        def count(chunk: bytes) -> None:
            counted[0] += sum(chunk.count(t) for t in _SI_OPENS)
            if counted[0] > limits.max_shared_strings:
                raise _Refused(f"the workbook's shared-text table holds more than {_amount(limits.max_shared_strings)} "
                               f"entries, the limit, so it was not opened. {_ADVICE}")

        try:
            _stream(name, plan.archive, plan.shared_strings, count)
        except _Refused as refused:
            raise LoadError(name, str(refused)) from None


def _stream(name: str, archive: zipfile.ZipFile, path: str, sink: Any) -> None:
    try:
        with archive.open(path) as stream:
            while chunk := stream.read(_CHUNK_BYTES):
                sink(chunk)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError, RuntimeError) as exc:
        raise _damaged(name, path, exc) from exc


# --- Step 2: calamine in a child process ------------------------------------------------------

_ROWS_PER_RECORD = 5_000
_ROOT = str(Path(__file__).resolve().parents[2])
_CHILD_CODE = (
    f"import sys; sys.path.insert(0, {_ROOT!r}); "
    "from sp_analysis.ingest.workbook import _child_main; _child_main()"
)


class _ResultUnpickler(pickle.Unpickler):
    """Only the value types a cell can hold may be rebuilt from the child's output."""

    _ALLOWED = frozenset({("datetime", "datetime"), ("datetime", "date"), ("datetime", "time"), ("datetime", "timedelta")})

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"unexpected {module}.{name} from the workbook reader")


class _Child:
    """One calamine run in its own process, fed the workbook through stdin."""

    def __init__(self, name: str, data: bytes, wanted: tuple[str, ...] | None, limits: Limits) -> None:
        self.name = name
        self.wanted = wanted
        self.limits = limits
        self.timed_out = False
        self.errors: IO[bytes] = tempfile.TemporaryFile(prefix="sp-workbook-")  # noqa: SIM115 (closed in close())
        settings = {
            "memory": limits.child_memory_bytes,
            "seconds": limits.child_seconds,
            "sheets": None if wanted is None else list(wanted),
            "max_sheet_cells": limits.max_sheet_cells,
            "max_total_cells": limits.max_total_cells,
        }
        env = dict(os.environ, RUST_BACKTRACE="0")
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-c", _CHILD_CODE, json.dumps(settings)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.errors,
            env=env,
            bufsize=1 << 20,
        )
        self.timer = threading.Timer(limits.child_seconds, self._expire)
        self.timer.daemon = True
        self.timer.start()
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(data)
            self.proc.stdin.close()
        except (BrokenPipeError, OSError):
            pass  # the child died before reading it all: collect() says why

    def _expire(self) -> None:
        self.timed_out = True
        self.proc.kill()

    def collect(self) -> WorkbookCells:
        assert self.proc.stdout is not None
        reader = _ResultUnpickler(self.proc.stdout)
        names: tuple[str, ...] | None = None
        with_data: list[str] = []
        cells: dict[str, list[list[Any]]] = {}
        received = 0
        finished = False
        while True:
            try:
                record = reader.load()
            except (EOFError, pickle.UnpicklingError, OSError, ValueError, TypeError, AttributeError, IndexError):
                break
            kind = record[0]
            if kind == "names":
                names = tuple(str(n) for n in record[1])
                for sheet in self.wanted or ():
                    if sheet not in names:
                        raise LoadError(self.name, f"the workbook has no sheet called '{sheet}'.")
            elif kind == "sheet":
                with_data.append(record[1])
            elif kind == "rows":
                rows = record[2]
                received += sum(len(r) for r in rows)
                if received > self.limits.max_total_cells:
                    raise LoadError(self.name, f"the sheets to read hold more than {_amount(self.limits.max_total_cells)} cells; "
                                    f"that is the limit. {_ADVICE}")
                cells.setdefault(record[1], []).extend(rows)
            elif kind == "refused":
                raise LoadError(self.name, record[1])
            elif kind == "unreadable":
                hint = f" {_PASSWORD_HINT}" if record[2] else ""
                raise LoadError(self.name, f"{record[1]}{hint}")
            elif kind == "memory":
                raise LoadError(self.name, self._limits_message("it needed more memory than the reader may use"))
            elif kind == "done":
                finished = True
                break
        self.proc.wait()
        if not finished or names is None:
            raise LoadError(self.name, self._limits_message(self._why()))
        if not with_data:
            raise LoadError(self.name, "the workbook has no sheet with data.")
        for sheet in self.wanted or ():
            if sheet not in with_data:
                raise LoadError(self.name, f"sheet '{sheet}' holds no data.")
        for sheet in self.wanted if self.wanted is not None else with_data:
            cells.setdefault(sheet, [])
        return WorkbookCells(names, tuple(with_data), cells)

    def _why(self) -> str:
        if self.timed_out:
            return f"it took longer than {self.limits.child_seconds:g} seconds"
        self.errors.seek(0, os.SEEK_END)
        self.errors.seek(max(0, self.errors.tell() - 4096))
        tail = self.errors.read().decode("utf-8", "replace")
        asked = re.search(r"memory allocation of (\d+) bytes failed", tail)
        if asked:
            return f"it asked for {_bytes(int(asked.group(1)))} of memory at once"
        if "MemoryError" in tail:
            return "it needed more memory than the reader may use"
        code = self.proc.returncode
        if code is not None and code < 0:
            try:
                return f"the reader stopped on signal {signal.Signals(-code).name}"
            except ValueError:
                return f"the reader stopped on signal {-code}"
        last = tail.strip().splitlines()[-1:] or [f"exit status {code}"]
        return f"the reader stopped unexpectedly ({last[0][:200]})"

    def _limits_message(self, why: str) -> str:
        return (f"could not be read within the limits ({_bytes(self.limits.child_memory_bytes)} of memory, "
                f"{self.limits.child_seconds:g} seconds): {why}. The file may be damaged or built to exhaust memory; "
                "open it in Excel and save a copy, or export it as CSV.")

    def close(self) -> None:
        self.timer.cancel()
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout, self.errors):
            if stream is not None:
                stream.close()


def _child_main() -> None:
    """The child's side: read the workbook from stdin, write records (pickles) to stdout."""
    settings = json.loads(sys.argv[1])
    try:
        import resource

        memory = int(settings["memory"])
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        cpu = int(float(settings["seconds"])) + 5
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ImportError, ValueError, OSError):
        pass  # no resource module (Windows): the parent's time limit and the process boundary remain
    out = sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but records on the pipe

    def send(record: tuple[Any, ...]) -> None:
        pickler = pickle.Pickler(out, protocol=pickle.HIGHEST_PROTOCOL)
        pickler.fast = True  # no memo: the cells hold no shared or recursive objects
        pickler.dump(record)

    try:
        _child_read(sys.stdin.buffer.read(), settings, send)
        out.flush()
    except MemoryError:
        send(("memory",))
        out.flush()
    except BrokenPipeError:
        pass


def _child_read(data: bytes, settings: dict[str, Any], send: Any) -> None:
    from python_calamine import CalamineWorkbook

    ole = data.startswith(OLE_MAGIC)
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = list(workbook.sheet_names)
    except MemoryError:
        raise
    except BaseException as exc:  # calamine's own errors, and pyo3 panics (BaseException)
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        send(("unreadable", f"cannot be read as an Excel workbook ({_detail(exc)}).", ole))
        return
    del data
    send(("names", names))
    wanted = settings["sheets"]
    max_sheet, max_total = int(settings["max_sheet_cells"]), int(settings["max_total_cells"])
    total = 0
    for sheet_name in names:
        try:
            sheet = workbook.get_sheet_by_name(sheet_name)
            has_data = bool(sheet.to_python(nrows=2))
        except MemoryError:
            raise
        except BaseException as exc:  # chart sheets and the like hold no cells
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            continue
        if not has_data:
            continue
        send(("sheet", sheet_name))
        if wanted is not None and sheet_name not in wanted:
            continue
        end = sheet.end
        spans = (end[0] + 1) * (end[1] + 1) if end else 0
        total += spans
        if spans > max_sheet or total > max_total:
            which = f"sheet '{sheet_name}' spans" if spans > max_sheet else "the sheets to read span"
            limit = max_sheet if spans > max_sheet else max_total
            send(("refused", f"{which} {_amount(spans if spans > max_sheet else total)} cells from A1; "
                  f"the limit is {_amount(limit)}. {_ADVICE}"))
            return
        try:
            rows = sheet.to_python(skip_empty_area=False)
        except MemoryError:
            raise
        except BaseException as exc:
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            send(("unreadable", f"sheet '{sheet_name}' cannot be read ({_detail(exc)}).", False))
            return
        del sheet
        for start in range(0, len(rows), _ROWS_PER_RECORD):
            send(("rows", sheet_name, rows[start : start + _ROWS_PER_RECORD]))
        del rows
    send(("done",))


# --- Words and numbers -------------------------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _int(digits: bytes) -> int:
    """A decimal number from XML; anything absurdly long counts as too big."""
    return int(digits) if len(digits) <= 12 else 10**12


def _column_number(letters: bytes) -> int:
    if len(letters) > 4:
        return 26**4
    number = 0
    for ch in letters.upper():
        number = number * 26 + ch - 64
    return number


def _column_letters(number: int) -> str:
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters or "A"


def _amount(n: int) -> str:
    """17179869184 -> '17 billion'; 140400000 -> '140 million'; small numbers with commas."""
    if n >= 10**9:
        return f"{n / 10**9:,.0f} billion"
    if n >= 10**6:
        return f"{n / 10**6:,.0f} million" if n % 10**6 == 0 or n >= 10**7 else f"{n / 10**6:,.1f} million"
    return f"{n:,}"


def _bytes(n: int) -> str:
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= size:
            return f"{n / size:,.1f} {unit}".replace(".0 ", " ")
    return f"{n} bytes"


def _detail(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


if __name__ == "__main__":  # `python -m sp_analysis.ingest.workbook SETTINGS` works too
    _child_main()
