"""Where each file of a batch being loaded has got to, in words, for one progress bar over the batch.

`load_many` reports each file as it is checked and yields each outcome once its batch has landed;
`BatchStatus` keeps both, so a page can show one bar for the whole batch and a line for every file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sp_analysis.ingest.errors import AlreadyLoaded, LoadError, NeedsMapping, NeedsSheet, RepeatsLoaded
from sp_analysis.ingest.load import LoadResult

WAITING = "waiting"
READ = "read, waiting to be checked with its batch"
CHECKED = "checked, waiting to be written with its batch"
LOADED = "loaded"
REFUSED = "refused"
SKIPPED = "skipped: loaded before"
NEEDS_ANSWER = "needs your answer (below)"

# A file's share of the bar: reading it, then checking (typing its lines with its batch's files of its
# shape), most of the work; writing the rest.
READ_SHARE = 0.4
CHECK_SHARE = 0.8


def outcome_state(outcome: LoadResult | LoadError) -> str:
    """The status word of a file's outcome."""
    if isinstance(outcome, LoadResult):
        return LOADED
    if isinstance(outcome, (RepeatsLoaded, NeedsMapping, NeedsSheet)):
        return NEEDS_ANSWER
    if isinstance(outcome, AlreadyLoaded):
        return SKIPPED
    return REFUSED


@dataclass
class BatchStatus:
    """The files of a batch, each with its status and, once done, a one-line detail."""

    names: list[str]
    states: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.states = [WAITING] * len(self.names)
        self.details = [""] * len(self.names)

    def read(self, position: int) -> None:
        """File `position` has been read, and waits to be checked with the files of its batch."""
        if self.states[position] == WAITING:
            self.states[position] = READ

    def checked(self, position: int, refused: bool = False) -> None:
        """File `position` has been read and checked (or refused while checking)."""
        if self.states[position] in (WAITING, READ):
            self.states[position] = REFUSED if refused else CHECKED

    def finished(self, position: int, outcome: LoadResult | LoadError) -> None:
        """File `position`'s outcome: landed, or why not."""
        self.states[position] = outcome_state(outcome)
        if isinstance(outcome, LoadResult):
            noun = "payment" if outcome.kind == "spend" else "contract"
            self.details[position] = f"{outcome.rows:,} {noun}{'' if outcome.rows == 1 else 's'}"
        else:
            self.details[position] = outcome.message

    def fraction(self) -> float:
        """How far the batch has got, from 0 to 1."""
        if not self.names:
            return 1.0
        shares = {WAITING: 0.0, READ: READ_SHARE, CHECKED: CHECK_SHARE}
        done = sum(shares.get(s, 1.0) for s in self.states)
        return min(done / len(self.names), 1.0)

    def headline(self) -> str:
        """'12 of 60 files checked, 8 loaded, 1 refused'."""
        count = len(self.names)
        checked = sum(1 for s in self.states if s not in (WAITING, READ))
        parts = [f"{checked} of {count} file{'' if count == 1 else 's'} checked"]
        for state, word in ((READ, "read"), (LOADED, "loaded"), (SKIPPED, "loaded before"), (REFUSED, "refused"),
                            (NEEDS_ANSWER, "need an answer")):
            number = sum(1 for s in self.states if s == state)
            if number:
                parts.append(f"{number} {word}")
        return ", ".join(parts)

    def rows(self) -> list[dict[str, str]]:
        """One row per file: its name, status and detail."""
        return [{"File": name, "Status": state, "Detail": detail}
                for name, state, detail in zip(self.names, self.states, self.details, strict=True)]
