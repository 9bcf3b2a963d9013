"""Staging copies (sp-stage-PID-*.csv, up to ~190 MB each) that a killed load left in the temp folder are swept
on start, by the app and the command line, and never a running process's copy."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from sp_analysis import cli
from sp_analysis.ingest.source import prepare_file, sweep_stale_copies
from sp_analysis.workspace import close_workspace
from tests.conftest import ROOT

CSV = b"Date,Supplier Name,Amount\n01/04/2024,Acme,10.00\n"

# A load that is killed (kill -9) while its cleaned copy waits on disk.
KILLED_MID_LOAD = f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
from sp_analysis.ingest.source import prepare_file
prepared = prepare_file("a.csv", {CSV!r}, "spend")
print(prepared.temp_path, flush=True)
import time
time.sleep(120)
"""


@pytest.fixture
def temp_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def copy_left_by_a_killed_load(folder: Path) -> Path:
    child = subprocess.Popen([sys.executable, "-c", KILLED_MID_LOAD], stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "TMPDIR": str(folder)})
    assert child.stdout is not None
    path = Path(child.stdout.readline().strip())
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert path.exists() and path.parent == folder
    assert path.name.startswith(f"sp-stage-{child.pid}-")
    return path


def test_a_copy_is_named_with_the_process_that_made_it(temp_folder: Path) -> None:
    prepared = prepare_file("a.csv", CSV, "spend")
    try:
        assert prepared.temp_path is not None
        assert Path(prepared.temp_path).parent == temp_folder
        assert Path(prepared.temp_path).name.startswith(f"sp-stage-{os.getpid()}-")
    finally:
        prepared.discard()


def test_only_copies_of_processes_that_are_gone_are_swept(temp_folder: Path) -> None:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        gone = temp_folder / f"sp-stage-{dead_pid()}-abc123.csv"
        other_running = temp_folder / f"sp-stage-{sleeper.pid}-def456.csv"
        mine = temp_folder / f"sp-stage-{os.getpid()}-ghi789.csv"
        old_unnamed = temp_folder / "sp-stage-k2j3h4.csv"
        new_unnamed = temp_folder / "sp-stage-q8w7e6.csv"
        unrelated = temp_folder / "sp-workbook-xyz.csv"
        for path in (gone, other_running, mine, old_unnamed, new_unnamed, unrelated):
            path.write_text("x")
        hours_ago = time.time() - 2 * 3600
        # An old copy of a running process stays too: a load may take long.
        for path in (other_running, mine, old_unnamed, unrelated):
            os.utime(path, (hours_ago, hours_ago))
        assert sweep_stale_copies() == 2
        assert sorted(p.name for p in temp_folder.iterdir()) == sorted(
            p.name for p in (other_running, mine, new_unnamed, unrelated))
    finally:
        sleeper.kill()
        sleeper.wait()


def test_the_command_line_sweeps_a_killed_loads_copy_on_start(temp_folder: Path, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    left = copy_left_by_a_killed_load(temp_folder)
    workspace = tmp_path / "ws.duckdb"
    try:
        assert cli.main(["summary", "--workspace", str(workspace)]) == 0
    finally:
        close_workspace(workspace)
    assert not left.exists()


def test_the_app_sweeps_a_killed_loads_copy_on_start(temp_folder: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    left = copy_left_by_a_killed_load(temp_folder)
    workspace = tmp_path / "app.duckdb"
    monkeypatch.setenv("SP_WORKSPACE", str(workspace))
    st.cache_resource.clear()  # the sweep runs once a process: this test stands for a fresh start
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.run()
        assert not at.exception, [e.message for e in at.exception]
    finally:
        close_workspace(workspace)
    assert not left.exists()
