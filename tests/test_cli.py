"""The command line, run as a user runs it: a separate process, exit codes, JSON on stdout."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sp_analysis.workspace import close_workspace, open_workspace
from tests.conftest import REAL_SAMPLES, ROOT, real_sample

GOOD = "Date,Supplier Name,Amount\n01/04/2024,Acme,10.00\n02/04/2025,Beta,\"1,000.25\"\n"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sp_analysis", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def test_load_then_summary_json(tmp_path: Path) -> None:
    workspace = tmp_path / "w.duckdb"
    (tmp_path / "good.csv").write_text(GOOD)
    done = cli("load", "--workspace", str(workspace), str(tmp_path / "good.csv"))
    assert done.returncode == 0, done.stderr
    assert "loaded good.csv: 2 payments, total £1,010.25" in done.stdout
    summary = json.loads(cli("summary", "--workspace", str(workspace), "--json").stdout)
    assert summary["spend"]["rows"] == 2
    assert summary["spend"]["total"] == "1010.25"
    assert summary["spend"]["by_financial_year"] == {"2024/25": "10.00", "2025/26": "1000.25"}
    (entry,) = summary["spend"]["files"]
    assert entry["name"] == "good.csv" and entry["rows"] == 2 and entry["total"] == "1010.25"
    assert set(entry) >= {"name", "sha256", "rows", "total", "skipped"}
    assert summary["contracts"] == {
        "rows": 0, "total_value": "0.00", "files": [], "contracted_share": None,
        "ending_within_12_months": {"count": 0, "value": "0.00"}, "off_contract_over_100k": {"count": 0, "total": "0.00"},
        "notices": {"rows": 0, "total_value": "0.00", "files": [], "matched": 0, "register_without_notice": 0,
                    "notices_without_register": 0}}
    assert set(summary["spend"]) >= {"by_value_band", "by_impact", "classified_share", "influenceable_total",
                                     "over_100k_total", "sme_share", "vcse_share", "local_share",
                                     "unknown_status_share"}
    assert set(summary["framework"]) == {"themes", "actions"}
    assert summary["spend"]["over_100k_total"] == "0.00"  # neither supplier's year reaches £100,000


def test_batch_loads_good_files_refuses_bad_and_exits_1(tmp_path: Path) -> None:
    workspace = tmp_path / "w.duckdb"
    (tmp_path / "a-good.csv").write_text(GOOD)
    (tmp_path / "b-bad.csv").write_text("Date,Supplier Name,Amount\n01/04/2024,Acme,lots\n")
    done = cli("load", "--workspace", str(workspace), str(tmp_path / "*.csv"))
    assert done.returncode == 1
    assert "b-bad.csv: " in done.stderr and "line 2" in done.stderr and "'lots'" in done.stderr
    assert json.loads(cli("summary", "--workspace", str(workspace), "--json").stdout)["spend"]["rows"] == 2


def test_loading_again_is_not_an_error_and_counts_once(tmp_path: Path) -> None:
    workspace = tmp_path / "w.duckdb"
    (tmp_path / "good.csv").write_text(GOOD)
    assert cli("load", "--workspace", str(workspace), str(tmp_path / "good.csv")).returncode == 0
    again = cli("load", "--workspace", str(workspace), str(tmp_path / "good.csv"))
    assert again.returncode == 0
    assert "already loaded" in again.stdout
    assert json.loads(cli("summary", "--workspace", str(workspace), "--json").stdout)["spend"]["rows"] == 2


def test_bad_usage_exits_2(tmp_path: Path) -> None:
    assert cli("load", "--kind", "nonsense", "x.csv").returncode == 2
    assert cli().returncode == 2


def test_missing_file_exits_1(tmp_path: Path) -> None:
    done = cli("load", "--workspace", str(tmp_path / "w.duckdb"), str(tmp_path / "nope.csv"))
    assert done.returncode == 1
    assert "nope.csv" in done.stderr


def test_workspace_held_by_another_process_is_said_plainly(tmp_path: Path) -> None:
    workspace = tmp_path / "w.duckdb"
    open_workspace(workspace)  # this test process holds it, as the running dashboard would
    try:
        done = cli("summary", "--workspace", str(workspace))
    finally:
        close_workspace(workspace)
    assert done.returncode == 1
    assert "is open in another program" in done.stderr
    assert "Traceback" not in done.stderr


def test_environment_variable_chooses_the_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    workspace = tmp_path / "env.duckdb"
    (tmp_path / "good.csv").write_text(GOOD)
    env_run = subprocess.run([sys.executable, "-m", "sp_analysis", "load", str(tmp_path / "good.csv")], cwd=ROOT,
                             capture_output=True, text=True, env={**__import__("os").environ, "SP_WORKSPACE": str(workspace)})
    assert env_run.returncode == 0, env_run.stderr
    assert workspace.exists()


@pytest.mark.real_samples
def test_cli_loads_the_real_samples(tmp_path: Path) -> None:
    real_sample("devon-cc_spending-over-500_2024-03.csv")
    workspace = tmp_path / "w.duckdb"
    done = cli("load", "--workspace", str(workspace), str(REAL_SAMPLES / "*.csv"))
    assert done.returncode == 0, done.stderr
    summary = json.loads(cli("summary", "--workspace", str(workspace), "--json").stdout)
    assert summary["spend"]["rows"] == 10_690 + 3_545 + 3_733 + 4_741
    assert summary["spend"]["total"] == "204544471.27"


def test_contracts_kind(tmp_path: Path) -> None:
    workspace = tmp_path / "w.duckdb"
    (tmp_path / "reg.csv").write_text("Contract Title,Supplier Name,Contract Value\nWaste,Greenfield,\"£1,000\"\n")
    done = cli("load", "--workspace", str(workspace), "--kind", "contracts", str(tmp_path / "reg.csv"))
    assert done.returncode == 0, done.stderr
    summary = json.loads(cli("summary", "--workspace", str(workspace), "--json").stdout)
    assert summary["contracts"]["rows"] == 1 and summary["contracts"]["total_value"] == "1000.00"
