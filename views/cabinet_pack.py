"""Cabinet pack: the chosen charts and tables as one Word document for a committee paper's annex."""

import datetime as dt

import streamlit as st

from sp_analysis import ui
from sp_analysis.output import pack, render
from sp_analysis.words import count_of

st.title("Cabinet pack")
st.write("One Word document for a Cabinet paper's annex: a title page, each chart as an image with a numbered "
         "caption and alt text, a key-figures table and data notes (sources, coverage, definitions and the "
         "filters used). The sidebar filters apply. Also a ZIP of every chart as PNG and SVG.")

filters = ui.sidebar_filters()
problem = render.export_problem()
if problem:
    st.warning(problem)
    st.stop()

preset = st.selectbox("Start from", ["cabinet", "choose my own"],
                      format_func=lambda p: "The plan's headline set" if p == "cabinet" else "My own choice",
                      key="pack_preset")
default = pack.PRESETS["cabinet"] if preset == "cabinet" else []
keys = st.multiselect("Charts and tables", list(pack.ITEMS), default=default,
                      format_func=lambda k: pack.ITEMS[k].title, key=f"pack_items_{preset}")
as_at = st.date_input("As at", dt.date.today(), format="DD/MM/YYYY", key="pack_as_at")
with_titles = st.checkbox("Draw the titles inside the chart images", value=False, key="pack_titles",
                          help="Off by default: the document gives each chart a numbered caption, and the "
                               "Analysis Function advises titles in the text rather than in the image.")

if not keys:
    st.caption("Choose at least one chart or table.")
    st.stop()


def build() -> pack.Pack:
    return pack.build_pack(ui.workspace(), keys, filters, as_at)


stamp = f"{filters.slug()}_as-at-{as_at:%Y-%m-%d}"
left, right, _ = st.columns([1, 1, 2])
left.download_button("Word document", lambda: pack.write_docx(build(), with_titles=with_titles),
                     file_name=f"{ui.file_name('sustainable-procurement-pack', stamp)}.docx",
                     mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                     key="pack_docx", on_click="ignore", type="primary", icon=":material/description:")
right.download_button("Charts (ZIP)", lambda: pack.write_zip(build(), with_titles=True),
                      file_name=f"{ui.file_name('sustainable-procurement-charts', stamp)}.zip", mime="application/zip",
                      key="pack_zip", on_click="ignore", icon=":material/folder_zip:")
st.caption(f"{count_of(len(keys), 'item')}; filters: {ui.md(filters.describe())}. Building takes a few seconds: each chart is "
           "drawn at print quality (3300 by 1860 pixels).")
st.markdown("**In the pack:** " + "; ".join(pack.ITEMS[k].title for k in keys))
st.caption("The same document can be made on a schedule: `python -m sp_analysis pack --out pack.docx "
           "--preset cabinet`.")
