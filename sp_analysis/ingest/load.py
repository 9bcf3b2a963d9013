"""Loading files into the workspace: one transaction per file, refused whole or landed whole."""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import functools
import hashlib
import json
import os
import re
import uuid
from collections import deque
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from sp_analysis.ingest import contracts as contract_sql
from sp_analysis.ingest import ocds
from sp_analysis.ingest import spend as spend_sql
from sp_analysis.ingest.columns import (
    COLUMNS_BY_KIND,
    Kind,
    header_signature,
    map_header,
    missing_required,
    normalise_header,
)
from sp_analysis.ingest.errors import AlreadyLoaded, LoadError, RepeatsLoaded, RowProblem
from sp_analysis.ingest.source import (
    ColumnChoice,
    PreparedFile,
    StagedSource,
    materialise,
    prepare_file,
    prepare_path,
    read_into,
    staged,
)
from sp_analysis.sql import scalar_int
from sp_analysis.sql_macros import DATE_FORMATS
from sp_analysis.workspace import MARK_SPEND_FACTS_STALE, Workspace

Progress = Callable[[float, str], object]  # called with (fraction done, what is happening); its result is unused

_T = TypeVar("_T")

# How many distinct dates from the top of a file choose its date format.
DATE_SAMPLES = 200

FIND_BY_SHA = "SELECT name, strftime(loaded_at, '%d %b %Y %H:%M') FROM loaded_files WHERE sha256 = $sha"
# The loaded files among several fingerprints ($shas; every loaded file when $shas is NULL).
FIND_BY_SHAS = """
SELECT sha256, name, strftime(loaded_at, '%d %b %Y %H:%M') FROM loaded_files
WHERE $shas IS NULL OR list_contains($shas, sha256)
"""
SAVED_MAPPINGS = "SELECT signature, mapping FROM mapping_profiles WHERE kind = $kind"
SAVE_MAPPING = """
INSERT OR REPLACE INTO mapping_profiles VALUES ($signature, $kind, $header, $mapping, current_localtimestamp())
"""
NEXT_FILE_ID = "SELECT nextval('file_id_seq')"
INSERT_FILE = """
INSERT INTO loaded_files (file_id, name, sha256, kind, rows, total, loaded_at, sheet, quality)
VALUES ($file_id, $name, $sha, $kind, $rows, $total, current_localtimestamp(), $sheet, $quality)
"""
DELETE_FILE = "DELETE FROM loaded_files WHERE file_id = $file_id"
DELETE_PAYMENTS = "DELETE FROM payments WHERE file_id = $file_id"
DELETE_CONTRACTS = "DELETE FROM contracts WHERE file_id = $file_id"
DELETE_CLASSES = "DELETE FROM payment_classes WHERE file_id = $file_id"
FILE_BY_ID = "SELECT name, kind, rows FROM loaded_files WHERE file_id = $file_id"
# A file whose lines are mostly lines of one loaded file already (the same month saved again as CSV, with
# other line ends, or as a workbook) is refused unless the analyst says the overlap is genuine.
REPEAT_SHARE = 0.9


def repeated_lines_sql(parsed: str, waiting: Sequence[tuple[int, str]] = ()) -> str:
    """The loaded spend file sharing most (date, payee, amount, reference) lines with `parsed`, and how many.

    Only payments dated within the new file's own dates are read (the table is stored in load order,
    so DuckDB skips the rest by its zone maps). `waiting` are (file id, parsed table) of files written in
    the same transaction whose payments are inserted together at its end: they count as loaded.
    """
    pending = "".join(
        f"""
        UNION ALL
        SELECT {int(file_id)} AS file_id, w.payment_date, w.amount, w.supplier_name, w.transaction_ref
        FROM {table} w, span WHERE w.row_kind = 'payment' AND w.payment_date BETWEEN span.lo AND span.hi"""
        for file_id, table in waiting)
    return f"""
    WITH new AS (
        SELECT payment_date, amount, supplier_name, transaction_ref, count(*) AS n
        FROM {parsed} WHERE row_kind = 'payment' GROUP BY ALL
    ),
    span AS (SELECT min(payment_date) AS lo, max(payment_date) AS hi FROM new),
    old AS (
        SELECT file_id, payment_date, amount, supplier_name, transaction_ref, count(*) AS n FROM (
            SELECT p.file_id, p.payment_date, p.amount, p.supplier_name, p.transaction_ref
            FROM payments p, span
            WHERE p.payment_date BETWEEN span.lo AND span.hi{pending}
        )
        GROUP BY ALL
    )
    SELECT o.file_id, f.name, strftime(f.loaded_at, '%d %b %Y %H:%M'), sum(least(o.n, w.n)) AS matching
    FROM new w
    JOIN old o ON o.payment_date = w.payment_date AND o.amount = w.amount AND o.supplier_name = w.supplier_name
              AND o.transaction_ref IS NOT DISTINCT FROM w.transaction_ref
    JOIN loaded_files f ON f.file_id = o.file_id
    GROUP BY ALL
    ORDER BY matching DESC, o.file_id
    LIMIT 1
    """


def batch_repeats_sql(files: Sequence[tuple[int, str]], groups: Sequence[tuple[str, Sequence[tuple[int, int]]]]) -> str:
    """For the files of a batch, the (date, payee, amount, reference) lines each shares with every loaded file
    and with every file before it in the batch: rows (file, loaded file id or NULL, earlier file or NULL, name
    and time of the loaded file, matching), as `repeated_lines_sql` counts them for one file at a time.

    `files` are (position, parsed table); `groups` are tables typed from several files with (sp_file,
    position) for the files of each. Only payments dated within the batch's own dates are read.
    """
    parts = [f"SELECT {int(position)} AS bf, payment_date, amount, supplier_name, transaction_ref FROM {table} "
             "WHERE row_kind = 'payment'" for position, table in files]
    for table, members in groups:
        numbers = ", ".join(f"({int(number)}, {int(position)})" for number, position in members)
        parts.append(f"SELECT f.bf, t.payment_date, t.amount, t.supplier_name, t.transaction_ref FROM {table} t "
                     f"JOIN (VALUES {numbers}) AS f(sp_file, bf) ON t.sp_file = f.sp_file WHERE t.row_kind = 'payment'")
    return f"""
    WITH new AS (
        SELECT bf, payment_date, amount, supplier_name, transaction_ref, count(*) AS n
        FROM ({" UNION ALL ".join(parts)}) GROUP BY ALL
    ),
    span AS (SELECT min(payment_date) AS lo, max(payment_date) AS hi FROM new),
    old AS (
        SELECT p.file_id, p.payment_date, p.amount, p.supplier_name, p.transaction_ref, count(*) AS n
        FROM payments p, span
        WHERE p.payment_date BETWEEN span.lo AND span.hi
        GROUP BY ALL
    ),
    pairs AS (
        SELECT w.bf, o.file_id, NULL::INTEGER AS earlier, sum(least(o.n, w.n)) AS matching
        FROM new w
        JOIN old o ON o.payment_date = w.payment_date AND o.amount = w.amount AND o.supplier_name = w.supplier_name
                  AND o.transaction_ref IS NOT DISTINCT FROM w.transaction_ref
        GROUP BY ALL
        UNION ALL
        SELECT w.bf, NULL, o.bf, sum(least(o.n, w.n))
        FROM new w
        JOIN new o ON o.bf < w.bf AND o.payment_date = w.payment_date AND o.amount = w.amount
                  AND o.supplier_name = w.supplier_name AND o.transaction_ref IS NOT DISTINCT FROM w.transaction_ref
        GROUP BY ALL
    )
    SELECT p.bf, p.file_id, p.earlier, f.name, strftime(f.loaded_at, '%d %b %Y %H:%M'), p.matching
    FROM pairs p LEFT JOIN loaded_files f ON f.file_id = p.file_id
    """


@dataclass(eq=False)
class _Repeats:
    """The lines each file of a batch shares with loaded files and with the batch's earlier files (see
    `batch_repeats_sql`), for `_land` to find the file each one repeats most among those loaded when it lands."""

    names: Sequence[str]  # of the batch's files, by position
    loaded: dict[int, list[tuple[int, str, str, int]]]  # position -> (file id, name, time, matching)
    earlier: dict[int, list[tuple[int, int]]]  # position -> (earlier position, matching)
    landed: dict[int, int]  # position -> file id, of the batch's files landed already

    @classmethod
    def measured(cls, cur: duckdb.DuckDBPyConnection, checked: Sequence[_Checked]) -> _Repeats:
        files = [(k, c.parsed) for k, c in enumerate(checked) if c.group is None]
        groups: dict[str, list[tuple[int, int]]] = {}
        for k, c in enumerate(checked):
            if c.group is not None:
                groups.setdefault(c.group, []).append((c.number, k))
        repeats = cls([c.name for c in checked], {}, {}, {})
        for position, file_id, earlier, name, when, matching in cur.execute(
                batch_repeats_sql(files, list(groups.items()))).fetchall():
            if file_id is not None:
                repeats.loaded.setdefault(int(position), []).append((int(file_id), str(name), str(when), int(matching)))
            else:
                repeats.earlier.setdefault(int(position), []).append((int(earlier), int(matching)))
        return repeats

    def most(self, cur: duckdb.DuckDBPyConnection, position: int) -> tuple[int, str, str, int] | None:
        """As `repeated_lines_sql` gives it: (file id, name, time, matching) of the loaded file sharing most
        lines with the batch's file at `position` (the earlier file on a tie), or None."""
        found: list[tuple[int, int, str, str | None]] = [
            (matching, file_id, name, when) for file_id, name, when, matching in self.loaded.get(position, ())]
        found += [(matching, self.landed[k], self.names[k], None)
                  for k, matching in self.earlier.get(position, ()) if k in self.landed]
        if not found:
            return None
        matching, file_id, name, when = min(found, key=lambda f: (-f[0], f[1]))
        if when is None:  # landed earlier in this transaction: its time as written
            when = str(cur.execute("SELECT strftime(loaded_at, '%d %b %Y %H:%M') FROM loaded_files "
                                   "WHERE file_id = $file_id", {"file_id": file_id}).fetchone()[0])  # type: ignore[index]
        return file_id, name, when, matching


@dataclass(frozen=True)
class LoadResult:
    """A file that landed: its id, figures and quality report."""

    file_id: int
    name: str
    kind: Kind
    sha256: str
    rows: int
    total: Decimal
    quality: dict[str, Any]


def sha256_of(data: bytes) -> str:
    """The file's fingerprint: the same bytes are never loaded twice."""
    return hashlib.sha256(data).hexdigest()


def read_path(path: Path) -> bytes:
    """A file's bytes, or LoadError naming it."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise LoadError(path.name, f"cannot be read ({exc.strerror or exc}).") from exc


def load_path(ws: Workspace, path: Path, kind: Kind, **options: Any) -> LoadResult:
    """Load a file from disk (see `load_file`)."""
    return load_file(ws, path.name, read_path(path), kind, **options)


# Files loaded together (load_paths with batch_rows) land in one transaction of about this many payments: about
# four of DuckDB's row groups (122,880 rows each), so that most of a batch is written to the workspace as whole
# groups and closing the workspace has little left to write. On the benchmark's 180 files, alternated in one
# process: 17.3 and 18.7 s (load and close) against 23.5 and 25.9 s at 130,000 lines; peak about 1 GB.
BATCH_ROWS = 500_000
# How many files `load_many` reads and prepares ahead of the one it is staging (one at least, more while the
# files prepared hold less than PREPARE_AHEAD_BYTES, in memory or in their cleaned copies on disk): enough for a
# batch, so that the next batch's files are prepared while one is typed and written.
PREPARE_AHEAD = 64
PREPARE_AHEAD_BYTES = 128 << 20
# A prepared file: its bytes (None when read from disk in chunks), its staged copy (None for OCDS notices)
# and the fingerprint of its bytes (None when there are none, or no copy).
_Prepared = tuple[bytes | None, PreparedFile | None, str | None]
# Called as each file of a batch is read (when it is typed later with its batch's files of its shape) and as it is
# checked: (position in the batch from 0, file name, what happened: "read", "checked", "refused", ...).
FileProgress = Callable[[int, str, str], None]


def load_paths(
    ws: Workspace, paths: Sequence[Path], kind: Kind, *, sheet: str | Sequence[str] | None = None,
    allow_overlap: bool = False, batch_rows: int = 0, progress: FileProgress | None = None,
) -> Iterator[tuple[Path, LoadResult | LoadError]]:
    """Load files in order, yielding each one's outcome (see `load_many`, which this reads from disk for)."""
    outcomes = load_many(ws, [(path.name, path) for path in paths], kind, sheet=sheet, allow_overlap=allow_overlap, batch_rows=batch_rows,
                         progress=progress)
    try:
        for (index, outcome), path in zip(outcomes, paths, strict=True):
            assert index < len(paths)
            yield path, outcome
    finally:
        outcomes.close()


def load_many(
    ws: Workspace, items: Sequence[tuple[str, Callable[[], bytes] | Path]], kind: Kind, *,
    sheet: str | Sequence[str] | None = None, allow_overlap: bool = False, batch_rows: int = 0,
    progress: FileProgress | None = None,
) -> Generator[tuple[int, LoadResult | LoadError], None, None]:
    """Load files in order, yielding (position, outcome) for each, in order.

    Each item is a name and either a function giving the file's bytes or its path on disk: a big CSV
    on disk is read in chunks, never whole (see `prepare_path`).

    Each file is read, typed and checked on its own, and refused on its own, as `load_file` does. With
    `batch_rows` 0 each file then lands in its own transaction before the next is read, so stopping early
    leaves only the files already yielded. With `batch_rows` (say BATCH_ROWS), files are gathered until
    they hold that many lines; the spend CSVs among them that share a header shape are then
    typed by one statement (see `_type_staged`) and checked together, each file's report, line numbers
    and refusal its own, and the checked files land in one transaction; the checks that depend on what
    is loaded (the same bytes loaded before, lines repeating a loaded file) run inside it, measured for the
    whole batch at once and decided file by file, so a file of the batch is compared with those landed
    before it too. A file refused there adds nothing; if the write itself fails, no file of the batch lands
    and each says so. Outcomes of a batch are yielded once it has landed.

    While a file is typed on its own or a batch is typed and written (DuckDB lets go of Python as it works),
    the next files are read, decoded, fingerprinted and their headers found in a second thread. Stopping early
    leaves no copies behind.
    """
    with ws.read() as cur:
        saved = _saved_mappings(cur, kind)
        # The files loaded already, by fingerprint: a batch's file is refused at once when it is one of them
        # (checked again inside the batch's write, for files another load landed meanwhile).
        loaded = _loaded_by_sha(cur, None) if batch_rows else {}
    tell = progress or (lambda _i, _n, _m: None)

    def prepare(position: int) -> _Prepared:
        data, prepared = _read_and_prepare(position)
        # The fingerprint is taken here too, off the thread that stages and types (hashlib lets go of Python).
        sha = sha256_of(data) if data is not None and prepared is not None else None
        if batch_rows and prepared is not None and _typed_with_its_shape(kind, prepared):
            return None, prepared, sha  # read from its copy from now on: the bytes are not held meanwhile
        return data, prepared, sha

    def _read_and_prepare(position: int) -> tuple[bytes | None, PreparedFile | None]:
        name, source = items[position]
        try:
            if isinstance(source, Path):
                if name.lower().endswith(".json"):
                    return read_path(source), None  # OCDS notices are read whole, in a load of their own
                streamed = prepare_path(name, source, kind, saved_mappings=saved) if sheet is None else None
                if streamed is not None:
                    return None, streamed
                data = read_path(source)
            else:
                data = source()
            if ocds.looks_like_json(name, data):
                return data, None
            return data, prepare_file(name, data, kind, sheet=sheet, saved_mappings=saved)
        except OSError as exc:  # the cleaned copy could not be written to the temp folder
            failure = write_failure(name, exc)
            if failure is None:
                raise
            raise failure from exc

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sp-prepare") as pool, ws.read() as cur:
        # The file being checked stays first in `pending` until it is done, so that however the
        # batch ends (finished, closed, interrupted) every prepared copy is discarded below.
        pending: deque[Future[_Prepared]] = deque()
        batch: list[tuple[int, _Staged | _Checked | LoadError | LoadResult]] = []
        # The batch's tables typed from several files (see `_type_together`), dropped once the batch has landed.
        shared: list[str] = []
        rows = 0
        try:
            for index, (name, _read) in enumerate(items):
                # Up to PREPARE_AHEAD files are read and prepared ahead, so that the second thread keeps working
                # while a batch is typed and written.
                while (index + len(pending) < len(items) and len(pending) <= PREPARE_AHEAD
                       and (len(pending) < 2 or _bytes_held(pending) < PREPARE_AHEAD_BYTES)):
                    pending.append(pool.submit(prepare, index + len(pending)))
                item: _Staged | _Checked | LoadError | LoadResult
                try:
                    data, prepared, sha = pending[0].result()
                    if prepared is None:  # OCDS notices: loaded whole by load_file, in a transaction of their own
                        assert data is not None
                        item = _load_notices(ws, name, data, kind, None)
                        tell(index, name, "loaded")
                    elif batch_rows and _typed_with_its_shape(kind, prepared):
                        # Waits, its copy on disk, to be read and typed with the batch's files of its shape below.
                        staged_file = _failure_in_words(name, _stage, cur, name, sha, prepared, allow_overlap, loaded)
                        rows += staged_file.lines
                        item = staged_file
                        tell(index, name, "read")
                    else:
                        checked = _checked_or_failure(ws, cur, name, data, kind, prepared=prepared,
                                                      allow_overlap=allow_overlap)
                        rows += checked.rows
                        item = checked
                        tell(index, name, "checked" if batch_rows else "checked, writing")
                except LoadError as exc:
                    item = exc
                    tell(index, name, "refused")
                done_reading = pending.popleft()
                if not isinstance(item, _Staged):  # a staged file's copy is its own to remove, once typed
                    _discard(done_reading)
                batch.append((index, item))
                if rows >= batch_rows or index + 1 == len(items):
                    batch = _type_staged(cur, batch, tell, shared)
                    landed = _land_batch(ws, cur, [c for _, c in batch if isinstance(c, _Checked)])
                    for table in shared:
                        _drop(cur, table)
                    shared.clear()
                    shas = [r.sha256 for r in landed.values() if isinstance(r, LoadResult)]
                    if shas:
                        loaded |= _loaded_by_sha(cur, shas)
                    done, batch, rows = batch, [], 0
                    for position, outcome in done:
                        assert not isinstance(outcome, _Staged)
                        yield position, (landed[id(outcome)] if isinstance(outcome, _Checked) else outcome)
        finally:
            for future in pending:
                _discard(future)
            for _, left in batch:
                if isinstance(left, _Checked):
                    _drop_checked(cur, left)
                elif isinstance(left, _Staged):
                    left.discard(cur)
            for table in shared:
                _drop(cur, table)


def _checked_or_failure(ws: Workspace, cur: duckdb.DuckDBPyConnection, name: str, data: bytes | None, kind: Kind,
                        **options: Any) -> _Checked:
    return _failure_in_words(name, lambda: _check(cur, name, data, kind, **options))


def _failure_in_words(name: str, step: Callable[..., _T], *args: Any) -> _T:
    """`step(*args)`, a full disk or the memory limit raised as LoadError naming the file."""
    try:
        return step(*args)
    except (duckdb.Error, OSError) as exc:
        failure = write_failure(name, exc)
        if failure is None:
            raise
        raise failure from exc


def _typed_with_its_shape(kind: Kind, prepared: PreparedFile) -> bool:
    """Whether a file of a batch is typed in one statement with the batch's other files of its header shape:
    a spend CSV read whole, in one block (a workbook, a big CSV read in chunks or a file of several tables
    is typed on its own)."""
    src = prepared.source
    return (kind == "spend" and TYPE_BY_SHAPE and prepared.cells is None and prepared.sha256 is None
            and len(prepared.all_blocks()) == 1 and src.relation != src.table and _whole_file(src))


def _whole_file(src: StagedSource) -> bool:
    """Whether a block is every line under the file's header (no header below the data, none repeated)."""
    return src.first_line == 0 and src.last_line == 2**62 and not src.header_lines


@dataclass(frozen=True, eq=False)
class _Staged:
    """A spend CSV of a batch waiting to be typed with its shape: `src` reads its cleaned copy, which
    `copy` removes (see `discard`); `lines` are its lines under the header."""

    name: str
    sha: str
    src: StagedSource
    params: dict[str, Any]
    lines: int
    allow_overlap: bool
    copy: PreparedFile

    def discard(self, cur: duckdb.DuckDBPyConnection) -> None:
        """Drop the file's stage table, if it was read into one (typed on its own), and remove its copy."""
        _drop(cur, self.src.table)
        self.copy.discard()

    def shape(self) -> tuple[object, ...]:
        """Files with the same shape are typed by one statement: the same SQL and the same bound values."""
        sql = spend_sql.parse_spend_sql(replace(self.src, relation="files"), "parsed", file_column=True)
        return sql, tuple((k, str(v)) for k, v in sorted(self.params.items()) if k not in ("first_line", "last_line"))


def _stage(cur: duckdb.DuckDBPyConnection, name: str, sha: str | None, prepared: PreparedFile, allow_overlap: bool,
           loaded: dict[str, tuple[str, str]]) -> _Staged:
    """A CSV of a batch, waiting to be read and typed with the batch's files of its shape, or LoadError.

    `loaded` are the files loaded already, by fingerprint. The file's date format is chosen later, with
    the batch's other files (see `_with_date_formats`)."""
    assert sha is not None
    src = prepared.source
    try:
        if sha in loaded:
            raise AlreadyLoaded(name, *loaded[sha])
        lines = (src.physical_lines or 0) - src.header_line
        return _Staged(name, sha, src, _parse_params(cur, src, "spend", date_format=""), lines, allow_overlap, prepared)
    except BaseException:
        prepared.discard()
        raise


def _type_staged(
    cur: duckdb.DuckDBPyConnection, batch: list[tuple[int, _Staged | _Checked | LoadError | LoadResult]],
    tell: FileProgress, shared: list[str],
) -> list[tuple[int, _Staged | _Checked | LoadError | LoadResult]]:
    """The batch with each staged file typed and checked (a _Checked) or refused (a LoadError), in order.

    The files of one header shape are typed by one statement over all their stage tables (DuckDB spreads
    it over its threads) into one table, added to `shared` (the caller drops it once the batch has
    landed), and checked there together, file by file (see `_check_group`): each file's report, line
    numbers and refusal are its own, as `_check` gives them.
    """
    staged = _with_date_formats(cur, [(i, s) for i, s in batch if isinstance(s, _Staged)])
    if not staged:
        return batch
    by_index: dict[int, _Staged] = dict(staged)
    batch = [(i, by_index.get(i, item)) for i, item in batch]
    groups: dict[tuple[object, ...], list[tuple[int, _Staged]]] = {}
    for index, entry in staged:
        groups.setdefault(entry.shape(), []).append((index, entry))
    together: dict[int, _Checked | LoadError] = {}
    out: list[tuple[int, _Staged | _Checked | LoadError | LoadResult]] = []
    try:
        for members in groups.values():
            if len(members) > 1:
                table = _type_together(cur, members)
                if table is not None:
                    shared.append(table)
                    together |= _check_group(cur, members, table)
        for index, item in batch:
            if not isinstance(item, _Staged):
                out.append((index, item))
                continue
            checked = together.pop(index, None)
            if checked is None:
                try:
                    checked = _failure_in_words(item.name, _check_alone, cur, item)
                except LoadError as exc:
                    checked = exc
            tell(index, item.name, "refused" if isinstance(checked, LoadError) else "checked")
            out.append((index, checked))
        return out
    except BaseException:
        for _, done in [*out, *together.items()]:
            if isinstance(done, _Checked):
                _drop_checked(cur, done)
        raise
    finally:
        for _, entry in staged:
            entry.discard(cur)


def _with_date_formats(cur: duckdb.DuckDBPyConnection, staged: list[tuple[int, _Staged]]) -> list[tuple[int, _Staged]]:
    """Staged files with their date format chosen (as `_file_date_format` does, for all in one statement)."""
    if not staged:
        return staged
    files: list[int] = []
    dates: list[str] = []
    for number, (_, entry) in enumerate(staged):
        own = list(dict.fromkeys(entry.src.samples("payment_date")))[:DATE_SAMPLES]
        files += [number] * len(own)
        dates += own
    counts = {int(row[0]): row[1:] for row in cur.execute(spend_sql.DATE_FORMAT_COUNTS_BY_FILE,
                                                          {"files": files, "dates": dates}).fetchall()}
    return [(index, replace(entry, params=entry.params | {"date_format": _best_date_format(counts.get(number, ()))}))
            for number, (index, entry) in enumerate(staged)]


def _type_together(cur: duckdb.DuckDBPyConnection, members: Sequence[tuple[int, _Staged]]) -> str | None:
    """Files of one shape read and typed by one statement into one temp table, each row's file (its batch
    position) in `sp_file`; the table's name.

    Each file is read by its own reader (one thread each, which numbers its lines in order); DuckDB reads
    and types several files at once. A file's reader binds its own values, named after its position.
    Should that statement fail, None is returned: each file is then typed on its own, and its own error said.
    """
    first = members[0][1]
    parts: list[str] = []
    bound: dict[str, object] = {}
    for index, entry in members:
        prefix = f"f{int(index)}_"
        relation = _STAGE_PARAM.sub(rf"${prefix}\1", entry.src.relation)
        parts.append(f"SELECT {int(index)} AS sp_file, * FROM {relation}")
        bound |= {prefix + key: value for key, value in entry.src.params.items()}
    together = f"parsed_{uuid.uuid4().hex[:12]}"
    src = replace(first.src, relation=f"({' UNION ALL '.join(parts)})", params={})
    params = first.params | {"first_line": 0, "last_line": 2**62} | bound
    try:
        cur.execute(spend_sql.parse_spend_sql(src, together, file_column=True), params)
    except duckdb.Error:
        _drop(cur, together)
        return None
    return together


# A bound value of a file's reader ($stage_path ...), renamed for each file read in one statement with others.
_STAGE_PARAM = re.compile(r"\$(stage_\w+)")


def _number_by_lines(cur: duckdb.DuckDBPyConnection, members: Sequence[tuple[int, _Staged]], together: str) -> set[int]:
    """The files typed together into `together`, their rows numbered by published lines there: a file whose
    quoted cells hold line breaks has fewer records than lines, and each record's line is moved down by the
    breaks above it (as `materialise` numbers a stage table). Returns the positions of the files renumbered."""
    counts = dict(cur.execute(f"SELECT sp_file, count(*) FROM {together} GROUP BY sp_file").fetchall())
    short = [int(index) for index, entry in members if not entry.src.lines_are_exact(int(counts.get(index, 0)))]
    if short:
        cur.execute(f"""
            UPDATE {together} AS t SET line = r.new_line
            FROM (SELECT sp_file, line, line + coalesce(sum(sp_breaks) OVER (PARTITION BY sp_file ORDER BY line
                         ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS new_line
                  FROM {together} WHERE list_contains($short, sp_file)) AS r
            WHERE t.sp_file = r.sp_file AND t.line = r.line""", {"short": short})
    return set(short)


def _check_group(cur: duckdb.DuckDBPyConnection, members: Sequence[tuple[int, _Staged]],
                 together: str) -> dict[int, _Checked | LoadError]:
    """The files typed together into `together`, numbered by their published lines there (see
    `_number_by_lines`) and checked as `_check_alone` checks one: the candidate header rows and the quality
    figures of all of them by one statement each. A file with a second table lower down is left out (typed
    and checked again on its own, block by block, by the caller); so is every file when a statement for them
    all fails."""
    def own(index: int) -> str:
        return f"(SELECT * EXCLUDE (sp_file) FROM {together} WHERE sp_file = {int(index)})"

    out: dict[int, _Checked | LoadError] = {}
    try:
        renumbered = _number_by_lines(cur, members, together)
        candidates: dict[int, list[int]] = {}
        for number, line in cur.execute(
                f"SELECT sp_file, line FROM {together} WHERE maybe_header "
                f"QUALIFY row_number() OVER (PARTITION BY sp_file ORDER BY line) <= {MAX_HEADER_CANDIDATES} "
                "ORDER BY sp_file, line").fetchall():
            candidates.setdefault(int(number), []).append(int(line))
        relation = cur.execute(spend_sql.quality_by_file_sql(together))
        names = [d[0] for d in relation.description][1:]
        figures = {int(row[0]): dict(zip(names, row[1:], strict=True)) for row in relation.fetchall()}
    except duckdb.Error:
        return out
    for index, entry in members:
        blocks: tuple[StagedSource, ...] = (entry.src,)
        if index in candidates and index in renumbered:
            # Its reader numbers records, not lines, so a header lower down is looked for on its own (staged).
            continue
        try:
            if index in candidates and _failure_in_words(
                    entry.name, _split_at_headers, cur, entry.name, blocks, own(index), candidates[index]) != blocks:
                continue
            quality = _failure_in_words(entry.name, _checked_quality, cur, entry.name, entry.src, blocks, own(index),
                                        "spend", figures.get(index))
        except LoadError as exc:
            out[index] = exc
            continue
        out[index] = _Checked(entry.name, entry.sha, "spend", entry.src, own(index), quality, save_profile=False,
                              allow_overlap=entry.allow_overlap, group=together, number=index)
    return out


def _check_alone(cur: duckdb.DuckDBPyConnection, entry: _Staged) -> _Checked:
    """A file of a batch typed and checked on its own, as `_check` does: read into its stage table first
    (its lines numbered as published), then typed from there."""
    table = f"parsed_{uuid.uuid4().hex[:12]}"
    try:
        blocks: tuple[StagedSource, ...] = (materialise(cur, entry.name, entry.src),)
        _parse_blocks(cur, entry.name, blocks, table)
        split = _split_at_headers(cur, entry.name, blocks, table)
        if split != blocks:
            cur.execute(f"DROP TABLE {table}")
            blocks = split
            _parse_blocks(cur, entry.name, blocks, table)
        quality = _checked_quality(cur, entry.name, blocks[0], blocks, table, "spend")
    except BaseException:
        _drop(cur, table)
        raise
    return _Checked(entry.name, entry.sha, "spend", blocks[0], table, quality, save_profile=False,
                    allow_overlap=entry.allow_overlap)


def _land_batch(ws: Workspace, cur: duckdb.DuckDBPyConnection, checked: Sequence[_Checked]) -> dict[int, LoadResult | LoadError]:
    """Checked files into the workspace in one transaction; each one's outcome by id() of its _Checked."""
    outcomes: dict[int, LoadResult | LoadError] = {}
    if not checked:
        return outcomes
    try:
        with ws.write_on(cur) as inside:
            # Spend files whose payments go in together below, in one statement.
            waiting: list[tuple[int, _Checked, object]] | None = [] if INSERT_TOGETHER else None
            # The batch's files loaded already (by another load meanwhile): one look-up for them all; a file
            # landing below is added, so that the same bytes later in the batch are refused too.
            known: dict[str, tuple[str, str] | None] = {}
            known.update(_loaded_by_sha(inside, [e.sha for e in checked]))
            repeats = (_Repeats.measured(inside, checked)
                       if any(e.kind == "spend" and not e.allow_overlap for e in checked) else None)
            for position, entry in enumerate(checked):
                try:
                    result = _land(inside, entry, waiting, known,
                                   None if repeats is None else functools.partial(repeats.most, inside, position))
                    outcomes[id(entry)] = result
                    if repeats is not None:
                        repeats.landed[position] = result.file_id
                except LoadError as exc:  # refused before anything of it was written
                    outcomes[id(entry)] = exc
            if waiting:
                alone = [(file_id, entry, fy) for file_id, entry, fy in waiting if entry.group is None]
                groups: dict[str, list[tuple[int, int, int | None]]] = {}
                for file_id, entry, fy in waiting:
                    if entry.group is not None:
                        groups.setdefault(entry.group, []).append(
                            (entry.number, file_id, None if fy is None else int(fy)))  # type: ignore[call-overload]
                inside.execute(spend_sql.insert_many_payments_sql(
                    [(file_id, entry.parsed) for file_id, entry, _ in alone], list(groups.items())),
                    {f"undated_fy_{n}": fy for n, (_, _, fy) in enumerate(alone)})
                inside.execute(MARK_SPEND_FACTS_STALE)
    except (duckdb.Error, OSError) as exc:
        failures = {id(entry): write_failure(entry.name, exc) for entry in checked}
        if any(f is None for f in failures.values()):
            raise
        outcomes = {k: v for k, v in failures.items() if v is not None}
    finally:
        for entry in checked:
            _drop_checked(cur, entry)
    return outcomes


def _drop_checked(cur: duckdb.DuckDBPyConnection, checked: _Checked) -> None:
    """Drop a checked file's own temp table (one typed with others is the batch's to drop: see `load_many`)."""
    if checked.group is None:
        _drop(cur, checked.parsed)


def _drop(cur: duckdb.DuckDBPyConnection, table: str) -> None:
    """Drop a file's temp table; after a fatal error (a full disk) the connection refuses even that, and the
    error that caused it is the one to report."""
    with contextlib.suppress(duckdb.Error):
        cur.execute(f"DROP TABLE IF EXISTS {table}")


def _bytes_held(pending: Sequence[Future[_Prepared]]) -> int:
    """What the files prepared so far hold: their bytes in memory, or else the size of their cleaned copy on
    disk (the ones still being prepared are not counted)."""
    held = 0
    for future in pending:
        if future.done() and future.exception() is None:
            data, prepared, _ = future.result()
            held += len(data) if data is not None else _copy_size(prepared)
    return held


def _copy_size(prepared: PreparedFile | None) -> int:
    if prepared is None or prepared.temp_path is None:
        return 0
    try:
        return os.path.getsize(prepared.temp_path)
    except OSError:
        return 0


def _discard(future: Future[_Prepared]) -> None:
    """Remove the copy a preparation made (waiting for it if it is still running)."""
    if not future.cancel() and future.exception() is None:
        prepared = future.result()[1]
        if prepared is not None:
            prepared.discard()


@dataclass(frozen=True, eq=False)
class _Checked:
    """A file read, typed into temp table `parsed` and checked, waiting to land.

    A file typed with others of its shape has `group` (the table they were typed into, which its batch
    drops) and `number` (its rows' `sp_file` there), and `parsed` is then its rows of that table, a relation.
    """

    name: str
    sha: str
    kind: Kind
    src: StagedSource
    parsed: str
    quality: dict[str, Any]
    save_profile: bool
    allow_overlap: bool
    group: str | None = None
    number: int = 0

    @property
    def rows(self) -> int:
        return int(self.quality["rows"])


def load_file(
    ws: Workspace,
    name: str,
    data: bytes,
    kind: Kind,
    *,
    sheet: str | Sequence[str] | None = None,
    choice: ColumnChoice | None = None,
    progress: Progress | None = None,
    prepared: PreparedFile | None = None,
    allow_overlap: bool = False,
) -> LoadResult:
    """Load one spend or contracts file; raise LoadError (and change nothing) if it cannot be.

    `prepared` is the file already read by `prepare_file`; otherwise it is read here, with `sheet`,
    `choice` and the saved column mappings. A file whose lines are mostly those of a file loaded already
    is refused (RepeatsLoaded) unless `allow_overlap`. Staging and checking run on a private cursor
    outside the write lock; only the final insert takes the lock, so two analysts' loads overlap until
    their last step.
    """
    report = progress or (lambda _f, _m: None)
    if prepared is None and ocds.looks_like_json(name, data):
        return _load_notices(ws, name, data, kind, progress)
    checked: _Checked | None = None
    try:
        with ws.read() as cur:
            try:
                checked = _check(cur, name, data, kind, sheet=sheet, choice=choice, prepared=prepared,
                                 allow_overlap=allow_overlap, report=report)
                report(0.8, "writing to the workspace")
                with ws.write_on(cur) as inside:
                    result = _land(inside, checked)
            finally:
                if checked is not None:
                    _drop_checked(cur, checked)
    except (duckdb.Error, OSError) as exc:
        # A full disk stops the commit (or the copy, or a spill); the transaction rolled back. The clean-up
        # after it fails too, so this is caught here, around it, rather than at the commit alone.
        failure = write_failure(name, exc)
        if failure is None:
            raise
        raise failure from exc
    finally:
        if prepared is not None:
            prepared.discard()
    report(1.0, "done")
    return result


def _load_notices(ws: Workspace, name: str, data: bytes, kind: Kind, progress: Progress | None) -> LoadResult:
    """An OCDS notices file (JSON from Contracts Finder or Find a Tender): contracts, never spend."""
    if kind != "contracts":
        raise LoadError(name, "is JSON, not a spend file. If it holds contract notices (OCDS from Contracts Finder or "
                        "Find a Tender), load it as contracts.")
    sha = sha256_of(data)
    try:
        with ws.read() as cur:
            _refuse_if_loaded(cur, name, sha)
        outcome = ocds.load_notices(ws, name, data, sha, progress)
    except (duckdb.Error, OSError) as exc:
        failure = write_failure(name, exc)
        if failure is None:
            raise
        raise failure from exc
    if progress:
        progress(1.0, "done")
    return LoadResult(outcome["file_id"], name, "contracts", sha, outcome["rows"], outcome["total"], outcome["quality"])


def _check(
    cur: duckdb.DuckDBPyConnection, name: str, data: bytes | None, kind: Kind, *,
    sheet: str | Sequence[str] | None = None, choice: ColumnChoice | None = None,
    prepared: PreparedFile | None = None, allow_overlap: bool = False, report: Progress | None = None,
) -> _Checked:
    """Read, type and check one file into a temp table on `cur`; raise LoadError if it cannot be loaded.

    The checks that depend on what is loaded already run again in `_land`, inside the write.
    """
    say = report or (lambda _f, _m: None)
    if data is None:  # read from disk in chunks, fingerprint and all
        assert prepared is not None and prepared.sha256 is not None
        sha = prepared.sha256
    else:
        sha = sha256_of(data)
    try:
        _refuse_if_loaded(cur, name, sha)
        say(0.1, "reading the file")
        if prepared is None:
            assert data is not None
            prepared = prepare_file(name, data, kind, sheet=sheet, choice=choice,
                                    saved_mappings=_saved_mappings(cur, kind))
    except BaseException:
        if prepared is not None:
            prepared.discard()
        raise
    parsed = f"parsed_{uuid.uuid4().hex[:12]}"
    try:
        with staged(cur, prepared) as src:
            say(0.5, "checking every line")
            src, blocks = _parse(cur, name, prepared, src, parsed, kind)
            say(0.7, "measuring quality")
            quality = _checked_quality(cur, name, src, blocks, parsed, kind)
    except BaseException:
        cur.execute(f"DROP TABLE IF EXISTS {parsed}")
        raise
    return _Checked(name, sha, kind, src, parsed, quality, save_profile=choice is not None, allow_overlap=allow_overlap)


def _checked_quality(cur: duckdb.DuckDBPyConnection, name: str, src: StagedSource, blocks: Sequence[StagedSource],
                     parsed: str, kind: Kind, figures: dict[str, Any] | None = None) -> dict[str, Any]:
    """The quality report of a file typed into `parsed` (from its `figures` when measured already);
    LoadError when a line of it refuses the file."""
    quality = _quality(cur, src, parsed, kind, blocks, figures)
    if quality.pop("problems"):
        _refuse_on_problems(cur, name, src, parsed, kind)
    _refuse_unloadable(name, kind, quality)
    return quality


def write_failure(name: str, exc: BaseException) -> LoadError | None:
    """A load stopped by a full disk or the memory limit, in plain words; None for any other error."""
    text = str(exc)
    lowered = text.lower()
    first = next((line.strip() for line in text.splitlines() if line.strip()), type(exc).__name__)[:200]
    if (isinstance(exc, OSError) and exc.errno == errno.ENOSPC) or any(
            words in lowered for words in ("no space left", "disk is full", "disk full", "not enough space")):
        reason = "the disk is full: nothing was loaded; free space and try again."
        if isinstance(exc, duckdb.FatalException) or "invalidated" in lowered:
            reason += (" The workspace was closed after the failed write and is opened afresh on the next try: "
                       "once there is space, reload the page or run the command again.")
        return LoadError(name, reason)
    if isinstance(exc, duckdb.OutOfMemoryException):
        return LoadError(name, "there was not enough memory to load it: nothing was loaded; close other programs "
                         f"or raise SP_MEMORY_LIMIT, and try again. ({first})")
    if isinstance(exc, duckdb.IOException):
        return LoadError(name, f"reading or writing it failed: nothing was loaded; try again. ({first})")
    return None


def _saved_mappings(cur: duckdb.DuckDBPyConnection, kind: Kind) -> dict[str, dict[str, int]]:
    """The column mappings analysts chose before, by header signature."""
    return {sig: json.loads(m) for sig, m in cur.execute(SAVED_MAPPINGS, {"kind": kind}).fetchall()}


def _loaded_by_sha(cur: duckdb.DuckDBPyConnection, shas: Sequence[str] | None) -> dict[str, tuple[str, str]]:
    """The loaded files among `shas` (all when None): fingerprint -> (name, when loaded, in words)."""
    return {str(sha): (str(name), str(when))
            for sha, name, when in cur.execute(FIND_BY_SHAS, {"shas": None if shas is None else list(shas)}).fetchall()}


def _refuse_if_loaded(cur: duckdb.DuckDBPyConnection, name: str, sha: str) -> None:
    row = cur.execute(FIND_BY_SHA, {"sha": sha}).fetchone()
    if row is not None:
        raise AlreadyLoaded(name, row[0], row[1])


def _parse(
    cur: duckdb.DuckDBPyConnection, name: str, prepared: PreparedFile, src: StagedSource, parsed: str, kind: Kind
) -> tuple[StagedSource, tuple[StagedSource, ...]]:
    """Type every staged line into temp table `parsed`, block by block.

    Returns the first block (the file's report speaks of it) and every block read. A CSV's quoted line
    breaks are counted into its line numbers; a header repeated lower down splits the file into blocks,
    each mapped on its own.
    """
    blocks = prepared.all_blocks()
    if kind == "contracts" and len(blocks) > 1:
        # Sheets of a workbook read as one file: each mapped by its own header.
        for index, block in enumerate(blocks):
            limits = {"first_line": block.block_params()["first_line"], "last_line": block.last_line}
            read_into(cur, name, block, contract_sql.parse_contracts_sql(block, parsed, in_block=True, create=index == 0),
                      _parse_params(cur, block, kind) | limits)
        return blocks[0], blocks
    if kind == "contracts":
        params = _parse_params(cur, src, kind)
        read_into(cur, name, src, contract_sql.parse_contracts_sql(src, parsed), params)
        records = scalar_int(cur, f"SELECT count(*) FROM {parsed}")
        if not src.lines_are_exact(records):
            cur.execute(f"DROP TABLE {parsed}")
            src = materialise(cur, name, src)
            read_into(cur, name, src, contract_sql.parse_contracts_sql(src, parsed), params)
        return src, (src,)
    if STAGE_FIRST and len(blocks) == 1 and blocks[0].relation != blocks[0].table and prepared.sha256 is None:
        # Read the CSV into a temp table first (one thread, as the reader must, to number the lines); the
        # typing then runs on every core, and quoted line breaks are counted in the same pass. Not for a
        # big file read in chunks: typing it straight from the reader holds less in memory (measured on an
        # 87 MB file: 799 MB peak against 1,079 MB and more).
        blocks = (materialise(cur, name, blocks[0]),)
    _parse_blocks(cur, name, blocks, parsed)
    first = blocks[0]
    if len(blocks) == 1 and not first.lines_are_exact(scalar_int(cur, f"SELECT count(*) FROM {parsed}")):
        # Quoted cells with line breaks: read again from a table whose lines count those breaks.
        cur.execute(f"DROP TABLE {parsed}")
        first = materialise(cur, name, first)
        blocks = (first,)
        _parse_blocks(cur, name, blocks, parsed)
    split = _split_at_headers(cur, name, blocks, parsed)
    if split != blocks:
        cur.execute(f"DROP TABLE {parsed}")
        blocks = split
        _parse_blocks(cur, name, blocks, parsed)
    return blocks[0], blocks


def _parse_params(cur: duckdb.DuckDBPyConnection, src: StagedSource, kind: Kind,
                  date_format: str | None = None) -> dict[str, Any]:
    """The values a block's parse statement binds (a spend file's date format chosen here unless given)."""
    params: dict[str, Any] = {}
    if kind == "contracts":
        params["header_cells"] = contract_sql.header_cells(src)
    if kind == "spend":
        today = dt.date.today()
        params["earliest"] = spend_sql.EARLIEST_PLAUSIBLE_DATE
        params["latest"] = today.replace(year=today.year + spend_sql.LATEST_PLAUSIBLE_YEARS_AHEAD)
        params["date_format"] = _file_date_format(cur, src) if date_format is None else date_format
        params["not_delimiter"] = "[^" + re.escape(src.delimiter or ",") + "]"
        params["row_cells"] = max(2, len(src.header) // 2)
        params |= src.block_params()
    return params


def _parse_blocks(cur: duckdb.DuckDBPyConnection, name: str, blocks: Sequence[StagedSource], parsed: str) -> None:
    for index, block in enumerate(blocks):
        sql = spend_sql.parse_spend_sql(block, parsed, create=index == 0)
        read_into(cur, name, block, sql, _parse_params(cur, block, "spend"))


STAGE_FIRST = True
# The payments of a batch's files are inserted by one statement before its commit; False inserts each file's
# on its own (bench/alternate.py --flag INSERT_TOGETHER compares the two).
INSERT_TOGETHER = True
# Files of a batch sharing a header shape are typed by one statement (see `_type_staged`); False types each on
# its own (bench/alternate.py compares the two).
TYPE_BY_SHAPE = True

# Rows with no digit and no amount that might be a header lower down: at most this many are looked at.
MAX_HEADER_CANDIDATES = 2000


def _split_at_headers(
    cur: duckdb.DuckDBPyConnection, name: str, blocks: tuple[StagedSource, ...], parsed: str,
    candidates: Sequence[int] | None = None,
) -> tuple[StagedSource, ...]:
    """Blocks again, split where a row below a header is itself a header: the same one (a page header,
    skipped) or another naming the date, payee and amount (a second table, mapped on its own).

    `candidates` are the lines of `parsed` that may be headers, when found already."""
    lines = list(candidates) if candidates is not None else [int(r[0]) for r in cur.execute(
        f"SELECT line FROM {parsed} WHERE maybe_header ORDER BY line LIMIT {MAX_HEADER_CANDIDATES}").fetchall()]
    if not lines:
        return blocks
    first = blocks[0]
    cells_sql = ", ".join(f"c{i}" for i in range(first.width))
    rows: dict[int, tuple[str, ...]] = {}
    for block in blocks:
        found = [ln for ln in lines if block.block_params()["first_line"] <= ln <= block.last_line]  # type: ignore[operator]
        if not found:
            continue
        relation_rows = cur.execute(
            f"SELECT line, {cells_sql} FROM {block.relation} WHERE list_contains($lines, line)",
            {**block.params, "lines": found}).fetchall()
        rows |= {int(r[0]): tuple("" if v is None else str(v) for v in r[1:]) for r in relation_rows}
    out: list[StagedSource] = []
    changed = False
    for block in blocks:
        own = normalise_row(block.header)
        current = block
        repeats: list[int] = list(block.header_lines)
        start = int(block.block_params()["first_line"])  # type: ignore[call-overload]
        for line in sorted(ln for ln in rows if start <= ln <= block.last_line):
            cells = rows[line]
            if normalise_row(cells) == own:
                repeats.append(line)
                changed = True
                continue
            mapping = map_header(cells, "spend")
            if missing_required(mapping, "spend"):
                continue
            out.append(replace(current, last_line=line - 1, header_lines=tuple(repeats)))
            current = replace(block, header=tuple(cells), header_line=line, first_line=line + 1,
                              mapping=mapping, signature=header_signature(cells, "spend"), header_lines=(),
                              rows_below_header=(), recognised={k: "by its name" for k in mapping},
                              note=f"a second table starts on line {line} with its own header")
            own, repeats, changed = normalise_row(cells), [], True
        out.append(replace(current, header_lines=tuple(repeats)))
    return tuple(out) if changed else blocks


def normalise_row(cells: Sequence[str]) -> tuple[str, ...]:
    """A header row compared with another: case, padding and trailing empty cells ignored."""
    names = [normalise_header(c) for c in cells]
    while names and not names[-1]:
        names.pop()
    return tuple(names)


def _file_date_format(cur: duckdb.DuckDBPyConnection, src: StagedSource) -> str:
    """The format that reads most of the file's first dates; ties go to the earlier in the list."""
    # Distinct dates only: a month's file repeats a few dozen, and each failed try costs.
    dates = list(dict.fromkeys(src.samples("payment_date")))[:DATE_SAMPLES]
    return _best_date_format(cur.execute(spend_sql.DATE_FORMAT_COUNTS, {"dates": dates}).fetchone() or ())


def _best_date_format(counts: Sequence[int]) -> str:
    """Of DATE_FORMATS, the one read by most dates (`counts` in its order); ties go to the earlier."""
    best = max(range(len(DATE_FORMATS)), key=lambda i: (counts[i], -i)) if counts else 0
    return DATE_FORMATS[best]


def _header_name(src: StagedSource, canonical: str) -> str:
    position = src.mapping.get(canonical)
    if position is None or position >= len(src.header):
        return canonical
    return src.header[position].strip() or canonical


def _refuse_on_problems(cur: duckdb.DuckDBPyConnection, name: str, src: StagedSource, parsed: str, kind: Kind) -> None:
    problems: list[RowProblem] = []
    if kind == "spend":
        for line, row_kind, amount_text, date_text, overflow in cur.execute(spend_sql.problems_sql(parsed)).fetchall():
            if row_kind == "broken_quote":
                problems.append(RowProblem(int(line), "(whole row)", "", "a quote opened on this line never closes, "
                                           "so the lines after it run together; check the file's quotation marks"))
            elif overflow:
                # Checked before the cells' own problems: a split row puts every later cell one place out.
                problems.append(RowProblem(
                    int(line), "(whole row)", "", f"the row has more cells than the header's {len(src.header)}; "
                    "a comma inside an unquoted cell (such as 'Smith, John') may have split it"))
            elif row_kind in spend_sql.PROBLEM_KINDS:
                field, _, reason = spend_sql.PROBLEM_KINDS[row_kind]
                value = amount_text if field == "amount" else date_text
                problems.append(RowProblem(int(line), _header_name(src, field), value or "", reason))
    else:
        rows = cur.execute(contract_sql.problems_sql(parsed)).fetchall()
        for line, row_kind, *texts in rows:
            field, text_col, reason = contract_sql.PROBLEM_REASONS[row_kind]
            order = ["value_whole_life_text", "value_annual_text", "start_date_text", "end_date_text", "review_date_text"]
            value = texts[order.index(text_col)] or ""
            problems.append(RowProblem(int(line), _header_name(src, field), value, reason))
    if problems:
        count = len(problems)
        raise LoadError(
            name,
            f"{count}{'+' if count >= 50 else ''} line{'s' if count > 1 else ''} cannot be read, so nothing was loaded.",
            tuple(problems),
        )


def _quality(
    cur: duckdb.DuckDBPyConnection, src: StagedSource, parsed: str, kind: Kind,
    blocks: Sequence[StagedSource] = (), measured: dict[str, Any] | None = None,
) -> dict[str, Any]:
    if measured is None:
        sql = spend_sql.quality_sql(parsed) if kind == "spend" else contract_sql.quality_sql(parsed)
        relation = cur.execute(sql)
        names = [d[0] for d in relation.description]
        row = relation.fetchone()
        assert row is not None
        figures = dict(zip(names, row, strict=True))
    else:
        figures = dict(measured)
    skipped = {str(k): int(v) for k, v in (figures.pop("skipped") or {}).items()}
    labels = spend_sql.SKIP_REASONS if kind == "spend" else contract_sql.SKIP_REASONS
    quality: dict[str, Any] = {
        "encoding": src.encoding,
        "sheet": src.sheet,
        "header_line": src.header_line,
        "columns": {c.name: _header_name(src, c.name) for c in COLUMNS_BY_KIND[kind] if c.name in src.mapping},
        "recognised": dict(src.recognised),
        "unmapped_columns": [n for n, _ in src.unmapped()],
        "skipped": skipped,
        "skipped_described": {labels.get(k, k): v for k, v in skipped.items()},
    }
    if src.sheets:
        quality["sheets"] = list(src.sheets)
    if len(blocks) > 1 or src.note:
        quality["blocks"] = [
            {"header_line": b.header_line, "first_line": int(b.block_params()["first_line"]),  # type: ignore[call-overload]
             "last_line": min(b.last_line, 2**31), "note": b.note,
             "columns": {c.name: _header_name(b, c.name) for c in COLUMNS_BY_KIND[kind] if c.name in b.mapping}}
            for b in (blocks or (src,))
        ]
    for key in ("skipped_totals", "skipped_lines"):
        value = figures.pop(key, None)
        if value is not None:
            quality[key] = {str(k): (str(v) if isinstance(v, Decimal) else [int(x) for x in v]) for k, v in value.items()}
    for key, value in figures.items():
        if isinstance(value, Decimal):
            quality[key] = str(value)
        elif isinstance(value, dt.date):
            quality[key] = value.isoformat()
        elif isinstance(value, list):
            quality[key] = [str(v) for v in value]
        else:
            quality[key] = value
    if kind == "spend":
        published = quality.pop("published_totals") or []
        quality["published_total"] = published[-1] if published else None
        quality["published_total_matches"] = (
            Decimal(published[-1]) == Decimal(quality["total"]) if published else None
        )
        quality["rows"] = quality.pop("payments")
        _undated_year(quality)
    else:
        quality["rows"] = quality.pop("contracts")
    return quality


def _undated_year(quality: dict[str, Any]) -> None:
    """Lines without a date take the file's financial year when every dated line lies in one; else none."""
    first, last = quality.pop("first_fy", None), quality.pop("last_fy", None)
    if not quality.get("undated"):
        quality["undated_fy"] = None
        return
    quality["undated_fy"] = first if first is not None and first == last else None


def _refuse_mostly_undated(name: str, quality: dict[str, Any]) -> None:
    """A date column that mostly does not read is the wrong format, not a few lines without a date."""
    undated, rows = int(quality.get("undated") or 0), int(quality.get("rows") or 0)
    if undated and (undated == rows or undated > max(spend_sql.UNDATED_MAX_SHARE * rows, 1)):
        lines = quality.get("undated_lines") or []
        problems = tuple(RowProblem(int(line), "(whole row)", "", "no date this tool can read")
                         for line in lines[:50])
        raise LoadError(name, f"{undated:,} of {rows:,} payment lines have no date this tool can read "
                        f"(more than {spend_sql.UNDATED_MAX_SHARE:.0%}), so the date column is probably not "
                        "one it knows; nothing was loaded.", problems)


def _refuse_unloadable(name: str, kind: Kind, quality: dict[str, Any]) -> None:
    """Refuse a file with no payments (or contracts), or a spend file whose dates mostly do not read."""
    if int(quality["rows"]) == 0:
        raise LoadError(name, "no rows in it are payments or contracts (each needs a date, payee and amount, "
                        "or a title and supplier), so nothing was loaded.")
    if kind == "spend":
        _refuse_mostly_undated(name, quality)
        if quality.get("undated_lines") is not None:
            quality["undated_lines"] = [int(x) for x in quality["undated_lines"][:200]]


def _land(cur: duckdb.DuckDBPyConnection, checked: _Checked,
          waiting: list[tuple[int, _Checked, object]] | None = None,
          known: dict[str, tuple[str, str] | None] | None = None,
          repeated: Callable[[], tuple[int, str, str, int] | None] | None = None) -> LoadResult:
    """Write a checked file inside the caller's transaction (on the cursor holding its temp table).

    Refuses it (AlreadyLoaded, RepeatsLoaded) before writing anything when what is loaded now, files
    landed earlier in the same transaction included, says so. With `waiting`, a spend file's payments are
    not inserted here: (file id, parsed table, undated year) is added to it, for the caller to insert
    with the others in one statement before the commit. With `known` (the fingerprints of the transaction's
    files loaded already, with name and time, or None for a file landed in it), the file is refused by it
    rather than by a look-up of its own, and added to it once it lands. With `repeated`, the loaded file
    its lines repeat most comes from it (see `_Repeats`) rather than from a statement of its own.
    """
    name, sha, kind, src, parsed, quality = (checked.name, checked.sha, checked.kind, checked.src, checked.parsed,
                                             checked.quality)
    rows, total = int(quality["rows"]), Decimal(quality["total"])
    if known is None:
        _refuse_if_loaded(cur, name, sha)
    elif sha in known:
        found = known[sha]
        if found is None:  # landed earlier in this transaction: its time as written
            _refuse_if_loaded(cur, name, sha)
        else:
            raise AlreadyLoaded(name, *found)
    if kind == "spend" and not checked.allow_overlap:
        repeat = (repeated() if repeated is not None else
                  cur.execute(repeated_lines_sql(parsed, [(f, c.parsed) for f, c, _ in waiting or ()])).fetchone())
        if repeat is not None and int(repeat[3]) >= REPEAT_SHARE * rows:
            raise RepeatsLoaded(name, str(repeat[1]), str(repeat[2]), int(repeat[3]), rows)
    file_id = int(cur.execute(NEXT_FILE_ID).fetchone()[0])  # type: ignore[index]
    cur.execute(
        INSERT_FILE,
        {"file_id": file_id, "name": name, "sha": sha, "kind": kind, "rows": rows, "total": total,
         "sheet": src.sheet, "quality": json.dumps(quality)},
    )
    if kind == "spend" and waiting is not None:
        waiting.append((file_id, checked, quality.get("undated_fy")))
    else:
        insert = spend_sql.insert_payments_sql(parsed) if kind == "spend" else contract_sql.insert_contracts_sql(parsed)
        cur.execute(insert, {"file_id": file_id, "undated_fy": quality.get("undated_fy")} if kind == "spend"
                    else {"file_id": file_id})
        if kind == "spend":
            cur.execute(MARK_SPEND_FACTS_STALE)
    if known is not None:
        known[sha] = None
    if checked.save_profile:
        cur.execute(
            SAVE_MAPPING,
            {"signature": src.signature, "kind": kind, "header": json.dumps(list(src.header)),
             "mapping": json.dumps(src.mapping)},
        )
    return LoadResult(file_id, name, kind, sha, rows, total, quality)


def remove_file(ws: Workspace, file_id: int) -> int:
    """Remove a loaded file and every row it brought; returns how many rows went."""
    with ws.write() as cur:
        row = cur.execute(FILE_BY_ID, {"file_id": file_id}).fetchone()
        if row is None:
            raise LoadError(f"file {file_id}", "is not loaded in this workspace.")
        if row[1] == "spend":
            cur.execute(DELETE_PAYMENTS, {"file_id": file_id})
            cur.execute(DELETE_CLASSES, {"file_id": file_id})
            cur.execute(MARK_SPEND_FACTS_STALE)
        else:
            cur.execute(DELETE_CONTRACTS, {"file_id": file_id})
        cur.execute(DELETE_FILE, {"file_id": file_id})
        return int(row[2])


SAVED_CHOICES = """
SELECT signature, kind, header, mapping, created_at FROM mapping_profiles
WHERE $kind IS NULL OR kind = $kind
ORDER BY created_at DESC, kind, signature
"""
DELETE_SAVED_CHOICE = "DELETE FROM mapping_profiles WHERE signature = $signature AND kind = $kind RETURNING 1"


@dataclass(frozen=True)
class SavedChoice:
    """An analyst's column choice, saved for one header shape and applied to every later file of that shape."""

    signature: str
    kind: Kind
    header: tuple[str, ...]
    mapping: dict[str, int]
    saved_at: dt.datetime

    def column_names(self) -> str:
        """The header's shape as its column names: 'When, Who, How much'."""
        return ", ".join(cell.strip() or "(no name)" for cell in _trimmed(self.header))

    def in_words(self) -> str:
        """The mapping in words: 'Date from column 1 (When); Amount from column 3 (How much)'."""
        parts = []
        for column in COLUMNS_BY_KIND[self.kind]:
            position = self.mapping.get(column.name)
            if position is None:
                continue
            cell = self.header[position].strip() if position < len(self.header) else ""
            parts.append(f"{column.label} from column {position + 1}" + (f" ({cell})" if cell else ""))
        return "; ".join(parts) or "no columns"


def _trimmed(header: Sequence[str]) -> list[str]:
    cells = list(header)
    while cells and not str(cells[-1]).strip():
        cells.pop()
    return [str(c) for c in cells]


def saved_choices(ws: Workspace, kind: Kind | None = None) -> list[SavedChoice]:
    """The column choices saved in the workspace (of one kind, or all), newest first."""
    with ws.read() as cur:
        rows = cur.execute(SAVED_CHOICES, {"kind": kind}).fetchall()
    return [SavedChoice(str(signature), row_kind, tuple(str(c) for c in json.loads(header)),
                        {str(k): int(v) for k, v in json.loads(mapping).items()}, saved_at)
            for signature, row_kind, header, mapping, saved_at in rows]


def delete_saved_choice(ws: Workspace, signature: str, kind: Kind) -> bool:
    """Forget a saved column choice: later files of that shape are recognised (or asked about) afresh.

    Returns whether there was one to forget. Files already loaded with it keep their payments.
    """
    with ws.write() as cur:
        return bool(cur.execute(DELETE_SAVED_CHOICE, {"signature": signature, "kind": kind}).fetchall())
