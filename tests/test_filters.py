"""Every filter of the product (spend, the contracts register, the action plan) words itself, names files
and narrows from one table of parts: the same rules hold for all three."""

from __future__ import annotations

import duckdb
import pytest

from sp_analysis.contracts.register import ContractFilters
from sp_analysis.plan.actions import PlanFilter
from sp_analysis.spend.filters import Filters, SpendFilters


@pytest.mark.parametrize("empty", [SpendFilters(), ContractFilters(), PlanFilter()])
def test_an_empty_filter_is_all_and_not_narrowed(empty: Filters) -> None:
    assert not empty.narrowed
    assert empty.describe() == empty.ALL_WORDS
    assert empty.slug() == empty.ALL_SLUG


def test_each_filter_names_every_part_in_words_and_in_the_file_name() -> None:
    contract = ContractFilters(departments=("Place", "People"), statuses=("Live",), search=" Waste ")
    assert contract.narrowed
    assert contract.describe() == ("department: Place, People; status: Live; "
                                   "title, reference, supplier or description contains 'Waste'")
    assert contract.slug() == "department-place+people_status-live_search-waste"
    plan = PlanFilter(officers=("JS", "DB"), levels=(2,), overdue_only=True)
    assert plan.describe() == "level 2; officers JS or DB; overdue only"
    assert plan.slug() == "level-2_officers-js+db_overdue-only"


@pytest.mark.parametrize("make", [
    lambda names: SpendFilters(departments=names, impacts=("High",)),
    lambda names: ContractFilters(departments=names, impacts=("High",)),
])
def test_a_file_name_too_long_gives_the_longest_list_as_a_count(make) -> None:  # type: ignore[no-untyped-def]
    names = tuple(f"Department number {i}" for i in range(30))
    assert make(names).slug() == "30-departments_impact-high"
    # Every name is kept in the words, whatever the length.
    assert all(name in make(names).describe() for name in names)


def test_narrow_replaces_parts_and_keeps_the_rest() -> None:
    base = SpendFilters(financial_years=("2024/25",), supplier_search="acme")
    narrowed = base.narrow(impacts=("High",))
    assert narrowed == SpendFilters(financial_years=("2024/25",), supplier_search="acme", impacts=("High",))
    assert base.impacts == ()
    assert ContractFilters().narrow(statuses=("Live",)).statuses == ("Live",)


@pytest.mark.parametrize("filters", [
    SpendFilters(financial_years=("2024/25",), departments=("Place",), influenceable_only=True),
    ContractFilters(departments=("Place",), statuses=("Live",), search="x"),
])
def test_the_where_clause_binds_every_value(filters: SpendFilters | ContractFilters) -> None:
    where, params = filters.where_sql()
    assert "Place" not in where and "2024/25" not in where and "Live" not in where
    con = duckdb.connect()
    con.execute("CREATE TABLE t (financial_year TEXT, department TEXT, influenceable BOOLEAN, status TEXT, "
                "title TEXT, reference TEXT, supplier_name TEXT, description TEXT)")
    con.execute("INSERT INTO t VALUES ('2024/25', 'Place', true, 'Live', 'x', NULL, NULL, NULL), "
                "('2023/24', 'Place', true, 'Live', 'y', NULL, NULL, NULL)")
    assert con.execute(f"SELECT count(*) FROM t WHERE {where}", params).fetchone() == (1,)
