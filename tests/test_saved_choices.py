"""A column choice saved for a header's shape can be seen and forgotten: listed on the Upload page (the header's
column names, the mapping in words, when it was saved), each deletable by an editor."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from streamlit.testing.v1 import AppTest

from sp_analysis.ingest.errors import NeedsMapping
from sp_analysis.ingest.load import delete_saved_choice, load_file, saved_choices
from sp_analysis.ingest.source import ColumnChoice
from sp_analysis.workspace import Workspace, open_workspace
from tests.conftest import ROOT

APP = str(ROOT / "app.py")
ODD = b"When,Who,How much\n01/04/2024,Acme,1.50\n"
ODD_AGAIN = b"When,Who,How much\n02/04/2024,Beta,2.25\n"
# The mistake: the payee taken from the amount column and the amount from the payee's.
MISTAKE = ColumnChoice(header_row=0, mapping={"payment_date": 0, "supplier_name": 2, "amount": 1})
WORDS = "Date from column 1 (When); Payee / supplier name from column 3 (How much); Amount from column 2 (Who)"


def test_a_saved_choice_is_listed_in_words(ws: Workspace) -> None:
    assert saved_choices(ws) == []
    load_file(ws, "odd.csv", b"When,Who,How much\n01/04/2024,1.50,Acme\n", "spend", choice=MISTAKE)
    [choice] = saved_choices(ws)
    assert choice.kind == "spend"
    assert choice.header == ("When", "Who", "How much")
    assert choice.column_names() == "When, Who, How much"
    assert choice.in_words() == WORDS
    assert abs(choice.saved_at - dt.datetime.now()) < dt.timedelta(minutes=5)
    assert saved_choices(ws, "contracts") == []


def test_a_deleted_choice_is_no_longer_applied(ws: Workspace) -> None:
    load_file(ws, "odd.csv", b"When,Who,How much\n01/04/2024,1.50,Acme\n", "spend", choice=MISTAKE)
    [choice] = saved_choices(ws)
    assert delete_saved_choice(ws, choice.signature, "spend") is True
    assert saved_choices(ws) == []
    assert delete_saved_choice(ws, choice.signature, "spend") is False
    # The next file of that shape is recognised afresh (by what its columns hold) or asked about, not mapped
    # by the mistake (which would read 'Beta' as the amount).
    try:
        result = load_file(ws, "odd-2.csv", ODD_AGAIN, "spend")
    except NeedsMapping:
        return
    assert result.total == Decimal("2.25")
    assert "a choice saved for this header" not in result.quality["recognised"].values()


def upload_page(user: dict[str, object] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if user is not None:
        at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "test-secret",
                              "client_id": "id", "client_secret": "secret",
                              "server_metadata_url": "https://login.example.org/.well-known/openid-configuration"}
        at.secrets["sp_analysis"] = {"editors": ["editor@council.example"]}
        at.user = user
    at.run()
    at.switch_page("views/upload.py")
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_the_upload_page_lists_a_saved_choice_and_an_editor_forgets_it(workspace_path: Path) -> None:
    ws = open_workspace(workspace_path)
    load_file(ws, "odd.csv", b"When,Who,How much\n01/04/2024,1.50,Acme\n", "spend", choice=MISTAKE)
    at = upload_page()
    assert at.subheader[0].value == "Saved column choices"
    assert any(m.value == "**Spend (payments over £500)**, header: When, Who, How much" for m in at.markdown)
    assert any(c.value.startswith(f"{WORDS}. Saved {dt.date.today():%-d %b %Y}") for c in at.caption)
    at.button(key="forget_choice_0").click()
    at.run()
    assert not at.exception
    assert any("Forgot the column choice for the header When, Who, How much" in i.value for i in at.info)
    assert "Saved column choices" not in [s.value for s in at.subheader]
    assert saved_choices(ws) == []
    # The next file of that shape is asked about on the page, or recognised afresh: not mapped by the mistake.
    at.file_uploader(key="upload_files").set_value([("odd-2.csv", ODD_AGAIN, "text/csv")])
    at.button(key="upload_submit").click()
    at.run()
    assert (any("cannot tell which column" in w.value for w in at.warning)
            or any("odd-2.csv: loaded 1 payment, total £2.25" in s.value for s in at.success)), at.error


def test_a_viewer_sees_the_saved_choices_but_cannot_forget_them(workspace_path: Path) -> None:
    ws = open_workspace(workspace_path)
    load_file(ws, "odd.csv", ODD, "spend", choice=ColumnChoice(0, {"payment_date": 0, "supplier_name": 1, "amount": 2}))
    at = upload_page({"is_logged_in": True, "email": "reader@council.example"})
    assert "Saved column choices" in [s.value for s in at.subheader]
    assert not [b for b in at.button if str(b.key).startswith("forget_choice_")]
    editor = upload_page({"is_logged_in": True, "email": "editor@council.example"})
    assert [b for b in editor.button if str(b.key).startswith("forget_choice_")]
