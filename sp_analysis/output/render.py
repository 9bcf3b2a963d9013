"""Charts as print-quality images (PNG at 3x, SVG), rendered server-side by kaleido and Chromium.

Kaleido drives a Chromium it finds on the machine (Debian's `chromium` package here); where none is
installed, `export_problem()` says so and the pages fall back on the chart toolbar's own PNG download.
"""

from __future__ import annotations

import copy
import io
import shutil
import threading

import plotly.graph_objects as go

PRINT_SCALE = 3
PRINT_DPI = 300
_BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")
_server_lock = threading.Lock()
_server_started = False


def export_problem() -> str | None:
    """None when images can be rendered here; otherwise the reason, in words for the page."""
    if any(shutil.which(name) for name in _BROWSERS):
        return None
    return ("Image downloads are rendered by a Chromium browser on the server, and none is installed "
            "(on Debian: apt-get install chromium). The chart's own toolbar download still works.")


def _ensure_server() -> None:
    # One browser kept alive for the process: about 0.2 s an image instead of 2 s.
    global _server_started
    with _server_lock:
        if not _server_started:
            import kaleido

            kaleido.start_sync_server(silence_warnings=True)
            _server_started = True


def without_title(figure: go.Figure) -> go.Figure:
    """A copy with the title and subtitle taken out, for papers that set the title in their own text."""
    bare = go.Figure(copy.deepcopy(figure.to_dict()))
    extra = any((a.y or 0) >= 1 for a in bare.layout.annotations)  # a note above the plot keeps its room
    bare.update_layout(title={"text": "", "subtitle": {"text": ""}}, margin={"t": 60 if extra else 30})
    return bare


def to_image(figure: go.Figure, fmt: str, *, with_title: bool = True, scale: int = PRINT_SCALE) -> bytes:
    """The figure as PNG (at print scale) or SVG, at its own fixed size."""
    problem = export_problem()
    if problem:
        raise RuntimeError(problem)
    _ensure_server()
    shown = figure if with_title else without_title(figure)
    width = int(shown.layout.width or 1100)
    height = int(shown.layout.height or 620)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # kaleido warns that per-call options are ignored by its server
        image = shown.to_image(format=fmt, width=width, height=height, scale=scale if fmt == "png" else 1)
    return _with_print_dpi(image) if fmt == "png" else image


def _with_print_dpi(png: bytes) -> bytes:
    """Mark the PNG as 300 dots per inch, so word processors place it at print size (11 by 6.2 inches)."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        out = io.BytesIO()
        image.save(out, format="PNG", dpi=(PRINT_DPI, PRINT_DPI), optimize=False)
    return out.getvalue()
