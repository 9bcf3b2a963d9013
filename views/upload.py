"""Upload: load spend and contracts files, see each file's quality report, remove a file."""

from __future__ import annotations

import time
from typing import Any

import pandas as pd
import streamlit as st

from sp_analysis import sample, settings, ui
from sp_analysis.ingest import council
from sp_analysis.ingest.batch_status import BatchStatus
from sp_analysis.ingest.columns import COLUMNS_BY_KIND
from sp_analysis.ingest.errors import AlreadyLoaded, LoadError, NeedsMapping, NeedsSheet, RepeatsLoaded
from sp_analysis.ingest.load import (
    BATCH_ROWS,
    LoadResult,
    delete_saved_choice,
    load_file,
    load_many,
    remove_file,
    saved_choices,
)
from sp_analysis.ingest.report import loaded_files, loaded_files_table
from sp_analysis.ingest.source import ColumnChoice
from sp_analysis.words import pounds

MAX_UPLOAD_MB = st.get_option("server.maxUploadSize")
KIND_LABELS = {"spend": "Spend (payments over £500)", "contracts": "Contracts register or notices"}

st.title("Upload")
st.write(
    "Load the monthly spend files your council publishes, or a contracts-register extract, as CSV "
    f"or XLSX (up to {MAX_UPLOAD_MB} MB each), or your contract notices from Contracts Finder or Find a Tender "
    "as OCDS JSON (as contracts). Each file lands whole or not at all; a file loaded "
    "before is recognised and not counted twice."
)

results: list[dict[str, Any]] = st.session_state.setdefault("upload_results", [])
pending: list[dict[str, Any]] = st.session_state.setdefault("upload_pending", [])


def run_load(name: str, data: bytes, kind: str, sheet: str | list[str] | None = None,
             choice: ColumnChoice | None = None, allow_overlap: bool = False) -> None:
    """Load one file with a progress bar and record the outcome for display."""
    # File names and cell text are data: every one shown through Markdown goes through ui.md.
    bar = st.progress(0.0, text=f"{ui.md(name)}: starting")
    outcome: LoadResult | LoadError
    try:
        outcome = load_file(ui.workspace(), name, data, kind, sheet=sheet, choice=choice,  # type: ignore[arg-type]
                            progress=lambda f, m: bar.progress(f, text=f"{ui.md(name)}: {m}"),
                            allow_overlap=allow_overlap)
    except LoadError as exc:
        outcome = exc
    finally:
        bar.empty()
    record(name, data, kind, sheet, outcome)


TABLE_REDRAW_SECONDS = 1.0


def run_batch(uploads: list[Any], kind: str) -> None:
    """Load many files with one progress bar over the batch and a status line for each file."""
    status = BatchStatus([upload.name for upload in uploads])
    bar = st.progress(0.0, text=status.headline())
    table = st.empty()

    drawn = [0.0]

    def show() -> None:
        # The bar on every step; the table (sent whole each time) at most once a second, or 60 files
        # would spend longer drawing it than loading.
        bar.progress(status.fraction(), text=status.headline())
        if time.monotonic() - drawn[0] >= TABLE_REDRAW_SECONDS:
            table.dataframe(pd.DataFrame(status.rows()), hide_index=True)
            drawn[0] = time.monotonic()

    def checked(position: int, _name: str, what: str) -> None:
        if what == "read":
            status.read(position)
        else:
            status.checked(position, refused=what == "refused")
        show()

    show()
    items = [(upload.name, upload.getvalue) for upload in uploads]
    for position, outcome in load_many(ui.workspace(), items, kind, batch_rows=BATCH_ROWS,  # type: ignore[arg-type]
                                       progress=checked):
        status.finished(position, outcome)
        record(uploads[position].name, uploads[position].getvalue(), kind, None, outcome)
        show()
    bar.empty()
    table.empty()


def record(name: str, data: bytes, kind: str, sheet: str | list[str] | None, outcome: LoadResult | LoadError) -> None:
    """A file's outcome into the results shown below, or the questions still to answer."""
    if isinstance(outcome, (RepeatsLoaded, NeedsMapping)):
        pending.append({"name": name, "data": data, "kind": kind, "sheet": sheet, "error": outcome})
    elif isinstance(outcome, NeedsSheet):
        pending.append({"name": name, "data": data, "kind": kind, "sheet": None, "error": outcome})
    elif isinstance(outcome, AlreadyLoaded):
        results.append({"name": name, "status": "skipped", "message": outcome.message})
    elif isinstance(outcome, LoadError):
        results.append({"name": name, "status": "refused", "message": outcome.message})
    else:
        results.append({"name": name, "status": "loaded", "kind": kind, "rows": outcome.rows,
                        "total": outcome.total, "quality": outcome.quality})


editor = ui.editors_only("load or remove files")
who = ui.council()
if editor and who.sample_files:
    # The sample out in one step, so the council's own files are never labelled as the sample's (or mixed with it).
    with st.container(border=True):
        if who.holding == "mixed":
            st.warning(f"This workspace holds the fictional sample's {who.sample_files} files as well as "
                       f"{who.other_files} other file(s). Remove the sample so the figures, titles and source lines "
                       "are your council's alone.")
        else:
            st.info(f"This workspace holds the fictional sample council ({ui.md(council.SAMPLE_COUNCIL)}). Remove it "
                    "before loading your council's own files.")
        sure = st.checkbox(f"Yes, remove the sample's {who.sample_files} files with their payments and contracts, the "
                           "sample plan (actions, targets, self-assessments) and its supplier list. Files I loaded "
                           "stay.", key="remove_sample_confirm")
        if st.button("Remove the sample data", disabled=not sure, key="remove_sample"):
            removed = sample.remove_sample(ui.workspace())
            st.session_state["upload_results"] = [{"name": "", "status": "info", "message": removed.describe()}]
            st.rerun()
if editor and who.holding == "own" and not who.name:
    with st.form("council_name_form", border=True):
        st.markdown("**Your council's name**, for every title page, chart source line and download file name")
        council_name = st.text_input("Council's name", placeholder="e.g. Devon County Council", key="upload_council_name",
                                     label_visibility="collapsed")
        if st.form_submit_button("Save the name", key="upload_council_save"):
            try:
                if council_name.strip().casefold() == council.SAMPLE_COUNCIL.casefold() or not council_name.strip():
                    raise ValueError("Give your council's own name.")
                settings.set_setting(ui.workspace(), "council_name", " ".join(council_name.split()))
            except ValueError as exc:
                st.error(ui.md(exc))
            else:
                st.rerun()
with st.form("upload_form", clear_on_submit=True):
    kind = st.radio("The files hold", list(KIND_LABELS), format_func=KIND_LABELS.get, horizontal=True, key="upload_kind")
    # Only editors are offered the uploader: a viewer's files would be read into memory for nothing.
    uploads = (st.file_uploader("Files", type=["csv", "xlsx", "xls", "json"], accept_multiple_files=True,
                                 key="upload_files")
               if editor else [])
    submitted = st.form_submit_button("Load files", type="primary", key="upload_submit", disabled=not editor)

if submitted and uploads:
    results.clear()
    if len(uploads) == 1:
        run_load(uploads[0].name, uploads[0].getvalue(), kind)
    else:
        run_batch(list(uploads), kind)
    st.rerun()

# Files that need an answer first: which sheet, or which column is which.
for index, item in enumerate(list(pending)):
    error = item["error"]
    with st.container(border=True):
        st.warning(ui.md(error.message))
        if isinstance(error, RepeatsLoaded):
            st.caption("Nothing was added. Load it anyway only if the lines are genuinely new payments that "
                       "happen to repeat (for example, a corrected month published as a whole new file).")
            if st.button("Load it anyway", key=f"overlap_load_{index}"):
                pending.remove(item)
                run_load(item["name"], item["data"], item["kind"], sheet=item["sheet"], allow_overlap=True)
                st.rerun()
            if st.button("Leave it out", key=f"overlap_cancel_{index}"):
                pending.remove(item)
                st.rerun()
            continue
        if isinstance(error, NeedsSheet):
            st.caption("Sheets with the same columns are chosen together; they load as one file, each payment "
                       "keeping its sheet and row.")
            sheets = st.multiselect("Sheets to load", error.sheets, default=error.same_shape_as_first(),
                                    key=f"sheet_{index}")
            if st.button("Load these sheets", key=f"sheet_load_{index}", disabled=not sheets):
                pending.remove(item)
                run_load(item["name"], item["data"], item["kind"], sheet=sheets if len(sheets) > 1 else sheets[0])
                st.rerun()
            continue
        st.write("Choose the row that holds the column names and which column is which. "
                 "The choice is saved, so later files with the same columns load unasked.")
        header_row = st.number_input("Header is on row (counted in the preview below)", min_value=1,
                                     value=error.header_row + 1, key=f"map_header_{index}") - 1
        preview = pd.DataFrame([error.header, *error.preview]).fillna("")
        preview.index = [f"row {error.header_row + 1 + i}" for i in range(len(preview))]
        st.dataframe(preview, key=f"map_preview_{index}")
        options = [None, *range(len(error.header))]

        def label(position: int | None, header: tuple[str, ...] = error.header) -> str:
            if position is None:
                return "(not in this file)"
            return f"column {position + 1}: {header[position] or '(no name)'}"

        chosen: dict[str, int] = {}
        columns = st.columns(3)
        for number, canonical in enumerate(COLUMNS_BY_KIND[item["kind"]]):
            guess = error.guessed.get(canonical.name)
            pick = columns[number % 3].selectbox(
                canonical.label + (" (required)" if canonical.required else ""), options,
                index=options.index(guess) if guess in options else 0, format_func=label,
                key=f"map_{index}_{canonical.name}",
            )
            if pick is not None:
                chosen[canonical.name] = pick
        missing = [c.label for c in COLUMNS_BY_KIND[item["kind"]] if c.required and c.name not in chosen]
        if st.button("Load with these columns", key=f"map_load_{index}", disabled=bool(missing)):
            pending.remove(item)
            run_load(item["name"], item["data"], item["kind"], sheet=item["sheet"],
                     choice=ColumnChoice(header_row=int(header_row), mapping=chosen))
            st.rerun()
        if missing:
            st.caption("Still to choose: " + ", ".join(missing))
        if st.button("Cancel", key=f"map_cancel_{index}"):
            pending.remove(item)
            st.rerun()

# Each file just loaded has its quality report beside it; after a batch of many, one report at a time is
# chosen from the list (sixty reports drawn at once would hold the page up longer than the loading).
QUALITY_BESIDE_EACH = 5
landed = [outcome for outcome in results if outcome["status"] == "loaded"]
for number, outcome in enumerate(results):
    if outcome["status"] == "loaded":
        quality = outcome["quality"]
        noun = ("payment" if outcome["kind"] == "spend" else "contract") + ("" if outcome["rows"] == 1 else "s")
        noun += " from notices" if quality.get("source") == "notices" else ""
        st.success(f"{ui.md(outcome['name'])}: loaded {outcome['rows']:,} {noun}, total {pounds(outcome['total'])}.")
        if len(landed) <= QUALITY_BESIDE_EACH:
            with st.expander(f"Quality report: {ui.md(outcome['name'])}"):
                ui.quality_report(quality, outcome["kind"], outcome["name"], key=f"quality_new_{number}")
    elif outcome["status"] in ("skipped", "info"):
        st.info(ui.md(outcome["message"]))
    else:
        st.error(ui.md(outcome["message"]))

if len(landed) > QUALITY_BESIDE_EACH:
    with st.expander(f"Quality reports of the {len(landed)} files just loaded"):
        just_loaded = landed[st.selectbox("File", range(len(landed)), format_func=lambda i: landed[i]["name"],
                                          key="quality_new_pick") or 0]
        ui.quality_report(just_loaded["quality"], just_loaded["kind"], just_loaded["name"], key="quality_new")

# Column choices saved against a header's shape: each applies, unasked, to every later file of that shape.
choices = ui.query_as_loaded(saved_choices)
if choices:
    st.subheader("Saved column choices")
    st.caption("Each choice below is applied, without asking, to every later file whose header has the same columns. "
               "Forget one that was mistaken and the next file of that shape is recognised, or asked about, afresh; "
               "files already loaded keep their payments (remove and load them again to change those).")
    for number, choice in enumerate(choices):
        with st.container(border=True):
            st.markdown(f"**{KIND_LABELS[choice.kind]}**, header: {ui.md(choice.column_names())}")
            st.caption(f"{ui.md(choice.in_words())}. Saved {choice.saved_at:%-d %b %Y %H:%M}.")
            if editor and st.button("Forget this choice", key=f"forget_choice_{number}"):
                delete_saved_choice(ui.workspace(), choice.signature, choice.kind)
                st.session_state["upload_results"] = [
                    {"name": "", "status": "info",
                     "message": f"Forgot the column choice for the header {choice.column_names()}: the next file "
                                "with those columns is recognised, or asked about, afresh."}]
                st.rerun()

st.subheader("Loaded files")
files = ui.query_as_loaded(loaded_files)
if files.empty:
    st.caption("Nothing loaded yet.")
    st.stop()

shown = loaded_files_table(files)
count_format = st.column_config.NumberColumn(format="localized")
st.dataframe(shown, hide_index=True, key="loaded_files_table", column_config={
    "File": st.column_config.TextColumn(width="large"), "Rows": count_format,
    "Not loaded (lines)": count_format, "Credit notes": count_format, "Redacted payees": count_format})

with st.expander("Quality report of a loaded file"):
    pick = st.selectbox("File", files.index, format_func=lambda i: files.at[i, "name"], key="quality_pick")
    ui.quality_report(files.at[pick, "quality"], files.at[pick, "kind"], files.at[pick, "name"], key="quality_loaded")
    with st.popover("As stored (JSON)"):
        st.json(files.at[pick, "quality"], expanded=True)

if not editor:
    st.stop()
with st.expander("Remove a file"):
    target = st.selectbox("File to remove", files.index, format_func=lambda i: files.at[i, "name"], key="remove_pick")
    confirmed = st.checkbox(f"Yes, remove {ui.md(files.at[target, 'name'])} and its {files.at[target, 'rows']:,} rows",
                            key="remove_confirm")
    if st.button("Remove file", disabled=not confirmed, key="remove_button"):
        removed_rows = remove_file(ui.workspace(), int(files.at[target, "file_id"]))
        st.session_state["upload_results"] = [
            {"name": files.at[target, "name"], "status": "info",
             "message": f"Removed {files.at[target, 'name']} and its {removed_rows:,} rows."}]
        st.rerun()
