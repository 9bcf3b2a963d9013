"""Canonical columns, the header words councils use for them, and finding the header row.

Header cells are compared by their words, not their spelling: 'NetAmount', 'net_amount', 'Nett Amount (£)'
and 'Amount: net' all read as {net, amount}. `header_words` splits CamelCase and snake_case, drops units
and punctuation, singularises, spells out known abbreviations ('inv', 'amt', 'nett', 'subj', 'trans no')
and splits run-together words it knows ('transno', 'suppliername'). Each canonical column has an ordered
list of wordings: a header whose words are exactly one of them scores high (earlier wordings higher); a
header holding all of a wording's words and a few more scores lower; a header with one of the column's
excluded words (VAT for the amount, say) never matches. Required columns choose first, then the rest,
each header cell serving one column.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from sp_analysis.ingest.text import plain_spaces

Kind = Literal["spend", "contracts"]


@dataclass(frozen=True)
class Canonical:
    """One column the product understands, with the header wordings that mean it (strongest first).

    `excludes`: words that, in a header, mean something else (VAT beside an amount, a code beside a name).
    `schema`: where the column's names come from besides councils' own files, for the README table.
    """

    name: str
    label: str
    synonyms: tuple[str, ...]
    required: bool = False
    excludes: tuple[str, ...] = ()


# Published layouts whose field names are recognised unasked (their names sit among the synonyms below).
PUBLISHED_SCHEMAS: dict[str, str] = {
    "LGA spend (open data schema)": "OrganisationLabel, OrganisationURI, EffectiveDate, OrganisationalUnit, "
    "BeneficiaryName, BeneficiaryOtherID, PaymentDate, TransactionNumber, Amount, IrrecoverableVATAmount, "
    "Purpose, ProclassLabel, ProclassCode, InvoiceNumber, VATRegistrationNumber",
    "LGA / Data Mill North spend": "Body name, Service label, Expenditure category, Detailed expenditure type, "
    "Net amount, Supplier name, Capital or revenue",
    "LGA contracts register": "Title of the Agreement, Contract Reference number / ID, Open Contracting ID, "
    "Contract value, Supplier registered company number, SME supplier, VCSE supplier, CPV code, Proclass code",
    "Transparency Code spend (Devon, Warwickshire)": "Body, Name of Body, Date, Transaction Number, Amount, "
    "Supplier Name, Supplier ID, Expense Area, Expense Type, Expense Code, Creditor Type",
}

SPEND_COLUMNS: tuple[Canonical, ...] = (
    Canonical(
        "payment_date",
        "Date",
        (
            "payment date", "date paid", "paid date", "pay date", "date", "date of payment", "clearing date",
            "transaction date", "expenditure date", "posting date", "posted date", "invoice payment date",
            "payment run date", "cheque date", "bacs date", "date incurred", "period date", "period",
            "invoice creation date", "invoice date", "effective date", "month", "paid",
        ),
        required=True,
        excludes=("received", "birth", "start", "end", "due", "approval", "updated"),
    ),
    Canonical(
        "supplier_name",
        "Payee / supplier name",
        (
            "supplier name", "supplier", "payee", "payee name", "beneficiary name", "beneficiary", "vendor name",
            "vendor", "creditor name", "creditor", "merchant name", "merchant", "recipient name", "recipient",
            "supplier payee", "company name", "trader name", "name", "ap ar id t",
        ),
        required=True,
        excludes=("id", "number", "code", "type", "category", "reference", "redact", "postcode", "address",
                  "body", "organisation", "authority", "council", "directorate", "department", "service", "cost",
                  "centre", "account", "contact", "group"),
    ),
    Canonical(
        "amount",
        "Amount",
        (
            "net amount", "amount", "net", "net value", "amount paid", "paid amount", "payment amount", "value",
            "invoice amount", "line amount", "invoice line value", "transaction amount", "total amount",
            "expenditure", "spend", "gbp", "sum", "total", "cost", "gross amount", "gross",
        ),
        required=True,
        excludes=("vat", "code", "id", "number", "type", "category", "description", "date", "reference",
                  "name", "count", "threshold", "band"),
    ),
    Canonical(
        "supplier_id",
        "Supplier id",
        (
            "supplier id", "supplier number", "supplier code", "supplier reference", "supplier account",
            "vendor id", "vendor number", "creditor id", "creditor number", "creditor reference", "payee id",
            "beneficiary id", "beneficiary other id", "supplier account number",
        ),
        excludes=("vat", "company", "charity", "registration"),
    ),
    Canonical(
        "department",
        "Department / expense area",
        (
            "expense area", "department", "directorate", "service area", "organisational unit", "service",
            "service label", "spend area", "department name", "portfolio", "service division", "division",
            "cost centre description", "cost centre name", "cost centre", "business unit", "group", "area",
        ),
        excludes=("code", "uri", "id", "type"),
    ),
    Canonical(
        "expense_type",
        "Expense type / description",
        (
            "expense type", "detailed expenditure type", "expenditure type", "expense description",
            "account description", "subjective description", "gl description", "description", "purpose",
            "purpose of spend", "summary of purpose", "purpose of expenditure", "cost element description",
            "cost element", "account name", "subjective", "expenditure description", "spend description",
            "service expenditure analysis", "details", "detail", "narrative", "merchant category",
        ),
        excludes=("code", "uri", "id", "number", "proclass"),
    ),
    Canonical(
        "expense_category",
        "Expense category (broad heading)",
        (
            "expenditure category", "expense category", "spend category", "subjective group", "category",
            "cipfa category", "subjective category", "expenditure group",
        ),
        excludes=("code", "uri", "id", "proclass", "supplier", "creditor", "procurement"),
    ),
    Canonical(
        "expense_code",
        "Expense code / account",
        (
            "expense code", "account code", "subjective code", "nominal code", "ledger code", "gl code",
            "expenditure code", "cost element code", "account number", "account", "nominal", "cost code",
        ),
        excludes=("name", "description", "supplier", "bank"),
    ),
    Canonical(
        "proclass_code",
        "ProClass code",
        ("proclass code", "procurement classification code", "class code", "proclass"),
    ),
    Canonical(
        "proclass_label",
        "ProClass label",
        ("proclass label", "procurement classification", "procurement category", "proclass description",
         "procurement classification label"),
        excludes=("code",),
    ),
    Canonical(
        "transaction_ref",
        "Transaction reference",
        (
            "transaction number", "transaction reference", "transaction id", "transaction", "internal reference number",
            "internal reference", "document number", "payment reference", "payment number", "reference number",
            "reference", "voucher number", "sap document number", "hbc reference number",
        ),
        excludes=("invoice", "supplier", "contract", "vat"),
    ),
    Canonical(
        "body",
        "Body",
        ("name of body", "body name", "body", "organisation label", "organisation name", "authority name",
         "organisation", "council", "authority"),
        excludes=("code", "uri", "id", "type"),
    ),
    Canonical(
        "creditor_type",
        "Creditor type",
        ("creditor type", "supplier type", "vendor type", "payee type", "supplier category", "beneficiary type"),
    ),
    Canonical(
        "vat_number",
        "VAT number",
        ("vat registration number", "vat number", "vat registration", "supplier vat number"),
    ),
    Canonical(
        "invoice_ref",
        "Invoice reference",
        ("invoice number", "invoice reference", "invoice id"),
    ),
    Canonical(
        "invoice_date",
        "Invoice date",
        ("invoice date", "date of invoice", "invoice creation date", "invoice raised date", "invoice issue date"),
        excludes=("payment", "paid", "received", "clearing", "due"),
    ),
    Canonical(
        "received_date",
        "Invoice received date",
        ("invoice received date", "date received", "received date", "date invoice received",
         "invoice receipt date", "receipt date"),
        excludes=("payment", "paid"),
    ),
    Canonical(
        "payee_redaction",
        "Redacted payee",
        ("redact name", "redacted name", "redacted supplier", "redaction", "redact"),
    ),
)

CONTRACT_COLUMNS: tuple[Canonical, ...] = (
    Canonical(
        "reference",
        "Reference",
        ("contract reference", "reference number", "reference", "contract reference number", "contract id",
         "contract number", "contract reference number id", "reference id"),
        excludes=("open", "contracting", "supplier", "company", "charity"),
    ),
    Canonical(
        "title",
        "Title",
        ("contract title", "title", "contract name", "title of agreement", "title of contract", "agreement title",
         "project title", "name of contract", "agreement"),
        required=True,
    ),
    Canonical(
        "department",
        "Department",
        ("department", "directorate", "service area", "responsible department", "directorate service responsible",
         "department responsible", "commissioning department", "business unit", "service"),
        excludes=("category", "uri", "label", "location"),
    ),
    Canonical(
        "description",
        "Description",
        ("description of goods and service", "description", "contract description", "description of goods or service",
         "goods and service", "summary", "scope"),
    ),
    Canonical(
        "supplier_name",
        "Supplier name",
        ("supplier name", "supplier", "contractor", "contractor name", "provider", "provider name", "awarded supplier",
         "name of supplier", "supplier detail", "vendor", "vendor name"),
        required=True,
        excludes=("number", "id", "code", "type", "sme", "vcse", "charity", "company", "registration", "contact"),
    ),
    Canonical(
        "supplier_id",
        "Supplier id",
        ("supplier id", "supplier number", "supplier code", "vendor id", "creditor id", "supplier reference",
         "other supplier id"),
        excludes=("company", "charity", "registration", "registered"),
    ),
    Canonical(
        "company_number",
        "Company number",
        ("companies house number", "company number", "company registration number", "registered company number",
         "supplier registered company number", "company registration"),
    ),
    Canonical(
        "value_whole_life",
        "Value (whole life)",
        ("contract value whole life", "contract value", "total contract value", "value", "whole life value",
         "total value", "value of contract", "sum to be paid", "estimated total value", "estimated contract value",
         "awarded value", "award value"),
        excludes=("annual", "year", "vat", "fixed", "estimated cost"),
    ),
    Canonical(
        "value_annual",
        "Value (annual)",
        ("estimated annual value", "annual value", "annual contract value", "estimated annual spend",
         "value per annum", "annual spend", "yearly value"),
        excludes=("vat",),
    ),
    Canonical(
        "start_date",
        "Start date",
        ("start date", "contract start date", "start", "commencement date", "date from"),
    ),
    Canonical(
        "end_date",
        "End date",
        ("end date", "contract end date", "end", "expiry date", "date to", "expiry", "contract expiry date"),
        excludes=("extension",),
    ),
    Canonical(
        "review_date",
        "Review date",
        ("review date", "contract review date", "next review date"),
    ),
    Canonical(
        "extension_options",
        "Extension options",
        ("extension options month", "extension options", "extension option", "extension period", "extension",
         "option to extend", "possible extension", "extension period month"),
        excludes=("date",),
    ),
    Canonical(
        "route",
        "Procurement route",
        ("procurement route", "procurement method", "route", "procedure", "procurement procedure", "tender or quote",
         "invitation to quote or tender", "award procedure", "procurement type", "tender process type",
         "tender process"),
        excludes=("url",),
    ),
    Canonical(
        "sme",
        "SME",
        ("sme", "sme y n", "is sme", "supplier is sme", "sme status", "sme supplier"),
    ),
    Canonical(
        "vcse",
        "VCSE",
        ("vcse", "vcse y n", "is vcse", "voluntary or community sector", "vcs", "vcse status", "vcse supplier",
         "voluntary community organisation"),
        excludes=("type", "registration", "number"),
    ),
    Canonical(
        "charity_number",
        "Charity registration number",
        ("charity registration number", "charity number", "registered charity number", "vcse registration number",
         "supplier registered charity number"),
    ),
    Canonical("cpv_code", "CPV code", ("cpv code", "cpv", "procurement classification cpv code"),
              excludes=("label",)),
    Canonical("proclass_code", "ProClass", ("proclass code", "proclass", "procurement classification proclass code"),
              excludes=("label",)),
)

COLUMNS_BY_KIND: dict[Kind, tuple[Canonical, ...]] = {
    "spend": SPEND_COLUMNS,
    "contracts": CONTRACT_COLUMNS,
}

# Header rows are looked for within this many lines of the top of a file.
HEADER_SEARCH_LINES = 60

_SPACE = re.compile(r"\s+")


def normalise_header(cell: str | None) -> str:
    """Lower case, single spaces, no padding: ' Name of  Body ' -> 'name of body'."""
    if cell is None:
        return ""
    return _SPACE.sub(" ", plain_spaces(str(cell))).strip().lower()


# Words spelt out before comparing (after lower-casing and singularising).
ABBREVIATIONS: dict[str, str] = {
    "inv": "invoice", "amt": "amount", "nett": "net", "no": "number", "num": "number", "nbr": "number",
    "nr": "number", "ref": "reference", "refno": "reference number", "trans": "transaction", "txn": "transaction",
    "trx": "transaction", "dept": "department", "subj": "subjective", "desc": "description",
    "descr": "description", "org": "organisation", "organization": "organisation", "organisational": "organisational",
    "supp": "supplier", "pmt": "payment", "pymt": "payment", "paymt": "payment", "pay": "payment", "reg": "registration",
    "registered": "registration", "acc": "account", "acct": "account", "ac": "account", "expenditure": "expenditure",
    "expense": "expense", "redacted": "redact", "redaction": "redact", "vendor": "vendor", "val": "value",
    "co": "company", "cc": "cost centre", "gbp": "gbp", "£": "gbp", "sterling": "gbp", "pound": "gbp",
    "cat": "category", "categorisation": "category", "categorization": "category", "classification": "classification",
    "dt": "date", "yr": "year", "qty": "quantity", "summ": "summary", "cr": "creditor", "vat": "vat",
    "receipt": "received", "rec": "received", "recd": "received", "rcvd": "received",
}
# Phrases read as one word before splitting: 'net of VAT' is net, 'incl. VAT' gross.
_PHRASES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(net of|exc(l|luding)?\.?|ex\.?|before|less|without)\s+vat\b"), " net "),
    (re.compile(r"\b(inc(l|luding)?\.?|plus|with)\s+vat\b"), " gross "),
    (re.compile(r"\b([a-z])\s*/\s*([a-z])\b"), r" \1\2 "),  # G/L -> gl, A/C -> ac, Y/N -> yn
    (re.compile(r"\bp\s*card\b"), " card "),
)
# Words that carry no meaning in a header: units, articles, joins.
_IGNORED = frozenset({"the", "of", "a", "an", "and", "or", "for", "in", "to", "by", "on", "at", "gbp", "yn",
                      "is", "if", "any", "ie", "eg", "t"})
_WORD = re.compile(r"[a-z0-9£]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def _singular(word: str) -> str:
    if len(word) > 3 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@functools.cache
def _vocabulary() -> frozenset[str]:
    """Every word the wordings use, for splitting run-together header words ('transno', 'suppliername')."""
    words: set[str] = set(ABBREVIATIONS)
    for columns in COLUMNS_BY_KIND.values():
        for column in columns:
            for synonym in column.synonyms:
                words.update(_raw_words(synonym))
    return frozenset(w for w in words if len(w) >= 2)


def _raw_words(text: str) -> list[str]:
    text = _CAMEL.sub(" ", plain_spaces(text)).lower().replace("_", " ")
    for pattern, replacement in _PHRASES:
        text = pattern.sub(replacement, text)
    out: list[str] = []
    for word in _WORD.findall(text):
        spelt = ABBREVIATIONS.get(word) or ABBREVIATIONS.get(_singular(word)) or _singular(word)
        out.extend(_singular(w) for w in spelt.split())
    return out


def _split_glued(word: str, vocabulary: frozenset[str]) -> list[str] | None:
    """'transno' -> ['trans', 'no'] when the word is two or three known words run together."""
    n = len(word)
    best: list[str] | None = None
    for i in range(2, n - 1):
        head, tail = word[:i], word[i:]
        if head in vocabulary:
            if tail in vocabulary:
                return [head, tail]
            if best is None:
                rest = _split_glued(tail, vocabulary) if len(tail) >= 4 else None
                if rest is not None and len(rest) == 2:
                    best = [head, *rest]
    return best


MAX_HEADER_CELL = 200
# Only this many cells of a row are read as a header (a real one has a few dozen).
MAX_HEADER_CELLS = 4096


@functools.lru_cache(maxsize=8192)
def header_words(cell: str) -> frozenset[str]:
    """A header cell's meaningful words, normalised: 'Sum of Inv Amount (£)' -> {sum, invoice, amount}."""
    vocabulary = _vocabulary()
    words: list[str] = []
    # A header cell is a few words; a long cell (a 10 MB line, say) is no header, and is not worth splitting.
    for word in _raw_words(cell[:MAX_HEADER_CELL]):
        if word not in vocabulary and 5 <= len(word) <= 30:
            glued = _split_glued(word, vocabulary)
            if glued is not None:
                words.extend(_raw_words(" ".join(glued)))
                continue
        words.append(word)
    return frozenset(w for w in words if w not in _IGNORED)


@functools.cache
def _wordings(kind: Kind) -> tuple[tuple[str, tuple[frozenset[str], ...], frozenset[str], bool], ...]:
    """Per canonical column: its wordings as word sets (strongest first), its excluded words, required."""
    return tuple(
        (c.name, tuple(header_words(s) for s in c.synonyms),
         frozenset(w for e in c.excludes for w in header_words(e)), c.required)
        for c in COLUMNS_BY_KIND[kind]
    )


# A header holding exactly a wording's words scores EXACT less 2 per earlier wording; one holding all of
# them and more scores CONTAINS less that and 4 per extra word. Below MINIMUM is no match.
EXACT, CONTAINS, MINIMUM = 100, 50, 20


def score_header(words: frozenset[str], wordings: Sequence[frozenset[str]], excludes: frozenset[str]) -> int:
    """How strongly a header's words name a column (0: not at all)."""
    if not words:
        return 0
    best = 0
    for rank, wording in enumerate(wordings):
        if not wording or words & (excludes - wording):
            continue
        if words == wording:
            best = max(best, EXACT - 2 * rank)
        elif wording < words:
            best = max(best, CONTAINS - 2 * rank - 4 * len(words - wording))
    return best if best >= MINIMUM else 0


@dataclass(frozen=True)
class HeaderMatch:
    """Where the header is, and which canonical column each header cell maps to."""

    row_index: int
    header: tuple[str, ...]
    mapping: dict[str, int]
    score: int


def map_header(header: Sequence[str], kind: Kind) -> dict[str, int]:
    """Canonical name -> column position, by the words of each header cell.

    Required columns choose first (each its best-scoring cell, the strongest claim first), then the
    others; each cell serves one column; on equal scores the cell further left wins.
    """
    return _map_header(tuple(header), kind)


@functools.lru_cache(maxsize=1024)
def _map_header(header: tuple[str, ...], kind: Kind) -> dict[str, int]:
    # Cells with the same words score alike: each distinct set of words is scored once.
    positions: dict[frozenset[str], list[int]] = {}
    for position, cell in enumerate(header[:MAX_HEADER_CELLS]):
        words = header_words(normalise_header(cell))
        if words:
            positions.setdefault(words, []).append(position)
    mapping: dict[str, int] = {}
    for required_pass in (True, False):
        claims: list[tuple[int, int, str]] = []
        for name, wordings, excludes, required in _wordings(kind):
            if required != required_pass:
                continue
            for cell_words, places in positions.items():
                score = score_header(cell_words, wordings, excludes)
                if score:
                    claims.extend((-score, position, name) for position in places)
        claims.sort()
        used = set(mapping.values())
        for _, position, name in claims:
            if name not in mapping and position not in used:
                mapping[name] = position
                used.add(position)
    return mapping


def match_strength(header: Sequence[str], mapping: Mapping[str, int], kind: Kind) -> dict[str, int]:
    """The score each mapped column's header earned (for the quality report: how it was recognised)."""
    by_name = {name: (wordings, excludes) for name, wordings, excludes, _ in _wordings(kind)}
    out = {}
    for name, position in mapping.items():
        if name in by_name and position < len(header):
            out[name] = score_header(header_words(normalise_header(header[position])), *by_name[name])
    return out


def find_header(rows: Sequence[Sequence[str | None]], kind: Kind) -> HeaderMatch | None:
    """The row among the top lines that names the most known columns, the required ones counting double.

    Title lines, report-writer residue and blank lines above the header score zero and are passed.
    """
    best: HeaderMatch | None = None
    required = {c.name for c in COLUMNS_BY_KIND[kind] if c.required}
    for index, row in enumerate(rows[:HEADER_SEARCH_LINES]):
        header = tuple("" if cell is None else str(cell) for cell in row[:MAX_HEADER_CELLS])
        if sum(1 for cell in header if cell.strip()) < 2:
            continue
        mapping = map_header(header, kind)
        score = len(mapping) + 2 * len(required & mapping.keys())
        if len(mapping) >= 2 and (best is None or score > best.score):
            best = HeaderMatch(index, header, mapping, score)
            if required <= mapping.keys():
                break
    return best


def header_signature(header: Sequence[str], kind: Kind) -> str:
    """A key for a file shape: the same columns in the same order give the same signature."""
    names = [normalise_header(cell) for cell in header]
    while names and not names[-1]:
        names.pop()
    return hashlib.sha256(("\x1f".join([kind, *names])).encode()).hexdigest()[:16]


def missing_required(mapping: Mapping[str, int], kind: Kind) -> list[Canonical]:
    """Required canonical columns that the mapping does not place."""
    return [c for c in COLUMNS_BY_KIND[kind] if c.required and c.name not in mapping]


def columns_table_markdown() -> str:
    """README's table of canonical columns and the header wordings recognised (a test keeps README in step)."""
    lines = ["| file kind | column | header wordings recognised (strongest first) | never when the header says |",
             "|---|---|---|---|"]
    for kind, columns in COLUMNS_BY_KIND.items():
        for column in columns:
            required = " (required)" if column.required else ""
            wordings = ", ".join(f"`{s}`" for s in column.synonyms)
            excludes = ", ".join(f"`{e}`" for e in column.excludes) or "-"
            lines.append(f"| {kind} | {column.label}{required} | {wordings} | {excludes} |")
    lines += ["", "Published layouts recognised by the same wordings:", ""]
    lines += [f"- **{schema}**: {fields}" for schema, fields in PUBLISHED_SCHEMAS.items()]
    return "\n".join(lines)
