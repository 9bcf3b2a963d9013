#!/usr/bin/env python3
"""Generate the sample data of the FICTIONAL "Harrowdale County Council".

Every council, supplier, person, place, company number, VAT number and
postcode written by this script is made up.

Outputs (all paths relative to this file's folder):

* spend/harrowdale-spend-YYYY-MM.csv|xlsx  30 monthly "expenditure over £500"
  files, April 2024 - September 2026, in five different publishing shapes (A-E).
* contracts/harrowdale-contracts-register.csv  LGA-style contracts register.
* suppliers/harrowdale-supplier-attributes.csv  postcode / company number /
  SME / VCSE for about 300 suppliers.
* notices/*.json  contract notices as OCDS JSON (generate_notices.py, from the register).
* expected.json  figures computed here from the generator's own Decimal
  values (row counts, totals, credit notes, redactions, skipped rows).

The script is deterministic: seeded random.Random generators only, no clock,
no network.  Running it twice gives byte-identical files (the XLSX files get
fixed document properties and fixed zip entry timestamps).

Usage:  python sample_data/generate.py
"""
from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
import json
import math
import random
import zipfile
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import openpyxl
from openpyxl.writer.excel import ExcelWriter

HERE = Path(__file__).parent
SPEND_DIR = HERE / "spend"
CONTRACTS_DIR = HERE / "contracts"
SUPPLIERS_DIR = HERE / "suppliers"
ACT_DIR = HERE / "act"

SEED = 20260401
COUNCIL = "Harrowdale County Council"
BODY_CODE = "77"
PENNY = Decimal("0.01")
ZERO = Decimal("0.00")
FIXED_PROPS_TIME = dt.datetime(2026, 4, 1, 9, 0, 0)
FIXED_ZIP_TIME = (2026, 4, 1, 9, 0, 0)
CUTOFF = dt.date(2026, 11, 27)  # "many contracts end in the 3 years after this"

MONTHS = [(2024 + (3 + i) // 12, (3 + i) % 12 + 1) for i in range(30)]  # Apr 2024 .. Sep 2026
LAST_MONTH = len(MONTHS) - 1
# The register's contracts are sized on the two whole financial years (the half-year after them came later).
REGISTER_YEARS = ("2024/25", "2025/26")
MON_ABBR = ["", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def rng_for(*parts) -> random.Random:
    """A seeded generator for one purpose; str seeds are hashed with sha512 (stable)."""
    return random.Random(f"{SEED}:" + ":".join(str(p) for p in parts))


def money(x) -> Decimal:
    return Decimal(str(x)).quantize(PENNY, rounding=ROUND_HALF_UP)


def shape_of(month_index: int) -> str:
    y, m = MONTHS[month_index]
    if (y, m) <= (2024, 9):
        return "A"
    if (y, m) <= (2025, 3):
        return "B"
    if (y, m) <= (2025, 9):
        return "C"
    if (y, m) <= (2025, 12):
        return "D"
    return "E"


def financial_year(d: dt.date) -> str:
    start = d.year if d.month >= 4 else d.year - 1
    return f"{start}/{(start + 1) % 100:02d}"


# ---------------------------------------------------------------------------
# Vocabulary
# ---------------------------------------------------------------------------

DEPARTMENTS = [
    "Adult Care & Health",
    "Children's Services",
    "Highways & Transport",
    "Waste & Environment",
    "Corporate Services",
    "Education",
    "Public Health",
    "Property & Capital",
    "Communities",
]

EXPENSE_CODES = {
    "Pension Fund Contributions": "1401",
    "Building Repairs & Maintenance": "2101",
    "New Construction": "2110",
    "Professional Fees - Capital": "2115",
    "Grounds Maintenance": "2120",
    "Cleaning": "2130",
    "Security Services": "2135",
    "Electricity": "2201",
    "Gas": "2202",
    "Water Charges": "2203",
    "Business Rates": "2301",
    "Road Resurfacing": "3101",
    "Highway Maintenance": "3102",
    "Street Lighting": "3103",
    "Winter Maintenance": "3104",
    "Traffic Management": "3105",
    "Bus Contracts": "3201",
    "School Transport": "3202",
    "Community Transport": "3203",
    "Vehicle Fuel": "3301",
    "Vehicle Hire": "3302",
    "Vehicle Repairs & Maintenance": "3303",
    "Waste Disposal Contract": "3401",
    "Recycling Credits": "3402",
    "Household Waste Recycling Centres": "3403",
    "Provisions - Food": "4101",
    "School Meals": "4102",
    "Catering": "4103",
    "Stationery": "4201",
    "Printing": "4202",
    "Photocopying & Paper": "4203",
    "Office Furniture": "4204",
    "IT Hardware": "4301",
    "Software Licences": "4302",
    "IT Support & Maintenance": "4303",
    "Telephony": "4304",
    "Uniforms & Protective Clothing": "4401",
    "Equipment & Tools": "4402",
    "Consultancy": "4501",
    "Legal Fees": "4502",
    "Agency Staff": "4503",
    "Audit Fees": "4504",
    "Training": "4505",
    "Insurance": "4601",
    "Educational Resources": "4701",
    "Educational Psychology Services": "4702",
    "Library Books & Materials": "4801",
    "Events & Venue Hire": "4802",
    "Residential Care - Older People": "5101",
    "Residential Care - Learning Disabilities": "5102",
    "Nursing Care": "5103",
    "Home Care": "5110",
    "Supported Living": "5111",
    "Day Care Services": "5112",
    "Respite Care": "5113",
    "Residential Care - Children": "5120",
    "Foster Care - Independent Agencies": "5121",
    "Family Support Services": "5122",
    "Special Educational Needs Placements": "5130",
    "Alternative Provision": "5132",
    "Substance Misuse Services": "5201",
    "Sexual Health Services": "5202",
    "Health Visiting & School Nursing": "5203",
    "Stop Smoking Services": "5204",
    "Grants to Voluntary Bodies": "6101",
    "Community Support Services": "6102",
    "Direct Payments": "6201",
    "Foster Carer Allowances": "6202",
    "Special Guardianship Allowances": "6203",
    "Payments to Other Local Authorities": "6301",
    "Refunds": "9101",
}

PLACES = ["Marlbridge", "Ostley", "Fennick", "Wyvernham", "Coldmere", "Brackenholt", "Ullerby",
          "Dunmarsh", "Kestrelford", "Hobbleton", "Pennock", "Wrayburn", "Saltherne", "Quenby Cross"]
STEM_A = ["Alder", "Amber", "Bracken", "Briar", "Calder", "Cinder", "Cobble", "Copper", "Corn", "Crane",
          "Elder", "Fen", "Fern", "Flint", "Hazel", "Heron", "Holly", "Juniper", "Kestrel", "Lark",
          "Linnet", "Marl", "Meadow", "Moss", "Nettle", "Otter", "Pebble", "Plover", "Quarry", "Raven",
          "Reed", "Rowan", "Rush", "Sedge", "Sorrel", "Swallow", "Tansy", "Teasel", "Thistle", "Umber",
          "Wren", "Yarrow", "Bramble", "Clover", "Foxglove", "Larch", "Sloe", "Tern", "Vetch", "Whin",
          "Gorse", "Hawthorn", "Ivy", "Campion", "Mallow", "Sparrow", "Dipper", "Osier"]
STEM_B = ["bank", "brook", "combe", "croft", "dale", "gate", "holt", "hurst", "leigh", "mere", "moor",
          "stead", "wick", "worth", "way", "ridge", "ley", "well", "thorpe", "fold", "garth", "shaw",
          "cote", "haven"]
STEM_BLACKLIST = {"Hazelwood", "Ashfield", "Fernbank", "Brackenridge", "Hollybank", "Ivyway",
                  "Elderway", "Hawthornway", "Larkhill", "Heronsgate", "Moorgate", "Cornwell",
                  "Cranleigh", "Ravenscroft", "Rowanway", "Fendale", "Marlow", "Reedway", "Holybrook",
                  "Thistleway", "Claverley", "Fernleigh", "Hollyhurst", "Cornhaven"}
SURNAMES = ["Pellworth", "Quillby", "Marrowby", "Tillbrooke", "Vantross", "Ellerby", "Haddlestone",
            "Scarrow", "Wimbourne", "Fennimore", "Ashgrove", "Hollowell", "Dunstable", "Cropwell",
            "Brackley", "Ormsbury", "Tregaskin", "Lowthian", "Mardle", "Penhallow", "Saxelby",
            "Threlkeld", "Ubbeston", "Varley", "Wexcombe", "Yeadon", "Abernott", "Caddick", "Dewhirst",
            "Eddowes", "Garside", "Hepplewhite", "Ingleby", "Kettlewell", "Lumbard", "Nettleship",
            "Outhwaite", "Pickersgill", "Rudston", "Sowerbutts"]
INITIALS = "ABCDEFGHJKLMNPRSTW"


@dataclass
class Sector:
    key: str
    count: int
    depts: list            # [(department, weight)] for the supplier's main department
    etypes: list           # characteristic expense types
    names: list            # name templates
    ctypes: list           # [(creditor type, weight)]
    median: float
    sigma: float
    big: tuple = (0.0, 0, 0)   # (probability, low, high) of a large line
    weight: float = 1.0        # line frequency multiplier
    spread: float = 0.08       # share of lines charged to another department
    multi: float = 0.12        # share of invoices with several lines
    cpv: list = field(default_factory=list)
    proclass: str = ""
    titles: list = field(default_factory=list)
    desc: str = ""


SECTORS = [
    Sector("care_res", 34, [("Adult Care & Health", 1)],
           ["Residential Care - Older People", "Nursing Care", "Residential Care - Learning Disabilities", "Respite Care"],
           ["{stem} Care Homes", "{stem} House Nursing Home", "{stem} Lodge Care", "{stem} Court Residential Care",
            "{stem} Healthcare"],
           [("LTD", 75), ("CHTY", 10), ("PLC", 5), ("BUSN", 10)], 3600, 0.9, (0.012, 100_000, 420_000), 1.5,
           cpv=["85311000-2", "85311100-3"], proclass="Social Community Care Supplies & Services",
           titles=["Residential and Nursing Care for Older People - {place}", "Care Home Placements Framework - Lot {lot}",
                   "Block Beds Agreement - {place}", "Learning Disability Residential Placements"],
           desc="Residential and nursing care placements for adults"),
    Sector("care_home", 30, [("Adult Care & Health", 1)],
           ["Home Care", "Supported Living", "Day Care Services", "Respite Care"],
           ["{stem} Homecare", "{stem} Care Services", "{stem} Support Services", "{stem} Supported Living",
            "{stem} Home Support"],
           [("LTD", 70), ("CIC", 12), ("CHTY", 10), ("SOLE", 8)], 2400, 1.0, (0.006, 100_000, 300_000), 1.4,
           cpv=["85312000-9", "85312400-3"], proclass="Social Community Care Supplies & Services",
           titles=["Home Care Services - {place} Zone", "Supported Living Services Lot {lot}",
                   "Day Opportunities Framework", "Domiciliary Care Framework {yr}"],
           desc="Care and support at home, supported living and day services"),
    Sector("children", 28, [("Children's Services", 1)],
           ["Residential Care - Children", "Foster Care - Independent Agencies", "Family Support Services"],
           ["{stem} Fostering", "{stem} Children's Homes", "{stem} Family Support", "{stem} Young People's Services"],
           [("LTD", 70), ("CHTY", 15), ("CIC", 10), ("LLP", 5)], 4500, 0.9, (0.012, 100_000, 360_000), 1.2,
           cpv=["85311300-5", "85312000-9"], proclass="Social Community Care Supplies & Services",
           titles=["Independent Fostering Agency Placements", "Children's Residential Care - Lot {lot}",
                   "Family Support Service - {place}", "Semi-Independent Accommodation for Young People"],
           desc="Placements and support services for children and young people"),
    Sector("construction", 24, [("Property & Capital", 1)],
           ["New Construction", "Building Repairs & Maintenance", "Professional Fees - Capital"],
           ["{stem} Construction", "{stem} Building Contractors", "{stem} Builders", "{surname} & Sons Builders",
            "{stem} Developments"],
           [("LTD", 70), ("PLC", 15), ("BUSN", 10), ("SOLE", 5)], 6000, 1.2, (0.07, 100_000, 2_000_000), 0.9,
           cpv=["45210000-2", "45214200-2", "45453000-7"], proclass="Construction",
           titles=["{place} Primary School Extension", "New Build Special School - {place}",
                   "Minor Works Framework Lot {lot}", "{place} Library Refurbishment", "County Hall Roof Replacement"],
           desc="Building construction, extension and refurbishment works"),
    Sector("trades", 26, [("Property & Capital", 1)],
           ["Building Repairs & Maintenance", "Equipment & Tools"],
           ["{surname} Plumbing & Heating", "{stem} Electrical Services", "{stem} Roofing", "{init} {surname} Joinery",
            "{stem} Property Maintenance", "{stem} Glazing"],
           [("LTD", 50), ("SOLE", 35), ("BUSN", 15)], 1300, 0.8, weight=0.6,
           cpv=["50700000-2", "45330000-9", "45261000-4"], proclass="Facilities & Management Services",
           titles=["Responsive Repairs - {place} Area", "Planned Maintenance Lot {lot}", "Heating Servicing Contract"],
           desc="Responsive repairs and planned maintenance of council buildings"),
    Sector("highways", 20, [("Highways & Transport", 1)],
           ["Road Resurfacing", "Highway Maintenance", "Street Lighting", "Winter Maintenance", "Traffic Management"],
           ["{stem} Civils", "{stem} Surfacing", "{stem} Highways", "{stem} Traffic Management", "{stem} Street Lighting"],
           [("LTD", 75), ("PLC", 20), ("BUSN", 5)], 7000, 1.1, (0.045, 100_000, 1_500_000), 1.0,
           cpv=["45233142-6", "45233141-9", "50232100-1"], proclass="Highways & Road Maintenance",
           titles=["Carriageway Resurfacing Programme {yr}", "Highway Maintenance Term Contract",
                   "Street Lighting Maintenance", "Winter Gritting Services", "Temporary Traffic Management Lot {lot}"],
           desc="Highway maintenance, resurfacing and street lighting"),
    Sector("transport", 26, [("Highways & Transport", 1), ("Education", 1)],
           ["School Transport", "Bus Contracts", "Community Transport"],
           ["{stem} Coaches", "{stem} Travel", "{place} Taxis", "{surname}'s Private Hire", "{stem} Minibus Services"],
           [("LTD", 50), ("SOLE", 30), ("BUSN", 10), ("CIC", 10)], 2200, 0.8, weight=1.1,
           cpv=["60130000-8", "60112000-6", "60100000-9"], proclass="Transport Services",
           titles=["Home to School Transport Routes - {place}", "Supported Bus Service {lot}",
                   "SEND Transport Dynamic Purchasing System", "Community Transport Grant Agreement"],
           desc="Home to school transport and supported bus services"),
    Sector("waste", 12, [("Waste & Environment", 1)],
           ["Waste Disposal Contract", "Recycling Credits", "Household Waste Recycling Centres"],
           ["{stem} Waste Services", "{stem} Recycling", "{stem} Environmental", "{stem} Composting", "{stem} Skip Hire"],
           [("LTD", 80), ("PLC", 20)], 9000, 1.2, (0.08, 100_000, 1_800_000), 1.4,
           cpv=["90500000-2", "90513000-6", "90511000-2"], proclass="Waste Management",
           titles=["Residual Waste Treatment Contract", "Household Waste Recycling Centres Operation",
                   "Green Waste Composting", "Recycling Credits Agreement"],
           desc="Waste treatment, disposal and recycling services"),
    Sector("energy", 6, [("Corporate Services", 2), ("Property & Capital", 1)],
           ["Electricity", "Gas", "Water Charges"],
           ["{stem} Energy", "{stem} Power", "{stem} Gas Supplies", "{stem} Water"],
           [("LTD", 60), ("PLC", 40)], 3000, 1.3, (0.02, 100_000, 600_000), 2.0, spread=0.4,
           cpv=["09310000-5", "09123000-7", "65100000-4"], proclass="Utilities",
           titles=["Supply of Electricity", "Supply of Natural Gas", "Water and Wastewater Services"],
           desc="Energy and water supply to council sites"),
    Sector("fleet", 14, [("Highways & Transport", 1), ("Waste & Environment", 1)],
           ["Vehicle Fuel", "Vehicle Hire", "Vehicle Repairs & Maintenance"],
           ["{stem} Fuels", "{stem} Vehicle Hire", "{stem} Motors", "{stem} Commercial Vehicles", "{stem} Tyres"],
           [("LTD", 80), ("PLC", 10), ("BUSN", 10)], 1800, 0.9, spread=0.25,
           cpv=["09134000-7", "34110000-1", "50110000-9"], proclass="Vehicle Management",
           titles=["Supply of Bulk Fuel", "Short Term Vehicle Hire", "Fleet Maintenance Services"],
           desc="Fuel, hire and maintenance of council vehicles"),
    Sector("catering", 18, [("Education", 1)],
           ["Provisions - Food", "School Meals", "Catering"],
           ["{stem} Foods", "{stem} Catering", "{stem} Bakery", "{stem} Dairies", "{stem} Fresh Produce",
            "{stem} Fine Foods"],
           [("LTD", 70), ("BUSN", 15), ("SOLE", 10), ("CIC", 5)], 1500, 0.8, (0.01, 100_000, 400_000), 1.0,
           cpv=["15000000-8", "55524000-9", "15800000-6"], proclass="Catering",
           titles=["School Meals Service - {place} Cluster", "Supply of Fresh Produce", "Supply of Dairy Products",
                   "Catering for Civic Events"],
           desc="Food provisions and school meals"),
    Sector("office", 14, [("Corporate Services", 1)],
           ["Stationery", "Printing", "Photocopying & Paper", "Office Furniture"],
           ["{stem} Office Supplies", "{stem} Print", "{stem} Stationers", "{stem} Office Furniture",
            "{stem} Document Solutions"],
           [("LTD", 85), ("SOLE", 10), ("PLC", 5)], 1100, 0.7, spread=0.6,
           cpv=["30192000-1", "22000000-0", "39130000-2"], proclass="Stationery & Office Products",
           titles=["Supply of Stationery and Office Consumables", "Print Management Services",
                   "Multi-Functional Devices and Paper", "Office Furniture Framework"],
           desc="Stationery, printing, paper and office furniture"),
    Sector("it", 20, [("Corporate Services", 1)],
           ["IT Hardware", "Software Licences", "IT Support & Maintenance", "Telephony"],
           ["{stem} Systems", "{stem} Digital", "{stem} Technology", "{stem} Software", "{stem} Networks",
            "{stem} Telecom"],
           [("LTD", 80), ("PLC", 15), ("LLP", 5)], 3500, 1.2, (0.012, 100_000, 500_000), 1.0, spread=0.3,
           cpv=["30213000-5", "48000000-8", "72000000-5", "64200000-8"],
           proclass="Information Communication Technology",
           titles=["Social Care Case Management System", "End User Devices", "Microsoft Licensing Reseller",
                   "Wide Area Network Services", "Finance System Support"],
           desc="IT hardware, software licences, support and telephony"),
    Sector("facilities", 18, [("Property & Capital", 1), ("Corporate Services", 1)],
           ["Cleaning", "Security Services", "Grounds Maintenance", "Uniforms & Protective Clothing",
            "Equipment & Tools"],
           ["{stem} Cleaning Services", "{stem} Facilities Management", "{stem} Security", "{stem} Grounds Maintenance",
            "{stem} Workwear", "{stem} Safety Supplies"],
           [("LTD", 80), ("SOLE", 10), ("CIC", 10)], 1800, 0.9, spread=0.3,
           cpv=["90910000-9", "79710000-4", "77310000-6", "18100000-0"], proclass="Facilities & Management Services",
           titles=["Office Cleaning Services", "Manned Security and Key Holding", "Grounds Maintenance - {place}",
                   "Supply of Workwear and PPE"],
           desc="Cleaning, security, grounds maintenance and workwear"),
    Sector("professional", 22, [("Corporate Services", 1)],
           ["Consultancy", "Legal Fees", "Agency Staff", "Audit Fees", "Training"],
           ["{stem} Consulting", "{surname} {surname2} Solicitors", "{stem} Recruitment", "{stem} Associates",
            "{surname}, {surname2} & Partners", "{stem} Training"],
           [("LTD", 50), ("LLP", 40), ("SOLE", 5), ("INDV", 5)], 3000, 1.0, (0.005, 100_000, 250_000), 1.0,
           spread=0.5, cpv=["79400000-8", "79100000-5", "79600000-0", "80500000-9"], proclass="Consultancy",
           titles=["Legal Services Framework Lot {lot}", "Temporary Agency Workers", "Management Consultancy Support",
                   "External Audit Services", "Leadership Training Programme"],
           desc="Professional, legal, recruitment and training services"),
    Sector("voluntary", 24, [("Communities", 1)],
           ["Grants to Voluntary Bodies", "Community Support Services", "Events & Venue Hire"],
           ["{place} Community Trust", "Friends of {place} Park", "{place} Youth Project", "{stem} Community Association",
            "{place} Foodbank", "{stem} Arts Collective", "{place} Carers Network"],
           [("CHTY", 65), ("CIC", 30), ("BUSN", 5)], 2400, 0.9, weight=0.5,
           cpv=["98000000-3", "85320000-8"], proclass="",
           titles=["Community Grant Agreement {yr}", "Carers Support Service", "Youth Services - {place}"],
           desc="Community, youth and voluntary sector services"),
    Sector("public_health", 14, [("Public Health", 1)],
           ["Substance Misuse Services", "Sexual Health Services", "Health Visiting & School Nursing",
            "Stop Smoking Services"],
           ["{stem} Wellbeing", "{stem} Recovery Services", "{stem} Pharmacy", "{stem} Sexual Health Partnership",
            "{stem} Health"],
           [("CIC", 35), ("CHTY", 30), ("LTD", 25), ("SOLE", 10)], 4000, 1.1, (0.02, 100_000, 450_000), 1.0,
           cpv=["85100000-0", "85323000-9"], proclass="Healthcare",
           titles=["Integrated Substance Misuse Service", "Sexual Health Service", "0-19 Healthy Child Programme",
                   "Stop Smoking Service - {place}"],
           desc="Public health services"),
    Sector("education", 22, [("Education", 1)],
           ["Special Educational Needs Placements", "Alternative Provision", "Educational Resources",
            "Educational Psychology Services"],
           ["{place} Academy Trust", "{stem} Learning Trust", "{place} College", "{stem} Special School",
            "{stem} Tutoring", "{stem} Educational Supplies"],
           [("EDUC", 60), ("LTD", 30), ("CHTY", 10)], 4500, 1.1, (0.012, 100_000, 300_000), 1.0,
           cpv=["80000000-4", "80340000-9", "39162000-5"], proclass="Education",
           titles=["Independent Special School Placements", "Alternative Provision Framework Lot {lot}",
                   "Educational Psychology Services", "Supply of Educational Resources"],
           desc="Education placements, alternative provision and resources"),
    Sector("insurance", 6, [("Corporate Services", 1)],
           ["Insurance"],
           ["{stem} Insurance", "{stem} Mutual Insurance", "{stem} Risk Services", "{stem} Loss Adjusters"],
           [("LTD", 60), ("PLC", 40)], 6000, 1.2, (0.05, 100_000, 600_000), 0.35, spread=0.2,
           cpv=["66510000-8"], proclass="Insurance",
           titles=["Insurance Programme {yr}", "Claims Handling Services"],
           desc="Insurance cover and claims handling"),
    Sector("refunds", 10, [("Corporate Services", 1), ("Communities", 1)],
           ["Refunds"],
           ["{stem} Garden Centre", "{stem} Farm Shop", "{surname} Holdings", "{stem} Events", "{stem} Hospitality"],
           [("BUSN", 60), ("LTD", 40)], 900, 0.6, weight=0.15, multi=0.0),
    Sector("culture", 8, [("Communities", 1)],
           ["Library Books & Materials", "Events & Venue Hire"],
           ["{stem} Books", "{stem} Library Supplies", "{stem} Heritage", "{stem} Events"],
           [("LTD", 60), ("SOLE", 20), ("BUSN", 20)], 1200, 0.7, weight=0.6,
           cpv=["22113000-5", "79952000-2"], proclass="Culture & Leisure",
           titles=["Library Stock Supply", "Events Management Services"],
           desc="Library stock and cultural events"),
]
SECTOR_BY_KEY = {s.key: s for s in SECTORS}

# Public bodies (creditor type WGA) with their expense types; custom profiles.
PUBLIC_BODIES = [
    ("Marlbridge District Council", ["Business Rates", "Payments to Other Local Authorities"]),
    ("Ostley Borough Council", ["Business Rates", "Payments to Other Local Authorities"]),
    ("Fennick District Council", ["Business Rates", "Payments to Other Local Authorities"]),
    ("Wyvernham City Council", ["Business Rates", "Payments to Other Local Authorities"]),
    ("Coldmere Valley Council", ["Payments to Other Local Authorities"]),
    ("Harrowdale Pension Fund", ["Pension Fund Contributions"]),
    ("Harrowdale Fire & Rescue Authority", ["Payments to Other Local Authorities"]),
    ("Harrowdale Integrated Care Board", ["Payments to Other Local Authorities"]),
    ("Kestrelford Town Council", ["Grants to Voluntary Bodies", "Payments to Other Local Authorities"]),
    ("Saltherne Borough Council", ["Business Rates", "Payments to Other Local Authorities"]),
]
PB_DEPT = {"Business Rates": "Property & Capital", "Pension Fund Contributions": "Corporate Services"}

# Hand-placed suppliers: (sector, name, creditor type, remarks)
SPECIAL_SUPPLIERS = [
    ("waste", "Greenfield Waste Services Ltd", "LTD", "spelling"),
    ("children", "Brightway Homes Ltd", "LTD", "masked-paren"),
    ("catering", "Café Lumière Catering Ltd", "LTD", "accent"),
    ("care_home", "Renée’s Homecare Ltd", "LTD", "accent"),
    ("transport", "O’Marrow Minibus Services", "SOLE", "accent"),
    ("professional", "Chloé Ashgrove Interpreting", "SOLE", "accent"),
    ("professional", "Wrayburn Heritage Surveys LLP", "LLP", "edge-exact-100k"),
    ("facilities", "Pennock Playground Services Ltd", "LTD", "edge-credit-under-100k"),
]
EDGE_EXACT = "Wrayburn Heritage Surveys LLP"
EDGE_CREDIT = "Pennock Playground Services Ltd"

REDACTION_LABELS = ["REDACTED UNDER DP ACT", "Redacted", "REDACTED PERSONAL DATA"]
# Redacted individuals: (expense type, department, creditor type, weight)
REDACTED_KINDS = [
    ("Direct Payments", "Adult Care & Health", "INDV", 40),
    ("Foster Carer Allowances", "Children's Services", "INDV", 25),
    ("Special Guardianship Allowances", "Children's Services", "INDV", 12),
    ("Home Care", "Adult Care & Health", "SOLE", 8),
    ("Refunds", "Corporate Services", "INDV", 10),
    ("Legal Fees", "Children's Services", "INDV", 5),
]


# ---------------------------------------------------------------------------
# Suppliers
# ---------------------------------------------------------------------------

@dataclass
class Supplier:
    sid: str
    name: str
    ctype: str
    sector: str
    dept: str
    etypes: list
    eweights: list
    weight: float
    median: float
    sigma: float
    big: tuple
    spread: float
    multi: float
    active: tuple          # (first month index, last month index)
    vat: str
    company_number: str
    charity_number: str
    sme: str
    vcse: str
    local: bool
    postcode: str
    invoice_style: str
    variants: dict = field(default_factory=dict)   # shape -> name used in that shape's files
    special: str = ""
    in_pool: bool = True


def weighted(rng: random.Random, pairs):
    items = [p[0] for p in pairs]
    weights = [p[1] for p in pairs]
    return rng.choices(items, weights=weights, k=1)[0]


LEGAL_SUFFIX = {"LTD": " Ltd", "PLC": " PLC", "LLP": " LLP", "CIC": " CIC"}


def strip_legal(name: str) -> str:
    for suffix in (" Ltd", " Limited", " PLC", " LLP", " CIC"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def name_variants(name: str, ctype: str) -> list:
    base = strip_legal(name)
    out = [name]
    if ctype == "LTD":
        out += [f"{base} Limited".upper(), base, f"{base} Ltd.", f"{base} LTD".upper(), f"{base} Limited"]
    elif ctype in ("PLC", "LLP", "CIC"):
        out += [name.upper(), base, f"{base} {ctype.lower()}"]
    else:
        out += [name.upper()]
    if "&" in name:
        out.append(name.replace("&", "and"))
    if " " in base:
        first, rest = base.split(" ", 1)
        out.append(f"{first}  {rest}{name[len(base):]}")  # doubled space
    seen, uniq = set(), []
    for v in out:
        if v not in seen:
            seen.add(v)
            uniq.append(v)
    return uniq


def ascii_fold(name: str) -> str:
    return (name.replace("é", "e").replace("è", "e").replace("’", "'").replace("É", "E"))


def make_postcode(rng: random.Random, local: bool) -> str:
    inward = f"{rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
    if local:
        return f"ZZ{rng.randint(1, 9)} {inward}"
    area = rng.choice(["QX", "QV", "VJ", "XW", "JQ", "XB", "VQ", "JX", "QZ", "XN", "VX", "JV"])
    return f"{area}{rng.randint(1, 19)} {inward}"


def build_suppliers() -> list:
    rng = rng_for("suppliers")
    stems = sorted({a + b for a in STEM_A for b in STEM_B} - STEM_BLACKLIST)
    rng.shuffle(stems)
    stem_iter = iter(stems)
    ids = rng.sample(range(100100, 189999), 600)
    id_iter = iter(ids)
    used_names = set()
    suppliers = []

    def new_name(sector: Sector, ctype: str) -> str:
        for _ in range(200):
            tpl = rng.choice(sector.names)
            s1, s2 = rng.sample(SURNAMES, 2)
            name = tpl.format(stem=next(stem_iter) if "{stem}" in tpl else "", place=rng.choice(PLACES),
                              surname=s1, surname2=s2, init=rng.choice(INITIALS))
            if ctype == "INDV":
                name = f"Dr {rng.choice(INITIALS)} {s1}"
            elif ctype == "LTD":
                name += " Limited" if rng.random() < 0.2 else " Ltd"
            elif ctype in LEGAL_SUFFIX:
                name += LEGAL_SUFFIX[ctype]
            if name not in used_names:
                used_names.add(name)
                return name
        raise RuntimeError("could not make a unique name")

    def attrs(sector: Sector, ctype: str, name: str, special: str = "") -> Supplier:
        srng = rng_for("supplier", name)
        dept = weighted(srng, sector.depts)
        k = min(len(sector.etypes), srng.choice([1, 1, 2, 2, 3]))
        etypes = [sector.etypes[0], *srng.sample(sector.etypes[1:], k - 1)] if srng.random() < 0.6 \
            else srng.sample(sector.etypes, k)
        eweights = [round(srng.uniform(0.3, 1.0) * (3 if i == 0 else 1), 3) for i in range(len(etypes))]
        r = srng.random()
        if r < 0.80:
            active = (0, LAST_MONTH)
        elif r < 0.90:
            active = (srng.randint(3, 20), LAST_MONTH)
        else:
            active = (0, srng.randint(4, 21))
        weight = sector.weight * math.exp(srng.gauss(0, 1.5))
        median = sector.median * math.exp(srng.gauss(0, 0.45))
        if ctype in ("LTD", "PLC", "LLP") and srng.random() < 0.88:
            digits = f"{srng.randint(100000000, 999999999)}"
            vat = f"GB{digits}" if srng.random() < 0.5 else f"{digits[:3]} {digits[3:7]} {digits[7:]}"
        else:
            vat = ""
        company_number, charity = "", ""
        if ctype in ("LTD", "PLC", "CIC", "EDUC") or (ctype == "CHTY" and srng.random() < 0.5):
            if srng.random() < 0.92:
                company_number = f"{srng.choice(['0', '1'])}{srng.randint(0, 9999999):07d}"
        elif ctype == "LLP":
            company_number = f"OC{srng.randint(300000, 449999)}"
        if ctype == "CHTY":
            charity = f"1{srng.randint(0, 209999):06d}"
        if ctype in ("SOLE", "BUSN", "CIC", "CHTY", "EDUC"):
            sme = weighted(srng, [("Yes", 70), ("No", 5), ("", 25)])
        elif ctype == "PLC":
            sme = weighted(srng, [("No", 85), ("", 15)])
        elif ctype == "LTD":
            sme = weighted(srng, [("Yes", 55), ("No", 25), ("", 20)])
        else:
            sme = weighted(srng, [("Yes", 40), ("No", 40), ("", 20)])
        vcse_odds = [("Yes", 85), ("", 15)] if ctype in ("CHTY", "CIC") else [("No", 70), ("", 30)]
        vcse = weighted(srng, vcse_odds)
        p_local = {"SOLE": 0.75, "BUSN": 0.65, "CHTY": 0.65, "CIC": 0.6, "EDUC": 0.7, "LTD": 0.3,
                   "PLC": 0.05, "LLP": 0.15, "INDV": 0.5}.get(ctype, 0.3)
        local = srng.random() < p_local
        return Supplier(
            sid=str(next(id_iter)), name=name, ctype=ctype, sector=sector.key, dept=dept, etypes=etypes,
            eweights=eweights, weight=weight, median=median, sigma=sector.sigma, big=sector.big,
            spread=sector.spread, multi=sector.multi, active=active, vat=vat, company_number=company_number,
            charity_number=charity, sme=sme, vcse=vcse, local=local, postcode=make_postcode(srng, local),
            invoice_style=srng.choice(["INV-{:06d}", "SI{:05d}", "{:07d}", "IN{:06d}", "{:05d}/A"]),
            special=special,
        )

    specials_by_sector = {}
    for sec_key, name, ctype, special in SPECIAL_SUPPLIERS:
        specials_by_sector.setdefault(sec_key, []).append((name, ctype, special))
        used_names.add(name)

    for sector in SECTORS:
        specials = specials_by_sector.get(sector.key, [])
        for name, ctype, special in specials:
            suppliers.append(attrs(sector, ctype, name, special))
        for _ in range(sector.count - len(specials)):
            ctype = weighted(rng, sector.ctypes)
            suppliers.append(attrs(sector, ctype, new_name(sector, ctype)))

    pb_sector = Sector("public_bodies", 0, [("Corporate Services", 1)], ["Payments to Other Local Authorities"], [], [], 0, 0)
    for name, etypes in PUBLIC_BODIES:
        s = attrs(pb_sector, "WGA", name)
        s.sector, s.etypes = "public_bodies", etypes
        s.eweights = [1.0] * len(etypes)
        s.dept = PB_DEPT.get(etypes[0], "Corporate Services")
        s.weight, s.median, s.sigma, s.big, s.spread, s.multi = 0.5, 9000, 1.2, (0.06, 100_000, 900_000), 0.5, 0.0
        s.active, s.sme, s.vcse, s.local = (0, LAST_MONTH), "", "No", True
        s.postcode = make_postcode(rng_for("pb", name), True)
        suppliers.append(s)

    # ---- special cases ----------------------------------------------------
    by_name = {s.name: s for s in suppliers}
    g = by_name["Greenfield Waste Services Ltd"]
    g.active, g.weight, g.etypes, g.eweights = (0, LAST_MONTH), 3.0, ["Waste Disposal Contract", "Recycling Credits"], [3, 1]
    g.dept, g.sme, g.median = "Waste & Environment", "No", 12000
    for nm in ("Café Lumière Catering Ltd", "Renée’s Homecare Ltd", "O’Marrow Minibus Services",
               "Chloé Ashgrove Interpreting", "Brightway Homes Ltd"):
        by_name[nm].active = (0, LAST_MONTH)
        by_name[nm].weight = max(by_name[nm].weight, 1.0)
    for nm in (EDGE_EXACT, EDGE_CREDIT):
        by_name[nm].in_pool = False
        by_name[nm].active = (0, LAST_MONTH)
    e1 = by_name[EDGE_EXACT]
    e1.dept, e1.etypes, e1.eweights = "Property & Capital", ["Consultancy"], [1]
    e2 = by_name[EDGE_CREDIT]
    e2.dept, e2.etypes, e2.eweights = "Communities", ["Grounds Maintenance", "Equipment & Tools"], [2, 1]

    # ---- per-shape spellings ----------------------------------------------
    masked_pool = [s for s in suppliers if s.sector in ("care_res", "care_home", "children", "transport")
                   and not s.special]
    masked = rng.sample(masked_pool, 11)
    for s in suppliers:
        vr = rng_for("variants", s.sid)
        variants = name_variants(s.name, s.ctype)
        keep = {"A": 0.7, "B": 0.6, "C": 0.7, "D": 0.65, "E": 0.35}
        for shape in "ABCDE":
            if vr.random() < keep[shape] or len(variants) == 1:
                s.variants[shape] = s.name
            else:
                s.variants[shape] = vr.choice(variants[1:])
            if shape != "B" and any(ch in s.name for ch in "é’") and vr.random() < 0.5:
                s.variants[shape] = ascii_fold(s.variants[shape])
        if s.special == "accent":
            s.variants["B"] = s.name  # cp1252 months always carry the accented spelling
    g.variants = {"A": "Greenfield Waste Services Ltd", "B": "GREENFIELD WASTE SERVICES LIMITED",
                  "C": "Greenfield Waste Services", "D": "Greenfield Waste Services Ltd",
                  "E": "GREENFIELD WASTE SERVICES LIMITED"}
    for nm in (EDGE_EXACT, EDGE_CREDIT):
        by_name[nm].variants = {k: by_name[nm].name for k in "ABCDE"}
    for i, s in enumerate([*masked, by_name["Brightway Homes Ltd"]]):
        digits = f"{rng_for('mask', s.sid).randint(0, 9999):04d}"
        if s.name == "Brightway Homes Ltd":
            digits = "9936"
        for shape in "ABCDE":
            if (i + (shape in "BD")) % 2 == 0:
                s.variants[shape] = f"{strip_legal(s.name).upper()} ****{digits}"
            else:
                s.variants[shape] = f"{strip_legal(s.name)} (****{digits})"
    return suppliers


# ---------------------------------------------------------------------------
# Spend lines
# ---------------------------------------------------------------------------

@dataclass
class Line:
    date: dt.date
    supplier: Supplier | None      # None = redacted individual
    redaction: str
    amount: Decimal
    trans: int
    invoice: str
    dept: str
    etype: str
    ctype: str
    artefact: int = 0             # Shape A: -1/+1 = write amount one float ulp off


def business_days(y: int, m: int) -> list:
    n = calendar.monthrange(y, m)[1]
    return [dt.date(y, m, d) for d in range(1, n + 1) if dt.date(y, m, d).weekday() < 5]


def draw_amount(rng: random.Random, s: Supplier) -> Decimal:
    p, lo, hi = s.big
    if p and rng.random() < p:
        x = math.exp(rng.uniform(math.log(lo), math.log(hi)))
        return money(round(x, 2)) if rng.random() < 0.7 else money(round(x, -2))
    for _ in range(20):
        x = s.median * math.exp(rng.gauss(0, s.sigma))
        if 500 <= x <= 95_000:
            break
    else:
        x = 500 + rng.uniform(0, 400)
    if rng.random() < 0.12:
        x = max(500, round(x / 50) * 50)      # round-number invoices
    return money(round(x, 2))


def pick_etype(rng: random.Random, s: Supplier) -> str:
    return rng.choices(s.etypes, weights=s.eweights, k=1)[0]


def pick_dept(rng: random.Random, s: Supplier, etype: str) -> str:
    if s.sector == "public_bodies":
        return PB_DEPT.get(etype, rng.choice(DEPARTMENTS))
    if rng.random() < s.spread:
        return rng.choice(DEPARTMENTS)
    return s.dept


def edge_schedule() -> dict:
    """Lines of the two hand-built edge-case suppliers: month index -> [(supplier name, amount, etype)]."""
    rng = rng_for("edges")
    sched: dict = {}
    # 1. exactly £100,000.00 in 2024/25, all in Shape A months (Apr-Sep 2024).
    parts = [money(round(rng.uniform(14_000, 24_000), 2)) for _ in range(4)]
    parts.append(Decimal("100000.00") - sum(parts))
    assert sum(parts) == Decimal("100000.00") and all(p >= 500 for p in parts)
    for mi, amt in zip([0, 1, 3, 4, 5], parts, strict=False):
        sched.setdefault(mi, []).append((EDGE_EXACT, amt, "Consultancy"))
    # ... and something else in 2025/26 (Shape E months).
    for mi in (21, 22):
        sched.setdefault(mi, []).append((EDGE_EXACT, money(round(rng.uniform(15_000, 21_000), 2)), "Consultancy"))
    # 2. 2025/26 invoices over £100k, pulled under £100k by one credit note (Feb 2026, Shape E).
    inv_months = [12, 13, 15, 16, 18, 19, 20, 21]
    gross_target = money(round(rng.uniform(103_000, 107_000), 2))
    inv = [money(round(rng.uniform(11_000, 14_500), 2)) for _ in inv_months[:-1]]
    inv.append(gross_target - sum(inv))
    credit = -money(round(float(gross_target - Decimal("100000")) + rng.uniform(1_200, 3_800), 2))
    for mi, amt in zip(inv_months, inv, strict=False):
        sched.setdefault(mi, []).append((EDGE_CREDIT, amt, "Grounds Maintenance"))
    sched.setdefault(22, []).append((EDGE_CREDIT, credit, "Grounds Maintenance"))
    # 2024/25: a modest amount
    for mi in (2, 6, 9, 11):
        sched.setdefault(mi, []).append((EDGE_CREDIT, money(round(rng.uniform(6_000, 12_000), 2)),
                                         "Grounds Maintenance"))
    return sched


def generate_month(mi: int, suppliers: list, edges: dict, trans_base: int) -> list:
    y, m = MONTHS[mi]
    rng = rng_for("month", mi)
    days = business_days(y, m)
    pool = [s for s in suppliers if s.in_pool and s.active[0] <= mi <= s.active[1]]
    cum = []
    acc = 0.0
    for s in pool:
        acc += s.weight
        cum.append(acc)
    by_name = {s.name: s for s in suppliers}

    target = 2500 + rng.randint(0, 250)
    n_dups = rng.randint(2, 5)
    edge_lines = edges.get(mi, [])
    credit_rate = rng.uniform(0.015, 0.028)
    redact_rate = rng.uniform(0.02, 0.035)
    redact_weights = [rng.uniform(0.5, 3) for _ in REDACTION_LABELS]
    trans = trans_base
    lines: list = []

    def next_trans() -> int:
        nonlocal trans
        trans += rng.randint(1, 4)
        return trans

    inv_counter: dict = {}

    def invoice_no(s: Supplier | None) -> str:
        if s is None:
            return f"DP{rng.randint(10000, 99999)}" if rng.random() < 0.7 else ""
        inv_counter[s.sid] = inv_counter.get(s.sid, rng_for("inv", s.sid).randint(100, 90000)) + rng.randint(1, 9)
        return s.invoice_style.format(inv_counter[s.sid])

    # scheduled large payments (pension contributions, waste disposal contract)
    pension = by_name["Harrowdale Pension Fund"]
    lines.append(Line(rng.choice(days[-5:]), pension, "", money(round(rng.uniform(1_350_000, 1_950_000), 2)),
                      next_trans(), invoice_no(pension), "Corporate Services", "Pension Fund Contributions", "WGA"))
    green = by_name["Greenfield Waste Services Ltd"]
    lines.append(Line(rng.choice(days), green, "", money(round(rng.uniform(780_000, 1_240_000), 2)),
                      next_trans(), invoice_no(green), "Waste & Environment", "Waste Disposal Contract", "LTD"))

    while len(lines) < target - n_dups - len(edge_lines):
        d = rng.choice(days)
        r = rng.random()
        if r < redact_rate:
            et, dept, ct, _w = rng.choices(REDACTED_KINDS, weights=[k[3] for k in REDACTED_KINDS], k=1)[0]
            amt = money(round(max(500.0, 1100 * math.exp(rng.gauss(0, 0.55))), 2))
            if rng.random() < 0.04:
                amt = -money(round(rng.uniform(60, 900), 2))   # recovered overpayment
            label = rng.choices(REDACTION_LABELS, weights=redact_weights, k=1)[0]
            lines.append(Line(d, None, label, amt, next_trans(), invoice_no(None), dept, et, ct))
            continue
        s = pool[rng.choices(range(len(pool)), cum_weights=cum, k=1)[0]]
        if r < redact_rate + credit_rate:
            et = pick_etype(rng, s)
            if rng.random() < 0.6:
                amt = -draw_amount(rng, s)
            else:
                amt = -money(round(rng.uniform(5, 499.99), 2))
                if rng.random() < 0.15:
                    amt = -money(round(rng.uniform(5, 50), 1))  # e.g. -9.90
            lines.append(Line(d, s, "", amt, next_trans(), invoice_no(s), pick_dept(rng, s, et), et, s.ctype))
            continue
        n = 1
        if s.multi and rng.random() < s.multi:
            n = rng.choice([2, 2, 2, 3, 3, 4, 5, 6])
        t, inv = next_trans(), invoice_no(s)
        dept = s.dept if rng.random() >= s.spread else rng.choice(DEPARTMENTS)
        amounts: list = []
        while len(amounts) < n:
            a = draw_amount(rng, s)
            if n > 1 and a >= 100_000:
                continue
            if a not in amounts:
                amounts.append(a)
        for a in amounts:
            et = pick_etype(rng, s)
            if s.sector == "public_bodies":
                dept = pick_dept(rng, s, et)
            lines.append(Line(d, s, "", a, t, inv, dept, et, s.ctype))

    for name, amt, et in edge_lines:
        s = by_name[name]
        lines.append(Line(rng.choice(days), s, "", amt, next_trans(), invoice_no(s), s.dept, et, s.ctype))

    lines.sort(key=lambda ln: (ln.date, ln.trans))
    # Shape A float artefacts
    if shape_of(mi) == "A":
        for ln in lines:
            if ln.supplier is not None and ln.supplier.special.startswith("edge"):
                continue
            if rng.random() < 0.006:
                ln.artefact = rng.choice([-1, 1])
    # exactly repeated lines
    for idx in sorted(rng.sample(range(len(lines)), n_dups), reverse=True):
        lines.insert(idx + 1, lines[idx])
    return lines


# ---------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------

def plain_amount(a: Decimal) -> str:
    s = f"{a:.2f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s


def shape_a_amount(ln: Line) -> str:
    if ln.artefact:
        f = math.nextafter(float(ln.amount), math.inf if ln.artefact > 0 else -math.inf)
        text = repr(f)
        assert money(Decimal(text)) == ln.amount, (text, ln.amount)
        return text
    return plain_amount(ln.amount)


def payee(ln: Line, shape: str) -> str:
    return ln.redaction if ln.supplier is None else ln.supplier.variants[shape]


def sid(ln: Line) -> str:
    return "" if ln.supplier is None else ln.supplier.sid


def csv_text(rows, lineterminator: str) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator=lineterminator)
    w.writerows(rows)
    return buf.getvalue()


def quote_field(value: str, force: bool = False) -> str:
    if force or any(ch in value for ch in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def write_shape_a(path: Path, lines: list, rng: random.Random) -> int:
    header = ["Body", "Name of Body", "Date", "Transaction Number", "Invoice Number", "Amount", "Supplier Name",
              "Supplier ID", "Vat Reg No", "Expense Area", "Expense Type", "Expense Code", "Creditor Type"]
    rows = [header]
    for ln in lines:
        vat = ln.supplier.vat if ln.supplier else ""
        rows.append([BODY_CODE, COUNCIL, f"{ln.date:%Y-%m-%d} 00:00:00", str(ln.trans), ln.invoice,
                     shape_a_amount(ln), payee(ln, "A"), sid(ln), vat, ln.dept, ln.etype,
                     EXPENSE_CODES[ln.etype], ln.ctype])
    path.write_bytes(csv_text(rows, "\r\n").encode("utf-8-sig"))
    return 0


def write_shape_b(path: Path, lines: list, rng: random.Random) -> int:
    pad = [""] * 40
    rows = [["Supplier id", "Supplier Name", "Transno", "Account", "Description", "Amount", "Pay Date", "Group", *pad]]
    for ln in lines:
        a = ln.amount
        body = f"£{abs(a):,.2f}"
        if a < 0 or rng.random() < 0.05:
            if body.endswith(".00") and rng.random() < 0.5:
                body = body[:-3]
            elif body.endswith("0"):
                body = body[:-1]
        text = ("-" if a < 0 else "") + body
        rows.append([sid(ln), payee(ln, "B"), str(ln.trans), EXPENSE_CODES[ln.etype], ln.etype, text, f"{ln.date:%d/%m/%Y}", ln.dept, *pad])
    n_trailing = rng.choice([2, 2, 3])
    rows += [[""] * 48 for _ in range(n_trailing)]
    path.write_bytes(csv_text(rows, "\r\n").encode("cp1252"))
    return n_trailing


def shape_c_amount(a: Decimal) -> str:
    return f"({abs(a):,.2f})" if a < 0 else f" {a:,.2f} "


def write_shape_c(path: Path, lines: list, rng: random.Random, mi: int, total: Decimal, body_only: bool) -> int:
    y, m = MONTHS[mi]
    out = [COUNCIL, f"Expenditure over £500 - {calendar.month_name[m]} {y}", "",
           "Name of  Body, Date ,Transaction Number, Amount ,Supplier Name,Supplier ID,Expense Area,"
           "Expense Type,Expense Code,Creditor Type"]
    body_row_at = len(lines) // 2 if body_only else -1
    for i, ln in enumerate(lines):
        if i == body_row_at:
            out.append(COUNCIL + "," * 9)
        fields = [COUNCIL, f"{ln.date.day:02d}-{MON_ABBR[ln.date.month]}-{ln.date.year % 100:02d}", str(ln.trans),
                  shape_c_amount(ln.amount), payee(ln, "C"), sid(ln), ln.dept, ln.etype,
                  EXPENSE_CODES[ln.etype], ln.ctype]
        out.append(",".join(quote_field(f, force=(j == 3)) for j, f in enumerate(fields)))
    out.append(",,," + quote_field(f" {total:,.2f} ", force=True) + ",,,,,,")
    out.append("")
    ny, nm = (y + 1, 1) if m == 12 else (y, m + 1)
    run_day = business_days(ny, nm)[rng.randint(2, 5)]
    out.append(f"Report SPEND01 run on {run_day:%d/%m/%Y} at {rng.randint(7, 17):02d}:{rng.randint(0, 59):02d} "
               f"by FINANCE")
    path.write_bytes(("\n".join(out) + "\n").encode("utf-8"))
    return 3 + (1 if body_only else 0)


def write_shape_d(path: Path, lines: list, rng: random.Random, serial_dates: bool) -> int:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Spend"
    ws.append(["Date", "Supplier", "Supplier Number", "Department", "Purpose", "Account Code", "Amount",
               "Reference", "VAT Number"])
    epoch = dt.date(1899, 12, 30)
    for r, ln in enumerate(lines, start=2):
        date_value = (ln.date - epoch).days if serial_dates else ln.date
        ws.append([date_value, payee(ln, "D"), int(ln.supplier.sid) if ln.supplier else None, ln.dept, ln.etype,
                   int(EXPENSE_CODES[ln.etype]), float(ln.amount), f"AP{ln.trans:08d}",
                   (ln.supplier.vat or None) if ln.supplier else None])
        if not serial_dates:
            ws.cell(row=r, column=1).number_format = "dd/mm/yyyy"
        ws.cell(row=r, column=7).number_format = "#,##0.00"
    ws.column_dimensions["B"].width = 42
    ws.column_dimensions["D"].width = 24
    ws.column_dimensions["E"].width = 36
    props = wb.properties
    props.creator = "Harrowdale County Council Finance"
    props.lastModifiedBy = "Harrowdale County Council Finance"
    props.title = path.stem
    props.created = FIXED_PROPS_TIME
    props.modified = FIXED_PROPS_TIME
    raw = io.BytesIO()
    writer = ExcelWriter(wb, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, allowZip64=True))
    writer.save()
    # re-pack with fixed entry timestamps so the bytes are stable
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            zi.create_system = 3
            dst.writestr(zi, src.read(info.filename))
    path.write_bytes(out.getvalue())
    return 0


def days_to_pay(rng: random.Random) -> int:
    """Days from an invoice's receipt to its payment (day 1 = the day after receipt): most within 30 days."""
    band = rng.random()
    if band < 0.80:
        return rng.randint(3, 30)
    if band < 0.95:
        return rng.randint(31, 60)
    return rng.randint(61, 95)


def shape_e_date(d: dt.date) -> str:
    return f"{d.day:02d}-{MON_ABBR[d.month].upper()}-{d.year}"


def write_shape_e(path: Path, lines: list, rng: random.Random, total: Decimal, mi: int) -> int:
    # From January 2026 the council publishes the day each invoice was received (the Procurement Act 2023's
    # payments compliance notice counts days from it). Its own generator, so the other columns are unchanged.
    received_rng = rng_for("received", mi)
    rows = [["PAYMENT DATE", "EXPENSE AREA", "EXPENSE TYPE", "EXPENSE CODE", "SUPPLIER NAME", "SUPPLIER ID",
             "AMOUNT", "TRANSACTION NUMBER", "CREDITOR TYPE", "INVOICE RECEIVED DATE"]]
    for ln in lines:
        received = ln.date - dt.timedelta(days=days_to_pay(received_rng))
        rows.append([shape_e_date(ln.date), ln.dept, ln.etype,
                     EXPENSE_CODES[ln.etype], payee(ln, "E"), sid(ln), f"{ln.amount:.2f}", str(ln.trans), ln.ctype,
                     shape_e_date(received)])
    rows.append(["", "", "", "", "TOTAL", "", f"{total:.2f}", "", "", ""])
    path.write_bytes(csv_text(rows, "\r\n").encode("utf-8"))
    return 1


# ---------------------------------------------------------------------------
# Contracts register and supplier attributes
# ---------------------------------------------------------------------------

def add_months(d: dt.date, months: int) -> dt.date:
    y, m = divmod(d.month - 1 + months, 12)
    y += d.year
    m += 1
    return dt.date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def pounds(v: Decimal) -> str:
    return f"£{v:,.2f}"


def round_value(x: float) -> Decimal:
    step = 1000 if x >= 200_000 else 100 if x >= 20_000 else 10
    return Decimal(max(step, round(x / step) * step)).quantize(PENNY)


def build_contracts(suppliers: list, annual_spend: dict) -> tuple:
    rng = rng_for("contracts")
    header = ["Reference Number", "Contract Title", "Department", "Description of Goods and Services",
              "Supplier Name", "Supplier ID", "Companies House Number", "Contract Value (Whole Life)",
              "Estimated Annual Value", "Start Date", "End Date", "Review Date", "Extension Options (months)",
              "Procurement Route", "SME", "VCSE", "Charity Registration Number", "CPV Code", "ProClass"]
    candidates = [s for s in suppliers if s.sector not in ("public_bodies", "refunds")]
    chosen = []
    for s in candidates:
        spend = annual_spend.get(s.sid, Decimal(0))
        p = 0.9 if spend >= 25_000 else 0.55
        if s.special.startswith("edge") or s.name == "Greenfield Waste Services Ltd":
            p = 1.0
        if rng.random() < p:
            n = 1 + (rng.random() < 0.22) + (rng.random() < 0.05)
            chosen += [s] * n
    rows = [header]
    total_whole_life = Decimal(0)
    refs = set()
    for s in chosen:
        sector = SECTOR_BY_KEY[s.sector]
        spend = float(annual_spend.get(s.sid, Decimal(0)))
        annual = round_value(max(spend, 3000) * math.exp(rng.gauss(0, 0.35)))
        r = rng.random()
        if r < 0.12:
            end = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randint(0, 729))
        elif r < 0.24:
            end = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randint(0, (CUTOFF - dt.date(2026, 1, 1)).days - 1))
        elif r < 0.95:
            end = CUTOFF + dt.timedelta(days=rng.randint(0, (add_months(CUTOFF, 36) - CUTOFF).days))
        else:
            end = dt.date(2029, 11, 28) + dt.timedelta(days=rng.randint(0, 33))
        months = rng.choice([12, 24, 36, 36, 48, 48, 60, 60, 84, 120])
        start = add_months(end, -months) + dt.timedelta(days=1)
        if end.day == calendar.monthrange(end.year, end.month)[1] or rng.random() < 0.5:
            start = dt.date(start.year, start.month, 1)
            end = add_months(start, months) - dt.timedelta(days=1)
        whole = (annual * months / 12).quantize(PENNY)
        if s.name == EDGE_EXACT:
            annual, whole, months = Decimal("50000.00"), Decimal("100000.00"), 24
            start, end = dt.date(2024, 4, 1), dt.date(2026, 3, 31)
        whole_text = "" if (rng.random() < 0.12 and s.name != EDGE_EXACT) else pounds(whole)
        if whole_text:
            total_whole_life += whole
        review = "" if rng.random() < 0.2 else f"{add_months(end, -6):%d/%m/%Y}"
        ext = weighted(rng, [("", 25), ("0", 25), ("12", 30), ("24", 20)])
        if whole < 25_000:
            route = weighted(rng, [("Quote", 70), ("Direct Award", 20), ("Framework", 10)])
        elif whole < 214_000:
            route = weighted(rng, [("Quote", 25), ("Tender", 35), ("Framework", 30), ("Direct Award", 10)])
        else:
            route = weighted(rng, [("Tender", 55), ("Framework", 40), ("Direct Award", 5)])
        title_tpl = rng.choice(sector.titles) if sector.titles else "Goods and Services"
        if s.name == EDGE_EXACT:
            title_tpl = "Heritage and Ecology Surveys - Capital Programme"
        title = title_tpl.format(place=rng.choice(PLACES), lot=rng.randint(1, 6), yr=start.year)
        if title_tpl.endswith("{yr}") and start.year < end.year:
            title += f"-{end.year % 100:02d}"
        while True:
            ref = (f"HCC-{start.year}-{rng.randint(1, 9999):04d}" if rng.random() < 0.7
                   else f"CON{rng.randint(10000, 99999)}")
            if ref not in refs:
                refs.add(ref)
                break
        cpv = rng.choice(sector.cpv) if sector.cpv and rng.random() < 0.6 else ""
        proclass = sector.proclass if sector.proclass and rng.random() < 0.3 else ""
        rows.append([ref, title, s.dept, sector.desc, s.name, s.sid, s.company_number, whole_text, pounds(annual),
                     f"{start:%d/%m/%Y}", f"{end:%d/%m/%Y}", review, ext, route, s.sme, s.vcse, s.charity_number,
                     cpv, proclass])
    body = rows[1:]
    body.sort(key=lambda r: r[0])
    return [header, *body], total_whole_life


# Contracts procured under the Procurement Act 2023 after s.70 came into force (1 April 2026): payments of more than
# £30,000 under them are published each quarter. (supplier: the named one, else the sector's largest payee of 2025/26;
# title, start, months)
ACT_CONTRACTS = [
    ("Greenfield Waste Services Ltd", "Residual Waste Treatment Contract 2026-31", dt.date(2026, 4, 1), 60),
    ("highways", "Highway Maintenance Term Contract 2026-30", dt.date(2026, 4, 1), 48),
    ("care_res", "Residential and Nursing Care Block Beds 2026-29", dt.date(2026, 5, 1), 36),
    ("construction", "New Build Special School - Pennock", dt.date(2026, 6, 15), 30),
    ("it", "Social Care Case Management System 2026-31", dt.date(2026, 7, 1), 60),
]


def build_act_contracts(suppliers: list, supplier_fy: dict, header: list, taken: set) -> list:
    """Register rows of the contracts in ACT_CONTRACTS, valued at the supplier's 2025/26 spend a year."""
    rows = []
    by_name = {s.name: s for s in suppliers}
    used: set = set()
    for n, (who, title, start, months) in enumerate(ACT_CONTRACTS, start=1):
        if who in by_name:
            s = by_name[who]
        else:
            pool = [x for x in suppliers if x.sector == who and not x.special and x.sid not in used]
            s = max(pool, key=lambda x: (supplier_fy.get((x.sid, "2025/26"), Decimal(0)), x.sid))
        used.add(s.sid)
        sector = SECTOR_BY_KEY[s.sector]
        annual = round_value(float(supplier_fy.get((s.sid, "2025/26"), Decimal(0))))
        whole = (annual * months / 12).quantize(PENNY)
        end = add_months(start, months) - dt.timedelta(days=1)
        ref = f"HCC-2026-A{n:03d}"
        assert ref not in taken
        values = {"Reference Number": ref, "Contract Title": title, "Department": s.dept,
                  "Description of Goods and Services": sector.desc, "Supplier Name": s.name, "Supplier ID": s.sid,
                  "Companies House Number": s.company_number, "Contract Value (Whole Life)": pounds(whole),
                  "Estimated Annual Value": pounds(annual), "Start Date": f"{start:%d/%m/%Y}",
                  "End Date": f"{end:%d/%m/%Y}", "Review Date": f"{add_months(end, -6):%d/%m/%Y}",
                  "Extension Options (months)": "12", "Procurement Route": "Tender", "SME": s.sme, "VCSE": s.vcse,
                  "Charity Registration Number": s.charity_number, "CPV Code": sector.cpv[0], "ProClass": ""}
        rows.append([values[h] for h in header])
    return rows


def build_attributes(suppliers: list) -> list:
    rng = rng_for("attributes")
    named = [s for s in suppliers if s.ctype != "INDV"]
    sample = rng.sample(named, 300)
    sample.sort(key=lambda s: int(s.sid))
    rows = [["Supplier ID", "Supplier Name", "Postcode", "Company Number", "SME", "VCSE"]]
    for s in sample:
        rows.append([s.sid, s.name, s.postcode, s.company_number, s.sme, s.vcse])
    return rows


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------


# ---------------------------------------------------------------------------
# Procurement Act registers: KPIs on the largest contracts, planned procurements
# ---------------------------------------------------------------------------

KPI_NAMES = ("Service delivered on time", "Complaints resolved within 10 working days",
             "Social value commitments delivered", "Carbon reduction plan milestones met")
KPI_TARGETS = ("95% of visits on time", "90% resolved", "100% of committed hours", "All milestones in the quarter")
RATINGS = ("Good", "Approaching target", "Requires improvement", "Inadequate")


def parse_register_date(text: str) -> dt.date:
    return dt.datetime.strptime(text, "%d/%m/%Y").date()


def register_value(text: str) -> Decimal:
    return Decimal(text.replace("£", "").replace(",", "") or "0")


def build_kpis(contract_rows: list) -> list:
    """Three or four KPIs, rated, on the eight largest contracts over £5m live in January 2026; the last has two
    KPIs only and the seventh no rating yet, so the register shows a shortfall and a notice never given."""
    header, body = contract_rows[0], contract_rows[1:]
    col = {name: i for i, name in enumerate(header)}
    live = [r for r in body if register_value(r[col["Contract Value (Whole Life)"]]) > 5_000_000
            and r[col["Start Date"]] and r[col["End Date"]]
            and parse_register_date(r[col["Start Date"]]) <= dt.date(2026, 1, 1) <= parse_register_date(r[col["End Date"]])]
    live.sort(key=lambda r: (-register_value(r[col["Contract Value (Whole Life)"]]), r[col["Reference Number"]]))
    rng = rng_for("kpis")
    rows = [["Contract Reference", "KPI", "Target", "Rated On", "Rating", "Note"]]
    for n, r in enumerate(live[:8]):
        ref = r[col["Reference Number"]]
        count = 2 if n == 7 else (4 if n % 3 == 0 else 3)
        dates = [] if n == 6 else ([dt.date(2025, 3, 31), dt.date(2026, 1, 30)] if n % 2 == 0 else [dt.date(2025, 2, 28)])
        for kpi, target in list(zip(KPI_NAMES, KPI_TARGETS, strict=True))[:count]:
            for day in dates:
                rows.append([ref, kpi, target, day.isoformat(), RATINGS[min(3, int(rng.random() ** 2 * 4))], ""])
            if not dates:
                rows.append([ref, kpi, target, "", "", "KPI set; first rating not yet recorded"])
    return rows


def build_planned() -> list:
    """Planned procurements for the pipeline notice of 2026/27 (reporting period 1 April 2026 to 30 September 2027):
    one on each edge of the period, one just outside it and one under £2m, to show the rules."""
    return [
        ["Title", "Description", "Department", "Estimated Value", "Notice Type", "Notice Date", "Contract Start",
         "Contract End", "CPV Code", "Lots", "Framework", "Note"],
        ["Highways Term Maintenance 2027", "Reactive and planned highway maintenance across the county",
         "Highways & Transport", "18500000.00", "tender", "2026-04-01", "2027-04-01", "2034-03-31", "45233141-9", "3",
         "No", "Notice planned on the first day of the period"],
        ["Home to School Transport Framework", "Framework of taxi and minibus operators for home to school transport",
         "Children's Services", "12000000.00", "tender", "2027-09-30", "2028-04-01", "2032-03-31", "60130000-8", "6",
         "Yes", "Notice planned on the last day of the period"],
        ["Library Management System", "Cloud library management system and self-service kiosks",
         "Communities", "2400000.00", "tender", "2026-11-16", "2027-06-01", "2032-05-31", "48000000-8", "0", "No", ""],
        ["Street Lighting LED Upgrade Phase 3", "Replacement of the remaining sodium lanterns with LED",
         "Highways & Transport", "6500000.00", "tender", "2027-10-01", "2028-03-01", "2029-02-28", "45316110-9", "0",
         "No", "Just after the period: not in the 2026/27 notice"],
        ["Corporate Cleaning Consumables", "Cleaning products for council buildings", "Property & Capital",
         "1900000.00", "tender", "2026-09-01", "2027-01-01", "2030-12-31", "39830000-9", "0", "No",
         "Under £2m: not in the notice"],
    ]


def main() -> None:
    for d in (SPEND_DIR, CONTRACTS_DIR, SUPPLIERS_DIR):
        d.mkdir(parents=True, exist_ok=True)
    suppliers = build_suppliers()
    edges = edge_schedule()

    files_meta = []
    grand_total, grand_rows = Decimal(0), 0
    by_fy: dict = {"2024/25": Decimal(0), "2025/26": Decimal(0), "2026/27": Decimal(0)}
    supplier_fy: dict = {}
    trans_bases = {"A": 3_100_000, "B": 7_400_000, "C": 21_000_000, "D": 40_000_000, "E": 5_500_000}
    for mi, (y, m) in enumerate(MONTHS):
        shape = shape_of(mi)
        base = trans_bases[shape] + mi * 20_000
        lines = generate_month(mi, suppliers, edges, base)
        total = sum((ln.amount for ln in lines), Decimal("0.00"))
        wrng = rng_for("write", mi)
        ext = "xlsx" if shape == "D" else "csv"
        name = f"harrowdale-spend-{y}-{m:02d}.{ext}"
        path = SPEND_DIR / name
        published = None
        if shape == "A":
            skipped = write_shape_a(path, lines, wrng)
        elif shape == "B":
            skipped = write_shape_b(path, lines, wrng)
        elif shape == "C":
            skipped = write_shape_c(path, lines, wrng, mi, total, body_only=(y, m) == (2025, 7))
            published = f"{total:.2f}"
        elif shape == "D":
            skipped = write_shape_d(path, lines, wrng, serial_dates=(y, m) == (2025, 12))
        else:
            skipped = write_shape_e(path, lines, wrng, total, mi)
            published = f"{total:.2f}"
        fy = financial_year(dt.date(y, m, 1))
        by_fy[fy] += total
        grand_total += total
        grand_rows += len(lines)
        for ln in lines:
            if ln.supplier is not None:
                key = (ln.supplier.sid, fy)
                supplier_fy[key] = supplier_fy.get(key, Decimal(0)) + ln.amount
        files_meta.append({
            "name": name,
            "month": f"{y}-{m:02d}",
            "financial_year": fy,
            "shape": shape,
            "encoding": {"A": "utf-8-sig", "B": "cp1252", "C": "utf-8", "D": None, "E": "utf-8"}[shape],
            "payment_rows": len(lines),
            "total": f"{total:.2f}",
            "credit_notes": sum(1 for ln in lines if ln.amount < 0),
            "redacted": sum(1 for ln in lines if ln.supplier is None),
            "published_total": published,
            "skipped_rows": skipped,
        })

    annual_spend = {}
    for (s_id, fy), v in supplier_fy.items():
        if fy in REGISTER_YEARS:
            annual_spend[s_id] = annual_spend.get(s_id, Decimal(0)) + v / 2
    contract_rows, total_whole_life = build_contracts(suppliers, annual_spend)
    act_rows = build_act_contracts(suppliers, supplier_fy, contract_rows[0], {r[0] for r in contract_rows[1:]})
    total_whole_life += sum((register_value(r[7]) for r in act_rows), Decimal(0))
    contract_rows = [contract_rows[0], *sorted([*contract_rows[1:], *act_rows], key=lambda r: r[0])]
    (CONTRACTS_DIR / "harrowdale-contracts-register.csv").write_bytes(
        csv_text(contract_rows, "\n").encode("utf-8"))
    ACT_DIR.mkdir(parents=True, exist_ok=True)
    (ACT_DIR / "harrowdale-contract-kpis.csv").write_bytes(csv_text(build_kpis(contract_rows), "\n").encode("utf-8"))
    (ACT_DIR / "harrowdale-planned-procurements.csv").write_bytes(csv_text(build_planned(), "\n").encode("utf-8"))
    attr_rows = build_attributes(suppliers)
    (SUPPLIERS_DIR / "harrowdale-supplier-attributes.csv").write_bytes(csv_text(attr_rows, "\n").encode("utf-8"))

    by_name = {s.name: s for s in suppliers}
    e1, e2 = by_name[EDGE_EXACT], by_name[EDGE_CREDIT]
    bands = {}
    for fy in by_fy:
        counts = {"under_25k": 0, "25k_to_100k": 0, "100k_to_500k": 0, "500k_and_over": 0}
        for (_s_id, f), v in supplier_fy.items():
            if f != fy:
                continue
            if v < 25_000:
                counts["under_25k"] += 1
            elif v < 100_000:
                counts["25k_to_100k"] += 1
            elif v < 500_000:
                counts["100k_to_500k"] += 1
            else:
                counts["500k_and_over"] += 1
        bands[fy] = counts

    expected = {
        "council": COUNCIL,
        "note": "Fictional data generated by sample_data/generate.py; figures computed from the generator's "
                "own Decimal values. A payment row is a data row with a date, a payee and an amount "
                "(exactly repeated lines are counted each time); every other row after the header is skipped.",
        "spend_files": files_meta,
        "spend": {
            "rows": grand_rows,
            "total": f"{grand_total:.2f}",
            "by_financial_year": {k: f"{v:.2f}" for k, v in by_fy.items()},
            "supplier_bands_by_financial_year": bands,
        },
        "contracts": {
            "rows": len(contract_rows) - 1,
            "total_whole_life_value": f"{total_whole_life:.2f}",
        },
        "supplier_attributes": {"rows": len(attr_rows) - 1},
        "edge_cases": {
            "exact_100k": {"supplier_id": e1.sid, "supplier_name": e1.name, "financial_year": "2024/25",
                           "total": f"{supplier_fy[(e1.sid, '2024/25')]:.2f}"},
            "credit_note_under_100k": {
                "supplier_id": e2.sid, "supplier_name": e2.name, "financial_year": "2025/26",
                "total": f"{supplier_fy[(e2.sid, '2025/26')]:.2f}",
                "invoices_total": f"{sum(a for mi, ls in edges.items() if mi >= 12 for n, a, _ in ls if n == EDGE_CREDIT and a > 0):.2f}",
            },
        },
    }
    assert expected["edge_cases"]["exact_100k"]["total"] == "100000.00"
    assert supplier_fy[(e2.sid, "2025/26")] < 100_000
    (HERE / "expected.json").write_text(json.dumps(expected, indent=2, ensure_ascii=False) + "\n",
                                        encoding="utf-8", newline="\n")

    print(f"spend rows: {grand_rows}, total £{grand_total:,.2f}")
    for fy, v in by_fy.items():
        print(f"  {fy}: £{v:,.2f}  bands {bands[fy]}")
    print(f"contracts: {len(contract_rows) - 1}, whole-life total £{total_whole_life:,.2f}")
    print(f"supplier attributes: {len(attr_rows) - 1}, suppliers defined: {len(suppliers)}")

    from generate_notices import write_notices  # the contract notices, written from the register above

    notices = write_notices()
    print(f"notices: {notices['notice_contracts']} contracts, {notices['matched']} matching the register")


if __name__ == "__main__":
    main()
