"""Canonical columns, the header names councils use for them, and finding the header row."""

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
    """One column the product understands, with the header wordings that mean it."""

    name: str
    label: str
    synonyms: tuple[str, ...]
    required: bool = False


SPEND_COLUMNS: tuple[Canonical, ...] = (
    Canonical(
        "payment_date",
        "Date",
        (
            "date", "pay date", "payment date", "date paid", "paid date", "transaction date",
            "date of payment", "expenditure date", "posting date", "posted date", "effective date",
            "invoice payment date", "date incurred", "period date", "clearing date",
        ),
        required=True,
    ),
    Canonical(
        "supplier_name",
        "Payee / supplier name",
        (
            "supplier name", "supplier", "payee", "payee name", "beneficiary", "beneficiary name",
            "vendor", "vendor name", "creditor name", "creditor", "merchant name", "merchant",
            "supplier name redacted", "name", "name:", "ap/ar id(t)", "recipient", "recipient name",
            "supplier/payee", "payee/supplier", "company name",
        ),
        required=True,
    ),
    Canonical(
        "amount",
        "Amount",
        (
            "amount", "amount paid", "net amount", "amount £", "amount (£)", "amount gbp",
            "value", "value £", "payment amount", "net", "net value", "line amount",
            "amount excl vat", "amount excluding vat", "amount ex vat", "total", "total amount",
            "expenditure", "gbp", "£", "sum", "invoice amount", "transaction amount", "paid amount",
        ),
        required=True,
    ),
    Canonical(
        "supplier_id",
        "Supplier id",
        (
            "supplier id", "supplier number", "supplier no", "supplier code", "supplier ref",
            "supplier reference", "vendor id", "vendor number", "vendor no", "creditor id",
            "creditor number", "creditor no", "creditor ref", "payee id", "supplier account",
        ),
    ),
    Canonical(
        "department",
        "Department / expense area",
        (
            "expense area", "department", "directorate", "service area", "spend area", "group",
            "department area", "service", "portfolio", "department name", "service division",
            "service label", "cost centre description", "cost centre name", "division",
        ),
    ),
    Canonical(
        "expense_type",
        "Expense type / description",
        (
            "expense type", "description", "account description", "expenditure category",
            "purpose", "summary of purpose", "expense description", "subjective description",
            "spend category", "expenditure type", "expense category", "purpose of expenditure",
            "category", "account name", "subjective", "details", "narrative", "merchant category",
        ),
    ),
    Canonical(
        "expense_code",
        "Expense code / account",
        (
            "expense code", "account", "account code", "subjective code", "nominal code",
            "ledger code", "gl code", "cost element", "account number", "expenditure code",
            "nominal", "subjective code description",
        ),
    ),
    Canonical(
        "transaction_ref",
        "Transaction reference",
        (
            "transaction number", "transno", "trans no", "transaction no", "transaction id",
            "transaction ref", "transaction reference", "internal reference number",
            "internal reference", "reference", "ref", "document number", "document no",
            "payment reference", "payment ref", "hbc ref no.", "hbc ref no", "reference number",
            "payment number", "voucher number",
        ),
    ),
    Canonical(
        "body",
        "Body",
        ("name of body", "body name", "organisation name", "organisation", "council", "authority"),
    ),
    Canonical(
        "creditor_type",
        "Creditor type",
        ("creditor type", "supplier type", "vendor type", "payee type", "supplier category"),
    ),
    Canonical(
        "vat_number",
        "VAT number",
        ("vat reg no", "vat registration number", "vat number", "vat no", "vat reg number",
         "vat registration no"),
    ),
    Canonical(
        "invoice_ref",
        "Invoice reference",
        ("invoice number", "invoice no", "invoice ref", "invoice reference", "invoice id"),
    ),
)

CONTRACT_COLUMNS: tuple[Canonical, ...] = (
    Canonical(
        "reference",
        "Reference",
        ("reference number", "reference", "contract reference", "contract ref", "ref",
         "contract id", "contract number", "reference no", "contract reference number", "ref no"),
    ),
    Canonical(
        "title",
        "Title",
        ("contract title", "title", "contract name", "title of agreement", "title of contract",
         "agreement title", "project title", "name of contract"),
        required=True,
    ),
    Canonical(
        "department",
        "Department",
        ("department", "directorate", "service area", "responsible department", "service",
         "department responsible", "commissioning department", "business unit"),
    ),
    Canonical(
        "description",
        "Description",
        ("description of goods and services", "description", "contract description",
         "description of goods or services", "goods and services", "summary", "scope"),
    ),
    Canonical(
        "supplier_name",
        "Supplier name",
        ("supplier name", "supplier", "contractor", "contractor name", "provider", "provider name",
         "awarded supplier", "name of supplier", "supplier details", "vendor", "vendor name"),
        required=True,
    ),
    Canonical(
        "supplier_id",
        "Supplier id",
        ("supplier id", "supplier number", "supplier code", "vendor id", "creditor id",
         "supplier reference"),
    ),
    Canonical(
        "company_number",
        "Company number",
        ("companies house number", "company number", "company registration number",
         "company reg no", "registered company number", "companies house no"),
    ),
    Canonical(
        "value_whole_life",
        "Value (whole life)",
        ("contract value (whole life)", "contract value", "total contract value", "value",
         "whole life value", "total value", "value of contract", "sum to be paid",
         "estimated total value", "contract value (£)", "total contract value (£)", "value (£)",
         "estimated contract value", "awarded value"),
    ),
    Canonical(
        "value_annual",
        "Value (annual)",
        ("estimated annual value", "annual value", "annual contract value", "estimated annual spend",
         "value per annum", "annual spend", "yearly value"),
    ),
    Canonical(
        "start_date",
        "Start date",
        ("start date", "contract start date", "start", "commencement date", "date from"),
    ),
    Canonical(
        "end_date",
        "End date",
        ("end date", "contract end date", "end", "expiry date", "date to", "expiry",
         "contract expiry date"),
    ),
    Canonical(
        "review_date",
        "Review date",
        ("review date", "contract review date", "next review date"),
    ),
    Canonical(
        "extension_options",
        "Extension options",
        ("extension options (months)", "extension options", "extension period", "extensions",
         "option to extend", "extension", "possible extension", "extension period (months)"),
    ),
    Canonical(
        "route",
        "Procurement route",
        ("procurement route", "procurement method", "route", "procedure", "procurement procedure",
         "tender or quote", "invitation to quote or tender", "award procedure", "procurement type"),
    ),
    Canonical(
        "sme",
        "SME",
        ("sme", "sme (y/n)", "is sme", "supplier is sme", "sme status", "sme?"),
    ),
    Canonical(
        "vcse",
        "VCSE",
        ("vcse", "vcse (y/n)", "is vcse", "voluntary or community sector", "vcs", "vcse status",
         "vcse?", "voluntary/community organisation"),
    ),
    Canonical(
        "charity_number",
        "Charity registration number",
        ("charity registration number", "charity number", "charity no", "registered charity number",
         "vcse registration number"),
    ),
    Canonical("cpv_code", "CPV code", ("cpv code", "cpv", "cpv codes", "cpv code(s)")),
    Canonical("proclass_code", "ProClass", ("proclass", "proclass code", "pro class")),
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


@functools.cache
def _synonym_indexes(kind: Kind) -> tuple[dict[str, str], dict[str, str]]:
    """Exact and punctuation-blind wording -> canonical name, built once per kind."""
    exact: dict[str, str] = {}
    for column in COLUMNS_BY_KIND[kind]:
        for synonym in column.synonyms:
            exact.setdefault(normalise_header(synonym), column.name)
    return exact, {_loose(k): v for k, v in exact.items()}


def _loose(text: str) -> str:
    return re.sub(r"[^a-z0-9£]+", " ", text).strip()


@dataclass(frozen=True)
class HeaderMatch:
    """Where the header is, and which canonical column each header cell maps to."""

    row_index: int
    header: tuple[str, ...]
    mapping: dict[str, int]
    score: int


def map_header(header: Sequence[str], kind: Kind) -> dict[str, int]:
    """Canonical name -> column position, by known wordings; the first column to claim a name wins."""
    exact, loose = _synonym_indexes(kind)
    mapping: dict[str, int] = {}
    for position, cell in enumerate(header):
        norm = normalise_header(cell)
        if not norm:
            continue
        name = exact.get(norm) or loose.get(_loose(norm))
        if name is not None and name not in mapping:
            mapping[name] = position
    return mapping


def find_header(rows: Sequence[Sequence[str | None]], kind: Kind) -> HeaderMatch | None:
    """The first row among the top lines that names at least two known columns, best score first.

    Title lines, report-writer residue and blank lines above the header score zero and are passed.
    """
    best: HeaderMatch | None = None
    required = {c.name for c in COLUMNS_BY_KIND[kind] if c.required}
    for index, row in enumerate(rows[:HEADER_SEARCH_LINES]):
        header = tuple("" if cell is None else str(cell) for cell in row)
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
