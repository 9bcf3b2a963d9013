"""Trust under attack, end to end in Debian's Chromium: hostile names and titles in the data load nothing from
outside and draw no link; and sign-in works for real against an OpenID Connect provider run by the test.

Skipped with a reason where /usr/bin/chromium is missing; with CI=true a missing browser fails.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import json
import re
import secrets
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ARTIFACTS, ROOT, free_port, skip_without_chromium, start_app, stop_app

LOCAL_HOSTS = {"127.0.0.1", "localhost"}

pytestmark = pytest.mark.browser
skip_without_chromium()


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


# --- 5. hostile names and titles ------------------------------------------------------------------------------

BEACON = "http://tracker.example/pixel.png"
PHISH = "https://phish.example/login"
HOSTILE_SUPPLIERS = [
    f"![Acme Ltd]({BEACON}?s=1)",
    f"[Pay your invoice here]({PHISH})",
    "**URGENT** Beta Care $$x^2$$ :red[overdue]",
    f"<img src={BEACON}?s=4> Gamma Foods www.phish.example",
]
HOSTILE_TITLES = [
    f"![Waste collection]({BEACON}?c=1)",
    f"[Street lighting: renew now]({PHISH})",
    "**Highways** maintenance $$\\sum$$",
]
FORMULA = '=HYPERLINK("http://phish.example/steal","Open")'


def _hostile_workspace(folder: Path) -> Path:
    """A workspace holding spend and contracts whose names and titles are Markdown attacks, a plan action and
    a classification rule whose text is a spreadsheet formula."""
    from sp_analysis.ingest.load import load_file
    from sp_analysis.plan import plan_files
    from sp_analysis.spend import classify
    from sp_analysis.workspace import close_workspace, open_workspace

    path = folder / "hostile.duckdb"
    ws = open_workspace(path)
    spend = io.StringIO()
    writer = csv.writer(spend, lineterminator="\n")
    writer.writerow(["Date", "Supplier Name", "Amount", "Expense Area", "Expense Type"])
    for day, supplier in enumerate(HOSTILE_SUPPLIERS, start=1):
        for month in (4, 5):
            writer.writerow([f"{day:02d}/{month:02d}/2025", supplier, f"{150_000 + day * 1000}.00",
                             "Highways", FORMULA if day == 1 else "Works"])
    load_file(ws, "hostile-spend.csv", spend.getvalue().encode(), "spend")
    register = io.StringIO()
    writer = csv.writer(register, lineterminator="\n")
    writer.writerow(["Reference", "Contract Title", "Supplier Name", "Contract Value", "Start Date", "End Date",
                     "Department"])
    today = dt.date.today()
    for months, (title, supplier) in enumerate(zip(HOSTILE_TITLES, HOSTILE_SUPPLIERS, strict=False), start=4):
        end = today + dt.timedelta(days=30 * months)
        writer.writerow([f"HC-{months:03d}", title, supplier, "250000", "01/04/2022", f"{end:%d/%m/%Y}", "Highways"])
    load_file(ws, "hostile-register.csv", register.getvalue().encode(), "contracts")
    plan = f'title,officer,status\n"{FORMULA.replace(chr(34), chr(34) * 2)}","[Officer]({PHISH})",in progress\n'
    plan_files.import_plan(ws, plan.encode(), "plan.csv", today)
    classify.ensure_classified(ws)  # installs the default categories and rules
    categories = [c.category for c in classify.load_categories(ws) if c.category != classify.UNCLASSIFIED]
    classify.save_rule(ws, classify.rule_from_expense_type(FORMULA, categories[0]))
    close_workspace(path)  # the app opens it
    return path


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("hostile")
    workspace = _hostile_workspace(folder)
    process, url = start_app(workspace, folder / "app.log")
    yield url
    stop_app(process)


def _outside(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme in ("http", "https", "ws", "wss") and parts.hostname not in LOCAL_HOSTS


def _open_every_description(page: Any) -> None:
    summaries = page.locator("summary").filter(has_text="Text description and downloads")
    for index in range(summaries.count()):
        if summaries.nth(index).is_visible():  # those in a tab not shown are passed over
            summaries.nth(index).click()
    page.wait_for_timeout(1500)


def test_hostile_names_load_nothing_from_outside_and_draw_no_link(browser: Any, hostile_app: str,
                                                                 tmp_path: Path) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    page = context.new_page()
    try:
        for number, (path, marker) in enumerate({"suppliers": "Year on year", "renewals": "Renewal pipeline",
                                                 "contracts": "Payments to a contract's supplier",
                                                 "action-plan": "Action in full"}.items(), start=60):
            page.goto(f"{hostile_app}/{path}")
            expect(page.get_by_text(marker).first).to_be_visible(timeout=60_000)
            page.wait_for_timeout(1500)
            _open_every_description(page)
            assert page.locator('[data-testid="stException"]').count() == 0, path
            assert page.locator('a[href*="phish.example"]').count() == 0, f"{path}: a link from the data"
            assert page.locator('img[src*="tracker.example"]').count() == 0, f"{path}: an image from the data"
            assert page.locator(".katex").count() == 0, f"{path}: LaTeX from the data"
            assert page.locator("strong", has_text="URGENT").count() == 0, f"{path}: bold from the data"
            assert page.locator("strong", has_text="Highways").count() == 0, f"{path}: bold from the data"
            outside = [u for u in requests if _outside(u)]
            assert outside == [], f"{path}: requests outside the app: {outside}"
            _shot(page, f"{number}-hostile-{path}")
        # The descriptions show the names as text: the attack is visible, not executed.
        page.goto(f"{hostile_app}/suppliers")
        expect(page.get_by_text("Year on year").first).to_be_visible(timeout=60_000)
        _open_every_description(page)
        expect(page.get_by_text("[Pay your invoice here]").first).to_be_attached(timeout=30_000)

        # Downloads: the action plan's CSV and XLSX and the classification rules hold no live formula.
        page.goto(f"{hostile_app}/action-plan")
        expect(page.get_by_text("Download and import").first).to_be_visible(timeout=60_000)
        with page.expect_download(timeout=60_000) as info:
            page.get_by_role("button", name="Download CSV").last.click()
        plan_csv = tmp_path / "plan.csv"
        info.value.save_as(plan_csv)
        rows = list(csv.DictReader(plan_csv.open(encoding="utf-8-sig", newline="")))
        assert rows[0]["title"] == "'" + FORMULA
        with page.expect_download(timeout=60_000) as info:
            page.get_by_role("button", name="Download XLSX").last.click()
        plan_xlsx = tmp_path / "plan.xlsx"
        info.value.save_as(plan_xlsx)
        import openpyxl

        book = openpyxl.load_workbook(plan_xlsx)
        assert [c.coordinate for s in book.worksheets for r in s.iter_rows() for c in r if c.data_type == "f"] == []
        page.goto(f"{hostile_app}/classification")
        expect(page.get_by_text("Import and export").first).to_be_visible(timeout=60_000)
        with page.expect_download(timeout=60_000) as info:
            page.get_by_role("button", name="Export rules (CSV)").click()
        rules_csv = tmp_path / "rules.csv"
        info.value.save_as(rules_csv)
        patterns = [r["pattern"] for r in csv.DictReader(rules_csv.open(encoding="utf-8-sig", newline=""))]
        assert "'" + FORMULA in patterns and FORMULA not in patterns
        assert [u for u in requests if _outside(u)] == []
    finally:
        context.close()


# --- 4. sign-in against a real OpenID Connect provider -----------------------------------------------------------

VIEWER, EDITOR = "viewer@council.example", "editor@council.example"
CLIENT_ID, CLIENT_SECRET = "sp-dashboard", secrets.token_urlsafe(24)


class Provider:
    """A tiny OpenID Connect provider: discovery, authorize (signs in `next_user` at once), token, JWKS and
    userinfo, with an RSA key made for the run."""

    def __init__(self) -> None:
        from joserfc.jwk import RSAKey

        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key", "use": "sig", "alg": "RS256"})
        self.next_user = VIEWER
        self.codes: dict[str, dict[str, Any]] = {}
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.log: list[str] = []

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                provider.log.append(format % args)

            def _json(self, body: dict[str, Any], status: int = 200) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                url = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                if url.path == "/.well-known/openid-configuration":
                    self._json(provider.discovery())
                elif url.path == "/jwks":
                    self._json({"keys": [provider.key.as_dict(private=False)]})
                elif url.path == "/authorize":
                    if query.get("client_id") != CLIENT_ID or query.get("response_type") != "code":
                        self._json({"error": "invalid_request"}, 400)
                        return
                    code = secrets.token_urlsafe(16)
                    provider.codes[code] = {"nonce": query.get("nonce"), "email": provider.next_user,
                                            "redirect_uri": query["redirect_uri"]}
                    target = query["redirect_uri"] + "?" + urllib.parse.urlencode(
                        {"code": code, "state": query.get("state", "")})
                    self.send_response(302)
                    self.send_header("Location", target)
                    self.end_headers()
                elif url.path == "/userinfo":
                    self._json({"sub": provider.next_user, "email": provider.next_user})
                else:
                    self._json({"error": "not_found"}, 404)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                if urllib.parse.urlsplit(self.path).path != "/token":
                    self._json({"error": "not_found"}, 404)
                    return
                client = (form.get("client_id"), form.get("client_secret"))
                auth = self.headers.get("Authorization", "")
                if auth.startswith("Basic "):
                    user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
                    client = (urllib.parse.unquote(user), urllib.parse.unquote(password))
                grant = provider.codes.pop(form.get("code", ""), None)
                if client != (CLIENT_ID, CLIENT_SECRET) or grant is None or \
                        form.get("redirect_uri") != grant["redirect_uri"]:
                    self._json({"error": "invalid_grant"}, 400)
                    return
                self._json({"access_token": secrets.token_urlsafe(16), "token_type": "Bearer", "expires_in": 300,
                            "id_token": provider.id_token(grant["email"], grant["nonce"])})

        return Handler

    def discovery(self) -> dict[str, Any]:
        return {"issuer": self.issuer, "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token", "jwks_uri": f"{self.issuer}/jwks",
                "userinfo_endpoint": f"{self.issuer}/userinfo", "response_types_supported": ["code"],
                "subject_types_supported": ["public"], "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
                "scopes_supported": ["openid", "email", "profile"]}

    def id_token(self, email: str, nonce: str | None) -> str:
        from joserfc import jwt

        now = int(time.time())
        claims = {"iss": self.issuer, "sub": email, "aud": CLIENT_ID, "iat": now, "exp": now + 300,
                  "email": email, "email_verified": True, "name": email.split("@")[0]}
        if nonce:
            claims["nonce"] = nonce
        return jwt.encode({"alg": "RS256", "kid": "test-key"}, claims, self.key)

    def __enter__(self) -> Provider:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def signed_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Provider]]:
    """The app with sign-in configured against the test's own provider, on a workspace with one spend file."""
    from sp_analysis.ingest.load import load_file
    from sp_analysis.workspace import close_workspace, open_workspace

    folder = tmp_path_factory.mktemp("signin")
    workspace = folder / "workspace.duckdb"
    ws = open_workspace(workspace)
    load_file(ws, "april.csv", b"Date,Supplier Name,Amount\n01/04/2025,Acme Ltd,1234.56\n", "spend")
    close_workspace(workspace)
    port = free_port()
    with Provider() as provider:
        secrets_file = folder / "secrets.toml"
        secrets_file.write_text(
            "[auth]\n"
            f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
            f'cookie_secret = "{secrets.token_urlsafe(32)}"\n'
            f'client_id = "{CLIENT_ID}"\n'
            f'client_secret = "{CLIENT_SECRET}"\n'
            f'server_metadata_url = "{provider.issuer}/.well-known/openid-configuration"\n'
            "\n[sp_analysis]\n"
            f'editors = ["{EDITOR}"]\n')
        process, url = start_app(workspace, folder / "app.log", "--secrets.files", str(secrets_file), port=port)
        try:
            yield url, provider
        finally:
            stop_app(process)


def _sign_in(browser: Any, url: str, provider: Provider, email: str) -> tuple[Any, Any]:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(url)
    expect(page.get_by_text("Sign in to see the council's spend and contracts.")).to_be_visible(timeout=60_000)
    assert page.locator('[data-testid="stMetricValue"]').count() == 0  # no data before signing in
    provider.next_user = email
    page.get_by_role("button", name="Sign in").click()
    # The address is data shown through Markdown: an invisible word joiner before '@' keeps it from becoming a link.
    name, _, domain = email.partition("@")
    shown = re.compile("Signed in as " + re.escape(name) + "\u2060?@" + re.escape(domain))
    expect(page.get_by_text(shown).first).to_be_visible(timeout=60_000)
    return context, page


def test_a_viewer_signs_in_sees_the_data_and_cannot_upload(browser: Any, signed_app: tuple[str, Provider]) -> None:
    from playwright.sync_api import expect

    url, provider = signed_app
    context, page = _sign_in(browser, url, provider, VIEWER)
    try:
        expect(page.get_by_text("(read only)").first).to_be_visible(timeout=30_000)
        expect(page.locator('[data-testid="stMetricValue"]').first).to_have_text("£1k", timeout=60_000)
        _shot(page, "70-signed-in-viewer")
        page.goto(f"{url}/upload")
        expect(page.get_by_text("Only the workspace's editors can load or remove files").first).to_be_visible(
            timeout=60_000)
        page.wait_for_timeout(1000)
        assert page.locator("input[type=file]").count() == 0
        assert page.locator('[data-testid="stFileUploader"]').count() == 0
        assert page.get_by_role("button", name="Load files").is_disabled()
        _shot(page, "71-signed-in-viewer-upload")
    finally:
        context.close()


def test_an_editor_signs_in_and_can_upload(browser: Any, signed_app: tuple[str, Provider]) -> None:
    from playwright.sync_api import expect

    url, provider = signed_app
    context, page = _sign_in(browser, url, provider, EDITOR)
    try:
        page.goto(f"{url}/upload")
        expect(page.locator('[data-testid="stFileUploader"]').first).to_be_visible(timeout=60_000)
        assert page.get_by_text("(read only)").count() == 0
        assert not page.get_by_role("button", name="Load files").is_disabled()
        _shot(page, "72-signed-in-editor-upload")
    finally:
        context.close()


def test_sign_in_needs_only_pinned_packages() -> None:
    """What Streamlit's st.login imports is pinned exactly in requirements.txt, so a fresh install can sign in."""
    pins = {line.split("==")[0].strip().lower(): line.split("==")[1].strip()
            for line in (ROOT / "requirements.txt").read_text().splitlines() if "==" in line and not line.startswith("#")}
    for package in ("authlib", "httpx"):
        assert package in pins, f"{package} is not pinned in requirements.txt"
