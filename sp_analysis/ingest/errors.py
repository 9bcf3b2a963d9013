"""What a load can answer besides success: each carries a message an analyst can act on."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RowProblem:
    """One published line that stops a file loading."""

    line: int
    column: str
    value: str
    reason: str

    def describe(self) -> str:
        shown = self.value if len(self.value) <= 60 else self.value[:57] + "..."
        where = f"line {self.line}" + ("" if self.column.startswith("(") else f", column '{self.column}'")
        return f"{where}: {self.reason}" + (f" ('{shown}')" if shown else "")


class LoadError(Exception):
    """A file was refused; nothing of it was written."""

    def __init__(self, file_name: str, reason: str, problems: tuple[RowProblem, ...] = ()) -> None:
        self.file_name = file_name
        self.reason = reason
        self.problems = problems
        super().__init__(self.message)

    @property
    def message(self) -> str:
        text = f"{self.file_name}: {self.reason}"
        if self.problems:
            shown = "; ".join(p.describe() for p in self.problems[:5])
            more = len(self.problems) - 5
            text += f" First problem{'s' if len(self.problems) > 1 else ''}: {shown}"
            if more > 0:
                text += f" (and {more} more)"
            text += "."
        return text

    @property
    def line(self) -> int | None:
        """The first line named, if any."""
        return self.problems[0].line if self.problems else None


@dataclass
class NeedsMapping(LoadError):
    """The date, payee or amount column (or the sheet) cannot be recognised: ask the analyst."""

    file_name: str
    reason: str
    header: tuple[str, ...] = ()
    header_row: int = 0
    preview: list[list[str]] = field(default_factory=list)
    guessed: dict[str, int] = field(default_factory=dict)
    signature: str = ""

    def __post_init__(self) -> None:
        LoadError.__init__(self, self.file_name, self.reason)


@dataclass
class NeedsSheet(LoadError):
    """A workbook has several sheets with data: the analyst chooses one."""

    file_name: str
    reason: str
    sheets: tuple[str, ...] = ()
    # Each sheet's header shape (signature); sheets that share one are offered together.
    shapes: dict[str, str] = field(default_factory=dict)

    def same_shape_as_first(self) -> list[str]:
        """The sheets sharing the first sheet's shape (the default choice)."""
        if not self.sheets:
            return []
        first = self.shapes.get(self.sheets[0], "")
        return [s for s in self.sheets if self.shapes.get(s, "") == first] if first else [self.sheets[0]]

    def __post_init__(self) -> None:
        LoadError.__init__(self, self.file_name, self.reason)


class AlreadyLoaded(LoadError):
    """The same bytes were loaded before; nothing changed."""

    def __init__(self, file_name: str, earlier_name: str, loaded_at: str) -> None:
        self.earlier_name = earlier_name
        super().__init__(
            file_name,
            f"already loaded (identical to '{earlier_name}', loaded {loaded_at}); nothing was added.",
        )


class RepeatsLoaded(AlreadyLoaded):
    """The file's lines are already in the workspace from another file (the same month re-saved or
    re-exported); nothing changed. Loading it anyway is an explicit choice (`allow_overlap`)."""

    def __init__(self, file_name: str, earlier_name: str, loaded_at: str, matching: int, lines: int) -> None:
        self.matching = matching
        self.lines = lines
        LoadError.__init__(
            self,
            file_name,
            f"{matching:,} of {lines:,} payment lines match lines of '{earlier_name}', loaded {loaded_at} "
            "(the same date, payee, amount and reference), so this looks like the same data saved again; "
            "nothing was added. If the overlap is genuine, choose 'Load it anyway' on the Upload page "
            "(--allow-overlap on the command line).",
        )
        self.earlier_name = earlier_name
