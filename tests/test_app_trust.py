"""The app under attack, with no browser: uploads offered to viewers, and what the app says when the command
line holds the workspace or the file is damaged."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from sp_analysis.workspace import close_workspace, open_workspace
from tests.conftest import APP, ROOT

# --- 8. no uploader for viewers, on any page -----------------------------------------------------------------

PAGES = ["views/overview.py", "views/upload.py", "views/impact_areas.py", "views/suppliers.py",
         "views/classification.py", "views/settings.py", "views/cabinet_pack.py", "views/contracts.py",
         "views/renewals.py", "views/framework.py", "views/action_plan.py", "views/procurement_act.py"]
WITH_UPLOADERS = {"views/upload.py", "views/classification.py", "views/contracts.py", "views/framework.py",
                  "views/action_plan.py", "views/procurement_act.py"}
AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "test-secret",
        "client_id": "id", "client_secret": "secret",
        "server_metadata_url": "https://login.example.org/.well-known/openid-configuration"}


def signed_in_page(page: str, email: str) -> object:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["auth"] = AUTH
    at.secrets["sp_analysis"] = {"editors": ["editor@council.example"]}
    at.user = {"is_logged_in": True, "email": email}
    at.run()
    if page != PAGES[0]:
        at.switch_page(page)
        at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_every_page_with_an_uploader_is_listed() -> None:
    # The list above is every page that has a file uploader: a new one must join it (and be hidden from viewers).
    found = {f"views/{p.name}" for p in (ROOT / "views").glob("*.py") if "st.file_uploader(" in p.read_text()}
    assert found == WITH_UPLOADERS


@pytest.mark.parametrize("page", PAGES)
def test_a_viewer_is_offered_no_uploader(workspace_path: Path, page: str) -> None:
    at = signed_in_page(page, "reader@council.example")
    assert not at.get("file_uploader"), f"{page} offers a viewer a file uploader"  # type: ignore[attr-defined]


@pytest.mark.parametrize("page", sorted(WITH_UPLOADERS))
def test_an_editor_still_has_the_uploader(workspace_path: Path, page: str) -> None:
    at = signed_in_page(page, "Editor@Council.example")
    assert at.get("file_uploader"), f"{page} lost its uploader for editors"  # type: ignore[attr-defined]


# --- 8. what the app says when it cannot open the workspace -------------------------------------------------

HOLD = """
import sys, time
from pathlib import Path
from sp_analysis.workspace import open_workspace
open_workspace(Path(sys.argv[1]))
print("holding", flush=True)
time.sleep(120)
"""


def unescape(text: str) -> str:
    """Markdown text as the reader sees it (backslash escapes taken off)."""
    return re.sub(r"\\(.)", r"\1", text)


def open_app() -> object:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_the_app_names_the_process_holding_the_workspace(workspace_path: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(workspace_path), "load", "--kind", "spend"],
                              cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        at = open_app()
        errors = [unescape(e.value) for e in at.error]  # type: ignore[attr-defined]
    finally:
        holder.kill()
        holder.wait(timeout=20)
    assert len(errors) == 1, errors
    assert f"held by process {holder.pid}" in errors[0]
    assert "load --kind spend" in errors[0]  # the holder's own command line
    assert "Upload page" in errors[0]


def test_the_app_says_which_backup_restores_a_damaged_workspace(workspace_path: Path, tmp_path: Path) -> None:
    from sp_analysis import backup

    ws = open_workspace(workspace_path)
    backup.export_workspace(ws, tmp_path / "backup-2026-11")
    close_workspace(workspace_path)
    data = workspace_path.read_bytes()
    workspace_path.write_bytes(data[: len(data) // 2])  # a file cut short: a full disk, a copy stopped midway
    at = open_app()
    errors = [unescape(e.value) for e in at.error]  # type: ignore[attr-defined]
    assert len(errors) == 1, errors
    assert "looks damaged" in errors[0]
    assert f"the newest backup beside it is {tmp_path / 'backup-2026-11'}" in errors[0]
    assert f"python -m sp_analysis import --workspace {workspace_path} DIR" in errors[0]
