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

import re
from dataclasses import dataclass
from typing import Literal

from sp_analysis.sample import SAMPLE_COUNCIL, data_already_held, file_origins
from sp_analysis.settings import get_setting, set_setting
from sp_analysis.workspace import Workspace

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
