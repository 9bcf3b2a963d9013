"""The Classification page for a person (rules in words, plain column names, a suggested category, a rule's
effect before it is saved) and coverage beside every impact figure on the Overview and Impact areas pages."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from sp_analysis.ingest.load import load_file
from sp_analysis.spend import classify
from sp_analysis.workspace import close_workspace, open_workspace
from tests.conftest import rule_spend_csv, run_page


@pytest.fixture
def small(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "app.duckdb"
    monkeypatch.setenv("SP_WORKSPACE", str(path))
    load_file(open_workspace(path), "small.csv", rule_spend_csv(), "spend")
    yield path
    close_workspace(path)


def test_every_table_on_the_page_has_plain_column_names(small: Path) -> None:
    at = run_page("views/classification.py")
    for table in at.dataframe:
        assert not [c for c in table.value.columns if "_" in str(c)], list(table.value.columns)
    unclassified = at.dataframe[0].value
    assert list(unclassified.columns) == ["Expense type", "Payments", "Net spend", "Suggested category",
                                          "Why that category"]
    assert list(unclassified["Expense type"]) == ["Bulky item rounds", "Widget sundry", "Quarterly invoice", "Zqx",
                                                  "Bulky  Item Rounds"]
    assert list(unclassified["Net spend"]) == ["£1,000.00", "£300.10", "£100.00", "£33.33", "-£200.25"]
    assert list(unclassified["Suggested category"]) == ["Waste", "", "Health and social care", "", "Waste"]
    assert [r.label for r in at.radio if r.key == "unclassified_by"] == ["Group by"]
    assert at.radio(key="unclassified_by").options == ["Expense type", "Supplier name", "Department", "Expense code"]


def test_rules_are_in_words_and_the_patterns_only_when_asked(small: Path) -> None:
    at = run_page("views/classification.py")
    rules = next(d.value for d in at.dataframe if "Rule" in d.value.columns)
    assert list(rules.columns) == ["Order", "Looks at", "Rule", "Category"]
    pension = rules[rules["Category"] == "Pensions"]["Rule"].iloc[0]
    assert pension == "Supplier name mentions the payee is a pension fund"
    assert not any("\\b" in r for r in rules["Rule"])  # no regular expression shown
    assert not [b for b in at.button if b.key == "rules_save"]
    at.toggle(key="rules_show_patterns").set_value(True)
    at.run()
    assert not at.exception
    rules = next(d.value for d in at.dataframe if "Rule" in d.value.columns and "Pattern" in d.value.columns)
    assert rules["Pattern"].iloc[0].startswith('supplier name matches "\\bpension fund\\b')
    assert at.button(key="rules_save")


def test_make_a_rule_suggests_the_category_and_shows_its_effect_before_saving(small: Path) -> None:
    at = run_page("views/classification.py")
    assert at.selectbox(key="make_rule_value").value == "Bulky item rounds"
    category = next(s for s in at.selectbox if s.label == "Category")
    names = [c.category for c in classify.load_categories(open_workspace(small)) if c.category != "Unclassified"]
    assert names[0] != "Waste" and category.value == "Waste"  # the evidence, not the first in the list
    assert any("Suggested: Waste: 52% of the classified spend with the words 'bulky'" in c.value for c in at.caption)
    effect = next(d.value for d in at.dataframe if list(d.value.columns) == ["From", "To", "Payments", "Net spend"])
    assert effect.to_dict("records") == [
        {"From": "Unclassified", "To": "Waste", "Payments": 3, "Net spend": "£1,099.85"},
        {"From": "Construction", "To": "Waste", "Payments": 1, "Net spend": "£75.00"}]
    assert any("it would move **4 payments, £1,174.85 net**" in m.value for m in at.markdown)
    assert any(c.value == "Classified by value: 63.5% now, 96.1% with this rule." for c in at.caption)
    assert [w.value for w in at.warning] == [
        "1 of these payments (£75.00 net) are in another category now: this rule would come before the rule that "
        "placed them."]
    ws = open_workspace(small)
    assert not [r for r in classify.load_rules(ws) if r.rule_id == "U-bulky-item-rounds"]  # not saved yet

    at.button(key="make_rule_submit").click()
    at.run()
    assert not at.exception
    assert any("Rule saved: Expense type is 'Bulky item rounds' goes to Waste." in s.value for s in at.success)
    assert classify.classification_coverage(ws).classified_total == Decimal("3244.90")
    assert list(at.dataframe[0].value["Expense type"]) == ["Quarterly invoice", "Zqx"]
    assert {m.label: m.value for m in at.metric}["Classified by value"] == "96.1%"


def test_a_category_with_no_evidence_is_left_to_choose(small: Path) -> None:
    at = run_page("views/classification.py")
    at.selectbox(key="make_rule_value").set_value("Zqx")
    at.run()
    category = next(s for s in at.selectbox if s.label == "Category")
    assert category.value is None
    assert not [b for b in at.button if b.key == "make_rule_submit"]


def test_a_rule_for_a_supplier_from_the_list(small: Path) -> None:
    at = run_page("views/classification.py")
    at.radio(key="unclassified_by").set_value("supplier_name")
    at.run()
    table = at.dataframe[0].value
    assert table.columns[0] == "Supplier name"
    assert dict(zip(table["Supplier name"], table["Suggested category"], strict=True)) == {
        "Ardent Ltd": "Waste", "Grove Ltd": "Health and social care", "Ixworth Ltd": ""}
    at.selectbox(key="make_rule_value").set_value("Grove Ltd")
    at.run()
    assert any("Supplier name is 'Grove Ltd'" in m.value for m in at.markdown)
    effect = next(d.value for d in at.dataframe if list(d.value.columns) == ["From", "To", "Payments", "Net spend"])
    assert effect.to_dict("records") == [
        {"From": "Unclassified", "To": "Health and social care", "Payments": 1, "Net spend": "£100.00"}]


def helps(at: AppTest) -> dict[str, str]:
    return {m.label: m.proto.help for m in at.metric}


def test_overview_shows_coverage_beside_each_impact_figure(small: Path) -> None:
    at = run_page("views/overview.py")
    beside = ("Classification coverage of the spend in view: 63.5% classified (£2,145.05 of £3,378.23 net spend "
              "in view). Share of net spend, by value, placed in a category other than Unclassified.")
    for label in ("Influenceable spend", "Over £100k", "High-impact areas"):
        assert beside in helps(at)[label], label
    assert {m.label: m.value for m in at.metric}["Classification coverage"] == "63.5%"
    assert any("classification coverage: 63.5% classified" in c.value for c in at.caption)
    # Said once under the title: the figures' caption, not a second note above them.
    assert len([c for c in at.caption if "coverage" in c.value.lower()]) == 1
    at.multiselect(key="filter_departments").set_value(["Corporate"])
    at.run()
    assert not at.exception
    assert "62.1% classified (£2,020.00 of £3,253.18 net spend in view)" in helps(at)["High-impact areas"]


def test_impact_areas_shows_coverage_beside_each_impact_figure(small: Path) -> None:
    at = run_page("views/impact_areas.py")
    for label in ("High-impact spend", "High-impact over £100k", "Influenceable spend"):
        assert "Classification coverage of the spend in view: 63.5% classified" in helps(at)[label], label
    assert {m.label: m.value for m in at.metric}["Classification coverage"] == "63.5%"
    assert len([c for c in at.caption if "coverage" in c.value.lower()]) == 1
    at.multiselect(key="filter_impacts").set_value(["High"])
    at.run()
    assert not at.exception
    assert ("100.0% classified (£2,145.05 of £2,145.05 net spend in view), as the filters leave unclassified spend "
            "out; without the impact, category and influenceable filters 63.5% classified") in helps(at)["High-impact spend"]
