"""The plan's measures of success computed from the workspace: each asks the contracts and spend rooms for its
figures and words them with its definition, its date and what is still pending.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pandas as pd

from sp_analysis.contracts.register import DEFINITIONS as CONTRACT_DEFINITIONS
from sp_analysis.contracts.reprocurement import contracts_over_the_line
from sp_analysis.contracts.supplier_types import live_supplier_type_shares, register_files
from sp_analysis.definitions import PLAN_LINE
from sp_analysis.plan.actions import _add_years, _with_dates, days_overdue, is_milestone_overdue, load_actions
from sp_analysis.spend.queries import latest_year_high_impact
from sp_analysis.words import count_of, govuk_money, long_day, percent
from sp_analysis.workspace import Workspace

# --- measures tied to the data ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DataMeasure:
    """A measure of success computed from the workspace: the figure, what it means, its date, what is pending."""

    key: str
    name: str
    figure: str
    detail: str
    definition: str
    as_of: str
    pending: str
    values: dict[str, Any] = field(default_factory=dict)
    actions: tuple[str, ...] = ()


MEASURE_NAMES = {
    "contracts_over_100k": "Contracts of £100,000 or more and their renewals",
    "high_impact_spend": "Influenceable spend in high-impact categories",
    "sme_vcse_share": "Contracts with SMEs and VCSE organisations",
}
MEASURE_KEYS = tuple(MEASURE_NAMES)

PLAN_END = """
SELECT greatest((SELECT max(target_date) FROM ff_targets), (SELECT max(due_date) FROM plan_actions),
                (SELECT max(due_date) FROM plan_milestones))
"""


def renewal_window(ws: Workspace, as_at: dt.date) -> tuple[dt.date, dt.date, str]:
    """The period in which contract renewals are counted: from the as-at date to the plan's last date, or the
    next two years when the plan's dates are already past. Returns (start, end, wording)."""
    with ws.read() as cur:
        row = cur.execute(PLAN_END).fetchone()
    plan_end = row[0] if row else None
    if plan_end is not None and plan_end > as_at:
        return as_at, plan_end, f"from {long_day(as_at)} to the end of the plan, {long_day(plan_end)}"
    end = _add_years(as_at, 2) - dt.timedelta(days=1)
    why = " (the plan's own dates have passed)" if plan_end is not None else ""
    return as_at, end, f"in the two years from {long_day(as_at)} to {long_day(end)}{why}"


def data_measures(ws: Workspace, as_at: dt.date) -> list[DataMeasure]:
    """The measures of success the workspace can compute, as at the date, each with the actions it sits beside."""
    plan = load_actions(ws, as_at)
    beside = {key: tuple(a.title for a in plan if key in a.data_measures) for key in MEASURE_KEYS}
    window = renewal_window(ws, as_at)
    over = contracts_over_the_line(ws, as_at, window[0], window[1])
    shares = live_supplier_type_shares(ws, as_at)
    spend = latest_year_high_impact(ws, as_at)
    files = register_files(ws)
    register = (f"contracts register {', '.join(n for n, _ in files)} (loaded {long_day(max(t for _, t in files).date())})"
                if files else "no contracts register loaded")
    return [
        _contracts_measure(over, window, as_at, register, beside["contracts_over_100k"]),
        _spend_measure(spend, as_at, beside["high_impact_spend"]),
        _supplier_type_measure(shares, as_at, register, beside["sme_vcse_share"]),
    ]


def _contracts_measure(v: dict[str, Any], window: tuple[dt.date, dt.date, str], as_at: dt.date, register: str,
                       actions: tuple[str, ...]) -> DataMeasure:
    figure = (f"{v['over']:,} live contracts of £100,000 or more ({govuk_money(v['over_value'], pence=True)}); "
              f"{v['ending']:,} of them end {window[2]}")
    if not v["live"]:
        figure = _no_live_contracts(v["register"], as_at)
    detail = (f"{v['ending']:,} contracts worth {govuk_money(v['ending_value'], pence=True)} come up for renewal in that period. "
              f"{v['over_no_end']:,} of the contracts of £100,000 or more have no end date; {v['over_annual_only']:,} are "
              f"valued from their annual value (times the term where it is dated); "
              + (f"{count_of(v['no_value'], 'live contract')} "
                 + ("has no value and is not counted." if v["no_value"] == 1 else "have no value and are not counted.")))
    return DataMeasure(
        "contracts_over_100k", MEASURE_NAMES["contracts_over_100k"], figure, detail,
        definition=("Contracts in the register that are live on the as-at date (started on or before it and ending on "
                    f"or after it, blank dates counting as open) whose value is {PLAN_LINE}, as on the Renewals page: "
                    f"{CONTRACT_DEFINITIONS['contract_value'][0].lower()}{CONTRACT_DEFINITIONS['contract_value'][1:-1]}. "
                    "Renewals are those contracts whose end date falls in the window."),
        as_of=f"Live on {long_day(as_at)}; {register}.",
        pending=("the high-impact part of this count here: the Renewals page lists the high-impact contracts of "
                 "£100,000 or more coming up for renewal (its plan-priority filter), by category and impact."),
        values={k: v[k] for k in ("live", "over", "over_value", "ending", "ending_value", "over_no_end", "over_annual_only",
                                  "no_value")} | {"window_start": window[0], "window_end": window[1]},
        actions=actions,
    )


def _spend_measure(v: dict[str, Any], as_at: dt.date, actions: tuple[str, ...]) -> DataMeasure:
    influenceable, high = Decimal(v["influenceable"]), Decimal(v["high_impact"])
    share = percent(high, influenceable)
    if v["financial_year"] is None:
        figure, as_of = "No spend loaded on or before the as-at date", f"As at {long_day(as_at)}."
    else:
        figure = (f"{share} of influenceable spend is in high-impact categories "
                  f"({govuk_money(high, pence=True)} of {govuk_money(influenceable, pence=True)})")
        as_of = (f"Financial year {v['financial_year']}, payments from {long_day(v['first_date'])} to "
                 f"{long_day(v['last_date'])} (the latest year with payments on or before {long_day(as_at)}).")
    detail = (f"Unclassified spend in that year: {govuk_money(v['unclassified'], pence=True)} "
              "(not counted as influenceable); "
              f"all spend: {govuk_money(v['total'], pence=True)}.")
    return DataMeasure(
        "high_impact_spend", MEASURE_NAMES["high_impact_spend"], figure, detail,
        definition=("Net spend in categories marked high impact, as a share of net spend in categories procurement can "
                    "influence (grants, benefits, payments to other public bodies, taxes and similar are excluded), "
                    "using each payment's category from the classification rules."),
        as_of=as_of,
        pending=("how much of this high-impact spend is under contract, here: the Contracts page gives the contracted "
                 "share of influenceable spend (payments matched to contracts by supplier and term)."),
        values={"financial_year": v["financial_year"], "influenceable": influenceable, "high_impact": high,
                "unclassified": Decimal(v["unclassified"]), "share": share},
        actions=actions,
    )


def _supplier_type_measure(v: dict[str, Any], as_at: dt.date, register: str, actions: tuple[str, ...]) -> DataMeasure:
    live, value = v["live"], Decimal(v["live_value"])
    figure = (f"SMEs hold {percent(v['sme'], live)} of live contracts ({percent(v['sme_value'], value)} by value); "
              f"VCSE organisations {percent(v['vcse'], live)} ({percent(v['vcse_value'], value)} by value)")
    if not live:
        figure = _no_live_contracts(v.get("register", 1), as_at)
    detail = (f"Of {live:,} live contracts worth {govuk_money(value, pence=True)}: "
              f"SME {v['sme']:,} ({govuk_money(v['sme_value'], pence=True)}), "
              f"SME status unknown {v['sme_unknown']:,} ({percent(v['sme_unknown'], live)}, "
              f"{govuk_money(v['sme_unknown_value'], pence=True)}); "
              f"VCSE {v['vcse']:,} ({govuk_money(v['vcse_value'], pence=True)}), VCSE status unknown "
              f"{v['vcse_unknown']:,} ({percent(v['vcse_unknown'], live)}, "
              f"{govuk_money(v['vcse_unknown_value'], pence=True)}).")
    return DataMeasure(
        "sme_vcse_share", MEASURE_NAMES["sme_vcse_share"], figure, detail,
        definition=("Live contracts whose register entry marks the supplier as an SME (fewer than 250 staff) or as a "
                    "voluntary, community or social enterprise, as a share of all live contracts by count and by value "
                    "(whole-life, else annual). Contracts whose entry leaves the flag blank are unknown and stay in the "
                    "denominator, so the shares are lower bounds."),
        as_of=f"Live on {long_day(as_at)}; {register}.",
        pending=("the share of spend (payments rather than contracts) with SMEs and VCSE organisations, here: the "
                 "Contracts page gives it, with the share whose status is unknown."),
        values={k: v[k] for k in v},
        actions=actions,
    )


def _no_live_contracts(register_rows: int, as_at: dt.date) -> str:
    if not register_rows:
        return "No contracts register is loaded, so this cannot be computed yet"
    return f"No contract in the register is live on {long_day(as_at)}"


def action_detail(ws: Workspace, action_id: int, as_at: dt.date) -> dict[str, Any] | None:
    """One action in full as at the date: its fields, milestones with overdue flags, and its computed measures."""
    found = next((a for a in load_actions(ws, as_at) if a.action_id == action_id), None)
    if found is None:
        return None
    late = days_overdue(found, as_at)
    milestones = pd.DataFrame([
        {"Milestone": m.milestone, "Due": m.due_date, "Reached on": m.done_on,
         "Overdue": "overdue" if is_milestone_overdue(m, found.status, as_at) else ""}
        for m in found.milestones], columns=["Milestone", "Due", "Reached on", "Overdue"])
    measures = [m for m in data_measures(ws, as_at) if m.key in found.data_measures] if found.data_measures else []
    return {
        "title": found.title, "themes": "; ".join(found.themes), "level": found.level, "officer": found.officer,
        "status": found.status, "percent_complete": found.percent_complete, "timescale": found.timescale,
        "measures": found.measures, "resources": found.resources, "notes": found.notes,
        "overdue_words": (f"Overdue by {late:,} day{'s' if late != 1 else ''} as at {long_day(as_at)}." if late
                          else f"Not overdue as at {long_day(as_at)}."),
        "milestones": _with_dates(milestones, "Due", "Reached on"), "data_measures": measures,
    }
