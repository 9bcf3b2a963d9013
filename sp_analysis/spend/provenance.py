"""What the figures in view rest on, in words for source lines, tables and the pack.

- The source line names the council, counts the files with payments in view (not every file loaded) and gives
  the classification coverage of the spend in view.
- A financial year with fewer than twelve months of data is a part year, said as such ("2010/11: December to
  March only"); a data period with months missing says which ones.

Months are judged on all the spend loaded, not on the filters: a department with no payments in May does not
make May a month without data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sp_analysis.spend.classify import coverage_scope
from sp_analysis.spend.filters import SpendFilters
from sp_analysis.workspace import Workspace

MONTHS_WITH_DATA = """
SELECT DISTINCT month FROM payments WHERE month IS NOT NULL ORDER BY month
"""

IN_VIEW = """
SELECT count(DISTINCT file_id) AS files, min(payment_date) AS first_date,
       max(coalesce(date_end, payment_date)) AS last_date,  -- a line dated by month or quarter runs to its end
       coalesce(sum(amount), 0) AS total,
       coalesce(sum(amount) FILTER (WHERE category <> 'Unclassified'), 0) AS classified,
       coalesce(array_agg(DISTINCT financial_year ORDER BY financial_year)
                FILTER (WHERE financial_year IS NOT NULL), []) AS years
FROM spend_facts WHERE {where}
"""


def _month_name(day: dt.date) -> str:
    return f"{day:%B}"


def _fy_start(day: dt.date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def fy_label(start: int) -> str:
    """'2010/11' for the financial year starting 1 April 2010 (the label the data carries)."""
    return f"{start}/{(start + 1) % 100:02d}"


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def _runs(months: list[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Consecutive months grouped into (first, last) runs."""
    runs: list[tuple[dt.date, dt.date]] = []
    for month in months:
        if runs and _next_month(runs[-1][1]) == month:
            runs[-1] = (runs[-1][0], month)
        else:
            runs.append((month, month))
    return runs


def _run_words(first: dt.date, last: dt.date, with_years: bool) -> str:
    """'December to March', or with years 'June to July 2011', 'April 2012 to March 2013', 'May 2015'."""
    if not with_years:
        return _month_name(first) if first == last else f"{_month_name(first)} to {_month_name(last)}"
    if first == last:
        return f"{first:%B %Y}"
    if first.year == last.year:
        return f"{first:%B} to {last:%B %Y}"
    return f"{first:%B %Y} to {last:%B %Y}"


@dataclass(frozen=True)
class DataMonths:
    """The months for which any spend is loaded."""

    months: tuple[dt.date, ...]

    def in_year(self, start: int) -> list[dt.date]:
        """The months with data in the financial year starting in April of `start`."""
        return [m for m in self.months if _fy_start(m) == start]

    def part_year(self, label: str) -> str | None:
        """'December to March only' for a financial year with fewer than twelve months of data; None for a full
        year (or one with no data at all)."""
        start = int(label[:4])
        months = self.in_year(start)
        if not months or len(months) == 12:
            return None
        runs = _runs(months)
        words = ", ".join(_run_words(a, b, with_years=False) for a, b in runs)
        return f"{words} only" if len(runs) == 1 else f"{len(months)} of 12 months: {words}"

    def part_years(self, labels: list[str]) -> dict[str, str]:
        """The part years among the labels, each with its months in words."""
        found = {label: self.part_year(label) for label in labels}
        return {label: words for label, words in found.items() if words}

    def gaps(self, first: dt.date, last: dt.date) -> list[tuple[dt.date, dt.date]]:
        """Runs of months between first and last (inclusive) with no data at all."""
        held = set(self.months)
        month, end, missing = dt.date(first.year, first.month, 1), dt.date(last.year, last.month, 1), []
        while month <= end:
            if month not in held:
                missing.append(month)
            month = _next_month(month)
        return _runs(missing)

    def period(self, first: dt.date | None, last: dt.date | None) -> str:
        """'2 December 2010 to 31 March 2026', with the months missing between said: '; no data for April 2012
        to March 2015'."""
        if first is None or last is None:
            return "no spend loaded"
        words = f"{first:%-d %B %Y} to {last:%-d %B %Y}"
        gaps = self.gaps(first, last)
        if gaps:
            words += "; no data for " + ", ".join(_run_words(a, b, with_years=True) for a, b in gaps)
        return words


def data_months(ws: Workspace) -> DataMonths:
    """The months with any spend loaded."""
    with ws.read() as cur:
        rows = cur.execute(MONTHS_WITH_DATA).fetchall()
    return DataMonths(tuple(r[0] if isinstance(r[0], dt.date) and not isinstance(r[0], dt.datetime)
                            else r[0].date() for r in rows))


@dataclass(frozen=True)
class InView:
    """The spend in view: how many files it comes from, its dates and its classification coverage."""

    council: str  # the name on the data by the rule in council.py ('' when none may be said)
    files: int
    first_date: dt.date | None
    last_date: dt.date | None
    coverage: float | None
    period: str
    part_years: dict[str, str]  # financial year -> 'December to March only', for the part years in view
    coverage_widened: bool = False  # the filters leave unclassified spend out: coverage is of the view without them
    whose: str = "the council's published spend over £500"  # council.Council.whose('published spend over £500')

    @property
    def source(self) -> str:
        """The source line of a spend chart."""
        files = f"{self.files:,} file{'s' if self.files != 1 else ''} with payments in view"
        if self.coverage is None:
            covered = ""
        elif self.coverage_widened:  # 100% by construction otherwise
            covered = (f"; {self.coverage:.1%} by value classified of the same spend without the impact, category "
                       "and influenceable filters")
        else:
            covered = f"; {self.coverage:.1%} of the spend in view by value classified"
        return f"Source: {self.whose} ({files}), data {self.period}{covered}."


def in_view(ws: Workspace, filters: SpendFilters) -> InView:
    """The files, period and coverage of the spend the filters select, with the name on them by the rule in
    council.py (a council's name labels only its own data)."""
    from sp_analysis.ingest.council import council as council_of
    from sp_analysis.spend.facts import ensure_current

    ensure_current(ws)
    where, params = filters.where_sql()
    with ws.read() as cur:
        row = cur.execute(IN_VIEW.format(where=where), params).fetchone()
    assert row is not None
    files, first, last, total, classified, years = row
    # A view that leaves unclassified spend out is wholly classified by construction: the coverage said is then
    # that of the same spend without those filters (classify.coverage_scope, as beside the impact figures).
    wider = coverage_scope(filters)
    if wider is not None:
        where, params = wider.where_sql()
        with ws.read() as cur:
            widened = cur.execute(IN_VIEW.format(where=where), params).fetchone()
        assert widened is not None
        total, classified = widened[3], widened[4]
    coverage = float(classified / total) if total else None
    months = data_months(ws)
    who = council_of(ws)
    return InView(who.label, int(files), first, last, coverage, months.period(first, last),
                  months.part_years(list(years)), wider is not None, who.whose("published spend over £500"))


FILES_IN_VIEW = """
SELECT name FROM loaded_files WHERE file_id IN (SELECT file_id FROM spend_facts WHERE {where}) ORDER BY name
"""


def files_in_view(ws: Workspace, filters: SpendFilters) -> list[str]:
    """The names of the files with payments in view."""
    where, params = filters.where_sql()
    with ws.read() as cur:
        return [str(r[0]) for r in cur.execute(FILES_IN_VIEW.format(where=where), params).fetchall()]
