"""Whose data the workspace holds: the name that goes on title pages, source lines and file names.

The rule: a council's name labels only that council's data.

- A workspace holding only the fictional sample's files is labelled with the sample's name, whatever the
  council-name setting says.
- A workspace holding no sample file is labelled with the council's name from Settings (set by the
  first-run choice, `python -m sp_analysis new --council NAME` or the Settings page). The sample's name is
  never used there: a workspace whose setting still holds it is treated as unnamed.
- A workspace holding the sample's files and others is labelled as mixed ("the fictional sample mixed with
  other files"), never with one council's name, until the sample is removed (`remove-sample`, or the button
  on the Upload page).
- An unnamed workspace is "the council" in sentences, and file names carry no council part.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from sp_analysis.config import SAMPLE_DATA_DIR
from sp_analysis.ingest.load import sha256_of
from sp_analysis.settings import get_setting, set_setting
from sp_analysis.workspace import Workspace

# --- which loaded files are the fictional sample's --------------------------------------------------------

SPEND_GLOBS = ("*.csv", "*.xlsx")
SAMPLE_COUNCIL = "Harrowdale County Council"  # fictional
# workspace_meta key: the fingerprints (SHA-256) of the sample files, written when the sample is built, so
# a workspace built from an older sample_data/ still knows its sample files.
SAMPLE_MARK = "sample_sha256"

READ_MARK = "SELECT value FROM workspace_meta WHERE key = $key"
WHAT_IS_HELD = """
SELECT (SELECT count(*) FROM loaded_files), (SELECT count(*) FROM payments), (SELECT count(*) FROM contracts),
       (SELECT count(*) FROM plan_actions), (SELECT count(*) FROM ff_assessments),
       (SELECT count(*) FROM supplier_attribute_uploads)
"""
FILES_BY_ORIGIN = """
SELECT count(*) FILTER (WHERE list_contains($hashes, sha256)), count(*) FILTER (WHERE NOT list_contains($hashes, sha256))
FROM loaded_files
"""


def sample_files(kind: str, root: Path = SAMPLE_DATA_DIR) -> list[Path]:
    """The sample's files of one kind, in name order (months in order)."""
    folder = root / ("spend" if kind == "spend" else "contracts")
    return sorted(p for pattern in SPEND_GLOBS for p in folder.glob(pattern))


def notice_files(root: Path = SAMPLE_DATA_DIR) -> list[Path]:
    """The sample's contract notices (OCDS JSON from Contracts Finder and Find a Tender), in name order."""
    return sorted((root / "notices").glob("*.json"))


def all_sample_files(root: Path = SAMPLE_DATA_DIR) -> list[Path]:
    """Every file the sample loads: spend, the register and the notices."""
    return [*sample_files("spend", root), *sample_files("contracts", root), *notice_files(root)]


@lru_cache(maxsize=4)
def committed_sample_hashes(root: Path = SAMPLE_DATA_DIR) -> frozenset[str]:
    """The fingerprints of the sample's spend and contracts files as committed in sample_data/."""
    return frozenset(sha256_of(p.read_bytes()) for p in all_sample_files(root))


def sample_hashes(ws: Workspace) -> frozenset[str]:
    """Every fingerprint that marks a loaded file as the sample's: those the build recorded, and the committed ones."""
    with ws.read() as cur:
        row = cur.execute(READ_MARK, {"key": SAMPLE_MARK}).fetchone()
    recorded = frozenset(json.loads(row[0])) if row else frozenset()
    return recorded | committed_sample_hashes()


def file_origins(ws: Workspace) -> tuple[int, int]:
    """(sample files, other files) loaded in the workspace, spend and contracts together."""
    with ws.read() as cur:
        row = cur.execute(FILES_BY_ORIGIN, {"hashes": sorted(sample_hashes(ws))}).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def data_already_held(ws: Workspace) -> str | None:
    """What the workspace already holds, in words, or None when it is empty (no file, payment or contract).

    The sample adds 79,111 fictional payments and 421 contracts, replaces the supplier list and names the
    council, so the command line builds it only into an empty workspace.
    """
    with ws.read() as cur:
        row = cur.execute(WHAT_IS_HELD).fetchone()
    assert row is not None
    files, payments, contracts = (int(v) for v in row[:3])
    if not (files or payments or contracts):
        return None
    return f"{files:,} loaded files, {payments:,} payments and {contracts:,} contracts"


def is_blank(ws: Workspace) -> bool:
    """True for a workspace nobody has started: no file, payment, contract, plan action, self-assessment or
    supplier list, and no council name. The app offers its first-run choice on such a workspace."""
    with ws.read() as cur:
        row = cur.execute(WHAT_IS_HELD).fetchone()
    assert row is not None
    return not any(int(v) for v in row) and not get_setting(ws, "council_name").strip()


Holding = Literal["own", "sample", "mixed"]
MIXED_LABEL = "The fictional sample mixed with other files"


@dataclass(frozen=True)
class Council:
    """The workspace's council as far as its data allow: what to call it, and on what evidence."""

    name: str  # the council's name as set ('' when none, or when the setting is the sample's on other data)
    holding: Holding  # whose files are loaded: the council's own (or none), the sample's only, or both
    sample_files: int
    other_files: int

    @property
    def label(self) -> str:
        """For title pages and headings: 'Devon County Council', the sample's name, the mixed wording, or ''."""
        if self.holding == "sample":
            return SAMPLE_COUNCIL
        if self.holding == "mixed":
            return MIXED_LABEL
        return self.name

    def whose(self, what: str) -> str:
        """'Devon County Council's published spend'; 'the council's ...' unnamed; the mixed case in words."""
        if self.holding == "mixed":
            return f"{what} of the fictional sample council mixed with other files"
        if not self.label:
            return f"the council's {what}"
        suffix = "'" if self.label.endswith("s") else "'s"  # Councils' spend, Council's spend
        return f"{self.label}{suffix} {what}"

    @property
    def slug(self) -> str:
        """The file-name part: 'devon-county-council', 'harrowdale-county-council', 'sample-mixed', or ''."""
        if self.holding == "mixed":
            return "sample-mixed-with-other-files"
        return re.sub(r"[^a-z0-9]+", "-", self.label.lower()).strip("-")[:60].strip("-")

    def file_name(self, *parts: str) -> str:
        """A download's file name (without extension): the council's part first, then the parts given."""
        return "-".join(p.strip("-") for p in (self.slug, *parts) if p and p.strip("-"))


def council(ws: Workspace) -> Council:
    """The workspace's council by the rule above."""
    sample, other = file_origins(ws)
    name = get_setting(ws, "council_name").strip()
    if name.casefold() == SAMPLE_COUNCIL.casefold() and (other or not sample):
        name = ""  # the sample's name never labels anyone else's data
    holding: Holding = "mixed" if sample and other else "sample" if sample else "own"
    return Council(name, holding, sample, other)


def start_workspace(ws: Workspace, name: str) -> bool:
    """Make an empty workspace the named council's: its name goes on every title page, source line and file
    name. False when it already is that council's workspace (nothing changed); ValueError, changing nothing,
    when the name is empty or the sample's, or the workspace holds data of another or of no named council."""
    name = " ".join(name.split())
    if not name:
        raise ValueError("give the council's name, e.g. 'Devon County Council'")
    if name.casefold() == SAMPLE_COUNCIL.casefold():
        raise ValueError(f"{SAMPLE_COUNCIL} is the fictional sample council's name; give your council's")
    held = data_already_held(ws)
    current = get_setting(ws, "council_name").strip()
    if current == name:
        return False
    if held:
        raise ValueError(f"the workspace {ws.path} already holds data ({held})"
                         + (f" for {current}" if current else "") + ", so nothing was changed. Start your council's "
                         "workspace in a new file, or remove the sample data first")
    set_setting(ws, "council_name", name)
    return True
