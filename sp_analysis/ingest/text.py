"""Turning a published file's bytes into clean text: encoding, line ends, delimiter."""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from dataclasses import dataclass

DELIMITERS = (",", ";", "\t", "|")


def _cp1252_for_bad_bytes(error: UnicodeError) -> tuple[str, int]:
    """Read each byte that is not valid UTF-8 as Windows-1252 (the usual culprit, e.g. '£')."""
    assert isinstance(error, UnicodeDecodeError)
    bad = error.object[error.start : error.end]
    return bad.decode("cp1252", errors="replace"), error.end


codecs.register_error("sp_cp1252", _cp1252_for_bad_bytes)


@dataclass(frozen=True)
class DecodedText:
    """A file's text and how it was read."""

    text: str
    encoding: str
    bad_bytes: int


def decode_bytes(data: bytes) -> DecodedText:
    """UTF-8 (with or without BOM), Windows-1252, or mostly UTF-8 with a few bad bytes.

    A file with valid UTF-8 multi-byte sequences was meant as UTF-8: its invalid bytes are read
    as Windows-1252 (the usual culprit, e.g. '£'); a file with none is Windows-1252 throughout.
    """
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
        label = "UTF-8 with BOM"
    else:
        label = "UTF-8"
    try:
        return DecodedText(data.decode("utf-8"), label, 0)
    except UnicodeDecodeError:
        pass
    # What survives dropping the invalid bytes: any non-ASCII left came from valid multi-byte sequences.
    good = data.decode("utf-8", errors="ignore")
    if good.isascii():
        return DecodedText(data.decode("cp1252", errors="replace"), "Windows-1252", 0)
    text = data.decode("utf-8", errors="sp_cp1252")
    bad = len(data) - len(good.encode("utf-8"))
    return DecodedText(text, f"{label} with {bad} byte(s) read as Windows-1252", bad)


def plain_spaces(text: str) -> str:
    """No-break spaces made plain and stray byte-order marks dropped, so trimming a cell finds them."""
    if "\xa0" in text:
        text = text.replace("\xa0", " ")
    if "\ufeff" in text:
        text = text.replace("\ufeff", "")
    return text


def lf_line_ends(text: str) -> str:
    """Every line end LF (Windows' CRLF, old Macs' CR alone), copying the text only where one is not."""
    if "\r" not in text:
        return text
    text = text.replace("\r\n", "\n")
    return text.replace("\r", "\n") if "\r" in text else text


def normalise_lines(text: str, delimiter: str) -> str:
    """LF line ends, and each blank line turned into a lone delimiter.

    The CSV reader drops blank lines, which would shift every later line number; a lone delimiter
    is an empty row instead, so record N is always line N (bar line breaks inside quoted cells).
    """
    text = lf_line_ends(text)
    if "\n\n" not in text and not text.startswith("\n"):  # most files: no empty line (and no copy of the text)
        return text if text.endswith("\n") else text + "\n"
    # The empty string after the last line end is not a line.
    body = text[:-1] if text.endswith("\n") else text
    # Only empty lines vanish in the reader (a line of spaces is a row), and most files have none.
    if "\n\n" in body or body.startswith("\n"):
        body = _lone_delimiters(body, delimiter)
    return body + "\n"


def _lone_delimiters(body: str, delimiter: str) -> str:
    """Each empty line of `body` (lines joined by LF, no line end after the last) made a lone delimiter, by
    plain replacing (a regular expression over a whole file is many times slower). A run of empty lines is
    "\n" repeated: each pass fills every other one, so two passes fill any run."""
    if body.startswith("\n"):
        body = delimiter + body
    while "\n\n" in body:
        body = body.replace("\n\n", f"\n{delimiter}\n")
    if body.endswith("\n"):
        body += delimiter
    return body


def iter_lines(text: str) -> Iterator[str]:
    """The text's lines, each with its line end, taken one at a time as they are asked for (a CSV reader over
    the first few records of a big text reads no further)."""
    start, size = 0, len(text)
    while start < size:
        end = text.find("\n", start)
        if end < 0:
            yield text[start:]
            return
        yield text[start : end + 1]
        start = end + 1


def split_rows(text: str, delimiter: str, limit: int) -> list[list[str]]:
    """The first `limit` records of the text, split as CSV (for header detection and previews)."""
    reader = csv.reader(iter_lines(text), delimiter=delimiter, quotechar='"', strict=False)
    rows: list[list[str]] = []
    try:
        for row in reader:
            rows.append(row)
            if len(rows) >= limit:
                break
    except csv.Error:
        pass
    return rows
