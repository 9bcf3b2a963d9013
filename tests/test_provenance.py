"""Source lines true for the view, part years and gaps said: exact wording on known data."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd

from sp_analysis.ingest.load import load_file
from sp_analysis.output import charts, pack
from sp_analysis.settings import set_setting, value_bands
from sp_analysis.spend import provenance
from sp_analysis.spend.filters import SpendFilters
from sp_analysis.workspace import Workspace

HEADER = "Date,Supplier Name,Amount,Expense Area,Expense Type\n"


def _load(ws: Workspace) -> None:
    # 2010/11 holds December to March only; 2011/12 misses June and July 2011; 2013/14 is whole but 2012/13 has
    # no data at all. In 2010/11, £865.00 of £1,000.00 is in a category (86.5%); in 2011/12 all of it.
    first = [f"{d},Acme Waste Ltd,{a},Environment,{t}" for d, a, t in (
        ("02/12/2010", "500.00", "Waste Disposal"), ("15/01/2011", "365.00", "Waste Disposal"),
        ("10/02/2011", "100.00", "Zzqx Sundries"), ("31/03/2011", "35.00", "Zzqx Sundries"))]
    first[2:] = [line.replace("Acme Waste Ltd", "Qwv Holdings").replace("Environment", "Zzqx") for line in first[2:]]
    load_file(ws, "2010.csv", (HEADER + "\n".join(first) + "\n").encode(), "spend")
    months = [m for m in range(1, 13) if m not in (6, 7)]
    second = [f"01/{m:02d}/{2011 if m >= 4 else 2012},Acme Waste Ltd,100.00,Environment,Waste Disposal" for m in months]
    load_file(ws, "2011.csv", (HEADER + "\n".join(second) + "\n").encode(), "spend")
    third = [f"01/{m:02d}/{2013 if m >= 4 else 2014},Acme Waste Ltd,100.00,Environment,Waste Disposal"
             for m in range(1, 13)]
    load_file(ws, "2013.csv", (HEADER + "\n".join(third) + "\n").encode(), "spend")


def test_part_years_and_gaps_are_said(ws: Workspace) -> None:
    _load(ws)
    months = provenance.data_months(ws)
    assert months.part_years(["2010/11", "2011/12", "2013/14"]) == {
        "2010/11": "December to March only",
        "2011/12": "10 of 12 months: April to May, August to March",
    }
    assert months.period(dt.date(2010, 12, 2), dt.date(2014, 3, 1)) == (
        "2 December 2010 to 1 March 2014; no data for June to July 2011, April 2012 to March 2013")


def test_the_source_line_counts_the_files_and_coverage_in_view(ws: Workspace) -> None:
    _load(ws)
    set_setting(ws, "council_name", "Test Borough Council")
    view = provenance.in_view(ws, SpendFilters(financial_years=("2010/11",), bands=value_bands(ws)))
    assert view.source == ("Source: Test Borough Council's published spend over £500 (1 file with payments in view), data "
                           "2 December 2010 to 31 March 2011; 86.5% of the spend in view by value classified.")
    assert view.part_years == {"2010/11": "December to March only"}
    every = provenance.in_view(ws, SpendFilters(bands=value_bands(ws)))
    # (865 + 1,000 + 1,200) / (1,000 + 1,000 + 1,200) = 3,065 / 3,200 = 95.78125%
    assert every.source == ("Source: Test Borough Council's published spend over £500 (3 files with payments in view), data "
                            "2 December 2010 to 1 March 2014; no data for June to July 2011, April 2012 to "
                            "March 2013; 95.8% of the spend in view by value classified.")
    assert Decimal(3065) / Decimal(3200) == Decimal("0.9578125")
    # An impact filter leaves unclassified spend out (100% by construction): the line gives the coverage of the
    # same spend without it, 2010/11's 86.5%.
    high = provenance.in_view(ws, SpendFilters(financial_years=("2010/11",), impacts=("High",), bands=value_bands(ws)))
    assert high.source.endswith("; 86.5% by value classified of the same spend without the impact, category and "
                                "influenceable filters.")


def test_the_trend_chart_marks_a_part_year() -> None:
    frame = pd.DataFrame({"financial_year": ["2010/11", "2011/12"], "impact_group": ["High", "High"],
                          "total": [Decimal(1000), Decimal(1200)], "payments": [4, 10]})
    text = charts.ChartText("Spend by year", "Net spend", "Source: test")
    figure = charts.spend_by_year(frame, text, {"2010/11": "December to March only"})
    assert list(figure.layout.xaxis.ticktext) == ["2010/11<br>part year", "2011/12"]
    assert "Part years: 2010/11: December to March only" in figure.layout.title.subtitle.text


def test_the_pack_leaves_out_what_has_no_data_and_says_part_years(ws: Workspace) -> None:
    import io

    from docx import Document

    _load(ws)
    built = pack.build_pack(ws, pack.PRESETS["cabinet"], as_at=dt.date(2014, 3, 31))
    shown = {item.key for item, _ in built.figures}
    assert "renewal_pipeline" not in shown and "action_plan" not in shown and "framework_progress" not in shown
    assert dict(built.left_out) == {
        "High-impact spend over £100k by category": "no high-impact spend with suppliers over £100k in view (all "
                                                    "spend loaded)",
        "Renewal pipeline": "no contracts register is loaded",
        "Action plan status (timeline)": "no action plan is loaded",
        "Flexible Framework: level against target": "no Flexible Framework assessment is recorded on or before "
                                                    "31 March 2014",
    }
    assert built.part_years == {"2010/11": "December to March only",
                                "2011/12": "10 of 12 months: April to May, August to March"}
    assert built.files == ["2010.csv", "2011.csv", "2013.csv"]
    document = Document(io.BytesIO(pack.write_docx(built)))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Part year: 2010/11: December to March only" in text
    assert ("Left out, having no data: High-impact spend over £100k by category (no high-impact spend with suppliers "
            "over £100k in view (all spend loaded)); Renewal pipeline (no contracts register is loaded); ") in text
    footer = document.sections[0].footer.paragraphs[0]
    assert footer.text.startswith("The council: sustainable procurement. As at 31 March 2014. Data 2 December 2010 "
                                  "to 1 March 2014; no data for June to July 2011, April 2012 to March 2013. Page ")
    assert [f.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}instr")
            for f in footer._p.iter("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}fldSimple")] == [
        "PAGE", "NUMPAGES"]


def test_a_file_dated_by_month_runs_to_the_end_of_its_month(ws: Workspace) -> None:
    # Lines published with a month, not a day, are dated by their month: the data run to that month's last day.
    lines = ["July 2010,Acme Waste Ltd,600.00,Environment,Waste Disposal",
             "July 2010,Acme Waste Ltd,400.00,Environment,Waste Disposal"]
    load_file(ws, "2010-07.csv", (HEADER + "\n".join(lines) + "\n").encode(), "spend")
    set_setting(ws, "council_name", "Test Borough Council")
    view = provenance.in_view(ws, SpendFilters(bands=value_bands(ws)))
    assert (view.first_date, view.last_date) == (dt.date(2010, 7, 1), dt.date(2010, 7, 31))
    assert "data 1 July 2010 to 31 July 2010;" in view.source
