"""The command line under attack: the sample command on a real workspace, file names that look like globs;
and the secrets file kept out of git."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sp_analysis.workspace import close_workspace, open_workspace
from tests.conftest import ROOT

GOOD = "Date,Supplier Name,Amount\n01/04/2024,Acme,10.00\n02/04/2025,Beta,\"1,000.25\"\n"


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sp_analysis", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300)


def counts(workspace: Path) -> tuple[int, int, int, str | None]:
    ws = open_workspace(workspace)
    try:
        with ws.read() as cur:
            row = cur.execute("SELECT (SELECT count(*) FROM loaded_files), (SELECT count(*) FROM payments), "
                              "(SELECT count(*) FROM contracts), "
                              "(SELECT value FROM workspace_meta WHERE key = 'council_name')").fetchone()
    finally:
        close_workspace(workspace)
    assert row is not None
    return row  # type: ignore[return-value]


# --- 7. the sample command -----------------------------------------------------------------------------------

def test_sample_refuses_a_workspace_that_holds_data(tmp_path: Path) -> None:
    workspace = tmp_path / "real.duckdb"
    (tmp_path / "good.csv").write_text(GOOD)
    assert cli("load", "--workspace", str(workspace), str(tmp_path / "good.csv")).returncode == 0
    before = counts(workspace)
    done = cli("sample", "--workspace", str(workspace))
    assert done.returncode == 1
    assert "already holds data" in done.stderr and "nothing was changed" in done.stderr
    assert "1 loaded files, 2 payments and 0 contracts" in done.stderr
    assert counts(workspace) == before  # no fictional payments, contracts or council name added


def test_sample_refuses_a_workspace_with_only_contracts(tmp_path: Path) -> None:
    workspace = tmp_path / "real.duckdb"
    (tmp_path / "reg.csv").write_text("Contract Title,Supplier Name,Contract Value\nWaste,Greenfield,\"£1,000\"\n")
    assert cli("load", "--workspace", str(workspace), "--kind", "contracts", str(tmp_path / "reg.csv")).returncode == 0
    done = cli("sample", "--workspace", str(workspace))
    assert done.returncode == 1 and "already holds data" in done.stderr


# --- 8. file names with glob characters ----------------------------------------------------------------------

def test_an_existing_file_with_brackets_in_its_name_is_loaded_as_named(tmp_path: Path) -> None:
    workspace = tmp_path / "w.duckdb"
    path = tmp_path / "Spend [Jan 2017] final.csv"
    path.write_text(GOOD)
    done = cli("load", "--workspace", str(workspace), str(path))
    assert done.returncode == 0, done.stderr
    assert "loaded Spend [Jan 2017] final.csv: 2 payments" in done.stdout


def test_a_pattern_still_matches_when_no_file_has_its_name(tmp_path: Path) -> None:
    workspace = tmp_path / "w.duckdb"
    (tmp_path / "a1.csv").write_text(GOOD)
    done = cli("load", "--workspace", str(workspace), str(tmp_path / "a[0-9].csv"))
    assert done.returncode == 0, done.stderr
    assert "loaded a1.csv" in done.stdout


def test_the_secrets_file_is_ignored_by_git() -> None:
    ignored = {line.strip() for line in (ROOT / ".gitignore").read_text().splitlines()}
    assert ignored & {".streamlit/secrets.toml", "/.streamlit/secrets.toml", "secrets.toml"}, \
        ".streamlit/secrets.toml is not in .gitignore"

