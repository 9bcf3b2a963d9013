"""`summary --json` and the plan's data measures, compared figure by figure with a recorded copy.

The recordings in tests/fixtures/summary/ were taken from the command line before the package was
reorganised; every figure must stay as recorded, so a change that moves code cannot move a number
unnoticed. Where a figure changes on purpose, the recording is updated for that figure alone and the
commit says why. To record again (only for such a change): RECORD_SUMMARY=1 pytest tests/test_recorded_summary.py
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import pytest

from sp_analysis.cli import main
from sp_analysis.plan.measures import data_measures
from sp_analysis.workspace import close_workspace, open_workspace
from tests.conftest import FIXTURES, real_sample

RECORDED = FIXTURES / "summary"
AS_AT = dt.date(2026, 12, 1)
REAL_SPEND = ("devon-cc_spending-over-500_2024-03.csv", "devon-cc_spending-over-500_2026-03.csv",
              "warwickshire-cc_supplier-payments_2017-01.csv", "warwickshire-cc_supplier-payments_2018-03.csv")
REAL_CONTRACTS = ("other-councils/norfolk_contracts_2015-03.csv",)


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code = main(list(argv))
    out = capsys.readouterr().out
    assert code == 0, out
    return out


def _record(path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    """The summary as the command line prints it, and the plan's data measures, as JSON-able data."""
    summary = json.loads(_cli(capsys, "summary", "--workspace", str(path), "--json", "--as-at", AS_AT.isoformat()))
    summary.pop("workspace")  # where the test put the file
    ws = open_workspace(path)
    try:
        measures = {m.key: {"figure": m.figure, "detail": m.detail,
                            "values": {k: str(v) for k, v in m.values.items()}}
                    for m in data_measures(ws, AS_AT)}
    finally:
        close_workspace(path)
    return {"summary": summary, "data_measures": measures}


def _figures(value: Any, path: str = "") -> dict[str, Any]:
    """Every leaf of a nested record by its path, e.g. 'summary.spend.by_impact.High'."""
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in _figures(item, f"{path}.{key}" if path else key).items()}
    if isinstance(value, list):
        return {k: v for i, item in enumerate(value) for k, v in _figures(item, f"{path}[{i}]").items()}
    return {path: value}


def _compare(name: str, got: dict[str, Any]) -> None:
    fixture = RECORDED / f"{name}.json"
    if os.environ.get("RECORD_SUMMARY") == "1":
        fixture.parent.mkdir(parents=True, exist_ok=True)
        fixture.write_text(json.dumps(got, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    want = _figures(json.loads(fixture.read_text(encoding="utf-8")))
    have = _figures(got)
    differences = [f"{key}: recorded {want.get(key, '(absent)')!r}, now {have.get(key, '(absent)')!r}"
                   for key in sorted(want.keys() | have.keys()) if want.get(key, "(absent)") != have.get(key, "(absent)")]
    assert not differences, "\n".join(differences)


def test_the_sample_council_summary_is_as_recorded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "sample.duckdb"
    _cli(capsys, "sample", "--workspace", str(path))
    _compare("sample_council", _record(path, capsys))


@pytest.mark.real_samples
def test_the_real_samples_summary_is_as_recorded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spend = [real_sample(name) for name in REAL_SPEND]  # skips, with the reason, where ../shared is absent
    contracts = [real_sample(name) for name in REAL_CONTRACTS]
    path = tmp_path / "real.duckdb"
    _cli(capsys, "load", "--workspace", str(path), "--kind", "spend", *map(str, spend))
    _cli(capsys, "load", "--workspace", str(path), "--kind", "contracts", *map(str, contracts))
    _compare("real_samples", _record(path, capsys))
