"""A rule's effect before it is saved, the category the evidence suggests, and coverage beside figures."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest

from sp_analysis.ingest.load import load_file
from sp_analysis.output import pack
from sp_analysis.spend import classify, queries
from sp_analysis.spend.classify import (
    ClassificationError,
    Move,
    Rule,
    classify_spend,
    coverage_in_words,
    coverage_scope,
    ensure_classified,
    load_rules,
    rule_effect,
    rule_from_expense_type,
    rule_from_value,
    save_rule,
)
from sp_analysis.spend.facts import ensure_current
from sp_analysis.spend.filters import SpendFilters
from sp_analysis.spend.suggest import suggest_categories
from sp_analysis.workspace import SPEND_FACTS_STALE, Workspace
from tests.conftest import RULE_LINES, rule_spend_csv


@pytest.fixture
def small(ws: Workspace) -> Workspace:
    load_file(ws, "small.csv", rule_spend_csv(), "spend")
    ensure_classified(ws)
    return ws


def categories_now(ws: Workspace) -> dict[int, tuple[str, str | None]]:
    with ws.read() as cur:
        return {row: (category, rule_id) for row, category, rule_id in
                cur.execute("SELECT source_row, category, rule_id FROM payment_classes").fetchall()}


def test_the_fixture_starts_as_the_default_rules_place_it(small: Workspace) -> None:
    placed = {row: category for row, (category, _rule) in categories_now(small).items()}
    assert placed == {2: "Unclassified", 3: "Unclassified", 4: "Unclassified", 5: "Waste", 6: "Construction",
                      7: "Waste", 8: "Waste", 9: "Health and social care", 10: "Unclassified",
                      11: "Health and social care", 12: "Unclassified"}


def test_rule_effect_is_exact_and_saves_nothing(small: Workspace) -> None:
    rule = rule_from_expense_type("Bulky item rounds", "Waste")
    before = categories_now(small)
    rules_before = load_rules(small)
    version = small.data_version()

    effect = rule_effect(small, rule)

    # Independently: the rule (exact, any case and spacing) takes rows 2, 3, 5 and 6, ahead of the context
    # rules that placed 5 and 6; then Ardent has two of its three lines in Waste, so its usual category takes
    # row 4 too. Row 5 was already Waste and does not move.
    amounts = {row: Decimal(line[2]) for row, line in enumerate(RULE_LINES, start=2)}
    expected: dict[tuple[str, str], list[Decimal]] = defaultdict(list)
    for row, to in ((2, "Waste"), (3, "Waste"), (4, "Waste"), (5, "Waste"), (6, "Waste")):
        if before[row][0] != to:
            expected[(before[row][0], to)].append(amounts[row])
    assert expected == {("Unclassified", "Waste"): [Decimal("1000.00"), Decimal("-200.25"), Decimal("300.10")],
                        ("Construction", "Waste"): [Decimal("75.00")]}
    assert effect.moves == (Move("Unclassified", "Waste", 3, Decimal("1099.85")),
                            Move("Construction", "Waste", 1, Decimal("75.00")))
    assert (effect.payments_moved, effect.total_moved) == (4, Decimal("1174.85"))
    assert (effect.placed_by_rule, effect.placed_by_rule_total) == (4, amounts[2] + amounts[3] + amounts[5] + amounts[6])
    classified_before = sum(amounts[r] for r in (5, 6, 7, 8, 9, 11))
    assert effect.classified_before == classified_before == Decimal("2145.05")
    assert effect.classified_after == classified_before + Decimal("1099.85")
    assert effect.total == sum(amounts.values()) == Decimal("3378.23")

    # Nothing was written, and the temp tables are gone.
    assert categories_now(small) == before
    assert load_rules(small) == rules_before
    assert small.data_version() == version
    with small.read() as cur:
        assert cur.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchone() == (0,)

    # Saving the rule and classifying moves exactly the payments the preview named.
    save_rule(small, rule)
    classify_spend(small)
    after = categories_now(small)
    moved: dict[tuple[str, str], list[Decimal]] = defaultdict(list)
    for row, (category, _rule) in after.items():
        if category != before[row][0]:
            moved[(before[row][0], category)].append(amounts[row])
    assert {k: (len(v), sum(v)) for k, v in moved.items()} == {
        (m.from_category, m.to_category): (m.payments, m.total) for m in effect.moves}
    assert after[4] == ("Waste", "USUAL")


def test_rule_effect_of_a_rule_replacing_one_with_the_same_id(small: Workspace) -> None:
    save_rule(small, rule_from_expense_type("Zqx", "Waste", rule_id="U-mine"))
    classify_spend(small)
    effect = rule_effect(small, rule_from_expense_type("Zqx", "Furniture", rule_id="U-mine"))
    assert effect.moves == (Move("Waste", "Furniture", 1, Decimal("33.33")),)
    assert effect.classified_after == effect.classified_before


def test_rule_effect_refuses_a_rule_it_cannot_use(small: Workspace) -> None:
    with pytest.raises(ClassificationError, match="taxonomy does not have"):
        rule_effect(small, rule_from_expense_type("Zqx", "No such category"))


def test_suggestions_follow_the_evidence(small: Workspace) -> None:
    found = suggest_categories(small, ["Bulky item rounds", "Quarterly invoice", "Zqx", "Widget sundry", "absent"])
    # Bulky item rounds: its words are mostly Waste elsewhere (not Construction, the first such category).
    assert found["Bulky item rounds"].category == "Waste"
    assert "'bulky', 'item', 'rounds'" in found["Bulky item rounds"].evidence[0]
    # Quarterly invoice: no words elsewhere; its payee's other spend is all care (1.0), and its heading
    # 'Supplies and Services' is half Waste, half care (0.5 each): 1.5 for care, 0.5 for Waste.
    quarterly = found["Quarterly invoice"]
    assert (quarterly.category, quarterly.score) == ("Health and social care", 1.5)
    assert quarterly.evidence == ("100% of the same payees' classified spend is there",
                                  "50% of the classified spend under the broad heading 'Supplies and Services' is there")
    assert quarterly.sentence().startswith("Health and social care: 100% of the same payees'")
    # Zqx has no evidence; Widget sundry's only evidence is a tie (Supplies and Services, half and half); 'absent' has no lines.
    assert set(found) == {"Bulky item rounds", "Quarterly invoice"}


def test_category_evidence_sums_the_classified_spend_three_ways(small: Workspace) -> None:
    ensure_current(small)
    placed = categories_now(small)
    # Independently, from the fixture's lines and the category each landed in: absolute amounts of the
    # classified lines, by expense type (as published), by payee id and by broad heading.
    expected: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for row, (_name, payee_id, amount, _area, expense_type, heading) in enumerate(RULE_LINES, start=2):
        category = placed[row][0]
        if category == "Unclassified":
            continue
        for kind, key in (("type", expense_type), ("payee", payee_id), ("heading", heading)):
            if key:
                expected[(kind, key, category)] += abs(Decimal(amount))
    with small.read() as cur:
        rows = cur.execute("SELECT expense_type, payee, expense_category, category, weight FROM category_evidence").fetchall()
    found = {("type" if t is not None else "payee" if p is not None else "heading", t or p or h, c): w
             for t, p, h, c, w in rows}
    assert len(found) == len(rows)  # each row belongs to one of the three
    assert found == dict(expected)
    assert found[("payee", "D1", "Waste")] == Decimal("620.00")


def test_suggestions_by_supplier_and_for_nothing(small: Workspace) -> None:
    assert suggest_categories(small, []) == {}
    by_supplier = suggest_categories(small, ["Grove Ltd", "Ardent Ltd"], "supplier_name")
    assert by_supplier["Grove Ltd"].category == "Health and social care"
    assert by_supplier["Ardent Ltd"].category == "Waste"
    with pytest.raises(ClassificationError):
        suggest_categories(small, ["x"], "supplier_id")


def test_rule_from_value_picks_the_layer_of_its_column() -> None:
    assert rule_from_value("supplier_name", " Ardent  Ltd ", "Waste").__dict__ == {
        "rule_id": "US-ardent-ltd", "layer": "supplier", "field": "supplier_name", "match": "exact",
        "pattern": "Ardent Ltd", "category": "Waste", "priority": 10,
        "note": 'made from the unclassified supplier name "Ardent Ltd"'}
    assert rule_from_value("expense_type", "Zqx", "Waste") == rule_from_expense_type("Zqx", "Waste")
    assert rule_from_value("department", "Corporate", "Waste").layer == "context"
    with pytest.raises(ClassificationError):
        rule_from_value("supplier_name", "  ", "Waste")


def test_coverage_in_view_follows_the_filters(small: Workspace) -> None:
    ensure_current(small)
    amounts = [Decimal(line[2]) for line in RULE_LINES]
    head = queries.headline(small, SpendFilters())
    assert (head.classified, head.total) == (Decimal("2145.05"), sum(amounts))
    assert coverage_in_words(head.classified, head.total) == "63.5% classified (£2,145.05 of £3,378.23 net spend in view)"
    corporate = queries.headline(small, SpendFilters(departments=("Corporate",)))
    corporate_total = sum(Decimal(line[2]) for line in RULE_LINES if line[3] == "Corporate")
    assert (corporate.classified, corporate.total) == (Decimal("2020.00"), corporate_total)
    assert coverage_in_words(Decimal(0), Decimal(0)) == "no spend in view"


def test_the_pack_puts_coverage_beside_each_impact_figure(small: Workspace) -> None:
    built = pack.build_pack(small, [], SpendFilters(departments=("Corporate",)))
    figures = {measure: (figure, definition) for measure, figure, definition in built.key_figures}
    coverage = "62.1% classified (£2,020.00 of £3,253.18 net spend in view)"
    for measure in ("Influenceable spend", "Spend with suppliers over £100k", "High-impact spend",
                    "High-impact spend over £100k"):
        assert figures[measure][0].endswith(f"; {coverage}"), figures[measure]
        assert queries.DEFINITIONS["coverage"] in figures[measure][1]
    assert figures["Classification coverage"][0].startswith("62.1%")


def test_coverage_beside_a_view_that_leaves_unclassified_spend_out(small: Workspace) -> None:
    ensure_current(small)
    high = SpendFilters(impacts=("High",))
    assert coverage_scope(high) == SpendFilters()
    assert coverage_scope(SpendFilters(impacts=("High", "Unclassified"))) is None
    assert coverage_scope(SpendFilters(influenceable_only=True, departments=("Corporate",))) == SpendFilters(
        departments=("Corporate",))
    built = pack.build_pack(small, [], high)
    figure = dict((m, f) for m, f, _d in built.key_figures)["High-impact spend"]
    assert figure.endswith("; 100.0% classified (£2,145.05 of £2,145.05 net spend in view), as the filters leave "
                           "unclassified spend out; without the impact, category and influenceable filters 63.5% "
                           "classified (£2,145.05 of £3,378.23 net spend in view)")


@pytest.mark.parametrize("rule", [
    rule_from_expense_type("Bulky item rounds", "Waste"),
    rule_from_expense_type("Zqx", "Furniture"),
    rule_from_value("supplier_name", "Ardent Ltd", "Construction"),
    rule_from_value("department", "Corporate", "Waste"),
    Rule("X-late", "context", "expense_type", "contains", "waste", "Furniture", 999, ""),
    Rule("X-early", "keyword", "expense_type", "regex", r"^(bulky|clinical)\b", "Unclassified", 0, ""),
    Rule("X-prefix", "supplier", "supplier_name", "prefix", "grove", "Waste", 5, ""),
], ids=lambda rule: rule.rule_id)
@pytest.mark.parametrize("tables", ["current", "stale"])
def test_rule_effect_trying_one_rule_matches_classifying_everything_again(
        small: Workspace, rule: Rule, tables: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The quick way (only the new rule tried, counted per spelling) gives what re-running every rule gives,
    whether it counts from the analysis tables (current) or from the payments and their classes (stale)."""
    if tables == "current":
        ensure_current(small)
    with small.read() as cur:
        assert cur.execute(SPEND_FACTS_STALE).fetchone() == ((tables == "stale"),)
    tried: list[Rule] = []
    one_rule = classify._rule_effect_of_one_rule
    monkeypatch.setattr(classify, "_rule_effect_of_one_rule", lambda cur, r: tried.append(r) or one_rule(cur, r))
    quick = rule_effect(small, rule)
    assert tried == [rule]
    monkeypatch.setattr(classify, "EFFECT_STATE", "SELECT false AND $rule_id IS NOT NULL")
    assert rule_effect(small, rule) == quick
    assert len(tried) == 1
    with small.read() as cur:
        assert cur.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchone() == (0,)
