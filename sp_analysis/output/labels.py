"""Chart labels that fit: text widths from the font's metrics, wrapping at spaces, shortening at a word.

Plotly neither wraps category labels nor sizes a fixed margin to them, and a label wider than its margin is
cut off at the figure's edge (a cut name can read as another company's). The builders therefore measure
each label with the advance widths of Arial (the house font; Liberation Sans, which the renderer falls back
on, has the same metrics), wrap it onto at most two lines, and set the margin to the widest line. Where a
label still does not fit it is shortened at a word boundary and ends in '…'; the full text is on hover and
in the table beside the chart.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

# Advance widths in thousandths of an em (Arial's metrics, the same as Helvetica's published ones).
_REGULAR = dict(zip(
    " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~£€…–—‘’“”",
    (278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556,
     556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667, 611, 778, 722, 278,
     500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469,
     556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500,
     278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, 556, 556, 1000, 556, 1000, 222, 222, 333, 333),
    strict=True))
_BOLD = dict(zip(
    " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~£€…–—‘’“”",
    (278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556,
     556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, 975, 722, 722, 722, 722, 667, 611, 778, 722, 278,
     556, 722, 611, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584,
     556, 333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, 611, 611, 389, 556,
     333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584, 556, 556, 1000, 556, 1000, 278, 278, 500, 500),
    strict=True))
_UNKNOWN = 1000  # a character outside the table (accented letters, other scripts): counted as a full em
ELLIPSIS = "…"
_TAGS = re.compile(r"<[^>]+>")


def text_width(text: str, size: float, bold: bool = False) -> float:
    """The width in pixels of one line of plain text at the font size (in pixels)."""
    table = _BOLD if bold else _REGULAR
    return sum(table.get(ch, _UNKNOWN if ord(ch) > 0x24F else 667) for ch in text) * size / 1000


def lines_of(label: str) -> list[str]:
    """The plain-text lines of a plotly label ('<br>' breaks, tags and entities taken out)."""
    return [html.unescape(_TAGS.sub("", part)) for part in re.split(r"<br\s*/?>", label)]


def label_width(label: str, size: float, bold: bool = False) -> float:
    """The width of a plotly label's widest line."""
    return max((text_width(line, size, bold) for line in lines_of(label)), default=0.0)


def _shorten(words: list[str], width: float, size: float, bold: bool) -> str:
    """As many whole words as fit with '…' after them; a single over-long word is cut between letters."""
    line = ""
    for word in words:
        trial = f"{line} {word}".strip()
        if text_width(trial + ELLIPSIS, size, bold) > width:
            break
        line = trial
    if line:
        return line.rstrip(",;:-–") + ELLIPSIS
    word = words[0] if words else ""
    while word and text_width(word + ELLIPSIS, size, bold) > width:
        word = word[:-1]
    return word + ELLIPSIS


def fit_lines(text: str, width: float, size: float, max_lines: int = 2, bold: bool = False) -> list[str]:
    """The text wrapped at spaces into lines no wider than `width` pixels, at most `max_lines` of them; the
    last line is shortened at a word boundary (ending in '…') when the words do not all fit."""
    words = " ".join(str(text).split()).split(" ")
    lines: list[str] = []
    line = ""
    for index, word in enumerate(words):
        trial = f"{line} {word}".strip()
        if text_width(trial, size, bold) <= width or not line:
            line = trial
            continue
        lines.append(line)
        line = word
        if len(lines) == max_lines - 1:
            rest = words[index:]
            if text_width(" ".join(rest), size, bold) > width:
                lines.append(_shorten(rest, width, size, bold))
                return lines
            line = " ".join(rest)
            break
    lines.append(line)
    if text_width(lines[-1], size, bold) > width:  # one long word on its own line
        lines[-1] = _shorten(lines[-1].split(" "), width, size, bold)
    return lines


def fit_label(text: str, width: float, size: float, max_lines: int = 2, bold: bool = False) -> str:
    """A plotly label: `fit_lines` escaped as text and joined with '<br>'."""
    return "<br>".join(html.escape(line, quote=False) for line in fit_lines(text, width, size, max_lines, bold))


def margin_for(labels: Iterable[str], size: float, pad: int = 16, bold: bool = False) -> int:
    """A margin in pixels that holds the widest line of any of the labels, and the gap to the axis."""
    return int(max((label_width(label, size, bold) for label in labels), default=0.0)) + pad
