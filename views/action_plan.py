"""Action plan: the actions as at a date, filtered; the timeline; what is overdue; roll-ups; measures computed
from the data; editing, import and export."""

import datetime as dt

import pandas as pd
import streamlit as st

from sp_analysis import ui
from sp_analysis.output import plan_charts
from sp_analysis.plan import actions, framework, measures, plan_files

st.title("Action plan")
ws = ui.workspace()
framework.install_framework(ws)
ui.show_flash("plan_flash")


def saved(message: str, *editors: str) -> None:
    """Say what was saved after the rerun that shows it; edits already saved are dropped from the editors."""
    ui.saved("plan_flash", message, *editors)


if ui.query(actions.action_counts, dt.date.today())["total"] == 0:
    st.info("The workspace holds no action plan yet. Load the sample (the council's June 2010 sustainable procurement "
            "resource plan, with its Level 2 and Level 3 targets) or import your own plan at the foot of the page.")
    if st.button("Load the sample 2010 plan", key="plan_install_sample", disabled=not ui.can_edit()):
        framework.install_sample_plan(ws)
        st.rerun()

as_at = st.date_input("As at", value=dt.date.today(), key="plan_as_at", format="DD/MM/YYYY",
                      min_value=dt.date(2000, 1, 1), max_value=dt.date.today() + dt.timedelta(days=3660),
                      help="Statuses, overdue flags and measures as they stood on this date. Edits below are recorded "
                           "as at this date.")
st.caption(actions.OVERDUE_RULE)

# --- filters ---------------------------------------------------------------------------------------------------
columns = st.columns(5)
chosen_themes = columns[0].multiselect("Theme", ui.query(actions.plan_themes), key="plan_filter_theme")
chosen_levels = columns[1].multiselect("Level", [1, 2, 3, 4, 5], key="plan_filter_level")
chosen_officers = columns[2].multiselect("Officer", ui.query(actions.officer_names), key="plan_filter_officer")
chosen_statuses = columns[3].multiselect("Status", list(actions.STATUSES), key="plan_filter_status")
overdue_only = columns[4].toggle("Overdue only", key="plan_filter_overdue")
plan_filter = actions.PlanFilter(tuple(chosen_themes), tuple(chosen_levels), tuple(chosen_officers),
                                 tuple(chosen_statuses), overdue_only)
wording = plan_filter.describe()

table = ui.query(actions.actions_table, as_at, plan_filter)
milestones = ui.query(actions.milestones_table, as_at, plan_filter)
done, in_progress = (table["status"] == "done").sum(), (table["status"] == "in progress").sum()
first, second, third, fourth, fifth = st.columns(5)
first.metric("Actions", f"{len(table):,}", help=f"Actions shown: {ui.md(wording)}.")
second.metric("Done", f"{done:,}")
third.metric("In progress", f"{in_progress:,}")
fourth.metric("Overdue actions", f"{int(table['overdue'].sum()):,}")
fifth.metric("Overdue milestones", f"{int(milestones['overdue'].sum()):,}")
st.caption(f"Showing {ui.md(wording)}, as at {as_at:%-d %B %Y}.")

source = (f"Source: {ui.council().whose('sustainable procurement action plan')} in this workspace; {wording}; "
          f"status as at {as_at:%-d %b %Y}.")
if table.empty:
    st.write("No action matches the filters.")
else:
    ui.show_chart(plan_charts.action_gantt(table, milestones, as_at, source, ui.chart_style()), key="plan_gantt")

# --- overdue ---------------------------------------------------------------------------------------------------
st.header("Overdue")
late = table[table["overdue"]]
late_milestones = milestones[milestones["overdue"]]
if late.empty:
    st.success(f"Nothing is overdue as at {as_at:%-d %B %Y} ({ui.md(wording)}).")
else:
    st.dataframe(late[["action_id", "title", "officer", "status", "due_date", "days_overdue", "milestones_overdue"]].rename(
        columns={"action_id": "No.", "title": "Action", "officer": "Officer", "status": "Status", "due_date": "Due",
                 "days_overdue": "Days overdue", "milestones_overdue": "Milestones overdue"}),
        hide_index=True, key="plan_overdue_actions", placeholder="",
        column_config={"Action": st.column_config.TextColumn(width=ui.fitted_width(late["title"], "Action")),
                       "Due": st.column_config.DateColumn(format="D MMM YYYY"),
                       "Days overdue": st.column_config.NumberColumn(format="localized")})
    st.dataframe(late_milestones[["action_id", "action", "milestone", "due_date"]].rename(
        columns={"action_id": "No.", "action": "Action", "milestone": "Milestone overdue", "due_date": "Due"}),
        hide_index=True, key="plan_overdue_milestones", placeholder="",
        column_config={"Action": st.column_config.TextColumn(width=ui.fitted_width(late_milestones["action"], "Action")),
                       "Milestone overdue": st.column_config.TextColumn(
                           width=ui.fitted_width(late_milestones["milestone"], "Milestone overdue")),
                       "Due": st.column_config.DateColumn(format="D MMM YYYY")})

# --- roll-ups --------------------------------------------------------------------------------------------------
st.header("Progress by level and by theme")
left, right = st.columns(2)
by_level = ui.query(actions.plan_rollup, as_at, "level", plan_filter)
by_theme = ui.query(actions.plan_rollup, as_at, "theme", plan_filter)
left.dataframe(by_level.rename(columns=str.capitalize), hide_index=True, key="plan_rollup_level")
right.dataframe(by_theme.rename(columns=str.capitalize), hide_index=True, key="plan_rollup_theme")
st.caption("An action serving two themes counts under each, so the theme rows can add up to more than the number of actions.")

# --- measures computed from the data ------------------------------------------------------------------------
st.header("Measures computed from the data")
for measure in ui.query(measures.data_measures, as_at):
    with st.container(border=True):
        st.markdown(f"**{ui.md(measure.name)}**: {ui.md(measure.figure)}.")
        st.markdown(ui.md(measure.detail))
        st.caption(f"Definition: {ui.md(measure.definition)}")
        st.caption(f"Date: {ui.md(measure.as_of)}")
        st.info(f"Not in this figure: {ui.md(measure.pending)}")
        if measure.actions:
            st.caption("Shown beside: " + ui.md("; ".join(measure.actions)))

# --- one action in full, with the figures computed for it --------------------------------------------------
st.header("Action in full")
if not table.empty:
    labels = {int(i): f"{int(i)}. {t}" for i, t in zip(table["action_id"], table["title"], strict=True)}
    chosen = st.selectbox("Action", list(labels), format_func=lambda i: labels[i], key="plan_detail_action")
    detail = ui.query(measures.action_detail, int(chosen), as_at) if chosen is not None else None
    if detail is not None:
        st.markdown(f"**{ui.md(detail['title'])}** (Level {detail['level'] or 'not set'}; "
                    f"{ui.md(detail['themes'] or 'no theme')}; "
                    f"officer {ui.md(detail['officer'] or 'not set')}; {ui.md(detail['status'])}, "
                    f"{detail['percent_complete']}%)")
        st.markdown(f"Timescale as written: {ui.md(detail['timescale'] or 'not given')}. "
                    f"{ui.md(detail['overdue_words'])}")
        st.dataframe(detail["milestones"], hide_index=True, key="plan_detail_milestones", placeholder="",
                     column_config={"Due": st.column_config.DateColumn(format="D MMM YYYY"),
                                    "Reached on": st.column_config.DateColumn(format="D MMM YYYY")})
        st.markdown(f"**Measures of success:** {ui.md(detail['measures'] or 'none given')}")
        st.markdown(f"**Financial and resource requirements:** {ui.md(detail['resources'] or 'none given')}")
        if detail["notes"]:
            st.caption(ui.md(detail["notes"]))
        for measure in detail["data_measures"]:
            st.info(f"**{ui.md(measure.name)}** ({ui.md(measure.as_of)}) {ui.md(measure.figure)}. "
                    f"Not in this figure: {ui.md(measure.pending)}")

# --- edit --------------------------------------------------------------------------------------------------------
st.header("Edit the plan")
st.caption(f"Status and percentage changes are recorded as at {as_at:%-d %B %Y}; earlier entries are kept. "
           "Add a row for a new action; delete a row to remove an action. Only the actions shown are affected.")
editable = ["title", "themes", "level", "officer", "status", "percent_complete", "start_date", "due_date", "timescale",
            "measures", "resources", "notes", "data_measures"]
edited = st.data_editor(
    table[["action_id", *editable, "overdue", "next_milestone"]], num_rows="dynamic", hide_index=True, key="plan_editor",
    placeholder="",  # an action with no date shows an empty cell, not 'None'

    disabled=["action_id", "overdue", "next_milestone"],
    column_config={
        "action_id": st.column_config.NumberColumn("No."),
        "title": st.column_config.TextColumn("Action", required=True, width="medium"),
        "themes": st.column_config.TextColumn("Themes", help="Separate themes with semicolons."),
        "level": st.column_config.NumberColumn("Level", min_value=1, max_value=5, step=1),
        "officer": st.column_config.TextColumn("Officer"),
        "status": st.column_config.SelectboxColumn("Status", options=list(actions.STATUSES), required=True),
        "percent_complete": st.column_config.NumberColumn("% complete", min_value=0, max_value=100, step=1),
        "start_date": st.column_config.DateColumn("Start", format="D MMM YYYY"),
        "due_date": st.column_config.DateColumn("Due", format="D MMM YYYY"),
        "timescale": st.column_config.TextColumn("Timescale (as written)"),
        "measures": st.column_config.TextColumn("Measures of success"),
        "resources": st.column_config.TextColumn("Resources"),
        "notes": st.column_config.TextColumn("Notes"),
        "data_measures": st.column_config.TextColumn("Data measures", help=actions.COLUMN_HELP["data_measures"]),
        "overdue": st.column_config.CheckboxColumn("Overdue"),
        "next_milestone": st.column_config.TextColumn("Next milestone"),
    },
)
editor = ui.editors_only("change the action plan")
if st.button("Save changes to actions", key="plan_save", disabled=not editor):
    try:
        plan_files.save_action_edits(ws, edited, [int(i) for i in table["action_id"]], as_at)
    except actions.ActionPlanError as exc:
        st.error(ui.md(exc))
    else:
        saved("Saved the actions.", "plan_editor", "plan_milestone_editor")

st.subheader("Milestones")
edited_milestones = st.data_editor(
    milestones[["action_id", "milestone", "due_date", "done_on", "overdue"]], num_rows="dynamic", hide_index=True,
    key="plan_milestone_editor", disabled=["overdue"], placeholder="",
    column_config={
        "action_id": st.column_config.SelectboxColumn("Action no.", options=[int(i) for i in table["action_id"]], required=True),
        "milestone": st.column_config.TextColumn("Milestone", required=True, width="large"),
        "due_date": st.column_config.DateColumn("Due", format="D MMM YYYY"),
        "done_on": st.column_config.DateColumn("Reached on", format="D MMM YYYY"),
        "overdue": st.column_config.CheckboxColumn("Overdue"),
    },
)
if st.button("Save changes to milestones", key="plan_milestones_save", disabled=not editor):
    try:
        count = actions.save_milestone_edits(ws, edited_milestones, [int(i) for i in table["action_id"]])
    except actions.ActionPlanError as exc:
        st.error(ui.md(exc))
    else:
        saved(f"Saved {count} milestones.", "plan_editor", "plan_milestone_editor")

with st.expander("Status history"):
    st.dataframe(ui.query(actions.status_history), hide_index=True, key="plan_status_history")

# --- export and import ---------------------------------------------------------------------------------------
st.header("Download and import")
stem = ui.file_name(f"action-plan_{plan_filter.slug()}_as-at-{as_at.isoformat()}")
left, right = st.columns(2)
left.download_button("Download CSV", data=ui.query(plan_files.export_plan_csv, as_at, plan_filter), file_name=f"{stem}.csv",
                     mime="text/csv", key="plan_download_csv")
right.download_button("Download XLSX", data=ui.query(plan_files.export_plan_xlsx, as_at, plan_filter), file_name=f"{stem}.xlsx",
                      mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="plan_download_xlsx")
# The uploader is only offered to editors: a viewer's upload would be read into memory for nothing.
if editor:
    upload = st.file_uploader("Import a plan (CSV or XLSX in the download's format)", type=["csv", "xlsx"],
                              key="plan_upload")
    replace_all = st.checkbox("Replace the whole plan with the file (otherwise its actions are added or updated by "
                              "number)", key="plan_import_replace")
    if st.button("Import", key="plan_import", disabled=upload is None) and upload is not None:
        try:
            count = plan_files.import_plan(ws, upload.getvalue(), upload.name, as_at, replace_all=replace_all)
        except actions.ActionPlanError as exc:
            st.error(ui.md(exc))
        else:
            saved(f"Imported {count} actions from {ui.md(upload.name)}.", "plan_editor", "plan_milestone_editor")
else:
    st.caption("Only the workspace's editors can import a plan.")
with st.expander("Columns of the import format"):
    st.dataframe(pd.DataFrame(list(actions.COLUMN_HELP.items()), columns=["Column", "Meaning"]), hide_index=True,
                 key="plan_columns_help")
