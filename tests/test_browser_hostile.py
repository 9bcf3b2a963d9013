"""Every hostile file of tests/hostile.py uploaded through the Upload page in a real browser while a second
browser session keeps using the app: each is refused with its name on the page, the other session's pages
keep drawing, the app stays up, and the workspace ends exactly as it began.

Debian's Chromium drives the running app (see conftest.start_app). Skipped with a reason where
/usr/bin/chromium is missing. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sp_analysis.ingest.load import load_file
from sp_analysis.workspace import close_workspace, open_workspace
from tests.conftest import ARTIFACTS, skip_without_chromium, start_app, stop_app, table_state
from tests.hostile import CORPUS, GOOD, WORKBOOK_ATTACKS

pytestmark = [pytest.mark.browser, pytest.mark.timeout(1200)]

skip_without_chromium()

HOSTILE = {**{case: (name, make) for case, (name, make, _words, _line) in CORPUS.items()}, **WORKBOOK_ATTACKS}
READER_PAGES = ("", "suppliers", "impact_areas", "upload")


@pytest.fixture(scope="module")
def seeded_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, dict[str, object], Any]]:
    """The app over a workspace holding one good file; yields its address, the file, the tables' state and the
    app's process (stopped by the test before it reads the workspace, which the app holds)."""
    folder = tmp_path_factory.mktemp("hostile-app")
    path = folder / "workspace.duckdb"
    ws = open_workspace(path)
    load_file(ws, "seed.csv", GOOD.encode(), "spend")
    before = table_state(ws)
    close_workspace(path)
    process, url = start_app(path, folder / "app.log")
    try:
        yield url, path, before, process
    finally:
        stop_app(process)


def _healthy(url: str) -> bool:
    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=10) as response:
        return bool(response.status == 200)


def test_hostile_uploads_are_refused_while_another_session_keeps_working(
        browser: Any, seeded_app: tuple[str, Path, dict[str, object], Any], tmp_path: Path) -> None:
    from playwright.sync_api import expect

    url, workspace, before, process = seeded_app
    uploader = browser.new_context(viewport={"width": 1400, "height": 1000})
    reader = browser.new_context(viewport={"width": 1400, "height": 1000})
    uploader.set_default_timeout(120_000)
    reader.set_default_timeout(120_000)
    up, other = uploader.new_page(), reader.new_page()
    refused: dict[str, str] = {}
    try:
        up.goto(f"{url}/upload")
        expect(up.get_by_role("heading", name="Upload")).to_be_visible()
        for index, (case, (name, make)) in enumerate(sorted(HOSTILE.items())):
            attack = tmp_path / name
            attack.write_bytes(make())
            up.locator("input[type=file]").set_input_files(str(attack))
            expect(up.get_by_role("button", name=f"Remove {name}")).to_be_visible()
            up.get_by_role("button", name="Load files").click()
            message = up.locator('[data-testid="stAlert"]').filter(has_text=f"{name}: ").first
            expect(message).to_be_visible(timeout=180_000)
            refused[case] = message.inner_text()
            assert up.locator('[data-testid="stException"]').count() == 0, case
            # Meanwhile the other session moves through the pages, each drawing in full.
            other.goto(f"{url}/{READER_PAGES[index % len(READER_PAGES)]}")
            expect(other.locator('[data-testid="stMain"] h1').first).to_be_visible()
            expect(other.locator('[data-testid="stStatusWidget"]')).to_have_count(0, timeout=120_000)
            assert other.locator('[data-testid="stException"]').count() == 0, case
            assert _healthy(url), f"the app went down after {case}"
            attack.unlink()
            up.goto(f"{url}/upload")  # a fresh form for the next file
            expect(up.get_by_role("heading", name="Upload")).to_be_visible()
        other.goto(url)
        expect(other.get_by_role("heading", name="Overview")).to_be_visible()
        expect(other.locator(".js-plotly-plot").first).to_be_visible()
        expect(other.locator('[data-testid="stStatusWidget"]')).to_have_count(0, timeout=120_000)
        other.wait_for_timeout(1500)
        ARTIFACTS.mkdir(exist_ok=True)
        other.screenshot(path=str(ARTIFACTS / "hostile-uploads-other-session.png"), full_page=True)
    finally:
        uploader.close()
        reader.close()
    assert sorted(refused) == sorted(HOSTILE)
    assert all(" loaded " not in text for text in refused.values()), refused
    # No file was loaded: the uploads changed nothing.
    stop_app(process)
    ws = open_workspace(workspace)
    try:
        assert table_state(ws) == before
    finally:
        close_workspace(workspace)
