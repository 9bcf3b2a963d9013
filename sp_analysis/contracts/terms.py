"""A contract's terms read from the register: extension options in words, lead times before re-procurement
by value band, and the council's local postcode districts.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sp_analysis.settings import get_setting
from sp_analysis.words import boundary_label, parse_amount
from sp_analysis.workspace import Workspace

NO_VALUE = "No value published"


# --- small parsers ------------------------------------------------------------------------------------------

_NUMBER_WORDS = {"one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "twelve": "12"}
_FILLER = re.compile(
    r"\b(up to|option(s|al)?( to)?|to extend|extend(ed)?|extensions?|further|additional|periods?|of|for|a|an|by|"
    r"possible|max(imum)?|plus)\b|[()]"
)
_PART = re.compile(r"(?:(\d+)\s*[x×*]\s*)?(\d+(?:\.\d+)?)\s*(months?|mths?|mo|m|years?|yrs?|yr|y)?(?![a-z])")
_NONE_WORDS = {"", "0", "none", "no", "nil", "n/a", "na", "-", "no extension", "no extensions", "no options"}


def parse_extension_months(text: str | None) -> int | None:
    """Total months of a register's extension options; 0 for none, None for text it cannot read.

    '12' -> 12 (a bare number is months), '24 months' -> 24, '2 years' -> 24, '2 x 12 months' -> 24,
    '12 + 12' -> 24, '1+1 years' -> 24, '1 + 1' -> 24 (a '+' list of small numbers with no unit is years).
    """
    if text is None:
        return 0
    clean = " ".join(str(text).lower().replace("×", " x ").split())
    if clean in _NONE_WORDS:
        return 0
    for word, digits in _NUMBER_WORDS.items():
        clean = re.sub(rf"\b{word}\b", digits, clean)
    clean = _FILLER.sub(" ", clean)
    parts = list(_PART.finditer(clean))
    leftover = _PART.sub(" ", clean)
    if not parts or re.sub(r"[\s+,&]|\band\b", "", leftover):
        return None
    units: list[str | None] = [p.group(3) for p in parts]
    # A part without a unit takes the unit of the next part that has one ('1+1 years').
    following: str | None = None
    for index in range(len(units) - 1, -1, -1):
        if units[index] is None:
            units[index] = following
        else:
            following = units[index]
    numbers = [Decimal(p.group(2)) * (int(p.group(1)) if p.group(1) else 1) for p in parts]
    if all(u is None for u in units) and len(parts) > 1 and all(Decimal(p.group(2)) <= 5 for p in parts):
        units = ["years"] * len(parts)
    months = sum((n * (12 if (u or "m").startswith("y") else 1) for n, u in zip(numbers, units, strict=True)),
                 Decimal(0))
    return int(months.to_integral_value())




@dataclass(frozen=True)
class LeadTimes:
    """Months before a contract ends that its re-procurement must start, by band of contract value.

    `months[0]` is for values under `boundaries[0]`, `months[i]` for values from `boundaries[i-1]`; a value equal
    to a boundary takes the band above. A contract with no published value takes the longest lead time.
    """

    boundaries: tuple[Decimal, ...] = (Decimal(100_000), Decimal(500_000))
    months: tuple[int, ...] = (6, 12, 18)

    def __post_init__(self) -> None:
        if len(self.months) != len(self.boundaries) + 1:
            raise ValueError("give one lead time more than there are value boundaries")
        if list(self.boundaries) != sorted(set(self.boundaries)) or any(b <= 0 for b in self.boundaries):
            raise ValueError("lead-time value boundaries must be above zero, distinct and in ascending order")
        if any(m < 0 or m > 120 for m in self.months):
            raise ValueError("lead times must be between 0 and 120 months")

    @property
    def labels(self) -> tuple[str, ...]:
        """'Under £100k', '£100k to £500k', '£500k and over'."""
        b = self.boundaries
        if not b:
            return ("All values",)
        names = [f"Under {boundary_label(b[0])}"]
        names += [f"{boundary_label(lo)} to {boundary_label(hi)}" for lo, hi in itertools.pairwise(b)]
        names.append(f"{boundary_label(b[-1])} and over")
        return tuple(names)

    def months_for(self, value: Decimal | None) -> int:
        """The lead time for a contract value (the longest when the value is unknown)."""
        if value is None:
            return max(self.months)
        for boundary, months in zip(self.boundaries, self.months, strict=False):
            if value < boundary:
                return months
        return self.months[-1]

    def months_sql(self, column: str) -> str:
        """A CASE expression giving the lead time in months for `column` (bound as $lead_*)."""
        whens = " ".join(f"WHEN {column} < $lead_b{i} THEN $lead_m{i}" for i in range(len(self.boundaries)))
        return f"CASE WHEN {column} IS NULL THEN $lead_unknown {whens} ELSE $lead_m{len(self.boundaries)} END"

    def band_sql(self, column: str) -> str:
        """A CASE expression naming the lead-time band of `column`."""
        whens = " ".join(f"WHEN {column} < $lead_b{i} THEN $lead_label{i}" for i in range(len(self.boundaries)))
        return (f"CASE WHEN {column} IS NULL THEN '{NO_VALUE}' {whens} "
                f"ELSE $lead_label{len(self.boundaries)} END")

    def params(self) -> dict[str, Any]:
        """The bound values for `months_sql` and `band_sql`."""
        params: dict[str, Any] = {"lead_unknown": max(self.months)}
        params |= {f"lead_b{i}": b for i, b in enumerate(self.boundaries)}
        params |= {f"lead_m{i}": m for i, m in enumerate(self.months)}
        params |= {f"lead_label{i}": label for i, label in enumerate(self.labels)}
        return params

    def describe(self) -> str:
        """'6 months under £100k, 12 months £100k to £500k, 18 months £500k and over'."""
        return ", ".join(f"{m} months {label[0].lower() + label[1:] if label.startswith('Under') else label}"
                         for m, label in zip(self.months, self.labels, strict=True))

    def text(self) -> str:
        """The settings form: '6, 100k: 12, 500k: 18'."""
        parts = [str(self.months[0])]
        parts += [f"{boundary_label(b).lstrip('£')}: {m}" for b, m in zip(self.boundaries, self.months[1:], strict=True)]
        return ", ".join(parts)

    def with_months(self, months: tuple[int, ...]) -> LeadTimes:
        """The same bands with other lead times (the page's editable inputs)."""
        return LeadTimes(self.boundaries, tuple(int(m) for m in months))

    @staticmethod
    def parse(text: str) -> LeadTimes:
        """'6, 100k: 12, 500k: 18' -> LeadTimes; ValueError with the reason."""
        items = [item.strip() for item in text.split(",") if item.strip()]
        if not items:
            raise ValueError("give at least the lead time for the lowest values, e.g. '6, 100k: 12, 500k: 18'")
        try:
            months = [int(items[0])]
        except ValueError:
            raise ValueError(f"'{items[0]}' should be the months for the lowest values, a whole number") from None
        boundaries = []
        for item in items[1:]:
            if ":" not in item:
                raise ValueError(f"'{item}' should read 'from value: months', e.g. '100k: 12'")
            value, _, count = item.partition(":")
            boundaries.append(parse_amount(value))
            try:
                months.append(int(count.strip()))
            except ValueError:
                raise ValueError(f"'{count.strip()}' in '{item}' is not a whole number of months") from None
        return LeadTimes(tuple(boundaries), tuple(months))


@dataclass(frozen=True)
class LocalDistricts:
    """The postcode districts (and whole areas) whose suppliers count as local."""

    districts: tuple[str, ...] = ()
    areas: tuple[str, ...] = ()

    @property
    def is_set(self) -> bool:
        """Whether any local district or area is set (else no local share is calculated)."""
        return bool(self.districts or self.areas)

    def params(self) -> dict[str, Any]:
        """Bound lists for the local test (a sentinel keeps an empty list typed)."""
        return {"local_set": self.is_set, "local_districts": ["-", *self.districts], "local_areas": ["-", *self.areas]}

    def describe(self) -> str:
        """'postcode districts ZZ1, ZZ2' / 'not set'."""
        parts = []
        if self.districts:
            parts.append("postcode district" + ("s " if len(self.districts) > 1 else " ") + ", ".join(self.districts))
        if self.areas:
            parts.append("postcode area" + ("s " if len(self.areas) > 1 else " ") + ", ".join(self.areas))
        return " and ".join(parts) if parts else "not set"

    @staticmethod
    def parse(text: str) -> LocalDistricts:
        """'ZZ1, ZZ2, QX' -> districts ZZ1, ZZ2 and area QX; ValueError names an entry that is neither."""
        districts: list[str] = []
        areas: list[str] = []
        for part in re.split(r"[,;\s]+", text.strip().upper()):
            if not part:
                continue
            if re.fullmatch(r"[A-Z]{1,2}", part):
                areas.append(part)
            elif re.fullmatch(r"[A-Z]{1,2}[0-9][A-Z0-9]?", part):
                districts.append(part)
            else:
                raise ValueError(f"'{part}' is not a postcode district (such as ZZ1 or SW1A) or area (such as ZZ)")
        return LocalDistricts(tuple(dict.fromkeys(districts)), tuple(dict.fromkeys(areas)))


def local_districts(ws: Workspace) -> LocalDistricts:
    """The workspace's local postcode districts (ValueError if the setting cannot be read)."""
    return LocalDistricts.parse(get_setting(ws, "local_postcode_districts"))


def lead_times(ws: Workspace) -> LeadTimes:
    """The workspace's renewal lead times (ValueError if the setting cannot be read)."""
    return LeadTimes.parse(get_setting(ws, "renewal_lead_times"))
