"""Recognising the date, amount and payee columns by what they hold, where the header's words do not decide.

Every column of the file is profiled in one SQL pass over all its lines: the share of cells that read as
dates, as money, as words; how many distinct values; how long. The profile proposes a column for each
required column the header left unplaced, and says why ("100% dates"). A proposal stands only when it is
clear: the best candidate well ahead of the next. Otherwise the candidates are named and the analyst
chooses (the Upload page pre-fills the proposal; the command line refuses, naming them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from sp_analysis import sql_macros
from sp_analysis.ingest.columns import Kind, header_words, normalise_header

# A column is a candidate when this share of its filled cells reads as the kind it is proposed for.
MIN_SHARE = 0.9
# The best candidate stands only when the next scores at most this share of its score.
CLEAR_LEAD = 0.8
# Words in a header that rule a column out as the amount (a VAT column is never the amount).
NOT_AMOUNT_WORDS = frozenset({"vat", "code", "id", "number", "reference", "transaction", "invoice", "account",
                              "postcode", "year", "period", "quantity"})


@dataclass(frozen=True)
class ColumnProfile:
    """What one column holds, over every line below the header."""

    position: int
    header: str
    filled: int
    dates: int
    money: int
    decimals: int
    words: int
    distinct: int
    mean_length: float

    def share(self, count: int) -> float:
        return count / self.filled if self.filled else 0.0


@dataclass(frozen=True)
class Proposal:
    """A column proposed for a canonical column, with the evidence in words; or the candidates when unclear."""

    canonical: str
    position: int | None
    evidence: str
    candidates: tuple[int, ...] = ()


def profile_sql(width: int) -> str:
    """One row: per column c<i>, its counts (binds $first_line, $last_line, $earliest, $latest)."""
    parts = []
    for i in range(width):
        cell = f"sp_clean(c{i})"
        parts.append(
            f"count({cell}) AS filled_{i}, "
            f"count(*) FILTER (WHERE coalesce(sp_parse_date({cell}), sp_parse_period({cell}).first_day) "
            f"BETWEEN $earliest AND $latest) AS dates_{i}, "
            f"count(sp_parse_amount({cell})) AS money_{i}, "
            f"count(*) FILTER (WHERE regexp_matches({cell}, '([.][0-9]{{2}}|[£,(-])')) AS decimals_{i}, "
            f"count(*) FILTER (WHERE regexp_matches({cell}, '[A-Za-z]{{2}}')) AS words_{i}, "
            f"count(DISTINCT {cell}) AS distinct_{i}, "
            f"coalesce(avg(length({cell})), 0) AS length_{i}"
        )
    return "SELECT " + ", ".join(parts)


def profile_columns(
    relation: str, params: Mapping[str, object], header: Sequence[str], width: int,
    first_line: int, last_line: int, earliest: object, latest: object, cells: pa.Table | None = None,
) -> list[ColumnProfile]:
    """Profile every column of a staged relation (a `read_csv`, or `cells` registered under the name
    `relation`) on a private in-memory DuckDB: no workspace is touched."""
    con = duckdb.connect()
    try:
        for statement in sql_macros.MACROS:
            con.execute(statement)
        if cells is not None:
            con.register(relation, cells)
        return _profile_on(con, relation, params, header, width, first_line, last_line, earliest, latest)
    finally:
        con.close()


def _profile_on(
    con: duckdb.DuckDBPyConnection, relation: str, params: Mapping[str, object], header: Sequence[str],
    width: int, first_line: int, last_line: int, earliest: object, latest: object,
) -> list[ColumnProfile]:
    sql = f"{profile_sql(width)} FROM {relation} WHERE line BETWEEN $first_line AND $last_line"
    row = con.execute(sql, {**params, "first_line": first_line, "last_line": last_line,
                            "earliest": earliest, "latest": latest}).fetchone()
    assert row is not None
    out = []
    for i in range(width):
        filled, dates, money, decimals, words, distinct, length = row[7 * i : 7 * i + 7]
        out.append(ColumnProfile(i, header[i] if i < len(header) else "", int(filled), int(dates), int(money),
                                 int(decimals), int(words), int(distinct), float(length)))
    return out


def _date_score(p: ColumnProfile) -> float:
    share = p.share(p.dates)
    if share < MIN_SHARE:
        return 0.0
    # Payment dates repeat (a month's file has a few dozen); references that happen to read as dates do not.
    return share - (0.5 if p.filled >= 20 and p.distinct > 0.5 * p.filled else 0.0)


def _amount_score(p: ColumnProfile) -> float:
    share = p.share(p.money)
    if share < MIN_SHARE or header_words(normalise_header(p.header)) & NOT_AMOUNT_WORDS:
        return 0.0
    # Money is written with pence, commas, '£' or signs; codes and counts are bare whole numbers.
    return share * (0.3 + 0.7 * p.share(p.decimals))


def _payee_score(p: ColumnProfile) -> float:
    share = p.share(p.words)
    if share < MIN_SHARE or not 3 <= p.mean_length <= 120:
        return 0.0
    # Payees vary: a column holding one value (the council's own name) is not the payee.
    variety = min(1.0, p.distinct / max(10.0, 0.05 * p.filled))
    return share * variety


_SCORES = {"payment_date": (_date_score, "dates"), "amount": (_amount_score, "amounts"),
           "supplier_name": (_payee_score, "names")}


def propose(profiles: Sequence[ColumnProfile], missing: Sequence[str], taken: set[int], kind: Kind) -> list[Proposal]:
    """For each missing required column, the clear candidate with its evidence, or the candidates if unclear."""
    if kind != "spend":
        return [Proposal(name, None, "") for name in missing]
    used = set(taken)
    proposals = []
    # Dates and amounts first: they are the most distinctive; names last, from what is left.
    for name in sorted(missing, key=["payment_date", "amount", "supplier_name"].index):
        score, noun = _SCORES[name]
        ranked = sorted(((score(p), p) for p in profiles if p.position not in used and p.filled), key=lambda x: -x[0])
        ranked = [(s, p) for s, p in ranked if s > 0]
        if not ranked:
            proposals.append(Proposal(name, None, "no column reads as " + noun))
            continue
        best_score, best = ranked[0]
        runner = ranked[1][0] if len(ranked) > 1 else 0.0
        if runner > CLEAR_LEAD * best_score:
            proposals.append(Proposal(name, None, f"more than one column reads as {noun}",
                                      tuple(p.position for _, p in ranked[:4])))
            continue
        count = {"payment_date": best.dates, "amount": best.money, "supplier_name": best.words}[name]
        evidence = f"recognised by its content ({best.share(count):.0%} {noun})"
        proposals.append(Proposal(name, best.position, evidence))
        used.add(best.position)
    return proposals
