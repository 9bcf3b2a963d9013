"""The workspace: one DuckDB file per deployment, opened once per process.

Readers take a `cursor()` each (one per script run or thread); every write goes through
`Workspace.write()`, which holds the process-wide write lock and one transaction, and bumps the
data version that caches key on.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from sp_analysis import sql_macros
from sp_analysis.sql import scalar_int

SCHEMA_VERSION = 9
MEMORY_LIMIT_ENV = "SP_MEMORY_LIMIT"
DEFAULT_MEMORY_LIMIT = "1500MB"

# Each entry migrates the schema from version N-1 to N. Never edit a released entry: add one.
MIGRATIONS: dict[int, str] = {
    1: """
    CREATE SEQUENCE IF NOT EXISTS file_id_seq START 1;
    CREATE TABLE loaded_files (
        file_id      INTEGER PRIMARY KEY,
        name         VARCHAR NOT NULL,
        sha256       VARCHAR NOT NULL UNIQUE,
        kind         VARCHAR NOT NULL CHECK (kind IN ('spend', 'contracts')),
        rows         INTEGER NOT NULL,
        total        DECIMAL(18, 2) NOT NULL,
        loaded_at    TIMESTAMP NOT NULL,
        sheet        VARCHAR,
        quality      JSON NOT NULL
    );
    CREATE TABLE payments (
        file_id          INTEGER NOT NULL,
        source_row       INTEGER NOT NULL,
        payment_date     DATE NOT NULL,
        financial_year   VARCHAR NOT NULL,
        fy_start         SMALLINT NOT NULL,
        month            DATE NOT NULL,
        amount           DECIMAL(18, 2) NOT NULL,
        supplier_name    VARCHAR NOT NULL,
        supplier_id      VARCHAR,
        is_redacted      BOOLEAN NOT NULL,
        department       VARCHAR,
        expense_type     VARCHAR,
        expense_code     VARCHAR,
        transaction_ref  VARCHAR,
        body             VARCHAR,
        creditor_type    VARCHAR,
        vat_number       VARCHAR,
        invoice_ref      VARCHAR,
        extra            MAP(VARCHAR, VARCHAR)
    );
    CREATE TABLE contracts (
        file_id            INTEGER NOT NULL,
        source_row         INTEGER NOT NULL,
        reference          VARCHAR,
        title              VARCHAR,
        department         VARCHAR,
        description        VARCHAR,
        supplier_name      VARCHAR,
        supplier_id        VARCHAR,
        company_number     VARCHAR,
        value_whole_life   DECIMAL(18, 2),
        value_annual       DECIMAL(18, 2),
        start_date         DATE,
        end_date           DATE,
        review_date        DATE,
        extension_options  VARCHAR,
        route              VARCHAR,
        sme                BOOLEAN,
        vcse               BOOLEAN,
        charity_number     VARCHAR,
        cpv_code           VARCHAR,
        proclass_code      VARCHAR,
        extra              MAP(VARCHAR, VARCHAR)
    );
    CREATE TABLE mapping_profiles (
        signature   VARCHAR NOT NULL,
        kind        VARCHAR NOT NULL,
        header      JSON NOT NULL,
        mapping     JSON NOT NULL,
        created_at  TIMESTAMP NOT NULL,
        PRIMARY KEY (signature, kind)
    );
    CREATE TABLE workspace_meta (
        key    VARCHAR PRIMARY KEY,
        value  VARCHAR NOT NULL
    );
    INSERT INTO workspace_meta VALUES ('data_version', '0');
    """,
    # Classification (sp_analysis/spend/classify.py): the taxonomy, the rules, and each payment's category with
    # the rule that placed it. payment_classes is rebuilt whole by classify_spend, so it has no key.
    2: """
    CREATE TABLE categories (
        category       VARCHAR PRIMARY KEY,
        impact         VARCHAR NOT NULL CHECK (impact IN ('High', 'Medium', 'Low', 'Unclassified')),
        influenceable  BOOLEAN NOT NULL,
        reason         VARCHAR NOT NULL DEFAULT ''
    );
    CREATE TABLE classification_rules (
        rule_id   VARCHAR PRIMARY KEY,
        layer     VARCHAR NOT NULL CHECK (layer IN ('supplier', 'code', 'keyword')),
        field     VARCHAR NOT NULL,
        match     VARCHAR NOT NULL CHECK (match IN ('exact', 'prefix', 'contains', 'regex')),
        pattern   VARCHAR NOT NULL CHECK (pattern <> ''),
        category  VARCHAR NOT NULL,
        priority  INTEGER NOT NULL,
        note      VARCHAR NOT NULL DEFAULT '',
        CHECK ((layer = 'supplier' AND field IN ('supplier_id', 'supplier_name'))
            OR (layer = 'code' AND field = 'expense_code')
            OR (layer = 'keyword' AND field IN ('expense_type', 'supplier_name', 'creditor_type', 'department')))
    );
    CREATE TABLE payment_classes (
        file_id     INTEGER NOT NULL,
        source_row  INTEGER NOT NULL,
        category    VARCHAR NOT NULL,
        rule_id     VARCHAR
    );
    -- An analyst's merges of supplier keys (sp_analysis/spend/suppliers.py): from_key is shown as to_key.
    CREATE TABLE supplier_merges (
        from_key    VARCHAR PRIMARY KEY,
        to_key      VARCHAR NOT NULL,
        note        VARCHAR NOT NULL DEFAULT '',
        created_at  TIMESTAMP NOT NULL
    );
    -- A published spelling an analyst took out of the supplier it was keyed to: it stands alone.
    CREATE TABLE supplier_splits (
        supplier_name  VARCHAR PRIMARY KEY,
        note           VARCHAR NOT NULL DEFAULT '',
        created_at     TIMESTAMP NOT NULL
    );
    """,
    # Flexible Framework and action plan (sp_analysis/plan/framework.py, sp_analysis/plan/actions.py). Assessments are
    # dated snapshots that copy every criterion of the theme as it stood, so history survives a council
    # replacing the criteria; action status is a dated log, so an earlier report can be reproduced.
    3: """
    CREATE TABLE ff_criteria (
        theme         VARCHAR NOT NULL,
        theme_order   SMALLINT NOT NULL,
        level         SMALLINT NOT NULL CHECK (level BETWEEN 1 AND 5),
        level_name    VARCHAR NOT NULL,
        criterion_id  VARCHAR NOT NULL,
        position      SMALLINT NOT NULL,
        criterion     VARCHAR NOT NULL,
        source_note   VARCHAR NOT NULL DEFAULT '',
        PRIMARY KEY (theme, criterion_id)
    );
    CREATE SEQUENCE ff_assessment_seq START 1;
    CREATE TABLE ff_assessments (
        assessment_id  INTEGER PRIMARY KEY,
        theme          VARCHAR NOT NULL,
        assessed_on    DATE NOT NULL,
        assessor       VARCHAR NOT NULL,
        note           VARCHAR NOT NULL DEFAULT '',
        recorded_at    TIMESTAMP NOT NULL
    );
    CREATE TABLE ff_assessment_items (
        assessment_id  INTEGER NOT NULL,
        criterion_id   VARCHAR NOT NULL,
        level          SMALLINT NOT NULL CHECK (level BETWEEN 1 AND 5),
        position       SMALLINT NOT NULL,
        criterion      VARCHAR NOT NULL,
        met            BOOLEAN NOT NULL,
        evidence       VARCHAR NOT NULL DEFAULT '',
        links          VARCHAR NOT NULL DEFAULT '',
        PRIMARY KEY (assessment_id, criterion_id)
    );
    CREATE TABLE ff_targets (
        theme        VARCHAR NOT NULL,
        level        SMALLINT NOT NULL CHECK (level BETWEEN 1 AND 5),
        target_date  DATE NOT NULL,
        note         VARCHAR NOT NULL DEFAULT '',
        PRIMARY KEY (theme, level)
    );
    CREATE TABLE plan_actions (
        action_id      INTEGER PRIMARY KEY,
        title          VARCHAR NOT NULL CHECK (title <> ''),
        themes         VARCHAR[] NOT NULL,
        level          SMALLINT CHECK (level BETWEEN 1 AND 5),
        timescale      VARCHAR NOT NULL DEFAULT '',
        start_date     DATE,
        due_date       DATE,
        measures       VARCHAR NOT NULL DEFAULT '',
        resources      VARCHAR NOT NULL DEFAULT '',
        officer        VARCHAR NOT NULL DEFAULT '',
        notes          VARCHAR NOT NULL DEFAULT '',
        data_measures  VARCHAR[] NOT NULL DEFAULT [],
        CHECK (due_date IS NULL OR start_date IS NULL OR due_date >= start_date)
    );
    CREATE TABLE plan_milestones (
        action_id  INTEGER NOT NULL,
        position   SMALLINT NOT NULL,
        milestone  VARCHAR NOT NULL,
        due_date   DATE,
        done_on    DATE,
        PRIMARY KEY (action_id, position)
    );
    CREATE SEQUENCE plan_status_seq START 1;
    CREATE TABLE plan_action_status (
        entry_id          INTEGER PRIMARY KEY,
        action_id         INTEGER NOT NULL,
        status_date       DATE NOT NULL,
        status            VARCHAR NOT NULL CHECK (status IN ('not started', 'in progress', 'done', 'dropped')),
        percent_complete  SMALLINT NOT NULL CHECK (percent_complete BETWEEN 0 AND 100),
        recorded_at       TIMESTAMP NOT NULL
    );
    """,
    # Supplier attributes (sp_analysis/ingest/supplier_list.py): the analyst's optional list of suppliers'
    # postcodes, company numbers and SME / VCSE status. Each upload replaces the list whole; the uploads
    # table keeps every upload's name, fingerprint and quality report, the latest being the one in force.
    4: """
    CREATE SEQUENCE supplier_attribute_upload_seq START 1;
    CREATE TABLE supplier_attribute_uploads (
        upload_id   INTEGER PRIMARY KEY,
        name        VARCHAR NOT NULL,
        sha256      VARCHAR NOT NULL,
        rows        INTEGER NOT NULL,
        loaded_at   TIMESTAMP NOT NULL,
        sheet       VARCHAR,
        quality     JSON NOT NULL
    );
    CREATE TABLE supplier_attributes (
        upload_id          INTEGER NOT NULL,
        source_row         INTEGER NOT NULL,
        supplier_id        VARCHAR,
        supplier_name      VARCHAR,
        postcode           VARCHAR,
        postcode_district  VARCHAR,
        company_number     VARCHAR,
        sme                BOOLEAN,
        vcse               BOOLEAN,
        CHECK (supplier_id IS NOT NULL OR supplier_name IS NOT NULL)
    );
    """,
    # Payments from any council's files (sp_analysis/ingest): a date may be a month or a period (date_precision
    # 'day', 'month', 'quarter' or 'period', with its last day in date_end), or not given at all (NULL date,
    # precision 'none', the file's one financial year or none); a workbook's sheet; the invoice and received
    # dates some files carry; the broad expense heading beside the detail; the file's own ProClass code and label.
    5: """
    ALTER TABLE payments ALTER payment_date DROP NOT NULL;
    ALTER TABLE payments ALTER month DROP NOT NULL;
    ALTER TABLE payments ALTER fy_start DROP NOT NULL;
    ALTER TABLE payments ADD COLUMN date_precision VARCHAR DEFAULT 'day';
    ALTER TABLE payments ADD COLUMN date_end DATE;
    UPDATE payments SET date_end = payment_date;
    ALTER TABLE payments ADD COLUMN sheet VARCHAR;
    ALTER TABLE payments ADD COLUMN invoice_date DATE;
    ALTER TABLE payments ADD COLUMN received_date DATE;
    ALTER TABLE payments ADD COLUMN expense_category VARCHAR;
    ALTER TABLE payments ADD COLUMN proclass_code VARCHAR;
    ALTER TABLE payments ADD COLUMN proclass_label VARCHAR;
    """,
    # Classification rules may look at the broad heading and the ProClass columns, and a fourth layer,
    # `context` (who was paid and where), is tried after the words of the line (sp_analysis/spend/classify.py).
    # DuckDB cannot alter a CHECK constraint, so the table is rebuilt with its rows.
    6: """
    CREATE TABLE classification_rules_v6 (
        rule_id   VARCHAR PRIMARY KEY,
        layer     VARCHAR NOT NULL CHECK (layer IN ('supplier', 'code', 'keyword', 'context')),
        field     VARCHAR NOT NULL,
        match     VARCHAR NOT NULL CHECK (match IN ('exact', 'prefix', 'contains', 'regex')),
        pattern   VARCHAR NOT NULL CHECK (pattern <> ''),
        category  VARCHAR NOT NULL,
        priority  INTEGER NOT NULL,
        note      VARCHAR NOT NULL DEFAULT '',
        CHECK ((layer = 'supplier' AND field IN ('supplier_id', 'supplier_name'))
            OR (layer = 'code' AND field IN ('expense_code', 'proclass_code'))
            OR (layer IN ('keyword', 'context') AND field IN ('expense_type', 'proclass_label', 'expense_code',
                'expense_category', 'supplier_name', 'creditor_type', 'department')))
    );
    INSERT INTO classification_rules_v6 SELECT * FROM classification_rules;
    DROP TABLE classification_rules;
    ALTER TABLE classification_rules_v6 RENAME TO classification_rules;
    """,
    # The Procurement Act 2023 duties (sp_analysis/contracts/act.py): the thresholds and dates the Act and its regulations
    # set, held as data with the source of each (a change of threshold is a row changed, not code); the
    # procurements an analyst plans, for the pipeline notice; the KPI register of contracts over £5m.
    7: """
    CREATE TABLE act_thresholds (
        key             VARCHAR PRIMARY KEY,
        label           VARCHAR NOT NULL,
        amount          DECIMAL(18, 2),
        unit            VARCHAR NOT NULL CHECK (unit IN ('GBP', 'percent', 'days', 'months', 'count', 'date')),
        effective_from  DATE,
        source          VARCHAR NOT NULL,
        position        SMALLINT NOT NULL,
        CHECK ((unit = 'date') = (amount IS NULL)),
        CHECK (unit <> 'date' OR effective_from IS NOT NULL)
    );
    INSERT INTO act_thresholds VALUES
    ('act_commenced', 'The Act in force: procurements begun from', NULL, 'date', DATE '2025-02-24',
     'Procurement Act 2023 (Commencement No. 3 and Transitional and Saving Provisions) Regulations 2024 (SI 2024/716), as amended',
     0),
    ('pipeline_trigger', 'Pipeline notice: payments expected under relevant contracts in the coming financial year, more than',
     100000000, 'GBP', DATE '2025-02-24', 'Procurement Act 2023, s.93(1)', 1),
    ('pipeline_contract', 'Pipeline notice: contracts with an estimated value of more than', 2000000, 'GBP',
     DATE '2025-02-24', 'Procurement Act 2023, s.93(3)', 2),
    ('pipeline_days', 'Pipeline notice: published within this many days beginning with 1 April', 56, 'days',
     DATE '2025-02-24', 'Procurement Act 2023, s.93(2)', 3),
    ('pipeline_months', 'Pipeline notice: reporting period from 1 April, months', 18, 'months',
     DATE '2025-02-24', 'Procurement Act 2023, s.93(4)', 4),
    ('kpi_contract', 'KPIs: at least three set and published for contracts with an estimated value of more than',
     5000000, 'GBP', DATE '2025-02-24', 'Procurement Act 2023, s.52(1)', 5),
    ('kpi_count', 'KPIs: at least this many for each such contract', 3, 'count', DATE '2025-02-24',
     'Procurement Act 2023, s.52(1)', 6),
    ('performance_months', 'Contract performance notice: at least once every this many months, and on termination',
     12, 'months', DATE '2026-01-01', 'Procurement Act 2023, s.71(2); in force 1 January 2026 (SI 2025/1316)', 7),
    ('payments_compliance_start', 'Payments compliance notice: first reporting period begins', NULL, 'date',
     DATE '2026-01-01', 'Procurement Act 2023, s.69(3); s.69 in force 1 January 2026 (SI 2025/1316)', 8),
    ('payment_term_days', 'Payment term: valid invoices paid within this many days', 30, 'days', DATE '2025-02-24',
     'Procurement Act 2023, s.68(2); day 1 is the day after the invoice is received (Procurement Regulations 2024, reg. 38(2)(c))',
     9),
    ('notice_days', 'Payments compliance and £30,000 notices: published within days beginning with the last day of the period',
     30, 'days', DATE '2026-01-01', 'Procurement Act 2023, s.69(1) and s.70(2)', 10),
    ('payment_over', 'Payments published each quarter: payments of more than (VAT included)', 30000, 'GBP',
     DATE '2026-04-01', 'Procurement Act 2023, s.70(1); in force 1 April 2026 for contracts procured from then (SI 2025/1316)',
     11),
    ('change_goods_services', 'Contract change notice: value raised by more than, goods or services', 10, 'percent',
     DATE '2025-02-24', 'Procurement Act 2023, s.75(2)(a)(i)', 12),
    ('change_works', 'Contract change notice: value raised by more than, works', 15, 'percent', DATE '2025-02-24',
     'Procurement Act 2023, s.75(2)(a)(ii)', 13),
    ('notifiable_below_threshold', 'Notifiable below-threshold contract (authorities other than central government): not less than',
     30000, 'GBP', DATE '2025-02-24', 'Procurement Act 2023, Part 6 (notifiable below-threshold contracts, ss.86-87)', 14),
    ('threshold_goods_services', 'Public contract threshold: goods and services, sub-central authorities (VAT included)',
     207720, 'GBP', DATE '2026-01-01', 'Procurement Act 2023, Schedule 1, as amended by SI 2025/1200 from 1 January 2026', 15),
    ('threshold_works', 'Public contract threshold: works (VAT included)', 5193000, 'GBP', DATE '2026-01-01',
     'Procurement Act 2023, Schedule 1, as amended by SI 2025/1200 from 1 January 2026', 16),
    ('threshold_light_touch', 'Public contract threshold: light touch services (VAT included)', 663540, 'GBP',
     DATE '2026-01-01', 'Procurement Act 2023, Schedule 1, as amended by SI 2025/1200 from 1 January 2026', 17),
    ('vat_rate', 'VAT standard rate, used where a file gives amounts without VAT', 20, 'percent', DATE '2011-01-04',
     'Value Added Tax Act 1994, s.2', 18);
    CREATE SEQUENCE act_planned_seq START 1;
    CREATE TABLE act_planned (
        planned_id       INTEGER PRIMARY KEY,
        title            VARCHAR NOT NULL CHECK (title <> ''),
        description      VARCHAR NOT NULL DEFAULT '',
        department       VARCHAR NOT NULL DEFAULT '',
        estimated_value  DECIMAL(18, 2) NOT NULL CHECK (estimated_value >= 0),
        notice_type      VARCHAR NOT NULL DEFAULT 'tender' CHECK (notice_type IN ('tender', 'transparency')),
        notice_date      DATE NOT NULL,
        contract_start   DATE,
        contract_end     DATE,
        cpv_code         VARCHAR NOT NULL DEFAULT '',
        lots             SMALLINT NOT NULL DEFAULT 0 CHECK (lots >= 0),
        framework        BOOLEAN NOT NULL DEFAULT false,
        note             VARCHAR NOT NULL DEFAULT '',
        CHECK (contract_end IS NULL OR contract_start IS NULL OR contract_end >= contract_start)
    );
    CREATE TABLE act_kpis (
        contract_reference  VARCHAR NOT NULL CHECK (contract_reference <> ''),
        kpi                 VARCHAR NOT NULL CHECK (kpi <> ''),
        target              VARCHAR NOT NULL DEFAULT '',
        rated_on            DATE,
        rating              VARCHAR CHECK (rating IN ('Good', 'Approaching target', 'Requires improvement',
                                                      'Inadequate', 'Other')),
        note                VARCHAR NOT NULL DEFAULT '',
        -- a KPI set but not yet rated has neither a date nor a rating
        CHECK ((rated_on IS NULL) = (rating IS NULL))
    );
    """,
    # Contracts from published notices (sp_analysis/ingest/ocds.py): each contract says where it came from
    # ('register', or 'notices' for OCDS files from Contracts Finder and Find a Tender), and a notice's contract
    # keeps its process id (ocid), notice (release) id, award id and date, buyer and supplier PPON.
    8: """
    ALTER TABLE contracts ADD COLUMN source VARCHAR DEFAULT 'register';
    UPDATE contracts SET source = 'register';
    ALTER TABLE contracts ADD COLUMN ocid VARCHAR;
    ALTER TABLE contracts ADD COLUMN notice_id VARCHAR;
    ALTER TABLE contracts ADD COLUMN award_id VARCHAR;
    ALTER TABLE contracts ADD COLUMN award_date DATE;
    ALTER TABLE contracts ADD COLUMN buyer VARCHAR;
    ALTER TABLE contracts ADD COLUMN ppon VARCHAR;
    """,
    # The register-and-notices comparison (sp_analysis/contracts/notices.py) reads its two matching tolerances from the
    # thresholds table too, so every figure that shapes a list is a row with its source, changed in Settings.
    # (Its £30,000 line is the notifiable below-threshold row already there.)
    9: """
    INSERT INTO act_thresholds VALUES
    ('notice_match_days', 'Register and notices: start dates matched when no more than this many days apart', 31,
     'days', NULL, 'A matching rule of this tool, not set in law: notices often give a start some weeks from the register''s',
     19),
    ('notice_match_value', 'Register and notices: values matched when within this share of the larger', 10,
     'percent', NULL, 'A matching rule of this tool, not set in law: notices often give a value a little off the register''s',
     20);
    """,
}

CREATE_SCHEMA_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at TIMESTAMP NOT NULL)
"""
CURRENT_SCHEMA_VERSION = "SELECT coalesce(max(version), 0) FROM schema_version"
RECORD_SCHEMA_VERSION = "INSERT INTO schema_version VALUES ($version, current_localtimestamp())"
# What the analysis table (sp_analysis/spend/facts.py) rests on has changed: it is rebuilt before the next read.
MARK_SPEND_FACTS_STALE = "INSERT OR REPLACE INTO workspace_meta VALUES ('spend_facts_stale', '1')"
# The tables sp_analysis/spend/facts.py rebuilds from the others (never backed up: rebuilt after an import).
DERIVED_TABLES = ("spend_facts", "spend_cells", "supplier_spellings", "category_evidence", "spelling_placements")
# True when they must be rebuilt before they are read: marked stale, one missing, or built by an earlier version.
SPEND_FACTS_STALE = f"""
SELECT coalesce((SELECT value FROM workspace_meta WHERE key = 'spend_facts_stale'), '1') = '1'
       OR (SELECT count(*) FROM duckdb_tables() WHERE list_contains({list(DERIVED_TABLES)}, table_name)
                                                 AND NOT temporary AND schema_name = 'main') < {len(DERIVED_TABLES)}
       -- a table built before it carried each payment's broad heading
       OR NOT EXISTS (SELECT 1 FROM duckdb_columns() WHERE table_name = 'spend_facts'
                      AND column_name = 'expense_category' AND schema_name = 'main')
"""
READ_DATA_VERSION = "SELECT CAST(value AS BIGINT) FROM workspace_meta WHERE key = 'data_version'"
BUMP_DATA_VERSION = """
UPDATE workspace_meta SET value = CAST(CAST(value AS BIGINT) + 1 AS VARCHAR) WHERE key = 'data_version'
"""


class WorkspaceError(Exception):
    """A workspace cannot be opened or used; the message is for the analyst."""


class WorkspaceLocked(WorkspaceError):
    """Another process holds the workspace file open for writing."""


class Workspace:
    """An open workspace file: a shared connection, a write lock and a data version."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        # DuckDB's memory is capped (SP_MEMORY_LIMIT, default 1500MB; 'none' lifts it): above the cap a
        # big rebuild spills to disk beside the workspace instead of growing. At ten million payments
        # that keeps the process under 2 GB for a few seconds more.
        limit = os.environ.get(MEMORY_LIMIT_ENV, DEFAULT_MEMORY_LIMIT).strip()
        config: dict[str, str | bool | int | float | list[str]] = (
            {} if limit.lower() in ("", "none", "0") else {"memory_limit": limit}
        )
        try:
            self._con = duckdb.connect(str(path), config=config)
        except duckdb.IOException as exc:
            raise _explain_open_error(path, exc) from exc
        self._write_lock = threading.RLock()
        self._migrate()

    def _migrate(self) -> None:
        with self._write_lock:
            cur = self._con.cursor()
            cur.execute("BEGIN TRANSACTION")
            try:
                cur.execute(CREATE_SCHEMA_VERSION_TABLE)
                current = scalar_int(cur, CURRENT_SCHEMA_VERSION)
                if current > SCHEMA_VERSION:
                    raise WorkspaceError(
                        f"The workspace {self.path} was written by a newer version of this tool "
                        f"(schema {current}; this one knows up to {SCHEMA_VERSION})."
                    )
                for version in range(current + 1, SCHEMA_VERSION + 1):
                    cur.execute(MIGRATIONS[version])
                    cur.execute(RECORD_SCHEMA_VERSION, {"version": version})
                # Macros follow the code, not the file, so they are replaced on every open.
                for statement in sql_macros.MACROS:
                    cur.execute(statement)
                cur.execute("COMMIT")
            except Exception:
                # A failed COMMIT (a full disk) has ended the transaction already: keep the first error.
                with contextlib.suppress(duckdb.Error):
                    cur.execute("ROLLBACK")
                raise
            finally:
                cur.close()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor for one script run or thread; close it when done."""
        return self._con.cursor()

    @contextmanager
    def read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor that is closed afterwards."""
        cur = self._con.cursor()
        try:
            yield cur
        finally:
            cur.close()

    @contextmanager
    def write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One transaction under the process-wide write lock; all of it lands or none."""
        cur = self._con.cursor()
        try:
            with self.write_on(cur) as inside:
                yield inside
        finally:
            cur.close()

    @contextmanager
    def write_on(self, cur: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
        """As `write`, on a cursor the caller owns (one holding temp tables staged for the write)."""
        with self._write_lock:
            cur.execute("BEGIN TRANSACTION")
            try:
                yield cur
                cur.execute(BUMP_DATA_VERSION)
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise

    def data_version(self) -> int:
        """A number that changes with every committed write: the cache key for query results."""
        with self.read() as cur:
            return scalar_int(cur, READ_DATA_VERSION)

    def close(self) -> None:
        """Close the file (checkpointing it)."""
        self._con.close()

    def invalidated(self) -> bool:
        """Whether DuckDB has given up on this connection after a fatal error (a write that hit a full disk,
        say): it refuses every statement until the file is opened again."""
        try:
            with self.read() as cur:
                cur.execute("SELECT 1").fetchone()
        except (duckdb.FatalException, duckdb.ConnectionException):
            return True
        except duckdb.Error as exc:
            return "invalidated" in str(exc).lower()
        return False




def _explain_open_error(path: Path, exc: duckdb.IOException) -> WorkspaceError:
    message = str(exc)
    if "lock" in message.lower():
        pid = re.search(r"PID (\d+)", message)
        holder = f" (process {pid.group(1)})" if pid else ""
        return WorkspaceLocked(
            f"The workspace {path} is open in another program{holder}, probably the dashboard. "
            "Close that program, or load the files through the dashboard's Upload page, "
            "or pass --workspace to use another file."
        )
    return WorkspaceError(f"Cannot open the workspace {path}: {message}")


_open: dict[Path, Workspace] = {}
_open_lock = threading.Lock()


def open_workspace(path: Path) -> Workspace:
    """The process's one Workspace for this file, opened (and migrated) on first use."""
    key = path.resolve()
    with _open_lock:
        ws = _open.get(key)
        if ws is not None and ws.invalidated():
            # After a fatal error (a full disk during a write) the file is opened afresh: DuckDB replays
            # its log, so what had committed is there and the failed write is not.
            del _open[key]
            with contextlib.suppress(duckdb.Error):
                ws.close()
            ws = None
        if ws is None:
            ws = Workspace(key)
            _open[key] = ws
        return ws


def close_workspace(path: Path) -> None:
    """Close and forget this process's Workspace for the file, if open."""
    with _open_lock:
        ws = _open.pop(path.resolve(), None)
    if ws is not None:
        ws.close()
