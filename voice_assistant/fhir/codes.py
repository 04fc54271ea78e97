"""Identifier systems, codes, units and plausible ranges: the values the device and the hub share.

The glucose Observation follows the French ANS « Mesures de santé » guide (profile MesObservationGlucose,
https://interop.esante.gouv.fr/ig/fhir/mesures): category vital-signs, a code from JDV-J154-TypeGlucose
(extensible binding: « Glucose sanguin », LOINC 2345-7 in the TRE-A04-Loinc system, sent next to the more
precise LOINC 41653-7 "capillary blood by glucometer"), `valueQuantity` in UCUM `mg/dL` (JDV-J163, a closed
list: mg/dL or %), `effectiveDateTime`, and the meal context as the MesMomentOfMeasurement extension with a
code from JDV-J157-MomentGlucose.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal

# --- identifier systems: one URI per kind of thing the device numbers itself ----------------------------------
SYSTEM_BASE = "urn:voice-assistant"
READING_SYSTEM = f"{SYSTEM_BASE}:reading"
DOSE_SYSTEM = f"{SYSTEM_BASE}:dose"
REMINDER_SYSTEM = f"{SYSTEM_BASE}:reminder"
ALERT_SYSTEM = f"{SYSTEM_BASE}:alert"
PROVENANCE_SYSTEM = f"{SYSTEM_BASE}:provenance"
DEVICE_SYSTEM = f"{SYSTEM_BASE}:device"
PATIENT_SYSTEM = f"{SYSTEM_BASE}:patient"  #: a patient named by the device that serves them (value: device id)
CODES = f"{SYSTEM_BASE}:codes"  #: the device's own codes, where no standard one fits
MEDICATION_CODES = f"{CODES}:medication"
RECOGNITION_URL = f"{SYSTEM_BASE}:recognition"  #: Provenance extension: recogniser and understanding confidence
CONFIRMATION_URL = f"{SYSTEM_BASE}:confirmed"  #: Flag extension: whether the patient confirmed what raised it
WORDS_URL = f"{SYSTEM_BASE}:words"  #: Flag extension: the words that raised the alert
TARGETS_URL = f"{SYSTEM_BASE}:glucose-targets"  #: Patient extension: the patient's own glucose targets
MEDICATION_NAMES_URL = f"{SYSTEM_BASE}:medication-names"  #: Patient extension: medicine names per language

# --- terminologies ---------------------------------------------------------------------------------------------
LOINC = "http://loinc.org"
LOINC_OID = "urn:oid:2.16.840.1.113883.6.1"
LOINC_SYSTEMS = frozenset({LOINC, LOINC_OID, "https://mos.esante.gouv.fr/NOS/TRE_A04-Loinc/FHIR/TRE-A04-Loinc"})
UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"

GLUCOSE_LOINC = "41653-7"
GLUCOSE_DISPLAY = "Glucose [Mass/volume] in Capillary blood by Glucometer"

# --- the ANS « Mesures de santé » guide -------------------------------------------------------------------------
ANS_LOINC = "https://mos.esante.gouv.fr/NOS/TRE_A04-Loinc/FHIR/TRE-A04-Loinc"
ANS_GLUCOSE_CODE = ("2345-7", "Glucose sanguin")  #: JDV-J154-TypeGlucose
ANS_GLUCOSE_UNITS = frozenset({"mg/dL", "%"})  #: JDV-J163-GlucoseUnits (closed)
ANS_MOMENT_URL = "https://interop.esante.gouv.fr/ig/fhir/mesures/StructureDefinition/mesures-moment-of-measurement"
#: JDV-J157-MomentGlucose, by the device's measurement context.
ANS_MOMENT = {
    "fasting": ("53049-3", "Glucose à jeun"),
    "before_meal": ("88365-2", "Avant repas"),
    "after_meal": ("16915-1", "Glucose post prandial"),
    "bedtime": ("LA46-8", "Autre"),
}
ANS_MOMENT_CODES = frozenset(code for code, _ in ANS_MOMENT.values()) | {"LA11865-5", "A05"}

#: Measurement context -> SNOMED CT concept (the component value), with the device code as the text.
CONTEXT_SNOMED = {
    "fasting": ("16985007", "Fasting"),
    "before_meal": ("307165006", "Before meal"),
    "after_meal": ("24863003", "Postprandial"),
    "bedtime": ("21029003", "At bedtime"),
}

# --- units -----------------------------------------------------------------------------------------------------
UCUM_UNITS = {"mg/dL": "mg/dL", "g/L": "g/L", "mmol/L": "mmol/L"}
MG_DL_PER_G_L = 100.0
MG_DL_PER_MMOL_L = 18.016  #: glucose (180.16 g/mol)
#: Glucose Observations read as glucose (LOINC): mass concentration first, then substance concentration.
GLUCOSE_MG_DL_CODES = ("41653-7", "2339-0", "2345-7", "1558-6")
GLUCOSE_MMOL_L_CODES = ("14743-9", "15074-8", "14771-0", "14749-6")


def glucose_to_mg_dl(value: float, unit: str) -> float | None:
    """A glucose value in mg/dL from mg/dL, g/L or mmol/L (UCUM codes, case-insensitive); None otherwise."""
    factor = {"mg/dl": 1.0, "g/l": MG_DL_PER_G_L, "mmol/l": MG_DL_PER_MMOL_L}.get(unit_key(unit))
    return None if factor is None else value * factor


def mg_dl_to_mmol_l(mg_dl: float) -> float:
    return mg_dl / MG_DL_PER_MMOL_L


def unit_key(unit: str | None) -> str:
    """A unit as written by a laboratory or a device, reduced for comparison: 'µmol/L' and 'umol/l' match,
    'mL/min/{1.73_m2}' and 'mL/min/1.73m²' match."""
    text = (unit or "").strip().lower().replace("µ", "u").replace("μ", "u").replace("²", "2")
    return re.sub(r"[\s{}_\[\]]", "", text)


# --- plausible values, per code --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plausible:
    """A value outside [low, high] in `unit` cannot be a real measurement of the code: it is a typing or
    transmission error, refused at every door (the hub, `labs import`)."""

    low: float
    high: float
    unit: str


def _ranges(*ranges: tuple[float, float, str]) -> tuple[Plausible, ...]:
    return tuple(Plausible(*r) for r in ranges)


_GLUCOSE_MASS = _ranges((5, 2000, "mg/dL"), (0.05, 20, "g/L"))
_GLUCOSE_SUBSTANCE = _ranges((0.3, 111, "mmol/L"))
#: Wide on purpose: the physiologically possible, not the normal. Codes not listed are not judged.
PLAUSIBLE: dict[str, tuple[Plausible, ...]] = {
    **{code: _GLUCOSE_MASS for code in GLUCOSE_MG_DL_CODES},
    **{code: _GLUCOSE_SUBSTANCE for code in GLUCOSE_MMOL_L_CODES},
    "4548-4": _ranges((2, 25, "%")), "17856-6": _ranges((2, 25, "%")), "59261-8": _ranges((1, 240, "mmol/mol")),
    "2093-3": _ranges((20, 1500, "mg/dL"), (0.2, 15, "g/L")), "14647-2": _ranges((0.5, 40, "mmol/L")),
    "13457-7": _ranges((1, 1000, "mg/dL"), (0.01, 10, "g/L")), "2089-1": _ranges((1, 1000, "mg/dL"), (0.01, 10, "g/L")),
    "18262-6": _ranges((1, 1000, "mg/dL"), (0.01, 10, "g/L")),
    "2085-9": _ranges((1, 250, "mg/dL"), (0.01, 2.5, "g/L")), "14646-4": _ranges((0.03, 6.5, "mmol/L")),
    "2571-8": _ranges((5, 20000, "mg/dL"), (0.05, 200, "g/L")), "14927-8": _ranges((0.05, 230, "mmol/L")),
    "2160-0": _ranges((0.05, 40, "mg/dL")), "14682-9": _ranges((5, 3500, "umol/L")),
    **{code: _ranges((0, 250, "mL/min/1.73m2")) for code in ("62238-1", "33914-3", "48642-3", "98979-8")},
    "2823-3": _ranges((1, 12, "mmol/L"), (1, 12, "meq/L")), "6298-4": _ranges((1, 12, "mmol/L"), (1, 12, "meq/L")),
    "2951-2": _ranges((90, 200, "mmol/L"), (90, 200, "meq/L")), "2947-0": _ranges((90, 200, "mmol/L"), (90, 200, "meq/L")),
    "1742-6": _ranges((0, 30000, "U/L")), "1920-8": _ranges((0, 30000, "U/L")),
    "3016-3": _ranges((0, 1000, "mIU/L"), (0, 1000, "uIU/mL")),
    "718-7": _ranges((1, 25, "g/dL"), (10, 250, "g/L"), (0.6, 15.5, "mmol/L")),
    "14957-5": _ranges((0, 10000, "mg/L")), "14959-1": _ranges((0, 30000, "mg/g")), "9318-7": _ranges((0, 3000, "mg/mmol")),
}


def implausible(code: str | None, value: object, unit: str | None) -> str | None:
    """Why `value` (in `unit`) cannot be a measurement of LOINC `code`, in a sentence; None when it can be, or
    when the code or the unit is not one this contract judges. A number that is not finite never can."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return None
    if not is_finite_number(value):
        shown = f"a {len(str(abs(value)))}-digit number" if isinstance(value, int) else str(value)
        return f"{shown} is not a finite number of a plausible size"
    value = float(value)
    ranges = PLAUSIBLE.get(code or "")
    if not ranges:
        return None
    key = unit_key(unit)
    for band in ranges:
        if unit_key(band.unit) == key:
            if band.low <= float(value) <= band.high:
                return None
            return (f"{_number(value)} {unit} is outside the plausible range of LOINC {code} "
                    f"({_number(band.low)} to {_number(band.high)} {band.unit})")
    return None


#: Integers beyond this are not measurements (and lose precision as JSON numbers in most clients).
MAX_INTEGER = 10**15


def is_finite_number(value: object) -> bool:
    if isinstance(value, bool):
        return True
    if isinstance(value, int):
        return -MAX_INTEGER <= value <= MAX_INTEGER
    if isinstance(value, float):
        return math.isfinite(value) and abs(value) <= MAX_INTEGER
    if isinstance(value, Decimal):
        return value.is_finite() and abs(value) <= MAX_INTEGER
    return True


def _number(value: float | int) -> str:
    if isinstance(value, int) and abs(value) > MAX_INTEGER:
        return f"a {len(str(abs(value)))}-digit number"
    text = f"{float(value):g}"
    return text
