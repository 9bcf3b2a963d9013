"""Settings: value bands, chart styles, the council's name, local postcodes and lead times, saved together;
the Procurement Act thresholds."""

import datetime as dt

import streamlit as st

from sp_analysis import settings, ui
from sp_analysis.contracts import act
from sp_analysis.output import charts

st.title("Settings")
ui.show_flash("settings_saved")
ws = ui.workspace()
editor = ui.editors_only("change settings")

with st.form("settings_form"):
    values: dict[str, str] = {}
    for setting in settings.SETTINGS.values():
        current = settings.get_setting(ws, setting.name)
        name = settings.label(setting.name)
        if setting.name in settings.CHOICES:
            options: list[str] = list(settings.CHOICES[setting.name])

            def example(choice: str, n: str = setting.name) -> str:
                return charts.choice_example(n, choice)

            chosen = st.selectbox(
                name, options, index=options.index(current) if current in options else 0, format_func=example,
                help=setting.help, key=f"setting_input_{setting.name}", disabled=not editor)
            values[setting.name] = chosen or current
        else:
            values[setting.name] = st.text_input(name, current, help=setting.help,
                                                 key=f"setting_input_{setting.name}", disabled=not editor) or ""
        st.caption(ui.md(setting.help) + f" Default: {ui.md(setting.default) or '(empty)'}.")
    if st.form_submit_button("Save settings", type="primary", key="settings_save", disabled=not editor):
        try:
            settings.save_settings(ws, values)
        except ValueError as exc:
            st.error(f"Nothing was saved. {ui.md(exc)}")
        else:
            ui.saved("settings_saved", "Settings saved.")

st.caption("Value bands now: " + ", ".join(ui.query(settings.value_bands).labels) + ".")

st.subheader("Procurement Act 2023 thresholds and dates")
st.caption("Every threshold and date the Procurement Act page uses, and the two matching rules of the Contracts page's "
           "register-and-notices comparison, with its source. A threshold that changes (the "
           "Act's thresholds are revised every two years) is changed here, with the instrument that changed it.")
thresholds = ui.query(act.thresholds_table)
shown = thresholds.assign(value=[act.describe_threshold(a, u, d if isinstance(d, dt.date) else None)
                                 for a, u, d in zip(thresholds["amount"], thresholds["unit"],
                                                    thresholds["effective_from"], strict=True)])
shown["effective_from"] = thresholds["effective_from"].map(lambda d: f"{d:%-d %B %Y}" if isinstance(d, dt.date) else "")
shown = shown[["label", "value", "effective_from", "source", "key"]].rename(columns={
    "label": "Threshold", "value": "Value", "effective_from": "Applies from", "source": "Source", "key": "Key"})
st.dataframe(shown, hide_index=True, key="act_thresholds_table")
ui.downloads(shown, "procurement-act-thresholds", key="act_thresholds_download")
with st.form("act_threshold_form"):
    labels = dict(zip(thresholds["key"], thresholds["label"], strict=True))
    key = st.selectbox("Threshold to change", list(labels), format_func=lambda k: labels[k], key="act_threshold_key")
    value = st.text_input("New value (pounds, per cent or a number; left empty for a date)", key="act_threshold_value")
    applies = st.date_input("Applies from (for a date row: the date itself)", value=None, key="act_threshold_date",
                            format="DD/MM/YYYY")
    source = st.text_input("Source (instrument and section)", key="act_threshold_source")
    if st.form_submit_button("Save threshold", key="act_threshold_save", disabled=not editor):
        try:
            act.set_threshold(ws, key, value or "", applies, source or "")
            st.success("Saved.")
        except ValueError as exc:
            st.error(ui.md(exc))
