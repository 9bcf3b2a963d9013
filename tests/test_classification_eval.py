"""The default rules measured on a hand-labelled evaluation set from ten councils' spend files.

tests/fixtures/classification_eval.csv holds 455 (payee, expense words, department) combinations drawn by
value and labelled by reading them (tests/fixtures/classification_eval.md says how). Each is loaded as one
payment line through the loader, with the headers councils use, then classified by the bundled rules.
Coverage is the share of value placed in a category other than Unclassified; precision the share of
the classified value in the labelled category. Each council counts equally: a row weighs its value over
its council's sampled total. Run with -s to see the figures and the largest mistakes.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from sp_analysis.ingest.load import load_file
from sp_analysis.spend.classify import UNCLASSIFIED, classify_spend, install_default_taxonomy, load_categories
from sp_analysis.workspace import Workspace

FIXTURE = Path(__file__).parent / "fixtures" / "classification_eval.csv"
HEADER = ("Date", "Supplier Name", "Expense Type", "Expenditure Category", "Procurement Classification",
          "Department", "Creditor Type", "Amount")


def eval_rows() -> list[dict[str, str]]:
    with FIXTURE.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def classify_eval_set(ws: Workspace) -> list[tuple[dict[str, str], str, str | None]]:
    """Each fixture row with the category and rule the default rules give it."""
    rows = eval_rows()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow(("01/04/2024", row["payee"], row["expense_type"], row["expense_category"],
                         row["procurement_class"], row["department"], row["creditor_type"], row["value"]))
    install_default_taxonomy(ws)
    result = load_file(ws, "classification_eval.csv", out.getvalue().encode(), "spend")
    classify_spend(ws)
    with ws.read() as cur:
        placed = dict(((r, (c, rule)) for r, c, rule in cur.execute(
            "SELECT source_row, category, rule_id FROM payment_classes WHERE file_id = ?", [result.file_id]
        ).fetchall()))
    assert len(placed) == len(rows)
    return [(row, *placed[line]) for line, row in enumerate(rows, start=2)]


def measure(results: list[tuple[dict[str, str], str, str | None]]) -> dict[str, object]:
    labelled = [(row, got, rule) for row, got, rule in results if row["category"]]
    council_total: dict[str, Decimal] = defaultdict(Decimal)
    for row, _got, _rule in labelled:
        council_total[row["council"]] += Decimal(row["value"])
    total = classified = right = Decimal(0)
    mistakes: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    examples: dict[tuple[str, str], str] = {}
    for row, got, rule in labelled:
        weight = Decimal(row["value"]) / council_total[row["council"]]
        total += weight
        if got == UNCLASSIFIED:
            continue
        classified += weight
        if got == row["category"]:
            right += weight
        else:
            key = (row["category"], got)
            mistakes[key] += weight
            if key not in examples or Decimal(row["value"]) > Decimal(examples[key].split(" £")[-1]):
                words = row["expense_type"] or row["expense_category"]
                examples[key] = f"{row['council']}: {row['payee']} / {words} [{rule}] £{row['value']}"
    return {"coverage": classified / total, "precision": right / classified if classified else Decimal(0),
            "mistakes": sorted(mistakes.items(), key=lambda kv: -kv[1]), "examples": examples,
            "councils": len(council_total)}


def test_the_fixture_is_labelled_with_the_bundled_categories(ws: Workspace) -> None:
    install_default_taxonomy(ws)
    names = {c.category: c.impact for c in load_categories(ws)}
    rows = eval_rows()
    # Two months of one council can share a combination: at least 400 are distinct all the same.
    keys = {(r["council"], r["payee"], r["expense_type"], r["expense_category"], r["department"]) for r in rows}
    assert len(keys) >= 400
    for row in rows:
        if row["category"]:
            assert names.get(row["category"]) == row["impact"], row


def test_coverage_and_precision_on_the_hand_labelled_set(ws: Workspace) -> None:
    figures = measure(classify_eval_set(ws))
    coverage, precision = figures["coverage"], figures["precision"]
    councils = figures["councils"]
    print(f"\ncoverage {coverage:.1%}, precision {precision:.1%} over {councils} councils (each weighted equally)")
    print("largest mistakes (labelled -> given, share of all value):")
    for (want, got), share in figures["mistakes"][:15]:  # type: ignore[index]
        example = figures["examples"][(want, got)]  # type: ignore[index]
        print(f"  {share / councils:.2%}  {want} -> {got}   e.g. {example}")  # type: ignore[operator]
    assert coverage >= Decimal("0.95")
    assert precision >= Decimal("0.95")
