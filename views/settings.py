"""Settings: value bands and the council's name, stored in the workspace."""

import streamlit as st

from sp_analysis import settings, ui

st.title("Settings")
ws = ui.workspace()
editor = ui.editors_only("change settings")

for setting in settings.SETTINGS.values():
    with st.form(f"setting_{setting.name}"):
        value = st.text_input(setting.name.replace("_", " ").capitalize(), settings.get_setting(ws, setting.name),
                              help=setting.help, key=f"setting_input_{setting.name}")
        st.caption(setting.help + f" Default: {setting.default or '(empty)'}.")
        if st.form_submit_button("Save", key=f"setting_save_{setting.name}", disabled=not editor):
            try:
                settings.set_setting(ws, setting.name, value)
                st.success("Saved.")
            except ValueError as exc:
                st.error(ui.md(exc))

st.caption("Value bands now: " + ", ".join(ui.query(settings.value_bands).labels) + ".")
