"""Flexible Framework: the 5 x 5 matrix, each theme against its target, progress over time, the gaps and the
actions that close them, and the form that records a new assessment."""

import datetime as dt

import pandas as pd
import streamlit as st

from sp_analysis import ui
from sp_analysis.output import plan_charts
from sp_analysis.plan import actions, framework

st.title("Flexible Framework")
ws = ui.workspace()
framework.install_framework(ws)
ui.show_flash("framework_flash")


def saved(message: str, *editors: str) -> None:
    """Say what was saved after the rerun that shows it; edits already saved are dropped from the editors."""
    ui.saved("framework_flash", message, *editors)


as_at = st.date_input("As at", value=dt.date.today(), key="framework_as_at", format="DD/MM/YYYY",
                      min_value=dt.date(2000, 1, 1), max_value=dt.date.today() + dt.timedelta(days=3660),
                      help="Show each theme as its latest assessment on or before this date left it. "
                           "Set an earlier date to reproduce an old report.")
st.caption(f"{framework.LEVEL_RULE} Assessments are dated snapshots: saving a new one never changes an earlier one.")

history = ui.query(framework.assessment_history)
shown = history[history["assessed_on"] <= as_at]
style = ui.chart_style()
source = (f"Source: {ui.council().whose('Flexible Framework self-assessments')} in this workspace "
          f"({len(shown):,} on or before {as_at:%-d %b %Y}); criteria after the Sustainable Procurement Task Force's "
          "Flexible Framework (2006), in this project's words.")
if shown.empty:
    st.info("No assessment is recorded on or before this date: every theme shows as Level 0. "
            "Record one with the form at the foot of the page.")

# --- the matrix ---------------------------------------------------------------------------------------------
matrix = ui.query(framework.framework_matrix, as_at)
ui.show_chart(plan_charts.framework_matrix_figure(matrix, as_at, source, style), key="framework_matrix_chart")
with st.expander("The matrix as a table"):
    st.dataframe(ui.query(framework.matrix_table, as_at), hide_index=True, key="framework_matrix_table")

# --- current against target ---------------------------------------------------------------------------------
st.header("Current level against target")
standing = ui.query(framework.current_against_target, as_at)
ui.show_chart(plan_charts.level_against_target_figure(standing, as_at, source, style), key="framework_target_chart")
st.dataframe(
    standing.rename(columns={"theme": "Theme", "achieved": "Level achieved", "target": "Target level",
                             "target_date": "Target date", "gap": "Levels to go", "standing": "Standing",
                             "assessed_on": "Assessed on", "assessor": "Assessor", "explanation": "Why this level"}),
    hide_index=True, key="framework_target_table",
    column_config={"Target date": st.column_config.DateColumn(format="D MMM YYYY"),
                   "Assessed on": st.column_config.DateColumn(format="D MMM YYYY")},
)

# --- the gaps and the actions that close them ---------------------------------------------------------------
st.header("Gap to each target")
for gap in ui.query(framework.target_gaps, as_at):
    if gap.target is None:
        heading = f"{ui.md(gap.theme)}: Level {gap.achieved}, no target set"
    else:
        heading = (f"{ui.md(gap.theme)}: Level {gap.achieved} of target Level {gap.target.level} by "
                   f"{gap.target.target_date:%-d %b %Y} ({gap.standing})")
    with st.expander(heading, expanded=False):
        if gap.target is None:
            st.write("Set a target in the table below to see the gap.")
            continue
        if not gap.unmet:
            st.success("Every criterion up to the target level is met.")
        else:
            st.markdown(f"**{len(gap.unmet)} criteria still to meet up to Level {gap.target.level}:**")
            st.dataframe(pd.DataFrame(gap.unmet, columns=["Criterion", "Level", "What it asks"]), hide_index=True,
                         key=f"gap_criteria_{gap.theme}")
        if gap.actions:
            st.markdown("**Actions in the plan that close this gap:**")
            st.dataframe(pd.DataFrame(gap.actions).rename(columns={
                "action_id": "No.", "title": "Action", "level": "Level", "officer": "Officer", "status": "Status",
                "due_date": "Due", "overdue": "Overdue"}), hide_index=True, key=f"gap_actions_{gap.theme}", placeholder="",
                column_config={"Due": st.column_config.DateColumn(format="D MMM YYYY")})
        else:
            st.warning("No action in the plan addresses this theme between the level achieved and the target.")

# --- progress over time --------------------------------------------------------------------------------------
st.header("Progress over time")
if shown.empty:
    st.write("Progress appears once an assessment is recorded.")
else:
    targets = [(t.theme, t.level, t.target_date) for t in ui.query(framework.load_targets)]
    themes = ui.query(framework.theme_names)
    progress = ui.query(framework.progress_over_time, as_at)
    ui.show_chart(plan_charts.progress_figure(progress, targets, themes, as_at, source, style), key="framework_progress_chart")
    st.dataframe(
        shown[["assessed_on", "theme", "assessor", "met", "criteria", "achieved", "explanation"]].rename(columns={
            "assessed_on": "Assessed on", "theme": "Theme", "assessor": "Assessor", "met": "Criteria met",
            "criteria": "Criteria", "achieved": "Level", "explanation": "Why"}).iloc[::-1],
        hide_index=True, key="framework_history_table",
        column_config={"Assessed on": st.column_config.DateColumn(format="D MMM YYYY")},
    )

# --- record an assessment ------------------------------------------------------------------------------------
st.header("Record an assessment")
editor = ui.editors_only("record assessments, change targets or replace the criteria")
themes = ui.query(framework.theme_names)
theme = st.selectbox("Theme", themes, key="assess_theme")
criteria = [c for c in ui.query(framework.load_criteria) if c.theme == theme]
previous = ui.query(framework.latest_answers, theme, dt.date.today())
slot = themes.index(theme) if theme in themes else 0
with st.form("assess_form", clear_on_submit=False):
    st.caption("Ticks and evidence start from the theme's latest assessment. Saving adds a new dated snapshot.")
    left, right = st.columns(2)
    assessed_on = left.date_input("Assessment date", value=dt.date.today(), key="assess_date", format="DD/MM/YYYY",
                                  min_value=dt.date(2000, 1, 1), max_value=dt.date.today())
    assessor = right.text_input("Assessor", key="assess_assessor", placeholder="Name or initials")
    answers = []
    level = None
    for c in criteria:
        if c.level != level:
            level = c.level
            st.markdown(f"**Level {c.level}: {ui.md(c.level_name)}**")
        before = previous.get(c.criterion_id)
        tick, evidence, link = st.columns([7, 3, 2])
        met = tick.checkbox(ui.md(f"{c.criterion_id} {c.criterion}"), value=bool(before and before.met),
                            key=f"assess_met_{slot}_{c.criterion_id}")
        text = evidence.text_input("Evidence", value=before.evidence if before else "", key=f"assess_evidence_{slot}_{c.criterion_id}",
                                   label_visibility="collapsed", placeholder="Evidence")
        links = link.text_input("Link", value=before.links if before else "", key=f"assess_link_{slot}_{c.criterion_id}",
                                label_visibility="collapsed", placeholder="Link to evidence")
        answers.append(framework.AssessmentItem(c.criterion_id, met, text, links))
    note = st.text_input("Note", key="assess_note")
    submitted = st.form_submit_button("Save assessment", key="assess_submit", disabled=not editor)
if submitted:
    try:
        framework.record_assessment(ws, theme, assessed_on, assessor, answers, note)
    except framework.FrameworkError as exc:
        st.error(ui.md(exc))
    else:
        state = framework.theme_state(ws, theme, assessed_on)
        saved(f"Saved the {ui.md(theme)} assessment of {assessed_on:%-d %B %Y}. "
              f"{ui.md(state.explanation) if state else ''}")

# --- targets -------------------------------------------------------------------------------------------------
st.header("Targets")
st.caption("The target in force on a date is the earliest target still due on or after it; once all are past, the last one.")
edited_targets = st.data_editor(
    ui.query(framework.targets_frame), num_rows="dynamic", hide_index=True, key="targets_editor",
    column_config={
        "theme": st.column_config.SelectboxColumn("Theme", options=themes, required=True),
        "level": st.column_config.NumberColumn("Target level", min_value=1, max_value=5, step=1, required=True),
        "target_date": st.column_config.DateColumn("By", format="D MMM YYYY", required=True),
        "note": st.column_config.TextColumn("Note"),
    },
)
if st.button("Save targets", key="targets_save", disabled=not editor):
    try:
        count = framework.save_targets(ws, framework.targets_from_frame(edited_targets))
    except framework.FrameworkError as exc:
        st.error(ui.md(exc))
    else:
        saved(f"Saved {count} target{'s' if count != 1 else ''}.", "targets_editor")

# --- the criteria --------------------------------------------------------------------------------------------
with st.expander("The criteria: view, download, or replace with your council's own"):
    st.dataframe(pd.DataFrame([c.__dict__ for c in ui.query(framework.load_criteria)]), hide_index=True,
                 key="framework_criteria_table")
    st.download_button("Download the criteria (CSV)", data=ui.query(framework.export_framework_csv),
                       file_name="flexible-framework-criteria.csv", mime="text/csv", key="framework_download")
    if editor:  # the uploader is only offered to editors
        upload = st.file_uploader("Your own criteria (CSV with columns theme, level, level_name, criterion_id, "
                                  "criterion)", type=["csv"], key="framework_upload")
        confirm = st.checkbox("Replace the criteria (earlier assessments keep their own copies)",
                              key="framework_replace_confirm")
        if st.button("Replace criteria", key="framework_replace", disabled=upload is None or not confirm) \
                and upload is not None:
            try:
                count = framework.import_framework_csv(ws, upload.getvalue(), upload.name)
            except framework.FrameworkError as exc:
                st.error(ui.md(exc))
            else:
                saved(f"Loaded {count} criteria from {ui.md(upload.name)}.")
    else:
        st.caption("Only the workspace's editors can replace the criteria.")

st.caption(f"Action plan: {ui.query(actions.action_counts, as_at)['total']} actions. See the Action plan page.")
