#!/usr/bin/env python3
"""Contract notices of the FICTIONAL "Harrowdale County Council", as OCDS JSON.

Written from the committed contracts register (run after generate.py, which calls this at its end):

* notices/harrowdale-contracts-finder-2024-25.json  an OCDS 1.1 release package (Contracts Finder style):
  award notices for register contracts starting in 2024/25, a tender notice, and one award updated by a later
  release.
* notices/harrowdale-find-a-tender-2025-26.json  an OCDS 1.1 record package (Find a Tender style, compiled
  releases, PPONs) for register contracts starting in 2025/26, a framework awarded to two suppliers, and a
  supplier published with an empty name.
* expected_notices.json  what the comparison must find, computed here from the register's own rows.

Which register contracts get a notice: those of £30,000 or more starting from 1 April 2024 to 31 March 2026,
except direct awards and every ninth of the rest (by reference), which are left without one. A notice's value is
the register's, or 4% more for every third (within the 10% the matching allows); its start date is the register's,
or a week later for every fourth. Three notices have no register entry: new suppliers that are paid nothing
in the sample spend, whose contracts run to 2029 and 2030. Every name here is made up. Deterministic: no
clock, no randomness; money as Decimal.
"""
from __future__ import annotations

import csv
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).parent
REGISTER = HERE / "contracts" / "harrowdale-contracts-register.csv"
NOTICES_DIR = HERE / "notices"
COUNCIL = "Harrowdale County Council"
BUYER = {"id": "GB-LAE-HDC", "name": COUNCIL}
THRESHOLD = Decimal(30_000)
FIRST, LAST = dt.date(2024, 4, 1), dt.date(2026, 3, 31)
PENNY = Decimal("0.01")

# Contracts published in a notice that the register does not hold (fictional suppliers with no spend).
NOTICE_ONLY = (
    ("Wintercombe Arboriculture Ltd", "16650231", "Tree survey and safety works", "77211400",
     Decimal("84500.00"), dt.date(2025, 10, 1), dt.date(2029, 9, 30)),
    ("Pellowe Adaptations Ltd", "15523018", "Home adaptations for disabled residents", "45211000",
     Decimal("312000.00"), dt.date(2025, 11, 1), dt.date(2030, 10, 31)),
    ("Kittiwake Youth Trust", "", "Youth outreach service", "85312300",
     Decimal("46250.00"), dt.date(2026, 1, 5), dt.date(2029, 1, 4)),
)
# A second supplier on one framework (the register lists only the first); it shares no company number.
FRAMEWORK_PARTNER = ("Brackenthwaite Services Ltd", "14418830")


def _day(text: str) -> dt.date | None:
    return dt.datetime.strptime(text, "%d/%m/%Y").date() if text else None


def _money(text: str) -> Decimal | None:
    return Decimal(text.replace("£", "").replace(",", "")) if text else None


def _iso(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def _ppon(number: int) -> str:
    letters = "BCDFGHJKLMNPQRSTVWXZ"
    return f"P{letters[number % 20]}{letters[number // 20 % 20]}{letters[number // 400 % 20]}-{number % 10000:04d}-" \
           f"{letters[number * 7 % 20]}{letters[number * 3 % 20]}{letters[number * 11 % 20]}{letters[number % 19]}"


def contract_value(row: dict[str, str]) -> Decimal | None:
    """As the dashboard counts it: whole-life, else annual value times the term in years (to two places)."""
    whole, annual = _money(row["Contract Value (Whole Life)"]), _money(row["Estimated Annual Value"])
    start, end = _day(row["Start Date"]), _day(row["End Date"])
    if whole is not None:
        return whole
    if annual is not None and start and end:
        years = (Decimal((end - start).days + 1) / Decimal("365.25")).quantize(PENNY)
        return (annual * years).quantize(PENNY)
    return annual


def register_rows() -> list[dict[str, str]]:
    with REGISTER.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _party(name: str, company: str, index: int, with_ppon: bool, sme: bool | None) -> dict[str, object]:
    party: dict[str, object] = {"id": f"GB-COH-{company}" if company else f"HDC-SUP-{index}", "name": name,
                                "roles": ["supplier"]}
    if company:
        party["identifier"] = {"scheme": "GB-COH", "id": company, "legalName": name}
    if with_ppon:
        party["additionalIdentifiers"] = [{"scheme": "GB-PPON", "id": _ppon(index + 1000)}]
    if sme is not None:
        party["details"] = {"scale": "sme" if sme else "large"}
    return party


def _release(ocid: str, release_id: str, date: dt.date, title: str, cpv: str, route: str,
             suppliers: list[dict[str, object]], value: Decimal, start: dt.date, end: dt.date,
             tag: str = "award") -> dict[str, object]:
    tender: dict[str, object] = {"id": ocid, "title": title, "procurementMethod": route, "status": "complete"}
    if cpv:
        tender["items"] = [{"id": "1", "classification": {"scheme": "CPV", "id": cpv.split("-")[0]}}]
    return {
        "ocid": ocid, "id": release_id, "date": _iso(date), "tag": [tag], "initiationType": "tender",
        "buyer": BUYER, "parties": [{**BUYER, "roles": ["buyer"]}, *suppliers], "tender": tender,
        "awards": [{"id": f"{ocid}-1", "status": "active", "date": _iso(date), "title": title,
                    "value": {"amount": float(value), "currency": "GBP"},
                    "suppliers": [{"id": s["id"], "name": s["name"]} for s in suppliers],
                    "contractPeriod": {"startDate": _iso(start), "endDate": _iso(end)}}],
    }


def write_notices() -> dict[str, object]:
    """Write the two notice files and expected_notices.json; return the expected figures."""
    NOTICES_DIR.mkdir(parents=True, exist_ok=True)
    rows = sorted(register_rows(), key=lambda r: r["Reference Number"])
    eligible = [r for r in rows if r["Start Date"] and FIRST <= _day(r["Start Date"]) <= LAST  # type: ignore[operator]
                and (contract_value(r) or 0) >= THRESHOLD]
    routes = {"Tender": "open", "Framework": "selective", "Quote": "limited", "Direct Award": "direct"}
    by_year: dict[str, list[dict[str, object]]] = {"2024/25": [], "2025/26": []}
    noticed: list[str] = []
    left_out: list[str] = []
    value_total = Decimal(0)
    starts: list[dt.date] = []
    kept = 0
    for index, row in enumerate(eligible):
        if row["Procurement Route"] == "Direct Award":
            left_out.append(row["Reference Number"])
            continue
        kept += 1
        if kept % 9 == 0:
            left_out.append(row["Reference Number"])
            continue
        start, end = _day(row["Start Date"]), _day(row["End Date"])
        assert start is not None and end is not None
        value = contract_value(row)
        assert value is not None
        if kept % 3 == 0:
            value = (value * Decimal("1.04")).quantize(PENNY)
        notice_start = start + dt.timedelta(days=7) if kept % 4 == 0 else start
        awarded = notice_start - dt.timedelta(days=21)
        year = "2024/25" if start < dt.date(2025, 4, 1) else "2025/26"
        ocid = f"ocds-h4rd01-{(2024 if year == '2024/25' else 2025)}{index:04d}"
        sme = {"Yes": True, "No": False}.get(row["SME"])
        name = row["Supplier Name"]
        # One supplier is published with an empty name in its award (its party still names it).
        award_name = "" if kept == 5 else name
        suppliers = [_party(name, row["Companies House Number"], index, year == "2025/26", sme)]
        if kept == 7:
            suppliers.append(_party(*FRAMEWORK_PARTNER, index + 500, True, True))
        release = _release(ocid, f"{ocid}-award", awarded, row["Contract Title"], row["CPV Code"],
                           routes.get(row["Procurement Route"], "open"), suppliers, value, notice_start, end)
        release["awards"][0]["suppliers"][0]["name"] = award_name  # type: ignore[index]
        by_year[year].append(release)
        noticed.append(row["Reference Number"])
        starts.append(notice_start)
        value_total += value
    for number, (name, company, title, cpv, value, start, end) in enumerate(NOTICE_ONLY):
        ocid = f"ocds-h4rd01-2025{900 + number:04d}"
        by_year["2025/26"].append(_release(ocid, f"{ocid}-award", start - dt.timedelta(days=28), title, cpv, "open",
                                           [_party(name, company, 900 + number, True, True)], value, start, end))
        value_total += value
        starts.append(start)

    # A tender notice (no award yet) and, in 2024/25, an award updated by a later release with a corrected end.
    first = by_year["2024/25"][0]
    updated = json.loads(json.dumps(first))
    updated["id"], updated["tag"] = f"{first['ocid']}-award-update", ["awardUpdate"]
    updated["date"] = _iso(dt.date.fromisoformat(str(first["date"])[:10]) + dt.timedelta(days=14))
    tender = {"ocid": "ocds-h4rd01-20269999", "id": "ocds-h4rd01-20269999-tender", "date": _iso(dt.date(2026, 3, 2)),
              "tag": ["tender"], "initiationType": "tender", "buyer": BUYER,
              "parties": [{**BUYER, "roles": ["buyer"]}],
              "tender": {"id": "ocds-h4rd01-20269999", "title": "Winter gritting fleet", "status": "active",
                         "value": {"amount": 1_250_000.0, "currency": "GBP"}}}
    package = {"uri": "https://www.contractsfinder.example/Published/Notices/OCDS/Search", "version": "1.1",
               "publishedDate": "2026-04-01T09:00:00Z", "publisher": {"name": "Contracts Finder (fictional sample)"},
               "license": "", "publicationPolicy": "", "releases": [*by_year["2024/25"], updated, tender]}
    records = {"uri": "https://www.find-tender.example/api/1.0/ocdsRecordPackages", "version": "1.1",
               "publishedDate": "2026-04-01T09:00:00Z", "publisher": {"name": "Find a Tender (fictional sample)"},
               "license": "", "publicationPolicy": "",
               "records": [{"ocid": r["ocid"], "releases": [{"url": f"https://www.find-tender.example/{r['ocid']}",
                                                            "date": r["date"], "tag": r["tag"]}],
                            "compiledRelease": {**r, "id": f"{r['ocid']}-{r['date']}", "tag": ["compiled"]}}
                           for r in by_year["2025/26"]]}
    (NOTICES_DIR / "harrowdale-contracts-finder-2024-25.json").write_text(
        json.dumps(package, indent=1, ensure_ascii=False) + "\n", encoding="utf-8", newline="\n")
    (NOTICES_DIR / "harrowdale-find-a-tender-2025-26.json").write_text(
        json.dumps(records, indent=1, ensure_ascii=False) + "\n", encoding="utf-8", newline="\n")
    expected = {
        "_note": "Figures computed by generate_notices.py from the register's own rows.",
        "notice_contracts": len(noticed) + 1 + len(NOTICE_ONLY),  # the framework's second supplier is a row too
        "notice_value": f"{value_total:.2f}",
        "matched": len(noticed),
        "matched_references": noticed,
        "period": [min(starts).isoformat(), max(starts).isoformat()],
        "register_without_notice": sorted(
            r["Reference Number"] for r in rows if r["Reference Number"] not in noticed and r["Start Date"]
            and min(starts) <= _day(r["Start Date"]) <= max(starts)  # type: ignore[operator]
            and (contract_value(r) or 0) >= THRESHOLD),
        "notices_without_register": len(NOTICE_ONLY) + 1,
    }
    (HERE / "expected_notices.json").write_text(json.dumps(expected, indent=2) + "\n", encoding="utf-8", newline="\n")
    return expected


if __name__ == "__main__":
    figures = write_notices()
    print(f"notices: {figures['notice_contracts']} contracts, £{Decimal(str(figures['notice_value'])):,.2f}; "
          f"{figures['matched']} match the register, {len(figures['register_without_notice'])} register contracts "  # type: ignore[arg-type]
          "have none")
