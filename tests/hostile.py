"""Hostile and broken files, built in memory (none is kept in the repository), for the tests that feed them
to the loader, the command line, the Upload page and the browser.

`CORPUS` holds broken spend files with the words their refusal must carry; the workbook builders below make
attacks on the workbook reader (cells far away, huge shared-string tables, a zip bomb, damaged files).
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Callable

from tests.conftest import xlsx_bytes

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    f'<workbook xmlns="{_MAIN}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Payments" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
    'Target="sharedStrings.xml"/></Relationships>'
)


def sheet_xml(cells: list[tuple[str, int, float]], dimension: str | None = None) -> str:
    """A worksheet holding numbers at the given references: (reference, row, value)."""
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    rows = "".join(f'<row r="{row}"><c r="{ref}"><v>{value}</v></c></row>' for ref, row, value in cells)
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    return f'{head}<worksheet xmlns="{_MAIN}">{dim}<sheetData>{rows}</sheetData></worksheet>'


def shared_strings_xml(body: str = "", unique_count: int = 0) -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{_MAIN}" count="{unique_count}" uniqueCount="{unique_count}">{body}</sst>'


def xlsx(sheet: str, shared: str | None = None, extra: dict[str, bytes] | None = None) -> bytes:
    """A one-sheet XLSX ("Payments") built by hand, so that it can say anything."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
        archive.writestr("xl/sharedStrings.xml", shared or shared_strings_xml())
        for path, data in (extra or {}).items():
            archive.writestr(path, data)
    return buffer.getvalue()


def xfd_bomb() -> bytes:
    """1.8 KB: one cell at XFD1048576, no dimension (calamine lays out 17 billion cells from A1)."""
    return xlsx(sheet_xml([("XFD1048576", 1_048_576, 1)]))


def zz_bomb() -> bytes:
    """A1 and ZZ200000: a 200,000 by 702 rectangle, 4.5 GB as calamine lays it out."""
    return xlsx(sheet_xml([("A1", 1, 1), ("ZZ200000", 200_000, 1)]))


def shared_strings_claim_bomb() -> bytes:
    """A shared-strings table claiming four billion entries (calamine reserves 96 GB for them)."""
    return xlsx(sheet_xml([("A1", 1, 1)]), shared_strings_xml("<si><t>a</t></si>", 4_000_000_000))


def shared_strings_count_bomb(entries: int) -> bytes:
    """A small file whose shared-strings table really holds `entries` entries (and claims none)."""
    return xlsx(sheet_xml([("A1", 1, 1)]), shared_strings_xml("<si><t>a</t></si>" * entries))


def zip_bomb() -> bytes:
    """A part of 64 MB of zeros packed into about 64 KB (a ratio of about 1,000)."""
    return xlsx(sheet_xml([("A1", 1, 1)]), extra={"xl/media/image1.bin": bytes(64 << 20)})


def prefixed_bomb() -> bytes:
    """Cells written with a namespace prefix and the reference after another attribute."""
    body = (
        f'<?xml version="1.0"?><x:worksheet xmlns:x="{_MAIN}"><x:sheetData>'
        '<x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c></x:row>'
        '<x:row r="900000"><x:c s="0" r=\'AZ900000\'><x:v>1</x:v></x:c></x:row>'
        "</x:sheetData></x:worksheet>"
    )
    return xlsx(body)


def unreferenced_cells_bomb() -> bytes:
    """Rows and cells with no r attribute at all: each is the one after the previous."""
    row = "<row>" + "<c><v>1</v></c>" * 300 + "</row>"
    return xlsx(f'<?xml version="1.0"?><worksheet xmlns="{_MAIN}"><sheetData>{row * 3_000}</sheetData></worksheet>')


def truncated_xlsx() -> bytes:
    whole = xlsx(sheet_xml([("A1", 1, 1), ("B2", 2, 2)]))
    return whole[: len(whole) // 2]


OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def encrypted_ole() -> bytes:
    """What a password-protected XLSX looks like from outside: an OLE file with an EncryptedPackage stream."""
    directory = "EncryptionInfo".encode("utf-16-le").ljust(128, b"\0") + "EncryptedPackage".encode("utf-16-le").ljust(128, b"\0")
    return OLE_MAGIC + bytes(504) + directory + bytes(4096)


def damaged_ole() -> bytes:
    return OLE_MAGIC + os.urandom(8192)


HEADER = "Date,Supplier Name,Amount,Expense Type\n"
GOOD = HEADER + "01/04/2024,Acme Ltd,100.00,Works\n"


def _zip_named_xlsx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "not a workbook")
    return buffer.getvalue()


def _password_protected() -> bytes:
    # An encrypted workbook is an OLE compound file, not a ZIP: the header of one, with no valid body.
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + b"EncryptedPackage" + b"\x00" * 2048


# name: (file name, bytes, expected words in the message, the line named or None)
CORPUS: dict[str, tuple[str, Callable[[], bytes], tuple[str, ...], int | None]] = {
    "empty": ("empty.csv", lambda: b"", ("empty",), None),
    "header only": ("header-only.csv", lambda: HEADER.encode(), ("no rows",), None),
    "binary named csv": ("photo.csv", lambda: bytes(range(256)) * 64, ("not a text CSV",), None),
    "zip renamed xlsx": ("renamed.xlsx", _zip_named_xlsx, ("Excel workbook",), None),
    "corrupt xlsx": ("corrupt.xlsx", lambda: xlsx_bytes({"Spend": [["Date", "Supplier", "Amount"]]})[:300],
                     ("damaged", "workbook"), None),
    "password protected": ("locked.xlsx", _password_protected, ("password",), None),
    "malformed quoting": ("quotes.csv", lambda: (HEADER + '01/04/2024,"Acme Ltd,100.00,Works\n'
                                                 "02/04/2024,Beta,5.00,Works\n03/04/2024,Gamma,6.00,Works\n").encode(),
                          ("quote",), 2),
    "amount with letters": ("letters.csv", lambda: (GOOD + "02/04/2024,Beta,12.5O,Works\n").encode(),
                            ("not a number", "12.5O"), 3),
    "amount too large for pence": ("huge.csv", lambda: (GOOD + "02/04/2024,Beta,1e20,Works\n").encode(),
                                   ("not a number", "1e20"), 3),
    "date far in the future": ("future.csv", lambda: (GOOD + "02/04/2099,Beta,5.00,Works\n").encode(),
                               ("implausible",), 3),
    "date before 1990": ("old.csv", lambda: (GOOD + "02/04/1984,Beta,5.00,Works\n").encode(), ("implausible",), 3),
    "unreadable date": ("baddate.csv", lambda: (GOOD + "31/02/2024,Beta,5.00,Works\n").encode(), ("date",), 3),
    "too many cells": ("split.csv", lambda: (GOOD + "02/04/2024,Smith, John,5.00,Works\n").encode(),
                       ("more cells",), 3),
    "ten megabyte single line": ("one-line.csv", lambda: b"x," * (5 * 1024 * 1024), ("4,096 cells a row",), None),
}


# Workbooks built to exhaust the reader: (file name, bytes), each refused with a message.
WORKBOOK_ATTACKS: dict[str, tuple[str, Callable[[], bytes]]] = {
    "cell at XFD1048576": ("far-cell.xlsx", xfd_bomb),
    "cell at ZZ200000": ("rectangle.xlsx", zz_bomb),
    "four billion shared strings claimed": ("strings.xlsx", shared_strings_claim_bomb),
    "zip bomb": ("zip-bomb.xlsx", zip_bomb),
    "truncated workbook": ("truncated.xlsx", truncated_xlsx),
    "encrypted workbook": ("locked-ole.xlsx", encrypted_ole),
    "damaged old workbook": ("damaged.xls", damaged_ole),
}
