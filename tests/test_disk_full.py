"""A full disk during a load: the command line says so in words (nothing was loaded) instead of a traceback."""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
import sys
from collections.abc import Iterator
from hashlib import sha1
from pathlib import Path
from typing import Any

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from sp_analysis import cli
from sp_analysis.ingest import load
from sp_analysis.ingest.errors import LoadError
from sp_analysis.workspace import close_workspace, open_workspace
from tests.conftest import ROOT

DISK_FULL = "the disk is full: nothing was loaded; free space and try again"
HEADER = "Date,Supplier Name,Amount,Expense Area\n"


def spend_csv(path: Path, rows: int, seed: str = "") -> Path:
    """Payments whose names and amounts compress little, as real ones do."""
    lines = [f"{1 + i % 28:02d}/04/2024,Supplier {sha1(f'{seed}{i}'.encode()).hexdigest()[:20]},"
             f"{int(sha1(f'{seed}{i}'.encode()).hexdigest()[:7], 16) / 100:.2f},Area {i % 50}" for i in range(rows)]
    path.write_text(HEADER + "\n".join(lines) + "\n")
    return path


@pytest.fixture
def workspace(tmp_path: Path) -> Any:
    path = tmp_path / "ws.duckdb"
    yield path
    close_workspace(path)


def payments(path: Path) -> int:
    with open_workspace(path).read() as cur:
        return int(cur.execute("SELECT count(*) FROM payments").fetchone()[0])  # type: ignore[index]


def test_a_full_disk_at_the_commit_is_refused_in_words(workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    def full(*_args: Any, **_kwargs: Any) -> None:
        raise duckdb.IOException(f'IO Error: Could not write file "{workspace}.wal": No space left on device')

    monkeypatch.setattr(load, "_land", full)
    status = cli.main(["load", "--workspace", str(workspace), str(spend_csv(tmp_path / "april.csv", 10))])
    err = capsys.readouterr().err
    assert status == cli.EXIT_REFUSED
    assert f"refused april.csv: {DISK_FULL}." in err
    assert "Traceback" not in err and "IOException" not in err
    monkeypatch.undo()
    assert payments(workspace) == 0


def test_a_full_temp_folder_while_staging_is_refused_in_words(workspace: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    def full(*_args: Any, **_kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(load, "prepare_file", full)
    status = cli.main(["load", "--workspace", str(workspace), str(spend_csv(tmp_path / "april.csv", 10))])
    assert status == cli.EXIT_REFUSED
    assert f"refused april.csv: {DISK_FULL}." in capsys.readouterr().err


def test_other_database_errors_are_not_taken_for_a_full_disk() -> None:
    assert load.write_failure("a.csv", duckdb.BinderException("Binder Error: no such column")) is None
    memory = load.write_failure("a.csv", duckdb.OutOfMemoryException("Out of Memory Error: could not allocate"))
    assert memory is not None and "not enough memory" in memory.reason


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="mounting a small tmpfs needs root")
def test_a_workspace_on_a_really_full_disk(tmp_path: Path) -> None:
    mount = tmp_path / "small"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        big = spend_csv(tmp_path / "year.csv", 60_000)  # about 4 MB of payments: more than the disk holds
        small = spend_csv(tmp_path / "april.csv", 5, seed="april")
        run = subprocess.run([sys.executable, "-m", "sp_analysis", "load", "--workspace", str(mount / "ws.duckdb"),
                              str(big), str(small)], capture_output=True, text=True, cwd=ROOT, timeout=300)
        assert run.returncode == cli.EXIT_REFUSED, run.stderr
        assert f"refused year.csv: {DISK_FULL}." in run.stderr
        assert "Traceback" not in run.stderr, run.stderr[-3000:]
        con = duckdb.connect(str(mount / "ws.duckdb"), read_only=True)
        try:
            assert con.execute("SELECT count(*) FROM loaded_files WHERE name = 'year.csv'").fetchone() == (0,)
        finally:
            con.close()
    finally:
        subprocess.run(["umount", str(mount)], check=False)


@contextlib.contextmanager
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 3 MB tmpfs (root only), unmounted afterwards; `grow` it with `remount`."""
    mount = tmp_path / "small"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield mount
    finally:
        close_workspace(mount / "ws.duckdb")
        subprocess.run(["umount", str(mount)], check=False)


def grow(mount: Path) -> None:
    subprocess.run(["mount", "-o", "remount,size=40m", str(mount)], check=True)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="mounting a small tmpfs needs root")
def test_after_a_full_disk_the_workspace_opens_afresh_once_there_is_space(tmp_path: Path) -> None:
    big = spend_csv(tmp_path / "year.csv", 60_000)
    small = spend_csv(tmp_path / "april.csv", 5, seed="april")
    with small_disk(tmp_path) as mount:
        path = mount / "ws.duckdb"
        ws = open_workspace(path)
        with pytest.raises(LoadError, match="opened afresh on the next try"):
            load.load_file(ws, big.name, big.read_bytes(), "spend")
        assert ws.invalidated()
        grow(mount)
        again = open_workspace(path)
        assert again is not ws and not again.invalidated()
        assert load.load_file(again, small.name, small.read_bytes(), "spend").rows == 5
        with again.read() as cur:
            assert cur.execute("SELECT name, rows FROM loaded_files").fetchall() == [("april.csv", 5)]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="mounting a small tmpfs needs root")
def test_the_upload_page_recovers_from_a_full_disk_without_a_restart(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    big = spend_csv(tmp_path / "year.csv", 60_000)
    small = spend_csv(tmp_path / "april.csv", 5, seed="april")
    with small_disk(tmp_path) as mount:
        monkeypatch.setenv("SP_WORKSPACE", str(mount / "ws.duckdb"))
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
        at.run()
        at.switch_page("views/upload.py")
        at.run()
        at.file_uploader(key="upload_files").set_value([(big.name, big.read_bytes(), "text/csv")])
        at.button(key="upload_submit").click()
        at.run()
        assert not at.exception
        # The page's next run cannot open the workspace while the disk is full, and says so (not "damaged").
        shown = [e.value for e in at.error]
        assert any("is full, so the workspace cannot be opened until there is space" in e for e in shown), shown
        assert not any("damaged" in e for e in shown), shown
        grow(mount)
        at.run()
        # Once there is space the workspace opens again: the page shows the earlier refusal, not a dead workspace.
        assert not at.exception
        assert [e.value for e in at.error if "cannot be opened" in e.value] == []
        assert any(e.value.startswith("year.csv: the disk is full") for e in at.error)
        at.file_uploader(key="upload_files").set_value([(small.name, small.read_bytes(), "text/csv")])
        at.button(key="upload_submit").click()
        at.run()
        assert not at.exception
        assert any(s.value.startswith("april.csv: loaded 5 payments") for s in at.success), [s.value for s in at.success]
