"""Glucose units: everything is stored and compared in mg/dL; patients say g/L, mmol/L or mg/dL."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

MG_DL_PER_G_L = 100.0
MG_DL_PER_MMOL_L = 18.016

#: Below this a bare number (no unit word) cannot be mg/dL: 35 mg/dL is already a severe hypo, whereas
#: 3.5 mmol/L or 0.35 g/L... is what such a patient would read on a meter set to another unit.
BARE_MG_DL_FROM = 35

#: The range a capillary meter can report; outside it the value is questioned, never stored silently.
PLAUSIBLE_MG_DL = (20.0, 600.0)
#: What a glucose value can physically be: outside it a number is not a reading at all (a slip, a typing
#: accident, 400 digits) and is refused as soon as it is understood, never read back as a value.
PHYSICAL_MG_DL = (10.0, 1000.0)


class GlucoseUnit(str, Enum):
    MG_DL = "mg/dL"
    G_L = "g/L"
    MMOL_L = "mmol/L"


def to_mg_dl(value: float, unit: GlucoseUnit) -> float:
    """Convert to mg/dL, rounded to 0.1 as the intent contract fixes."""
    factor = {GlucoseUnit.MG_DL: 1.0, GlucoseUnit.G_L: MG_DL_PER_G_L, GlucoseUnit.MMOL_L: MG_DL_PER_MMOL_L}[unit]
    return round(value * factor, 1)


def from_mg_dl(mg_dl: float, unit: GlucoseUnit) -> float:
    """Express a stored mg/dL value in the patient's unit (2 decimals for g/L, 1 for mmol/L)."""
    if unit is GlucoseUnit.G_L:
        return round(mg_dl / MG_DL_PER_G_L, 2)
    if unit is GlucoseUnit.MMOL_L:
        return round(mg_dl / MG_DL_PER_MMOL_L, 1)
    return round(mg_dl)


def is_physical(mg_dl: float) -> bool:
    """A finite value inside PHYSICAL_MG_DL: anything else is refused before it can be read back."""
    low, high = PHYSICAL_MG_DL
    return math.isfinite(mg_dl) and low <= mg_dl <= high


def is_plausible(mg_dl: float) -> bool:
    low, high = PLAUSIBLE_MG_DL
    return low <= mg_dl <= high


def compact_number(value: float) -> int | float:
    """118.0 -> 118, 117.1 -> 117.1: JSON and speech want no spurious '.0'."""
    return int(value) if math.isfinite(value) and float(value).is_integer() else value


@dataclass(frozen=True)
class GlucoseValue:
    """A glucose value as the patient said it, and what it means in mg/dL: one typed value from understanding
    to the store (like hassil's MatchEntity: the value, and the words that carried it)."""

    mg_dl: float  #: the value in mg/dL (the unit everything is stored and compared in)
    value: float  #: the number as said: 1.2 for « un gramme vingt »
    unit: GlucoseUnit  #: the unit said, or assumed
    unit_said: bool  #: False when the unit was inferred (the dialogue then reads it back with care)
    words: str  #: the words that carried it, as the patient said them (after normalisation)

    @classmethod
    def said(cls, value: float, unit: GlucoseUnit, unit_said: bool, words: str) -> "GlucoseValue":
        mg_dl = to_mg_dl(value, unit) if math.isfinite(value) else math.inf
        return cls(mg_dl=mg_dl, value=compact_number(round(value, 2)) if math.isfinite(value) else value,
                   unit=unit, unit_said=unit_said, words=words)

    @property
    def physical(self) -> bool:
        """Whether this can be a glucose reading at all (see PHYSICAL_MG_DL): in the unit said, or, when the
        unit was only guessed, in one of the units (« douze » is no 12 g/L, but may be 12 mmol/L)."""
        if self.unit_said:
            return is_physical(self.mg_dl)
        return math.isfinite(self.value) and any(is_physical(to_mg_dl(self.value, u)) for u in GlucoseUnit)

    def in_unit(self, unit: GlucoseUnit, unit_said: bool) -> "GlucoseValue":
        """The same number taken in another unit: « non, 6,8 » correcting « 6,2 mmol » is 6,8 mmol/L."""
        return GlucoseValue.said(self.value, unit, unit_said, self.words)

    def as_slot(self) -> int | float:
        return compact_number(self.mg_dl)


@dataclass(frozen=True)
class GlucoseTargets:
    """Thresholds in mg/dL, set by the clinician."""

    low: float = 70
    severe_low: float = 54
    target_low: float = 70
    target_high: float = 180
    high: float = 250
