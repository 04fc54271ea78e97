"""Glucose units: everything is stored and compared in mg/dL; patients say g/L, mmol/L or mg/dL."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

MG_DL_PER_G_L = 100.0
MG_DL_PER_MMOL_L = 18.016

#: Below this a bare number (no unit word) cannot be mg/dL: 35 mg/dL is already a severe hypo, whereas
#: 3.5 mmol/L or 0.35 g/L... is what such a patient would read on a meter set to another unit.
BARE_MG_DL_FROM = 35

#: The range a capillary meter can report; outside it the value is questioned, never stored silently.
PLAUSIBLE_MG_DL = (20.0, 600.0)


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


def is_plausible(mg_dl: float) -> bool:
    low, high = PLAUSIBLE_MG_DL
    return low <= mg_dl <= high


def compact_number(value: float) -> int | float:
    """118.0 -> 118, 117.1 -> 117.1: JSON and speech want no spurious '.0'."""
    return int(value) if float(value).is_integer() else value


@dataclass(frozen=True)
class GlucoseTargets:
    """Thresholds in mg/dL, set by the clinician."""

    low: float = 70
    severe_low: float = 54
    target_low: float = 70
    target_high: float = 180
    high: float = 250
