"""Settings: value bands, chart styles, the council's name, local postcodes and lead times, saved together."""

import streamlit as st

from sp_analysis import settings, ui

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
            options = list(settings.CHOICES[setting.name])
            values[setting.name] = st.selectbox(
                name, options, index=options.index(current) if current in options else 0,
                format_func=lambda choice, n=setting.name: settings.choice_example(n, choice),
                help=setting.help, key=f"setting_input_{setting.name}", disabled=not editor)
        else:
            values[setting.name] = st.text_input(name, current, help=setting.help,
                                                 key=f"setting_input_{setting.name}", disabled=not editor)
        st.caption(ui.md(setting.help) + f" Default: {ui.md(setting.default) or '(empty)'}.")
    if st.form_submit_button("Save settings", type="primary", key="settings_save", disabled=not editor):
        try:
            settings.save_settings(ws, values)
        except ValueError as exc:
            st.error(f"Nothing was saved. {ui.md(exc)}")
        else:
            ui.saved("settings_saved", "Settings saved.")

st.caption("Value bands now: " + ", ".join(ui.query(settings.value_bands).labels) + ".")
