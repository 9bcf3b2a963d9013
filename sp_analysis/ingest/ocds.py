"""Contracts from published notices: Open Contracting Data Standard (OCDS) JSON, as Contracts Finder and
Find a Tender give it (release packages and record packages, OCDS 1.0 and 1.1).

What is read, per award (one contract row per award and supplier):

- the notice: `ocid` (the contracting process), the release `id` (the notice), its date, the buyer
  (`buyer.name`, else the party with the `buyer` role; in 1.0 `buyer` is a whole organisation), the
  tender's title, description, CPV code (`items[].classification` with scheme CPV) and procurement method;
- the award: its id, status, date, title, `value.amount` and `value.currency`, `contractPeriod` start and
  end dates (else those of the contract that names the award in `awardID`, whose `value` and `dateSigned`
  also stand in for missing award ones);
- each supplier: its name (the award's reference, else the party it points to, else the identifier's legal
  name), Companies House number (identifier scheme `GB-COH`), PPON (`GB-PPON`), charity number (`GB-CHC`,
  `GB-SC`, `GB-NIC`) from `identifier` and `additionalIdentifiers` of the party (1.1) or of the supplier
  object itself (1.0), and whether it is an SME (`details.scale`: micro, sme or selfEmployed; large is not).

Known faults of published notices, handled and reported (never dropped in silence):

- a company number given to differently named suppliers in one file is not used for any of them;
- a supplier with no name anywhere keeps its company number, or is skipped when it has neither;
- a date that is not a calendar date (2024-02-30), or before 1990 or after 2100, is left out (the contract
  kept without it); an end date before the start date is left out;
- an award with no value, a value of 0 or below, or a value in another currency than pounds, keeps no value;
- a later release of the same award in the file supersedes the earlier; an award already loaded from
  another file is not loaded again; cancelled, unsuccessful and pending awards, and notices with no award
  (tender, planning and engagement notices) load nothing.

An award with several suppliers (a framework) gives a row per supplier; its value is counted once, on the
first supplier's row. The JSON is read and typed in DuckDB, in bulk.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import duckdb

from sp_analysis.ingest.errors import AlreadyLoaded, LoadError, RowProblem
from sp_analysis.words import day

Progress = Callable[[float, str], object]
SOURCE = "notices"  # contracts.source for rows loaded from OCDS notices ('register' for a register's rows)
EARLIEST_YEAR, LATEST_YEAR = 1990, 2100
EXAMPLES = 5  # ocids named per reported fault
INACTIVE_AWARDS = ("cancelled", "unsuccessful", "pending")
SME_SCALES = ("micro", "sme", "selfemployed")
CHARITY_SCHEMES = ("GB-CHC", "GB-SC", "GB-NIC")


def looks_like_json(name: str, data: bytes) -> bool:
    """Whether a file is JSON (by its name, or its first character), so read as OCDS rather than as a table."""
    if name.lower().endswith(".json"):
        return True
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"{") or (head.startswith(b"[") and head[1:].lstrip(b" \t\r\n").startswith(b"{"))


def _text(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise LoadError(name, f"is not UTF-8 text (byte {exc.start:,}, line {line:,}); OCDS JSON is always UTF-8, "
                        "so nothing was loaded.", (RowProblem(line, "(whole file)", "", "not UTF-8"),)) from exc


def _json_problem(cur: duckdb.DuckDBPyConnection, name: str, text: str) -> None:
    """Refuse text that is not JSON, naming the line (DuckDB names the byte)."""
    try:
        cur.execute("SELECT CAST($doc AS JSON) IS NOT NULL", {"doc": text}).fetchall()
    except duckdb.ConversionException as exc:
        found = re.search(r"at byte (\d+)", str(exc))
        offset = int(found.group(1)) if found else 0
        line = text.encode("utf-8")[:offset].count(b"\n") + 1
        raise LoadError(name, f"is not valid JSON: it breaks off or holds a mistake on line {line:,} (byte {offset:,}), "
                        "so nothing was loaded. A notice file saved whole from Contracts Finder or Find a Tender "
                        "reads; check the download finished.",
                        (RowProblem(line, "(JSON)", "", "malformed JSON"),)) from None


def _date(column: str) -> str:
    """SQL: the calendar date of an ISO 8601 text (its first 10 characters), NULL when none or impossible."""
    return (f"CASE WHEN regexp_matches({column}, '^\\s*\\d{{4}}-\\d{{2}}-\\d{{2}}') "
            f"THEN try_cast(substr(trim({column}), 1, 10) AS DATE) END")


def _date_state(column: str) -> str:
    """SQL: 'none', 'ok' or 'impossible' for an ISO 8601 date text."""
    day = _date(column)
    return (f"CASE WHEN nullif(trim({column}), '') IS NULL THEN 'none' "
            f"WHEN {day} IS NULL OR year({day}) NOT BETWEEN {EARLIEST_YEAR} AND {LATEST_YEAR} THEN 'impossible' "
            "ELSE 'ok' END")


def _first_cpv(lists: str) -> str:
    """SQL: the id of the first CPV classification in a JSON list of classifications."""
    return (f"json_extract_string(list_filter({lists}, lambda c: upper(json_extract_string(c, '$.scheme')) = 'CPV')[1], "
            "'$.id')")


def _identifier(schemes: tuple[str, ...]) -> str:
    names = ", ".join(f"'{s}'" for s in schemes)
    return (f"nullif(trim(json_extract_string(list_filter(ids, lambda i: list_contains([{names}], "
            "upper(trim(json_extract_string(i, '$.scheme')))))[1], '$.id')), '')")


def stage_sql(t: str) -> list[str]:
    """The statements that read `$doc` into temp tables, ending with {t}_releases, {t}_awards and {t}_rows."""
    return [
        # Every release in the file: a release package's releases, a record package's compiled releases (or,
        # without one, the record's own releases), a lone release, or a list of any of these. Each step is a
        # table of its own, so the document is parsed once.
        f"""
        CREATE TEMP TABLE {t}_packages AS
        WITH d AS (SELECT CAST($doc AS JSON) AS j),
        top AS (SELECT CASE WHEN json_type(j) = 'ARRAY' THEN json_extract(j, '$[*]') ELSE [j] END AS items FROM d)
        SELECT unnest(items) AS p, generate_subscripts(items, 1) AS pkg FROM top
        """,
        f"""
        CREATE TEMP TABLE {t}_shaped AS
        SELECT pkg, p, coalesce(json_extract_string(p, '$.version'), '1.0') AS version,
               CASE WHEN json_type(p, '$.releases') = 'ARRAY' THEN 'release package'
                    WHEN json_type(p, '$.records') = 'ARRAY' THEN 'record package'
                    WHEN json_type(p, '$.ocid') = 'VARCHAR' THEN 'release' END AS shape
        FROM {t}_packages
        """,
        f"""
        CREATE TEMP TABLE {t}_records AS
        SELECT pkg, version, unnest(l) AS rec, generate_subscripts(l, 1) AS pos
        FROM (SELECT pkg, version, json_extract(p, '$.records[*]') AS l FROM {t}_shaped WHERE shape = 'record package')
        """,
        f"""
        CREATE TEMP TABLE {t}_found AS
        SELECT pkg, 'release package' AS shape, version, unnest(l) AS r, generate_subscripts(l, 1) AS pos, 0 AS sub
        FROM (SELECT pkg, version, json_extract(p, '$.releases[*]') AS l FROM {t}_shaped
              WHERE shape = 'release package')
        UNION ALL
        SELECT pkg, 'release', version, p, 1, 0 FROM {t}_shaped WHERE shape = 'release'
        UNION ALL
        SELECT pkg, 'record package', version, json_extract(rec, '$.compiledRelease'), pos, 0
        FROM {t}_records WHERE json_type(rec, '$.compiledRelease') = 'OBJECT'
        UNION ALL
        SELECT pkg, 'record package', version, unnest(l), pos, generate_subscripts(l, 1)
        FROM (SELECT pkg, version, pos, json_extract(rec, '$.releases[*]') AS l FROM {t}_records
              WHERE json_type(rec, '$.compiledRelease') IS DISTINCT FROM 'OBJECT')
        """,
        f"""
        CREATE TEMP TABLE {t}_releases AS
        SELECT pkg, shape, version, pos, sub, r,
               json_extract_string(r, '$.ocid') AS ocid, json_extract_string(r, '$.id') AS release_id,
               json_extract_string(r, '$.date') AS release_date,
               coalesce(json_extract_string(r, '$.tag[*]'), []) AS tags,
               coalesce(json_type(r, '$.awards') = 'ARRAY' AND json_array_length(r, '$.awards') > 0, false) AS has_awards
        FROM {t}_found
        UNION ALL
        SELECT pkg, NULL, version, 0, 0, NULL, NULL, NULL, NULL, [], false FROM {t}_shaped WHERE shape IS NULL
        """,
        f"""
        CREATE TEMP TABLE {t}_awards AS
        WITH a AS (
            SELECT r.* EXCLUDE (r), r.r, unnest(json_extract(r.r, '$.awards[*]')) AS aw,
                   generate_subscripts(json_extract(r.r, '$.awards[*]'), 1) AS apos
            FROM {t}_releases r WHERE has_awards
        ),
        k AS (
            SELECT *, coalesce(json_extract_string(aw, '$.id'), 'position ' || apos) AS award_id,
                   list_filter(coalesce(json_extract(r, '$.contracts[*]'), []),
                               lambda c: json_extract_string(c, '$.awardID') = json_extract_string(aw, '$.id'))[1] AS ct,
                   json_extract(r, '$.tender') AS tender,
                   coalesce(json_extract(r, '$.parties[*]'), []) AS parties
            FROM a
        )
        SELECT *,
            lower(trim(json_extract_string(aw, '$.status'))) AS award_status,
            nullif(trim(coalesce(json_extract_string(aw, '$.value.amount'), json_extract_string(ct, '$.value.amount'))), '')
                AS amount_text,
            upper(trim(coalesce(json_extract_string(aw, '$.value.currency'), json_extract_string(ct, '$.value.currency'))))
                AS currency,
            coalesce(json_extract_string(aw, '$.contractPeriod.startDate'), json_extract_string(ct, '$.period.startDate'))
                AS start_text,
            coalesce(json_extract_string(aw, '$.contractPeriod.endDate'), json_extract_string(ct, '$.period.endDate'))
                AS end_text,
            coalesce(json_extract_string(aw, '$.contractPeriod.maxExtentDate'),
                     json_extract_string(ct, '$.period.maxExtentDate')) AS max_extent_text,
            coalesce(json_extract_string(aw, '$.date'), json_extract_string(ct, '$.dateSigned')) AS award_date_text,
            nullif(trim(coalesce(json_extract_string(aw, '$.title'), json_extract_string(ct, '$.title'),
                                 json_extract_string(tender, '$.title'))), '') AS title,
            nullif(trim(coalesce(json_extract_string(aw, '$.description'), json_extract_string(ct, '$.description'),
                                 json_extract_string(tender, '$.description'))), '') AS description,
            coalesce({_first_cpv("json_extract(aw, '$.items[*].classification')")},
                     {_first_cpv("json_extract(ct, '$.items[*].classification')")},
                     {_first_cpv("json_extract(tender, '$.items[*].classification')")},
                     {_first_cpv("[json_extract(tender, '$.classification')]")}) AS cpv_code,
            nullif(trim(coalesce(json_extract_string(tender, '$.procurementMethodDetails'),
                                 json_extract_string(tender, '$.procurementMethod'))), '') AS route,
            nullif(trim(coalesce(json_extract_string(r, '$.buyer.name'),
                json_extract_string(list_filter(parties, lambda p: list_contains(
                    coalesce(json_extract_string(p, '$.roles[*]'), []), 'buyer'))[1], '$.name'))), '') AS buyer,
            coalesce(json_array_length(aw, '$.suppliers'), 0) AS suppliers_in_award,
            row_number() OVER (PARTITION BY ocid, coalesce(json_extract_string(aw, '$.id'), 'position ' || apos)
                               ORDER BY release_date DESC NULLS LAST, pkg DESC, pos DESC, sub DESC) AS version_rank
        FROM k
        """,
        # One row per award and supplier, typed.
        f"""
        CREATE TEMP TABLE {t}_rows AS
        WITH s AS (
            SELECT a.* EXCLUDE (r, aw, ct, tender), unnest(json_extract(a.aw, '$.suppliers[*]')) AS sup,
                   generate_subscripts(json_extract(a.aw, '$.suppliers[*]'), 1) AS spos
            FROM {t}_awards a
        ),
        p AS (
            SELECT s.*, list_filter(parties, lambda x: json_extract_string(x, '$.id') = json_extract_string(sup, '$.id'))[1]
                AS party
            FROM s
        ),
        i AS (
            SELECT p.* EXCLUDE (parties),
                list_concat([coalesce(json_extract(party, '$.identifier'), json_extract(sup, '$.identifier'))],
                            coalesce(json_extract(party, '$.additionalIdentifiers[*]'),
                                     json_extract(sup, '$.additionalIdentifiers[*]'), [])) AS ids,
                coalesce(nullif(trim(json_extract_string(sup, '$.name')), ''),
                         nullif(trim(json_extract_string(party, '$.name')), ''),
                         nullif(trim(json_extract_string(party, '$.identifier.legalName')), ''),
                         nullif(trim(json_extract_string(sup, '$.identifier.legalName')), '')) AS supplier_name,
                lower(trim(coalesce(json_extract_string(party, '$.details.scale'),
                                    json_extract_string(sup, '$.details.scale')))) AS scale
            FROM p
        ),
        typed AS (
            SELECT i.* EXCLUDE (ids, party, sup),
                nullif(sp_known_id(coalesce({_identifier(("GB-COH",))},
                    nullif(regexp_extract(coalesce(json_extract_string(sup, '$.id'), ''), '^GB-COH-(.+)$', 1), ''))), '')
                    AS company_raw,
                sp_known_id({_identifier(("GB-PPON",))}) AS ppon,
                sp_known_id({_identifier(CHARITY_SCHEMES)}) AS charity_number,
                sp_parse_amount(amount_text) AS amount,
                {_date("start_text")} AS start_day, {_date_state("start_text")} AS start_state,
                {_date("end_text")} AS end_day, {_date_state("end_text")} AS end_state,
                {_date("award_date_text")} AS award_day, {_date_state("award_date_text")} AS award_state,
                {_date("max_extent_text")} AS max_extent_day
            FROM i
        )
        SELECT *,
            CASE WHEN company_raw IS NULL THEN NULL
                 WHEN regexp_full_match(upper(replace(company_raw, ' ', '')), '[0-9]{{1,8}}')
                     THEN lpad(upper(replace(company_raw, ' ', '')), 8, '0')
                 ELSE upper(replace(company_raw, ' ', '')) END AS company_number,
            CASE WHEN amount_text IS NULL THEN 'none'
                 WHEN amount IS NULL THEN 'unreadable'
                 WHEN currency IS NOT NULL AND currency <> 'GBP' THEN 'currency'
                 WHEN amount <= 0 THEN 'not_positive'
                 ELSE 'ok' END AS value_state,
            sp_supplier_name_key(supplier_name) AS name_key
        FROM typed
        """,
    ]


def classify_sql(t: str) -> str:
    """Each row's fate: loaded, or skipped with a reason; and the facts each report line counts."""
    inactive = ", ".join(f"'{s}'" for s in INACTIVE_AWARDS)
    return f"""
    CREATE TEMP TABLE {t}_fate AS
    WITH shared AS (
        SELECT company_number, string_agg(DISTINCT supplier_name, '; ' ORDER BY supplier_name) AS names
        FROM {t}_rows WHERE company_number IS NOT NULL AND version_rank = 1
        GROUP BY company_number HAVING count(DISTINCT name_key) > 1
    ),
    loaded AS (
        SELECT DISTINCT ocid, award_id FROM contracts WHERE source = '{SOURCE}'
    )
    SELECT r.*, sh.names AS shared_names,
        CASE WHEN r.version_rank > 1 THEN 'superseded'
             WHEN list_contains([{inactive}], r.award_status) THEN 'award_not_active'
             WHEN r.supplier_name IS NULL AND r.company_number IS NULL THEN 'no_supplier'
             WHEN l.ocid IS NOT NULL THEN 'already_loaded'
             ELSE 'contract' END AS row_kind,
        row_number() OVER (ORDER BY r.pkg, r.pos, r.sub, r.apos, r.spos) AS source_row
    FROM {t}_rows r
    LEFT JOIN shared sh ON sh.company_number = r.company_number
    LEFT JOIN loaded l ON l.ocid = r.ocid AND l.award_id = r.award_id
    """


# Awards with no supplier at all never reach {t}_rows: they are counted from {t}_awards.
FIGURES_SQL = """
SELECT
    (SELECT count(*) FROM {t}_releases WHERE shape IS NOT NULL) AS releases,
    (SELECT count(*) FROM {t}_releases WHERE shape IS NULL) AS unknown_parts,
    (SELECT list(DISTINCT shape ORDER BY shape) FILTER (WHERE shape IS NOT NULL) FROM {t}_releases) AS shapes,
    (SELECT list(DISTINCT version ORDER BY version) FILTER (WHERE shape IS NOT NULL) FROM {t}_releases) AS versions,
    (SELECT count(*) FROM {t}_releases WHERE shape IS NOT NULL AND NOT has_awards) AS no_award,
    (SELECT count(*) FROM {t}_awards) AS awards,
    (SELECT count(*) FROM {t}_awards a WHERE version_rank = 1 AND NOT list_contains([{inactive}], award_status)
        AND coalesce(json_array_length(a.aw, '$.suppliers'), 0) = 0) AS awards_without_suppliers,
    (SELECT list(DISTINCT ocid ORDER BY ocid)[1:{examples}] FROM {t}_awards a WHERE version_rank = 1
        AND NOT list_contains([{inactive}], award_status)
        AND coalesce(json_array_length(a.aw, '$.suppliers'), 0) = 0) AS awards_without_suppliers_examples
"""


def _issue(where: str, label: str) -> str:
    return (f"SELECT '{label}' AS issue, count(*) AS n, "
            f"list(DISTINCT ocid ORDER BY ocid)[1:{EXAMPLES}] AS examples FROM {{t}}_fate WHERE row_kind = 'contract' "
            f"AND ({where})")


# What was loaded with a fault worth knowing, in the order the report lists them. Value faults are counted on
# the row that carries the award's value (the first supplier's).
ISSUES: tuple[tuple[str, str, str], ...] = (
    ("no_value", "spos = 1 AND value_state = 'none'", "awards with no value published (kept without a value)"),
    ("not_positive", "spos = 1 AND value_state = 'not_positive'",
     "awards whose value is 0 or below (often a framework; kept without a value)"),
    ("unreadable_value", "spos = 1 AND value_state = 'unreadable'",
     "awards whose value is not a number (kept without a value)"),
    ("other_currency", "spos = 1 AND value_state = 'currency'",
     "awards valued in another currency than pounds (kept without a value)"),
    ("no_dates", "start_state = 'none' AND end_state = 'none' AND award_state = 'none'",
     "contracts with no start, end or award date"),
    ("impossible_start", "start_state = 'impossible'",
     f"start dates that are not real dates or lie outside {EARLIEST_YEAR}-{LATEST_YEAR} (left out)"),
    ("impossible_end", "end_state = 'impossible'",
     f"end dates that are not real dates or lie outside {EARLIEST_YEAR}-{LATEST_YEAR} (left out)"),
    ("impossible_award_date", "award_state = 'impossible'",
     f"award dates that are not real dates or lie outside {EARLIEST_YEAR}-{LATEST_YEAR} (left out)"),
    ("end_before_start", "start_state = 'ok' AND end_state = 'ok' AND end_day < start_day",
     "end dates before the start date (end date left out)"),
    ("shared_identifier", "shared_names IS NOT NULL",
     "suppliers whose company number is also given to a differently named supplier (number not used)"),
    ("no_name", "supplier_name IS NULL", "suppliers with no name, only a company number"),
    ("several_suppliers", "spos > 1",
     "further suppliers of an award with several (the award's value is counted once, on the first supplier)"),
)

SKIP_REASONS = {
    "superseded": "earlier versions of an award that a later notice in the file updates",
    "award_not_active": "awards cancelled, unsuccessful or pending",
    "no_supplier": "suppliers with neither a name nor a company number",
    "already_loaded": "awards already loaded from another notices file",
    "no_award": "notices with no award (tender, planning or engagement notices)",
    "award_without_supplier": "awards that name no supplier",
}

INSERT_SQL = """
INSERT INTO contracts (file_id, source_row, reference, title, department, description, supplier_name, supplier_id,
    company_number, value_whole_life, value_annual, start_date, end_date, review_date, extension_options, route, sme,
    vcse, charity_number, cpv_code, proclass_code, extra, source, ocid, notice_id, award_id, award_date, buyer, ppon)
SELECT $file_id, source_row, ocid, title, NULL, description, supplier_name, NULL,
    CASE WHEN shared_names IS NULL THEN company_number END,
    CASE WHEN spos = 1 AND value_state = 'ok' THEN CAST(amount AS DECIMAL(18, 2)) END, NULL,
    CASE WHEN start_state = 'ok' THEN start_day END,
    CASE WHEN end_state = 'ok' AND NOT (start_state = 'ok' AND end_day < start_day) THEN end_day END,
    NULL, NULL, route,
    CASE WHEN list_contains({sme}, scale) THEN true WHEN scale = 'large' THEN false END,
    NULL, charity_number, cpv_code, NULL,
    map_from_entries(list_filter([
        {{'key': 'Award status', 'value': award_status}},
        {{'key': 'Award value (whole award)', 'value': CAST(amount AS VARCHAR)}},
        {{'key': 'Currency', 'value': currency}},
        {{'key': 'Suppliers in the award', 'value': CAST(suppliers_in_award AS VARCHAR)}},
        {{'key': 'Latest end with extensions', 'value': CAST(max_extent_day AS VARCHAR)}},
        {{'key': 'Company number given (not used: shared)', 'value': CASE WHEN shared_names IS NOT NULL
                                                                         THEN company_number END}},
        {{'key': 'OCDS version', 'value': version}}
    ], lambda e: e.value IS NOT NULL)),
    '{source}', ocid, release_id, award_id, CASE WHEN award_state = 'ok' THEN award_day END, buyer, ppon
FROM {t}_fate WHERE row_kind = 'contract' ORDER BY source_row
"""


def load_notices(ws: Any, name: str, data: bytes, sha: str, progress: Progress | None = None) -> dict[str, Any]:
    """Read an OCDS file and insert its awards as contracts (source 'notices'), all in one transaction.

    Returns {'file_id', 'rows', 'total', 'quality'}; raises LoadError (and changes nothing) when the file is not
    OCDS JSON or holds no award to load. The caller has checked the file was not loaded before.
    """
    report = progress or (lambda _f, _m: None)
    text = _text(data, name)
    t = f"oc_{uuid.uuid4().hex[:12]}"
    tables = [f"{t}_{s}" for s in ("packages", "shaped", "records", "found", "releases", "awards", "rows", "fate")]
    with ws.read() as cur:
        try:
            report(0.2, "reading the JSON")
            _json_problem(cur, name, text)
            for sql in stage_sql(t):
                cur.execute(sql, {"doc": text} if "$doc" in sql else {})
            report(0.5, "checking every award")
            cur.execute(classify_sql(t))
            quality = _quality(cur, t, name)
            report(0.8, "writing to the workspace")
            with ws.write_on(cur) as w:
                # Checked again under the lock: the same file, or awards, that another load wrote meanwhile.
                earlier = w.execute("SELECT name, strftime(loaded_at, '%d %b %Y %H:%M') FROM loaded_files "
                                    "WHERE sha256 = $sha", {"sha": sha}).fetchone()
                if earlier is not None:
                    raise AlreadyLoaded(name, str(earlier[0]), str(earlier[1]))
                w.execute(f"DROP TABLE {t}_fate")
                w.execute(classify_sql(t))
                quality = _quality(w, t, name)
                file_id = int(w.execute("SELECT nextval('file_id_seq')").fetchone()[0])  # type: ignore[index]
                w.execute("INSERT INTO loaded_files (file_id, name, sha256, kind, rows, total, loaded_at, sheet, quality) "
                          "VALUES ($file_id, $name, $sha, 'contracts', $rows, $total, current_localtimestamp(), NULL, "
                          "$quality)",
                          {"file_id": file_id, "name": name, "sha": sha, "rows": quality["rows"],
                           "total": Decimal(quality["total"]), "quality": json.dumps(quality)})
                w.execute(INSERT_SQL.format(t=t, source=SOURCE, sme="[" + ", ".join(f"'{s}'" for s in SME_SCALES) + "]"),
                          {"file_id": file_id})
        finally:
            for table in tables:
                cur.execute(f"DROP TABLE IF EXISTS {table}")
    return {"file_id": file_id, "rows": quality["rows"], "total": Decimal(quality["total"]), "quality": quality}


def _quality(cur: duckdb.DuckDBPyConnection, t: str, name: str) -> dict[str, Any]:
    inactive = ", ".join(f"'{s}'" for s in INACTIVE_AWARDS)
    relation = cur.execute(FIGURES_SQL.format(t=t, inactive=inactive, examples=EXAMPLES))
    figures = dict(zip([d[0] for d in relation.description], relation.fetchone() or (), strict=True))
    if not figures["releases"]:
        raise LoadError(name, "is JSON but not an OCDS release or record package (it has no 'releases' or 'records' "
                        "list, and is not a release with an 'ocid'), so nothing was loaded. Download the notices as "
                        "OCDS JSON from Contracts Finder or Find a Tender.")
    loaded = cur.execute(f"""
        SELECT count(*), coalesce(sum(CAST(amount AS DECIMAL(18, 2))) FILTER (WHERE spos = 1 AND value_state = 'ok'), 0),
               count(*) FILTER (WHERE end_state <> 'ok' OR (start_state = 'ok' AND end_day < start_day)),
               min(start_day) FILTER (WHERE start_state = 'ok'),
               max(end_day) FILTER (WHERE end_state = 'ok' AND NOT (start_state = 'ok' AND end_day < start_day)),
               count(*) FILTER (WHERE NOT (list_contains({_sme_list()}, scale) OR scale = 'large'))
        FROM {t}_fate WHERE row_kind = 'contract'""").fetchone()
    assert loaded is not None
    rows, total, no_end, first, last, sme_unknown = loaded
    skipped = {str(k): int(v) for k, v in cur.execute(
        f"SELECT row_kind, count(*) FROM {t}_fate WHERE row_kind <> 'contract' GROUP BY ALL ORDER BY 1").fetchall()}
    if figures["no_award"]:
        skipped["no_award"] = int(figures["no_award"])
    if figures["awards_without_suppliers"]:
        skipped["award_without_supplier"] = int(figures["awards_without_suppliers"])
    skip_examples = {str(k): [str(x) for x in v] for k, v in cur.execute(
        f"SELECT row_kind, list(DISTINCT ocid ORDER BY ocid)[1:{EXAMPLES}] FROM {t}_fate "
        "WHERE row_kind <> 'contract' GROUP BY ALL").fetchall()}
    if figures["awards_without_suppliers"]:
        skip_examples["award_without_supplier"] = [str(x) for x in figures["awards_without_suppliers_examples"]]
    issues: dict[str, dict[str, Any]] = {}
    union = " UNION ALL ".join(_issue(where, key) for key, where, _ in ISSUES).format(t=t)
    for issue, count, examples in cur.execute(union).fetchall():
        if count:
            issues[str(issue)] = {"count": int(count), "examples": [str(x) for x in examples]}
    shared = [{"company_number": str(c), "suppliers": str(n)} for c, n in cur.execute(
        f"SELECT DISTINCT company_number, shared_names FROM {t}_fate WHERE shared_names IS NOT NULL "
        "AND row_kind = 'contract' ORDER BY 1 LIMIT 20").fetchall()]
    if not rows:
        reasons = "; ".join(f"{n:,} {SKIP_REASONS.get(k, k)}" for k, n in skipped.items()) or "it holds no award"
        raise LoadError(name, f"holds no award that can be loaded as a contract ({reasons}), so nothing was loaded.")
    return {
        "source": SOURCE,
        "format": ", ".join(figures["shapes"] or []),
        "ocds_versions": [str(v) for v in figures["versions"] or []],
        "releases": int(figures["releases"]),
        "unknown_parts": int(figures["unknown_parts"]),
        "awards": int(figures["awards"]),
        "rows_read": int(figures["releases"]),
        "rows": int(rows),
        "total": str(total),
        "annual_total": "0.00",
        "no_value": sum(v["count"] for k, v in issues.items()
                        if k in ("no_value", "not_positive", "unreadable_value", "other_currency")),
        "no_end_date": int(no_end),
        "sme_unknown": int(sme_unknown),
        "vcse_unknown": int(rows),
        "first_date": first.isoformat() if first else None,
        "last_date": last.isoformat() if last else None,
        "skipped": skipped,
        "skipped_described": {SKIP_REASONS.get(k, k): v for k, v in skipped.items()},
        "skipped_examples": skip_examples,
        "issues": issues,
        "shared_identifiers": shared,
        "columns": {}, "recognised": {}, "unmapped_columns": [],
    }


def _sme_list() -> str:
    return "[" + ", ".join(f"'{s}'" for s in SME_SCALES) + "]"


ISSUE_WORDS = {key: words for key, _, words in ISSUES}


def describe_notices(quality: dict[str, Any]) -> list[tuple[str, str]]:
    """The quality report of a notices file in plain words (the Upload page's table)."""
    def money(text: str | None) -> str:
        return "none" if text is None else f"£{Decimal(text):,.2f}"

    lines: list[tuple[str, str]] = [
        ("Read as", f"OCDS JSON ({quality.get('format') or 'not recorded'}; version "
                    f"{', '.join(quality.get('ocds_versions') or []) or 'not given'})"),
        ("Releases (notices) read", f"{quality.get('releases', 0):,}"),
        ("Awards read", f"{quality.get('awards', 0):,}"),
        ("Contracts loaded (one per award and supplier)", f"{quality.get('rows', 0):,}"),
        ("Total value of the awards loaded", money(quality.get("total"))),
        ("Contract dates", f"{day(quality.get('first_date')) or 'no start date'} to "
                           f"{day(quality.get('last_date')) or 'no end date'}"),
    ]
    skipped = quality.get("skipped") or {}
    examples = quality.get("skipped_examples") or {}
    for key, count in skipped.items():
        named = examples.get(key) or []
        lines.append((f"Not loaded: {SKIP_REASONS.get(key, key)}",
                      f"{count:,}" + (f" (e.g. {', '.join(named)})" if named else "")))
    if not skipped:
        lines.append(("Not loaded", "none"))
    issues = quality.get("issues") or {}
    for key, item in issues.items():
        lines.append((f"Loaded, but: {ISSUE_WORDS.get(key, key)}",
                      f"{item['count']:,} (e.g. {', '.join(item['examples'])})"))
    for shared in quality.get("shared_identifiers") or []:
        lines.append(("Company number shared", f"{shared['company_number']}: {shared['suppliers']}"))
    if quality.get("unknown_parts"):
        lines.append(("Parts of the file that are not OCDS (not read)", f"{quality['unknown_parts']:,}"))
    return lines
