"""The sample council loads with exactly the figures its generator computed on its own."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from sp_analysis.config import SAMPLE_DATA_DIR
from sp_analysis.sample import build_sample_workspace
from sp_analysis.summary import build_summary
from sp_analysis.workspace import Workspace

EXPECTED = json.loads((SAMPLE_DATA_DIR / "expected.json").read_text())


def test_sample_totals_match_the_generator(sample_council: Workspace) -> None:
    summary = build_summary(sample_council)
    assert summary["spend"]["rows"] == EXPECTED["spend"]["rows"]
    assert summary["spend"]["total"] == EXPECTED["spend"]["total"]
    assert summary["spend"]["by_financial_year"] == EXPECTED["spend"]["by_financial_year"]
    assert summary["contracts"]["rows"] == EXPECTED["contracts"]["rows"]
    assert summary["contracts"]["total_value"] == EXPECTED["contracts"]["total_whole_life_value"]


@pytest.mark.parametrize("expected", EXPECTED["spend_files"], ids=lambda f: f["name"])
def test_each_sample_file_matches_the_generator(sample_council: Workspace, expected: dict) -> None:
    with sample_council.read() as cur:
        rows, total, quality = cur.execute(
            "SELECT rows, total, quality FROM loaded_files WHERE name = $n", {"n": expected["name"]}).fetchone()
    quality = json.loads(quality)
    assert rows == expected["payment_rows"]
    assert total == Decimal(expected["total"])
    assert quality["credit_notes"] == expected["credit_notes"]
    assert quality["redacted"] == expected["redacted"]
    assert sum(quality["skipped"].values()) == expected["skipped_rows"]
    assert quality["published_total"] == expected["published_total"]
    if expected["published_total"] is not None:
        assert quality["published_total_matches"] is True


def test_sample_is_big_enough_and_spans_two_years() -> None:
    assert EXPECTED["spend"]["rows"] >= 60_000
    assert len(EXPECTED["spend"]["by_financial_year"]) >= 2
    assert EXPECTED["contracts"]["rows"] >= 300


def test_building_the_sample_twice_adds_nothing(sample_council: Workspace) -> None:
    before = build_summary(sample_council)
    loaded, refused = build_sample_workspace(sample_council)
    assert (loaded, refused) == ([], [])
    assert build_summary(sample_council) == before


def test_sample_generator_is_committed_with_its_output() -> None:
    assert (SAMPLE_DATA_DIR / "generate.py").exists()
    assert len(list(Path(SAMPLE_DATA_DIR / "spend").iterdir())) == len(EXPECTED["spend_files"])
