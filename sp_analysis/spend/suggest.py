"""Suggested categories for unclassified spend: what the rest of the evidence on its payments points to.

The Classification page lists the largest unclassified expense types (or payees, departments, codes) and,
beside each, the category that classified spend sharing its words, its payees and its broad heading is
mostly in. Read from the analysis table and `category_evidence` (sp_analysis/spend/facts.py), not from
every payment joined to its class.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sp_analysis.spend.classify import ClassificationError, Field
from sp_analysis.spend.facts import ensure_current
from sp_analysis.workspace import Workspace


@dataclass(frozen=True)
class Suggestion:
    """The category the rest of the evidence points to for unclassified payments sharing one value."""

    value: str
    category: str
    score: float
    evidence: tuple[str, ...]

    def sentence(self) -> str:
        """Why this category, in words."""
        return f"{self.category}: " + "; ".join(self.evidence) + "."


# Words too common in expense types to say what was bought.
SUGGEST_STOP_WORDS = (
    "and", "the", "for", "other", "misc", "miscellaneous", "general", "sundry", "sundries", "costs", "cost",
    "charges", "charge", "fees", "fee", "payments", "payment", "expenses", "expenditure", "services", "service",
    "with", "from", "non", "not", "all", "various", "purchase", "purchases", "supplies", "items",
)
# Three kinds of evidence, each scoring every category from 0 to 1 for a value's unclassified lines,
# weighted by their absolute amounts; the category with the highest sum is suggested.
# - words: the classified spend whose expense type shares a word with the line's, each word weighted
#   by how rare it is among expense types (inverse document frequency);
# - supplier: the categories of the same payees' classified payments (not for redacted payees);
# - heading: the categories of classified payments under the same broad heading (expense category).
SUGGEST_CATEGORIES = r"""
WITH targets AS (SELECT DISTINCT unnest($values::VARCHAR[]) AS value),
lines AS MATERIALIZED (
    SELECT t.value, f.expense_type, f.expense_category,
           CASE WHEN f.is_redacted THEN NULL ELSE coalesce(f.supplier_id, f.supplier_name) END AS supplier_key,
           sum(abs(f.amount)) AS weight
    FROM spend_facts f JOIN targets t ON f.{field} = t.value
    WHERE f.category = 'Unclassified'
    GROUP BY ALL
),
line_weight AS (SELECT value, sum(weight) AS weight FROM lines GROUP BY value HAVING sum(weight) > 0),
-- the classified spend by expense type, by payee and by broad heading (built with the analysis table)
placed_by_type AS (SELECT expense_type, category, weight FROM category_evidence WHERE expense_type IS NOT NULL),
-- words
split AS (
    SELECT DISTINCT expense_type, word
    FROM (SELECT expense_type, unnest(regexp_split_to_array(lower(expense_type), '[^a-z0-9]+')) AS word
          FROM (SELECT DISTINCT expense_type FROM placed_by_type UNION SELECT DISTINCT expense_type FROM lines)
          WHERE expense_type IS NOT NULL)
    WHERE length(word) >= 3 AND NOT list_contains($stop_words::VARCHAR[], word) AND NOT regexp_matches(word, '^[0-9]+$')
),
placed_types AS (SELECT count(DISTINCT expense_type) AS n FROM placed_by_type),
word_cats AS (
    SELECT s.word, p.category, sum(p.weight) AS weight
    FROM placed_by_type p JOIN split s USING (expense_type) GROUP BY ALL
),
word_share AS (
    SELECT word, category, weight / sum(weight) OVER (PARTITION BY word) AS share FROM word_cats
),
word_idf AS (
    SELECT s.word, ln(1 + (SELECT n FROM placed_types) / count(DISTINCT s.expense_type)) AS idf
    FROM split s SEMI JOIN placed_by_type p USING (expense_type) GROUP BY s.word
),
line_words AS (
    SELECT l.value, l.expense_type, l.weight, s.word, i.idf,
           sum(i.idf) OVER (PARTITION BY l.value, l.expense_type, l.expense_category, l.supplier_key) AS idf_total
    FROM lines l JOIN split s USING (expense_type) JOIN word_idf i USING (word)
),
by_words AS (
    SELECT lw.value, ws.category,
           sum(lw.weight * ws.share * lw.idf / lw.idf_total) / any_value(w.weight) AS score,
           list(DISTINCT lw.word ORDER BY lw.word) AS words
    FROM line_words lw JOIN word_share ws USING (word) JOIN line_weight w USING (value)
    GROUP BY ALL
),
-- supplier
supplier_share AS (
    SELECT supplier_key, category, weight / sum(weight) OVER (PARTITION BY supplier_key) AS share
    FROM (SELECT payee AS supplier_key, category, weight FROM category_evidence WHERE payee IS NOT NULL)
),
by_supplier AS (
    SELECT l.value, s.category, sum(l.weight * s.share) / any_value(w.weight) AS score
    FROM lines l JOIN supplier_share s USING (supplier_key) JOIN line_weight w USING (value)
    GROUP BY ALL
),
-- heading
heading_share AS (
    SELECT expense_category, category, weight / sum(weight) OVER (PARTITION BY expense_category) AS share
    FROM (SELECT expense_category, category, weight FROM category_evidence WHERE expense_category IS NOT NULL)
),
by_heading AS (
    SELECT l.value, h.category, sum(l.weight * h.share) / any_value(w.weight) AS score,
           list(DISTINCT l.expense_category ORDER BY l.expense_category) AS headings
    FROM lines l JOIN heading_share h USING (expense_category) JOIN line_weight w USING (value)
    GROUP BY ALL
),
scored AS (
    SELECT value, category,
           coalesce(w.score, 0) AS words_score, w.words,
           coalesce(s.score, 0) AS supplier_score,
           coalesce(h.score, 0) AS heading_score, h.headings
    FROM by_words w FULL JOIN by_supplier s USING (value, category) FULL JOIN by_heading h USING (value, category)
)
-- The best category, when it beats the next one: a tie suggests nothing.
SELECT value, category, score, words_score, words, supplier_score, heading_score, headings
FROM (SELECT *, lead(score) OVER (PARTITION BY value ORDER BY score DESC, category) AS runner_up,
             row_number() OVER (PARTITION BY value ORDER BY score DESC, category) AS place
      FROM (SELECT *, words_score + supplier_score + heading_score AS score FROM scored))
WHERE place = 1 AND score > 0 AND (runner_up IS NULL OR score > runner_up)
ORDER BY value
"""
SUGGEST_FIELDS: tuple[Field, ...] = ("expense_type", "supplier_name", "department", "expense_code")


def suggest_categories(ws: Workspace, values: Sequence[str], by: Field = "expense_type") -> dict[str, Suggestion]:
    """For each value of `by` (as the unclassified list shows it), the category the other evidence on its
    unclassified payments points to: the classified spend whose expense type shares its words, the
    usual category of the same payees, and that of the same broad heading. One SQL statement for all
    the values, over the analysis table and its summary of classified spend (brought up to date first);
    a value whose payments carry no such evidence gets no suggestion."""
    if by not in SUGGEST_FIELDS:
        raise ClassificationError(f"Cannot suggest by {by!r}: choose one of {', '.join(SUGGEST_FIELDS)}.")
    wanted = [v for v in dict.fromkeys(values) if v is not None]
    if not wanted:
        return {}
    ensure_current(ws)
    with ws.read() as cur:
        rows = cur.execute(SUGGEST_CATEGORIES.format(field=by),
                           {"values": wanted, "stop_words": list(SUGGEST_STOP_WORDS)}).fetchall()
    suggestions: dict[str, Suggestion] = {}
    for value, category, score, words_score, words, supplier_score, heading_score, headings in rows:
        evidence = []
        if words_score:
            listed = ", ".join(f"'{w}'" for w in (words or [])[:4])
            evidence.append(f"{words_score:.0%} of the classified spend with the words {listed} in its expense "
                            "type is there")
        if supplier_score:
            evidence.append(f"{supplier_score:.0%} of the same payees' classified spend is there")
        if heading_score:
            heading = " or ".join(f"'{h}'" for h in (headings or [])[:2])
            evidence.append(f"{heading_score:.0%} of the classified spend under the broad heading {heading} is there")
        # Evidence that gives the category under a tenth is left out of the words (it still counts in the
        # score), unless it is all there is.
        scores = [s for s in (words_score, supplier_score, heading_score) if s]
        pairs = list(zip(evidence, scores, strict=True))
        strong = [e for e, s in pairs if s >= 0.1] or [max(pairs, key=lambda pair: pair[1])[0]]
        suggestions[value] = Suggestion(value, category, float(score), tuple(strong))
    return suggestions
