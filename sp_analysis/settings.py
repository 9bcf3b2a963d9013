"""Workspace settings: one table of name, default and help text, stored in the workspace file."""

from __future__ import annotations

from dataclasses import dataclass

from sp_analysis.definitions import DEFAULT_BOUNDARIES_TEXT, ValueBands
from sp_analysis.workspace import Workspace


@dataclass(frozen=True)
class Setting:
    """A named setting with its default and the sentence that explains it."""

    name: str
    default: str
    help: str


SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in (
        Setting(
            "value_band_boundaries",
            DEFAULT_BOUNDARIES_TEXT,
            "Where the value bands split, in pounds, lowest first (25k and 1m are understood). "
            "The £100,000 line the plan is built on must stay among them.",
        ),
        Setting(
            "money_style",
            "short",
            "How charts write money: 'short' (£12.3m, £450k) or 'govuk' (£12.3 million, as GOV.UK style asks). "
            "Tables always show the exact figure.",
        ),
        Setting(
            "year_style",
            "slash",
            "How charts write financial years: 'slash' (2024/25), 'dash' (2024-25) or 'words' (2024 to 2025).",
        ),
        Setting(
            "council_name",
            "",
            "The council's name, for report title pages, chart source lines and download file names. It labels only "
            "the council's own data: a workspace that still holds the fictional sample's files is labelled as the "
            "sample (or as mixed) until the sample is removed on the Upload page.",
        ),
        Setting(
            "local_postcode_districts",
            "",
            "Postcode districts whose suppliers count as local, comma-separated: the part of a postcode before "
            "the space, such as 'ZZ1'. A letters-only entry such as 'ZZ' takes in the whole postcode area. "
            "Empty: the local share is not calculated.",
        ),
        Setting(
            "renewal_lead_times",
            "6, 100k: 12, 500k: 18",
            "Months before a contract ends that its re-procurement must start, by contract value: the months for "
            "the lowest values first, then 'from value: months' for each band above (a value equal to a "
            "boundary takes the band above). The renewal pipeline's intervention dates use these.",
        ),
    )
}

CHOICES: dict[str, tuple[str, ...]] = {"money_style": ("short", "govuk"), "year_style": ("slash", "dash", "words")}

READ_SETTING = "SELECT value FROM workspace_meta WHERE key = $key"
WRITE_SETTING = "INSERT OR REPLACE INTO workspace_meta VALUES ($key, $value)"


def get_setting(ws: Workspace, name: str) -> str:
    """A setting's value, or its default."""
    setting = SETTINGS[name]
    with ws.read() as cur:
        row = cur.execute(READ_SETTING, {"key": f"setting:{name}"}).fetchone()
    return setting.default if row is None else str(row[0])


def check_setting(name: str, value: str) -> None:
    """ValueError saying what is wrong with the value, if anything."""
    if name not in SETTINGS:
        raise ValueError(f"there is no setting called '{name}'")
    if name == "value_band_boundaries":
        ValueBands.parse(value)
    if name in CHOICES and value.strip() not in CHOICES[name]:
        raise ValueError(f"{name.replace('_', ' ')} must be one of: {', '.join(CHOICES[name])}")


def set_setting(ws: Workspace, name: str, value: str) -> None:
    """Store a setting after checking it; ValueError says what is wrong."""
    save_settings(ws, {name: value})


def save_settings(ws: Workspace, values: dict[str, str]) -> None:
    """Store several settings in one transaction, or none: ValueError names each setting that is wrong."""
    problems = []
    for name, value in values.items():
        try:
            check_setting(name, value)
        except ValueError as exc:
            problems.append(f"{label(name)}: {exc}")
    if problems:
        raise ValueError("; ".join(problems))
    with ws.write() as cur:
        for name, value in values.items():
            cur.execute(WRITE_SETTING, {"key": f"setting:{name}", "value": value.strip()})


def label(name: str) -> str:
    """A setting's name in words: 'Money style'."""
    return name.replace("_", " ").capitalize()


def value_bands(ws: Workspace) -> ValueBands:
    """The workspace's value bands."""
    return ValueBands.parse(get_setting(ws, "value_band_boundaries"))
