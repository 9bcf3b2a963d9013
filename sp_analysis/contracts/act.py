"""The Procurement Act 2023 duties, answered from the council's own data.

Every figure here comes from tables the product already holds: the payments (with their invoice received dates,
where a file gives them), the contracts register (`contracts`, which a loader of published notices fills too) and
the renewal pipeline built on it (`reprocurement.renewal_pipeline`). The thresholds and dates are rows of the workspace
table `act_thresholds`, each with its source; changing one is a data change (Settings page), not code.

Decisions (each is said again on the Procurement Act page, next to the figure it shapes):

- **Pipeline notice (s.93).** The trigger is tested for the financial year of the notice (N, from 1 April):
  last year is the financial year before the one in progress (N-2), this year is the one in progress (N-1).
  The estimate of what the council will pay is this year's influenceable spend at its run rate (its total x 12 /
  the months with payments); with no month of this year loaded, last year's total. The line is crossed when the
  estimate is *more than* the trigger (s.93(1)), so exactly £100m is not over it. Influenceable spend stands in
  for "payments under relevant contracts": grants, payments to individuals and other non-procurement lines are
  left out, but so is nothing else, so the figure is an upper bound.
- **The pipeline list.** The reporting period runs for 18 months from 1 April of year N (1 April N to 30
  September N+1, both days included). A contract in the register is listed when its expected tender notice date,
  the date its re-procurement must start (the Renewals page's intervention date: end date minus lead time), falls
  in the period and its estimated value is more than £2m. The estimated value is the register's contract value;
  where the register gives none, the run rate of actual spend with the supplier (its spend in the 12 months to
  the latest payment loaded), said so in the row. Planned procurements the analyst adds are listed when their
  notice date is in the period and their value is more than £2m.
- **Payments compliance (s.69, reg. 38).** Reporting periods end on 31 March and 30 September; the first begins on
  the day s.69 came into force (1 January 2026 in England). Payments in scope are positive, day-dated lines in
  influenceable categories (credit notes are not payments; grants and other non-procurement lines are out of
  scope) with an invoice received date. Days to pay = payment date - received date, so day 1 is the day after
  receipt (reg. 38(2)(c)); a payment on the day of receipt is day 0 and counts in the 1-30 band. Average = the
  arithmetic mean (reg. 38(3)). A sum became payable on the day the payment term ends (received date + 30 days,
  s.68(2)); the share not paid in the period is of the sums payable in it paid after its last day. Only paid
  lines are published, so an invoice still unpaid when the last file was published is not seen.
- **Payments over £30,000 (s.70).** From 1 April 2026, for contracts procured from then: a contract in the
  register counts when its start date is on or after 1 April 2026 (a register gives no procurement start date).
  A payment is under it when it is to the contract's supplier and dated within its term (the matching rule of
  `contracts/register.py`, shown in each row). Spend files carry no VAT amount: when the analyst says the amounts exclude
  VAT, the standard rate is added before the £30,000 test; each row says which test it passed.
- **Contracts over £5m (s.52, s.71).** Contracts over £5m started on or after the Act came into force (24
  February 2025), or with KPIs in the register here (a council may register KPIs of an older contract), live on or
  after s.71's commencement. A contract performance notice is due 12 months after the last rating (or
  after the later of the contract's start and s.71's commencement, when none is recorded), and on termination
  (the end date) when that comes first.
- **Contract changes (s.75(2)).** Spend within a contract's published term above its value by more than 10%
  (goods and services) or 15% (works: CPV division 45, or the Construction category when no CPV is given).
- **Below-threshold line (Part 6).** Supplier-years of £30,000 or more influenceable spend with no live contract
  in the register, the £100k compliance list's rule at the notifiable below-threshold value.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pandas as pd

from sp_analysis.contracts import on_contract, reprocurement, terms
from sp_analysis.contracts import register as contracts
from sp_analysis.spend.facts import ensure_current
from sp_analysis.sql import fetch_frame, run_with_frame
from sp_analysis.words import day, decimal_text, pounds, total
from sp_analysis.workspace import Workspace

PENNY = Decimal("0.01")
RATINGS: tuple[str, ...] = ("Good", "Approaching target", "Requires improvement", "Inadequate", "Other")
NOTICE_TYPES: tuple[str, ...] = ("tender", "transparency")

DEFINITIONS: dict[str, str] = {
    "trigger": "Influenceable spend (all categories but grants, payments to individuals and other non-procurement "
               "lines) in the financial year in progress, at its run rate: its total x 12 / the months with payments. "
               "With no month of that year loaded, the year before's total. The line is crossed when the estimate is "
               "more than the trigger (Procurement Act 2023, s.93(1)).",
    "pipeline": "Contracts with an estimated value of more than £2m whose tender or transparency notice is expected in "
                "the 18 months from 1 April (s.93(3) and (4)): contracts in the register whose re-procurement must "
                "start in that period (end date minus the lead time, as on the Renewals page), and the planned "
                "procurements added here.",
    "estimated_value": "The register's contract value (whole-life, or annual value x term); where the register gives "
                       "none, the run rate of actual spend with the supplier: its spend in the 12 months to the latest "
                       "payment loaded.",
    "days_to_pay": "Payment date minus invoice received date: day 1 is the first day after the invoice day (the day the "
                   "invoice was received), Procurement Regulations 2024, reg. 38(2)(c)(i). Average: the arithmetic mean "
                   "(reg. 38(3)). The Regulations count a payment as made when the supplier receives it (reg. 38(4)); "
                   "a spend file gives the day the council paid, so a payment that takes days to arrive counts that "
                   "much sooner here.",
    "compliance_scope": "Positive payments dated to the day, in influenceable categories, with an invoice received date. "
                        "Credit notes, grants, payments to individuals and other non-procurement lines are out of scope.",
    "not_paid": "Of the sums that became payable in the period (received date + 30 days, s.68(2)), the share paid after "
                "the period's last day. It needs the files of the months after the period: until a payment dated after "
                "it is loaded, the share is not known. Invoices not yet paid are in no published file, so they are not "
                "counted.",
    "over_30k": "Payments of more than £30,000 to a contract's supplier within the term of a contract in the register that "
                "started on or after 1 April 2026 (s.70(1), in force for contracts procured from then).",
    "kpi_due": "Contracts over £5m that started on or after 24 February 2025 (when the Act came into force), or whose "
               "KPIs are in the register here. A contract performance notice (s.71(2)) is due 12 months after the last "
               "KPI rating recorded, or after the "
               "later of the contract's start and 1 January 2026 when none is; and on termination (the end date) when "
               "that comes first.",
    "change": "Spend with the supplier within the contract's published term above the contract's value by more than 10% "
              "(goods and services) or 15% (works), s.75(2)(a). Works: CPV division 45, or the Construction category "
              "where no CPV code is given.",
    "below_threshold": "Supplier-years whose influenceable spend is £30,000 or more with no contract in the register whose "
                       "term overlaps the financial year (the notifiable below-threshold value, Part 6 of the Act).",
}


# --- thresholds -------------------------------------------------------------------------------------------------

THRESHOLDS = """
SELECT key, label, amount, unit, effective_from, source FROM act_thresholds ORDER BY position
"""
UPDATE_THRESHOLD = """
UPDATE act_thresholds SET amount = $amount, effective_from = coalesce($effective_from, effective_from), source = $source
WHERE key = $key
"""


@dataclass(frozen=True)
class Thresholds:
    """The workspace's Procurement Act thresholds and dates, by key."""

    amounts: dict[str, Decimal]
    dates: dict[str, dt.date]

    def amount(self, key: str) -> Decimal:
        """A threshold's amount (pounds, per cent, days, months or a count)."""
        return self.amounts[key]

    def date(self, key: str) -> dt.date:
        """A threshold's date: a date row's value, or the day a threshold applies from."""
        return self.dates[key]

    def fraction(self, key: str) -> Decimal:
        """A per cent row as a fraction (10 -> 0.10)."""
        return self.amounts[key] / 100

    def whole(self, key: str) -> int:
        """A days, months or count row as a whole number."""
        return int(self.amounts[key])


def thresholds_table(ws: Workspace) -> pd.DataFrame:
    """Every threshold with its unit, the date it applies from and its source, in the order shown."""
    with ws.read() as cur:
        return fetch_frame(cur, THRESHOLDS)


def load_thresholds(ws: Workspace) -> Thresholds:
    """The thresholds as numbers and dates."""
    frame = thresholds_table(ws)
    amounts = {k: Decimal(a) for k, a in zip(frame["key"], frame["amount"], strict=True) if a is not None and a == a}
    dates = {k: d for k, d in zip(frame["key"], frame["effective_from"], strict=True) if isinstance(d, dt.date)}
    return Thresholds(amounts, dates)


def describe_threshold(amount: Decimal | None, unit: str, effective_from: dt.date | None) -> str:
    """'£100,000,000.00', '10%', '30 days', '1 January 2026'."""
    if unit == "date":
        return f"{effective_from:%-d %B %Y}" if effective_from else ""
    if amount is None:
        return ""
    if unit == "GBP":
        return pounds(amount)
    if unit == "percent":
        return f"{amount.normalize():f}%"
    number = f"{int(amount):,}"
    return {"days": f"{number} days", "months": f"{number} months"}.get(unit, number)


def set_threshold(ws: Workspace, key: str, value: str, effective_from: dt.date | None, source: str) -> None:
    """Change one threshold (its amount, or for a date row its date), with the source of the new figure; without a
    date, the date it applies from stays as it was."""
    frame = thresholds_table(ws)
    rows = frame[frame["key"] == key]
    if rows.empty:
        raise ValueError(f"there is no threshold '{key}'")
    unit = rows["unit"].iloc[0]
    if not source.strip():
        raise ValueError("say where the new figure comes from (the instrument and its section)")
    amount: Decimal | None = None
    if unit == "date":
        if effective_from is None:
            raise ValueError("give the date")
    else:
        text = value.strip().replace(",", "").replace("£", "").rstrip("%").strip()
        try:
            amount = Decimal(text)
        except ArithmeticError:
            raise ValueError(f"'{value}' is not a number") from None
        if not amount.is_finite() or amount < 0:
            raise ValueError(f"'{value}' is not a number of zero or more")
        if unit in ("days", "months", "count") and amount != amount.to_integral_value():
            raise ValueError(f"'{value}' should be a whole number of {unit}")
        amount = amount.quantize(PENNY)
    with ws.write() as cur:
        cur.execute(UPDATE_THRESHOLD, {"key": key, "amount": amount, "effective_from": effective_from,
                                       "source": source.strip()})


# --- dates ------------------------------------------------------------------------------------------------------


def fy_label(fy_start: int) -> str:
    """2025 -> '2025/26'."""
    return f"{fy_start}/{(fy_start + 1) % 100:02d}"


def fy_start_of(day: dt.date) -> int:
    """The year the financial year holding `day` starts in (1 April)."""
    return day.year if day.month >= 4 else day.year - 1


def within_days(last_day: dt.date, days: int) -> dt.date:
    """The last day of a period of `days` days beginning with `last_day` (the Act's wording): 30 days from
    31 March is 29 April; 56 days from 1 April is 26 May."""
    return last_day + dt.timedelta(days=days - 1)


LATEST_PAYMENT = "SELECT max(payment_date) FROM payments"


def latest_payment(ws: Workspace) -> dt.date | None:
    """The latest payment date loaded, or None."""
    with ws.read() as cur:
        row = cur.execute(LATEST_PAYMENT).fetchone()
    return row[0] if row else None


def default_notice_year(ws: Workspace, today: dt.date) -> int:
    """The financial year after the one holding the latest payment loaded (else after today's)."""
    latest = latest_payment(ws)
    return fy_start_of(latest or today) + 1


# --- 1. the pipeline notice -------------------------------------------------------------------------------------

TRIGGER_SPEND = """
SELECT fy_start, coalesce(sum(amount), 0) AS total, count(DISTINCT month) AS months
FROM spend_facts WHERE influenceable AND fy_start IN ($last_year, $this_year)
GROUP BY fy_start
"""


@dataclass(frozen=True)
class PipelineTrigger:
    """The s.93(1) test for the financial year starting 1 April `notice_year`."""

    notice_year: int
    last_year_total: Decimal
    last_year_months: int
    this_year_total: Decimal
    this_year_months: int
    estimate: Decimal
    basis: str
    line: Decimal
    due: dt.date
    window_start: dt.date
    window_end: dt.date

    @property
    def crossed(self) -> bool:
        """More than the line: exactly the line is not over it."""
        return self.estimate > self.line

    @property
    def last_year(self) -> str:
        """The financial year before the one in progress."""
        return fy_label(self.notice_year - 2)

    @property
    def this_year(self) -> str:
        """The financial year in progress when the notice is prepared."""
        return fy_label(self.notice_year - 1)

    def years_used(self) -> str:
        """Which financial years the test reads, and why: the notice is prepared before 1 April of its year, when
        the year before it is in progress and the one before that is the last complete one."""
        said = (f"The {fy_label(self.notice_year)} notice is prepared before 1 April {self.notice_year}, while "
                f"{self.this_year} is in progress: {self.last_year} is then the last complete financial year "
                f"({pounds(self.last_year_total)} of influenceable spend, {self.last_year_months} months with "
                f"payments) and the estimate is {self.this_year}'s run rate")
        if self.this_year_months == 12:
            return said + f". All 12 months of {self.this_year} are loaded, so its whole year is the estimate."
        if self.this_year_months:
            return said + (f": {pounds(self.this_year_total)} over the {self.this_year_months} month"
                           f"{'s' if self.this_year_months != 1 else ''} loaded, x 12 / {self.this_year_months}.")
        return said + f", but no month of it is loaded, so {self.last_year}'s total stands in for it."

    def due_wording(self, as_at: dt.date) -> str:
        """'due by 26 May 2027', or once that day has passed 'past its deadline of 26 May 2026 (check that it was
        published)'."""
        return due_wording(self.due, as_at)

    def as_dict(self) -> dict[str, Any]:
        """For `summary --json`."""
        return {
            "notice_financial_year": fy_label(self.notice_year), "due_by": self.due.isoformat(),
            "last_year": self.last_year, "last_year_influenceable": decimal_text(self.last_year_total),
            "this_year": self.this_year, "this_year_influenceable": decimal_text(self.this_year_total),
            "this_year_months": self.this_year_months, "estimate": decimal_text(self.estimate), "basis": self.basis,
            "trigger": decimal_text(self.line), "crossed": self.crossed,
        }


def due_wording(due: dt.date, as_at: dt.date) -> str:
    """'due by <day>' up to and including the last day; after it, 'past its deadline of <day> (check that it was
    published)': the workspace cannot know whether the council has published it."""
    if as_at > due:
        return f"past its deadline of {due:%-d %B %Y} (check that it was published)"
    return f"due by {due:%-d %B %Y}"


def pipeline_window(notice_year: int, months: int = 18) -> tuple[dt.date, dt.date]:
    """The reporting period: from 1 April of the notice's year for `months` months, both ends included."""
    start = dt.date(notice_year, 4, 1)
    return start, reprocurement.add_months(start, months) - dt.timedelta(days=1)


def pipeline_trigger(ws: Workspace, notice_year: int) -> PipelineTrigger:
    """Whether the council expects to pay more than the trigger in the notice's financial year (s.93(1))."""
    ensure_current(ws)
    limits = load_thresholds(ws)
    with ws.read() as cur:
        rows = cur.execute(TRIGGER_SPEND, {"last_year": notice_year - 2, "this_year": notice_year - 1}).fetchall()
    found = {int(fy): (Decimal(total), int(months)) for fy, total, months in rows}
    last_total, last_months = found.get(notice_year - 2, (Decimal(0), 0))
    this_total, this_months = found.get(notice_year - 1, (Decimal(0), 0))
    if this_months:
        estimate = (this_total * 12 / this_months).quantize(PENNY, ROUND_HALF_UP)
        basis = (f"{fy_label(notice_year - 1)}'s whole year, {pounds(this_total)}" if this_months == 12 else
                 f"{fy_label(notice_year - 1)} at its run rate: {pounds(this_total)} over {this_months} month"
                 f"{'s' if this_months != 1 else ''}, x 12 / {this_months}")
    else:
        estimate = last_total
        basis = f"{fy_label(notice_year - 2)}'s total (no month of {fy_label(notice_year - 1)} is loaded)"
    start, end = pipeline_window(notice_year, limits.whole("pipeline_months"))
    return PipelineTrigger(notice_year, last_total, last_months, this_total, this_months, estimate, basis,
                           limits.amount("pipeline_trigger"), within_days(start, limits.whole("pipeline_days")),
                           start, end)


SUPPLIER_RUN_RATE = """
WITH last AS (SELECT max(payment_date) AS d FROM spend_facts)
SELECT s.supplier_key, sum(s.amount) AS run_rate, any_value(last.d) AS to_date
FROM spend_facts s, last
WHERE s.payment_date > CAST(last.d - INTERVAL 12 MONTH AS DATE) AND s.payment_date <= last.d
GROUP BY s.supplier_key
"""
PLANNED = """
SELECT planned_id, title, description, department, estimated_value, notice_type, notice_date, contract_start,
       contract_end, cpv_code, lots, framework, note
FROM act_planned ORDER BY notice_date, planned_id
"""
PLANNED_COLUMNS: tuple[str, ...] = ("title", "description", "department", "estimated_value", "notice_type",
                                    "notice_date", "contract_start", "contract_end", "cpv_code", "lots",
                                    "framework", "note")
# A saved row keeps its planned_id (its PLAN-n reference); only a new row (no planned_id) draws the next number.
REPLACE_PLANNED = (
    "DELETE FROM act_planned",
    """
    INSERT INTO act_planned
    SELECT planned_id, title, description, department, estimated_value, notice_type, notice_date,
           contract_start, contract_end, cpv_code, lots, framework, note
    FROM planned_in WHERE planned_id IS NOT NULL
    """,
    """
    INSERT INTO act_planned
    SELECT nextval('act_planned_seq'), title, description, department, estimated_value, notice_type, notice_date,
           contract_start, contract_end, cpv_code, lots, framework, note
    FROM planned_in WHERE planned_id IS NULL ORDER BY position
    """,
)
PLANNED_IDS = "SELECT planned_id FROM act_planned"

# The pipeline list, shaped like the notice's fields: what is to be procured, its value, when the notice is
# expected, when the contract would run, its CPV code, lots and whether it is a framework.
NOTICE_FIELDS: dict[str, str] = {
    "source": "Source", "reference": "Reference", "title": "Title", "description": "Description",
    "department": "Department", "estimated_value": "Estimated value (£)", "value_basis": "Estimated value basis",
    "notice_type": "Expected notice", "expected_notice_date": "Expected notice publication date",
    "contract_start": "Expected contract start", "contract_end": "Expected contract end",
    "cpv_code": "Main CPV code", "lots": "Number of lots (0: not divided)", "framework": "Framework",
    "current_supplier": "Current supplier",
}


def planned_procurements(ws: Workspace) -> pd.DataFrame:
    """The procurements the analyst has planned, by notice date."""
    with ws.read() as cur:
        return fetch_frame(cur, PLANNED)


def _text_or_blank(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and value != value) else str(value).strip()


def _date_or_none(value: Any, what: str, line: int) -> dt.date | None:
    if value is None or (isinstance(value, float) and value != value) or value is pd.NaT or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise ValueError(f"line {line}: the {what} '{value}' is not a date (write 2026-09-30)") from None


def planned_reference(planned_id: int) -> str:
    """A planned procurement's reference in the pipeline list: 'PLAN-3'."""
    return f"PLAN-{planned_id}"


def _planned_id(value: Any, line: int, known: set[int], seen: set[int]) -> int | None:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value) or str(value).strip() == "":
        return None
    text = str(value).strip().upper().removeprefix("PLAN-")
    try:
        number = int(Decimal(text))
    except ArithmeticError:
        raise ValueError(f"line {line}: the reference '{value}' is not one this workspace gave") from None
    if number not in known:
        raise ValueError(f"line {line}: the reference {planned_reference(number)} is not one this workspace gave "
                         "(leave it empty for a new procurement)")
    if number in seen:
        raise ValueError(f"line {line}: the reference {planned_reference(number)} appears twice")
    seen.add(number)
    return number


def save_planned(ws: Workspace, frame: pd.DataFrame) -> int:
    """Replace the planned procurements with these rows (blank rows dropped); ValueError names the line and why. A
    row with a planned_id (a procurement saved before) keeps it, so its PLAN-n reference stays; a new row gets the
    next number."""
    with ws.read() as cur:
        known = {int(r[0]) for r in cur.execute(PLANNED_IDS).fetchall()}
    seen: set[int] = set()
    rows: list[dict[str, Any]] = []
    for line, record in enumerate(frame.to_dict("records"), start=1):
        title = _text_or_blank(record.get("title"))
        if not title and all(_text_or_blank(record.get(c)) in ("", "False", "0") for c in PLANNED_COLUMNS):
            continue
        if not title:
            raise ValueError(f"line {line}: give the procurement a title")
        try:
            value = Decimal(_text_or_blank(record.get("estimated_value")).replace(",", "").replace("£", "") or "x")
        except ArithmeticError:
            raise ValueError(f"line {line} ({title}): the estimated value is not an amount") from None
        if not value.is_finite() or value < 0:
            raise ValueError(f"line {line} ({title}): the estimated value must be zero or more")
        notice_type = (_text_or_blank(record.get("notice_type")) or "tender").lower()
        if notice_type not in NOTICE_TYPES:
            raise ValueError(f"line {line} ({title}): the notice is 'tender' or 'transparency', not '{notice_type}'")
        notice_date = _date_or_none(record.get("notice_date"), "notice date", line)
        if notice_date is None:
            raise ValueError(f"line {line} ({title}): give the expected notice date")
        start = _date_or_none(record.get("contract_start"), "contract start", line)
        end = _date_or_none(record.get("contract_end"), "contract end", line)
        if start and end and end < start:
            raise ValueError(f"line {line} ({title}): the contract ends before it starts")
        lots_text = _text_or_blank(record.get("lots")) or "0"
        try:
            lots = int(Decimal(lots_text))
        except ArithmeticError:
            raise ValueError(f"line {line} ({title}): the number of lots '{lots_text}' is not a whole number") from None
        if lots < 0:
            raise ValueError(f"line {line} ({title}): the number of lots cannot be below 0")
        framework = record.get("framework")
        rows.append({"planned_id": _planned_id(record.get("planned_id"), line, known, seen), "position": line,
                     "title": title, "description": _text_or_blank(record.get("description")),
                     "department": _text_or_blank(record.get("department")), "estimated_value": value.quantize(PENNY),
                     "notice_type": notice_type, "notice_date": notice_date, "contract_start": start,
                     "contract_end": end, "cpv_code": _text_or_blank(record.get("cpv_code")), "lots": lots,
                     "framework": bool(framework) and str(framework).lower() not in ("false", "no", "0"),
                     "note": _text_or_blank(record.get("note"))})
    staged = pd.DataFrame(rows, columns=["planned_id", "position", *PLANNED_COLUMNS])
    staged["planned_id"] = staged["planned_id"].astype("Int64")
    with ws.write() as cur:
        run_with_frame(cur, "planned_in", staged, REPLACE_PLANNED)
    return len(rows)


def pipeline_contracts(ws: Workspace, notice_year: int, lead: terms.LeadTimes | None = None) -> pd.DataFrame:
    """The contracts for the pipeline notice (see DEFINITIONS['pipeline']), by expected notice date."""
    limits = load_thresholds(ws)
    lead = lead or terms.lead_times(ws)
    start, end = pipeline_window(notice_year, limits.whole("pipeline_months"))
    over = limits.amount("pipeline_contract")
    months = min(120, limits.whole("pipeline_months") + max(lead.months))
    renewals = reprocurement.renewal_pipeline(ws, start, months, lead=lead)
    renewals = renewals[(renewals["intervention_date"] >= start) & (renewals["intervention_date"] <= end)]
    with ws.read() as cur:
        rates = fetch_frame(cur, SUPPLIER_RUN_RATE)
    renewals = renewals.merge(rates, on="supplier_key", how="left")
    rows: list[dict[str, Any]] = []
    for r in renewals.itertuples():
        value = r.contract_value if r.contract_value is not None and r.contract_value == r.contract_value else None
        if value is not None:
            basis = f"contract register ({r.value_basis})"
        elif r.run_rate is not None and r.run_rate == r.run_rate:
            value = Decimal(r.run_rate)
            basis = f"run rate of actual spend with the supplier: 12 months to {r.to_date:%-d %B %Y}"
        else:
            continue
        if Decimal(value) <= over:
            continue
        rows.append({"source": "Renewal of a contract in the register", "reference": r.reference, "title": r.title,
                     "description": _text_or_blank(r.description), "department": _text_or_blank(r.department),
                     "estimated_value": Decimal(value), "value_basis": basis, "notice_type": "tender",
                     "expected_notice_date": r.intervention_date,
                     "contract_start": r.ends_on + dt.timedelta(days=1), "contract_end": None,
                     "cpv_code": _text_or_blank(r.cpv_code), "lots": 0,
                     "framework": "framework" in _text_or_blank(r.route).lower(),
                     "current_supplier": _text_or_blank(r.supplier_name)})
    planned = planned_procurements(ws)
    planned = planned[(planned["notice_date"] >= start) & (planned["notice_date"] <= end)
                      & (planned["estimated_value"].map(lambda v: Decimal(v) > over))]
    for p in planned.itertuples():
        rows.append({"source": "Planned procurement", "reference": planned_reference(int(p.planned_id)), "title": p.title,
                     "description": p.description, "department": p.department,
                     "estimated_value": Decimal(p.estimated_value), "value_basis": "planned procurement (analyst's estimate)",
                     "notice_type": p.notice_type, "expected_notice_date": p.notice_date,
                     "contract_start": p.contract_start, "contract_end": p.contract_end, "cpv_code": p.cpv_code,
                     "lots": int(p.lots), "framework": bool(p.framework), "current_supplier": ""})
    frame = pd.DataFrame(rows, columns=list(NOTICE_FIELDS))
    return frame.sort_values(["expected_notice_date", "reference"], kind="stable").reset_index(drop=True)


def notice_export(frame: pd.DataFrame) -> pd.DataFrame:
    """The pipeline list with the notice's field names, dates as ISO text, money exact (a number in XLSX), yes / no."""
    shown = frame.copy()
    for column in ("expected_notice_date", "contract_start", "contract_end"):
        shown[column] = frame[column].map(lambda d: d.isoformat() if isinstance(d, dt.date) else "")
    shown["estimated_value"] = frame["estimated_value"].map(lambda v: Decimal(v).quantize(PENNY))
    shown["framework"] = frame["framework"].map({True: "Yes", False: "No"})
    shown["notice_type"] = frame["notice_type"].map({"tender": "Tender notice", "transparency": "Transparency notice"})
    return shown.rename(columns=NOTICE_FIELDS)


# --- 2. payments compliance ------------------------------------------------------------------------------------

COMPLIANCE_LINES = """
CREATE OR REPLACE TEMP TABLE act_lines AS
SELECT p.file_id, p.source_row, p.payment_date, p.received_date, p.amount,
       date_diff('day', p.received_date, p.payment_date) AS days
FROM payments p JOIN spend_facts f ON f.file_id = p.file_id AND f.source_row = p.source_row
WHERE f.influenceable AND p.amount > 0 AND p.date_precision = 'day'
  -- a line paid before the period's first day less the payment term was neither paid nor payable in it
  AND p.payment_date >= CAST($start - to_days(CAST($term AS INTEGER)) AS DATE)
"""
COMPLIANCE = """
SELECT
    count(*) FILTER (WHERE paid_in) AS lines_paid,
    count(*) FILTER (WHERE paid_in AND received_date IS NOT NULL AND days >= 0) AS paid,
    count(*) FILTER (WHERE paid_in AND received_date IS NULL) AS without_received,
    count(*) FILTER (WHERE paid_in AND days < 0) AS paid_before_received,
    coalesce(sum(days) FILTER (WHERE paid_in AND days >= 0), 0) AS total_days,
    count(*) FILTER (WHERE paid_in AND days BETWEEN 0 AND $term) AS band_1,
    count(*) FILTER (WHERE paid_in AND days BETWEEN $term + 1 AND 2 * $term) AS band_2,
    count(*) FILTER (WHERE paid_in AND days > 2 * $term) AS band_3,
    coalesce(sum(amount) FILTER (WHERE paid_in AND days >= 0), 0) AS paid_value,
    count(*) FILTER (WHERE due_in AND days >= 0) AS became_payable,
    count(*) FILTER (WHERE due_in AND days >= 0 AND payment_date > $end) AS not_paid_in_period
FROM (
    SELECT *, payment_date BETWEEN $start AND $end AS paid_in,
           CAST(received_date + to_days(CAST($term AS INTEGER)) AS DATE) BETWEEN $start AND $end AS due_in
    FROM act_lines
)
"""
FILES_IN_PERIOD = """
SELECT f.name, count(*) AS lines, count(p.received_date) AS with_received, count(p.invoice_date) AS with_invoice_date
FROM payments p JOIN loaded_files f ON f.file_id = p.file_id
WHERE p.payment_date BETWEEN $start AND $end
GROUP BY f.name ORDER BY f.name
"""
RECEIVED_COLUMN_NAMES = "'Invoice Received Date', 'Date Received' or 'Received Date'"


@dataclass(frozen=True)
class PaymentPerformance:
    """The reg. 38(2)(c) and (d) figures for one reporting period (None where no payment has the dates)."""

    start: dt.date
    end: dt.date
    due: dt.date
    lines_paid: int
    paid: int
    without_received: int
    paid_before_received: int
    total_days: int
    bands: tuple[int, int, int]
    paid_value: Decimal
    became_payable: int
    not_paid_in_period: int
    missing: str
    seen_after: bool = True

    @property
    def label(self) -> str:
        """'1 January 2026 to 31 March 2026'."""
        return f"{self.start:%-d %B %Y} to {self.end:%-d %B %Y}"

    @property
    def average_days(self) -> Decimal | None:
        """The arithmetic mean of days to pay, to one decimal place."""
        return (Decimal(self.total_days) / self.paid).quantize(Decimal("0.1"), ROUND_HALF_UP) if self.paid else None

    @property
    def shares(self) -> tuple[float, float, float] | None:
        """Shares of payments made in days 1-30, 31-60 and 61 or more."""
        if not self.paid:
            return None
        a, b, c = self.bands
        return a / self.paid, b / self.paid, c / self.paid

    @property
    def not_paid_share(self) -> float | None:
        """Share of sums payable in the period not paid in it; None when no payment after the period is loaded (a
        sum paid late would be in a file not yet loaded)."""
        if not self.seen_after or not self.became_payable:
            return None
        return self.not_paid_in_period / self.became_payable

    def as_dict(self) -> dict[str, Any]:
        """For `summary --json`."""
        shares = self.shares
        not_paid = self.not_paid_share
        return {
            "period_start": self.start.isoformat(), "period_end": self.end.isoformat(), "due_by": self.due.isoformat(),
            "payments": self.paid, "payments_without_received_date": self.without_received,
            "average_days": None if self.average_days is None else str(self.average_days),
            "share_1_30": None if shares is None else round(shares[0], 6),
            "share_31_60": None if shares is None else round(shares[1], 6),
            "share_61_plus": None if shares is None else round(shares[2], 6),
            "share_payable_not_paid": None if not_paid is None else round(not_paid, 6),
            "missing": self.missing or None,
        }


def reporting_periods(ws: Workspace, latest: dt.date | None = None) -> list[tuple[dt.date, dt.date]]:
    """The s.69(3) reporting periods from the first (beginning when s.69 came into force) to the one holding the
    latest payment loaded, latest first."""
    first = load_thresholds(ws).date("payments_compliance_start")
    latest = latest or latest_payment(ws)
    if latest is None or latest < first:
        return []
    periods: list[tuple[dt.date, dt.date]] = []
    start = first
    while start <= latest:
        end = dt.date(start.year, 3, 31) if start.month <= 3 else (
            dt.date(start.year, 9, 30) if start.month <= 9 else dt.date(start.year + 1, 3, 31))
        periods.append((start, end))
        start = end + dt.timedelta(days=1)
    return periods[::-1]


def payment_performance(ws: Workspace, start: dt.date, end: dt.date) -> PaymentPerformance:
    """The payments compliance figures for the period (see DEFINITIONS['days_to_pay'] and ['not_paid'])."""
    ensure_current(ws)
    limits = load_thresholds(ws)
    term = limits.whole("payment_term_days")
    params = {"start": start, "end": end, "term": term}
    with ws.read() as cur:
        try:
            cur.execute(COMPLIANCE_LINES, {"start": start, "term": term})
            row = cur.execute(COMPLIANCE, params).fetchone()
        finally:
            cur.execute("DROP TABLE IF EXISTS act_lines")
        files = fetch_frame(cur, FILES_IN_PERIOD, {"start": start, "end": end})
    assert row is not None
    (lines_paid, paid, without, before, total_days, b1, b2, b3, value, payable, not_paid) = row
    missing = ""
    if not paid:
        lacking = files[files["with_received"] == 0]
        if files.empty:
            missing = f"No payment dated {start:%-d %B %Y} to {end:%-d %B %Y} is loaded."
        elif not lacking.empty:
            with_invoice = lacking[lacking["with_invoice_date"] > 0]
            names = ", ".join(lacking["name"])
            missing = (f"The invoice received date is missing: {names} ha{'ve' if len(lacking) > 1 else 's'} no column "
                       f"such as {RECEIVED_COLUMN_NAMES}, so days to pay cannot be counted.")
            if not with_invoice.empty:
                missing += (" " + ", ".join(with_invoice["name"]) + " give" + ("" if len(with_invoice) > 1 else "s")
                            + " an invoice date, which is the date on the invoice, not the day it was received, "
                              "so it is not used.")
        else:
            missing = "No procurement payment in the period has both an invoice received date and a payment date."
    latest = latest_payment(ws)
    return PaymentPerformance(start, end, within_days(end, limits.whole("notice_days")), int(lines_paid), int(paid),
                              int(without), int(before), int(total_days), (int(b1), int(b2), int(b3)),
                              Decimal(value), int(payable), int(not_paid), missing,
                              seen_after=latest is not None and latest > end)


def latest_performance(ws: Workspace) -> PaymentPerformance | None:
    """The figures of the latest reporting period with payments loaded, or None before the first."""
    periods = reporting_periods(ws)
    return payment_performance(ws, *periods[0]) if periods else None


def draft_statement(perf: PaymentPerformance, council: str, name: str, role: str) -> str:
    """The finance officer's approval statement (reg. 38(2)(e)) with the figures, for the notice."""
    shares = perf.shares
    who = name.strip() or "[name]"
    title = role.strip() or "[job title]"
    if shares is None or perf.average_days is None:
        figures = "No figures can be given for this period: " + (perf.missing or "no payment has the dates needed.")
    else:
        figures = (f"In this period {council} paid {perf.paid:,} invoices under its contracts in an average of "
                   f"{perf.average_days} days from receipt; {shares[0]:.1%} were paid within 30 days, {shares[1]:.1%} "
                   f"in 31 to 60 days and {shares[2]:.1%} in 61 days or more.")
        if perf.not_paid_share is not None:
            figures += (f" Of the sums that became payable in the period, {perf.not_paid_share:.1%} were not paid "
                        "within it.")
        else:
            figures += (" Of the sums that became payable in the period, [share] were not paid within it (to be "
                        "completed from the payments made after the period).")
    return (f"Payments compliance notice, {council}, reporting period {perf.label}.\n\n{figures}\n\n"
            f"I approve this payments compliance notice.\n\nName: {who}\nJob title: {title}")


# --- 3. payments over £30,000 ----------------------------------------------------------------------------------

OVER_30K = """
SELECT p.payment_date, p.supplier, p.amount, c.reference AS contract_reference, c.title AS contract_title,
       c.start_date AS contract_start, c.term_end AS contract_end, c.matched_by,
       CASE WHEN p.amount > $over THEN 'more than £30,000 as published'
            ELSE 'more than £30,000 once VAT at ' || CAST($vat_percent AS VARCHAR) || '% is added' END AS test,
       lf.name AS source_file, p.source_row AS source_line
FROM cx_facts c
JOIN spend_facts p ON p.supplier_key = c.supplier_key
    AND p.payment_date >= c.start_date AND p.payment_date <= coalesce(c.term_end, DATE '9999-12-31')
JOIN loaded_files lf ON lf.file_id = p.file_id
WHERE c.start_date >= $procured_from AND p.payment_date >= $procured_from
  AND (p.amount > $over OR ($add_vat AND p.amount * (1 + $vat) > $over))
ORDER BY p.payment_date, c.reference, source_file, source_line
"""
AFTER_DATE = "SELECT count(*), max(payment_date) FROM payments WHERE payment_date >= $procured_from"


def payments_over_30k(ws: Workspace, *, amounts_exclude_vat: bool = True) -> pd.DataFrame:
    """Payments of more than £30,000 under contracts in the register that started on or after s.70's commencement,
    each with its quarter, the date its quarter's list is due, the contract and the matching rule."""
    limits = load_thresholds(ws)
    params = {"over": limits.amount("payment_over"), "procured_from": limits.date("payment_over"),
              "vat": limits.fraction("vat_rate"), "vat_percent": limits.amount("vat_rate").normalize(),
              "add_vat": amounts_exclude_vat}
    with contracts.staged(ws) as cur:
        frame = fetch_frame(cur, OVER_30K, params)
    quarters = [reprocurement.financial_quarter(d) for d in frame["payment_date"]]
    frame.insert(0, "quarter", [q[0] for q in quarters])
    frame.insert(1, "publish_by", [within_days(q[2], limits.whole("notice_days")) for q in quarters])
    return frame


def quarter_lists(over: pd.DataFrame) -> pd.DataFrame:
    """Each quarter's list of `payments_over_30k`, in order: its payments, their exact value, the contracts they are
    under and the date the list is due by."""
    rows = [{"quarter": quarter, "payments": len(part), "value": total(part["amount"]),
             "contracts": part["contract_reference"].nunique(), "publish_by": part["publish_by"].iloc[0]}
            for quarter, part in over.groupby("quarter", sort=False)]
    return pd.DataFrame(rows, columns=["quarter", "payments", "value", "contracts", "publish_by"])


def payments_after_commencement(ws: Workspace) -> tuple[int, dt.date | None]:
    """How many payments are dated on or after s.70's commencement, and the latest payment date."""
    limits = load_thresholds(ws)
    with ws.read() as cur:
        count, _ = cur.execute(AFTER_DATE, {"procured_from": limits.date("payment_over")}).fetchone()  # type: ignore[misc]
    return int(count), latest_payment(ws)


# --- 4. contracts over £5m: KPIs and performance notices -------------------------------------------------------

KPIS = "SELECT contract_reference, kpi, target, rated_on, rating, note FROM act_kpis ORDER BY contract_reference, kpi, rated_on"
KPI_COLUMNS: tuple[str, ...] = ("contract_reference", "kpi", "target", "rated_on", "rating", "note")
REPLACE_KPIS = ("DELETE FROM act_kpis",
                "INSERT INTO act_kpis SELECT contract_reference, kpi, target, rated_on, rating, note FROM kpis_in")
# Header words a KPI file may use for each column.
KPI_HEADERS: dict[str, tuple[str, ...]] = {
    "contract_reference": ("contract reference", "reference", "contract ref", "contract id", "contract"),
    "kpi": ("kpi", "key performance indicator", "indicator", "measure"),
    "target": ("target",),
    "rated_on": ("rated on", "rating date", "date", "assessed on", "assessment date"),
    "rating": ("rating", "performance rating", "rag"),
    "note": ("note", "notes", "comment", "comments"),
}
KPI_NOTICES = """
WITH big AS (
    SELECT * FROM cx_facts
    WHERE contract_value > $over AND reference IS NOT NULL
      AND coalesce(end_date, DATE '9999-12-31') >= $commenced AND coalesce(start_date, DATE '0001-01-01') <= $today
      AND (start_date >= $act_from OR reference IN (SELECT contract_reference FROM act_kpis))
),
kpis AS (
    SELECT contract_reference, count(DISTINCT kpi) AS kpis, max(rated_on) AS last_rated,
           string_agg(kpi || ': ' || rating, '; ' ORDER BY kpi) FILTER (WHERE latest AND rating IS NOT NULL)
               AS latest_ratings
    FROM (SELECT *, rated_on = max(rated_on) OVER (PARTITION BY contract_reference, kpi) AS latest FROM act_kpis)
    GROUP BY contract_reference
),
d AS (
    SELECT b.reference, b.title, b.supplier_name, b.contract_value, b.start_date, b.end_date,
           coalesce(k.kpis, 0) AS kpis, k.last_rated, k.latest_ratings,
           CAST(coalesce(k.last_rated, greatest(coalesce(b.start_date, $commenced), $commenced))
                + to_months($months) AS DATE) AS periodic_due
    FROM big b LEFT JOIN kpis k ON k.contract_reference = b.reference
)
SELECT *,
       CASE WHEN end_date IS NOT NULL AND end_date < periodic_due THEN end_date ELSE periodic_due END AS next_due,
       CASE WHEN end_date IS NOT NULL AND end_date < periodic_due THEN 'on termination (end date)'
            ELSE 'every ' || CAST($months AS VARCHAR) || ' months' END AS due_because
FROM d
ORDER BY next_due, reference
"""


def kpi_register(ws: Workspace) -> pd.DataFrame:
    """The KPI ratings recorded, by contract, KPI and date."""
    with ws.read() as cur:
        return fetch_frame(cur, KPIS)


def _clean_kpis(frame: pd.DataFrame) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    seen: set[tuple[str, str, dt.date | None]] = set()
    for line, record in enumerate(frame.to_dict("records"), start=1):
        reference, kpi = _text_or_blank(record.get("contract_reference")), _text_or_blank(record.get("kpi"))
        if not reference and not kpi and not _text_or_blank(record.get("rating")):
            continue
        if not reference or not kpi:
            raise ValueError(f"line {line}: give both the contract reference and the KPI")
        rated_on = _date_or_none(record.get("rated_on"), "rating date", line)
        given = _text_or_blank(record.get("rating"))
        rating = next((r for r in RATINGS if r.lower() == given.lower()), None)
        if given and rating is None:
            raise ValueError(f"line {line} ({reference}, {kpi}): the rating '{given}' is not one of "
                             + ", ".join(RATINGS) + " (Procurement Act 2023, s.71)")
        if (rated_on is None) != (rating is None):
            raise ValueError(f"line {line} ({reference}, {kpi}): give the rating and its date together "
                             "(leave both empty for a KPI not yet rated)")
        if (reference, kpi, rated_on) in seen:
            when = f"on {rated_on:%-d %B %Y}" if rated_on else "without a rating"
            raise ValueError(f"line {line}: {reference}, {kpi} appears twice {when}")
        seen.add((reference, kpi, rated_on))
        rows.append({"contract_reference": reference, "kpi": kpi, "target": _text_or_blank(record.get("target")),
                     "rated_on": rated_on, "rating": rating, "note": _text_or_blank(record.get("note"))})
    return pd.DataFrame(rows, columns=list(KPI_COLUMNS))


def save_kpis(ws: Workspace, frame: pd.DataFrame) -> int:
    """Replace the KPI register with these rows (blank rows dropped); ValueError names the line and why."""
    clean = _clean_kpis(frame)
    with ws.write() as cur:
        run_with_frame(cur, "kpis_in", clean, REPLACE_KPIS)
    return len(clean)


def read_kpi_file(data: bytes, name: str) -> pd.DataFrame:
    """A KPI file (CSV or XLSX) with its columns found by their header words; ValueError says what is missing."""
    try:
        raw = (pd.read_excel(io.BytesIO(data), dtype=str) if name.lower().endswith((".xlsx", ".xlsm"))
               else pd.read_csv(io.BytesIO(data), dtype=str, encoding="utf-8-sig"))
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise ValueError(f"{name} cannot be read as a CSV or XLSX file: {exc}") from None
    found: dict[str, str] = {}
    for column in raw.columns:
        words = re.sub(r"[^a-z ]+", " ", str(column).lower()).strip()
        words = " ".join(words.split())
        for field_name, names in KPI_HEADERS.items():
            if field_name not in found and words in names:
                found[field_name] = column
                break
    lacking = [f for f in ("contract_reference", "kpi", "rated_on", "rating") if f not in found]
    if lacking:
        raise ValueError(f"{name} has no column for " + ", ".join(f.replace("_", " ") for f in lacking)
                         + "; the columns read are: contract reference, KPI, target, rated on, rating, note")
    frame = pd.DataFrame({f: raw[c] for f, c in found.items()})
    for f in KPI_COLUMNS:
        if f not in frame:
            frame[f] = ""
    frame["rated_on"] = [_parse_day(v) for v in frame["rated_on"]]
    return _clean_kpis(frame[list(KPI_COLUMNS)])


def _parse_day(value: Any) -> Any:
    text = _text_or_blank(value)
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d %H:%M:%S", "%d %B %Y", "%d %b %Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return text


def kpi_notices(ws: Workspace, today: dt.date) -> pd.DataFrame:
    """Contracts over £5m live on or after s.71's commencement, with their KPIs, last rating and the next contract
    performance notice due, and whether it is overdue, due this quarter or due next quarter."""
    limits = load_thresholds(ws)
    params = {"over": limits.amount("kpi_contract"), "commenced": limits.date("performance_months"),
              "act_from": limits.date("act_commenced"),
              "months": limits.whole("performance_months"), "today": today}
    with contracts.staged(ws, today) as cur:
        frame = fetch_frame(cur, KPI_NOTICES, params)
    _, _, this_end = reprocurement.financial_quarter(today)
    next_label, next_start, next_end = reprocurement.financial_quarter(this_end + dt.timedelta(days=1))
    minimum = limits.whole("kpi_count")

    def status(row: Any) -> str:
        due = row.next_due
        if row.end_date is not None and row.end_date == row.end_date and row.last_rated is not None \
                and row.last_rated == row.last_rated and row.last_rated >= row.end_date:
            return "Final notice given"
        if due < today:
            return "Overdue"
        if due <= this_end:
            return "Due this quarter"
        if next_start <= due <= next_end:
            return f"Due next quarter ({next_label})"
        return "Later"

    frame["status"] = pd.Series([status(r) for r in frame.itertuples()], index=frame.index, dtype="object")
    frame["kpi_shortfall"] = pd.Series([n < minimum for n in frame["kpis"]], index=frame.index, dtype="bool")
    return frame


# --- 5. contract changes and the below-threshold line ---------------------------------------------------------

CHANGES = """
WITH f AS (SELECT * FROM cx_facts WHERE contract_value > 0),
t AS (""" + contracts.spend_in_term_sql("end_date") + """
),
k AS (
    SELECT f.*, t.spend_in_term, t.payments_in_term AS payments,
           CASE WHEN coalesce(f.cpv_digits, '') <> '' THEN starts_with(f.cpv_digits, '45')
                ELSE f.category = 'Construction' END AS is_works
    FROM f JOIN t USING (file_id, source_row)
)
SELECT reference, title, supplier_name, category, cpv_code,
       CASE WHEN is_works THEN 'works' ELSE 'goods or services' END AS contract_kind,
       contract_value, value_basis, start_date, end_date, spend_in_term, payments,
       CASE WHEN is_works THEN $works ELSE $goods END AS allowed_percent,
       spend_in_term - contract_value AS over_by,
       CAST(round((spend_in_term / contract_value - 1) * 100, 1) AS DECIMAL(9, 1)) AS over_percent,
       matched_by
FROM k
WHERE spend_in_term > contract_value * (1 + (CASE WHEN is_works THEN $works ELSE $goods END) / 100)
ORDER BY over_by DESC, reference
"""


def contract_changes(ws: Workspace, today: dt.date) -> pd.DataFrame:
    """Contracts whose spend within their published term runs above their value by more than the s.75(2) line."""
    limits = load_thresholds(ws)
    with contracts.staged(ws, today) as cur:
        return fetch_frame(cur, CHANGES, {"goods": limits.amount("change_goods_services"),
                                          "works": limits.amount("change_works")})


def below_threshold_without_contract(ws: Workspace) -> pd.DataFrame:
    """Supplier-years of £30,000 or more influenceable spend with no live contract (the notifiable line)."""
    return on_contract.off_contract_supplier_years(ws, threshold=load_thresholds(ws).amount("notifiable_below_threshold"))


# --- the figures for `summary --json` and the Cabinet pack -----------------------------------------------------


def act_summary(ws: Workspace, as_at: dt.date) -> dict[str, Any]:
    """The pipeline trigger, the pipeline contracts (count and value) and the latest period's payment performance."""
    year = default_notice_year(ws, as_at)
    trigger = pipeline_trigger(ws, year)
    listed = pipeline_contracts(ws, year)
    perf = latest_performance(ws)
    return {
        "pipeline_trigger": trigger.as_dict(),
        "pipeline_contracts": {"count": len(listed),
                               "value": decimal_text(sum((Decimal(v) for v in listed["estimated_value"]), Decimal(0))),
                               "window_start": trigger.window_start.isoformat(),
                               "window_end": trigger.window_end.isoformat()},
        "payment_performance": None if perf is None else perf.as_dict(),
    }


def pack_table(ws: Workspace, as_at: dt.date) -> pd.DataFrame:
    """The Procurement Act duties in one table for the Cabinet pack: the duty, the figure and its basis."""
    year = default_notice_year(ws, as_at)
    trigger = pipeline_trigger(ws, year)
    listed = pipeline_contracts(ws, year)
    perf = latest_performance(ws)
    notices = kpi_notices(ws, as_at)
    changes = contract_changes(ws, as_at)
    below = below_threshold_without_contract(ws)
    value = sum((Decimal(v) for v in listed["estimated_value"]), Decimal(0))
    rows = [
        ("Pipeline notice (s.93)", f"{'Required' if trigger.crossed else 'Not required'}: {pounds(trigger.estimate)} "
         f"expected in {fy_label(year)} against a line of more than {pounds(trigger.line)}",
         f"{trigger.basis}. If required, {trigger.due_wording(as_at)} as at {as_at:%-d %B %Y}."),
        ("Pipeline contracts over £2m", f"{len(listed):,} worth {pounds(value)}",
         f"Notices expected {trigger.window_start:%-d %B %Y} to {trigger.window_end:%-d %B %Y}. "
         + DEFINITIONS["pipeline"]),
    ]
    if perf is None:
        rows.append(("Payments compliance (s.69)", "No reporting period yet", "No payment loaded from 1 January 2026."))
    elif perf.average_days is None or perf.shares is None:
        rows.append(("Payments compliance (s.69)", "Cannot be measured", perf.missing))
    else:
        s = perf.shares
        rows.append(("Payments compliance (s.69)",
                     f"{perf.average_days} days on average; {s[0]:.1%} in 1-30 days, {s[1]:.1%} in 31-60, "
                     f"{s[2]:.1%} in 61 or more",
                     f"{perf.label}, {perf.paid:,} payments; the notice is {due_wording(perf.due, as_at)} as at "
                     f"{as_at:%-d %B %Y}. "
                     + DEFINITIONS["days_to_pay"]))
    overdue = int((notices["status"] == "Overdue").sum())
    due_next = int(notices["status"].str.startswith("Due next quarter").sum())
    rows += [
        ("Contracts over £5m: performance notices (s.71)", f"{overdue:,} overdue, {due_next:,} due next quarter, "
         f"{int(notices['kpi_shortfall'].sum()):,} with fewer than three KPIs", DEFINITIONS["kpi_due"]),
        ("Possible contract change notices (s.75)", f"{len(changes):,} contracts", DEFINITIONS["change"]),
        ("Suppliers paid £30,000 or more with no contract", f"{len(below):,} supplier-years",
         DEFINITIONS["below_threshold"]),
    ]
    return pd.DataFrame(rows, columns=["Duty", "Figure", "Basis"])


# --- the sample council's registers ----------------------------------------------------------------------------

PLANNED_HEADERS = {"estimated value": "estimated_value", "notice type": "notice_type", "notice date": "notice_date",
                   "contract start": "contract_start", "contract end": "contract_end", "cpv code": "cpv_code"}
HAS_REGISTERS = "SELECT (SELECT count(*) FROM act_planned), (SELECT count(*) FROM act_kpis)"


def install_sample_registers(ws: Workspace, folder: Any) -> None:
    """The sample's KPI register and planned procurements (sample_data/act), into a workspace that has none."""
    with ws.read() as cur:
        planned, kpis = cur.execute(HAS_REGISTERS).fetchone()  # type: ignore[misc]
    kpi_file = folder / "harrowdale-contract-kpis.csv"
    planned_file = folder / "harrowdale-planned-procurements.csv"
    if not kpis and kpi_file.exists():
        save_kpis(ws, read_kpi_file(kpi_file.read_bytes(), kpi_file.name))
    if not planned and planned_file.exists():
        frame = pd.read_csv(planned_file, dtype=str, keep_default_na=False)
        frame.columns = [PLANNED_HEADERS.get(c.lower(), c.lower()) for c in frame.columns]
        frame["framework"] = frame["framework"].str.lower().eq("yes")
        save_planned(ws, frame)


def pack_kpi_notices(ws: Workspace, as_at: dt.date) -> pd.DataFrame:
    """The contract performance notices overdue and due next quarter, for the Cabinet pack."""
    notices = kpi_notices(ws, as_at)
    due = notices[(notices["status"] == "Overdue") | notices["status"].str.startswith("Due next quarter")]
    return pd.DataFrame({
        "Status": due["status"], "Next notice due": due["next_due"].map(day),
        "Why": due["due_because"], "Contract": due["reference"] + ": " + due["title"].fillna(""),
        "Supplier": due["supplier_name"].fillna(""), "Value": due["contract_value"].map(pounds),
        "KPIs": due["kpis"],
    }).reset_index(drop=True)
