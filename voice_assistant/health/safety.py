"""Safety rules for glucose readings: what a value means and what the assistant must do about it.

Pure functions: no I/O, no clock, no sentences. Results are structured values; the dialogue turns them
into speech with the prompts of the patient's language.

Thresholds follow the international consensus on time in range (Battelino et al., Diabetes Care 2019):
"below 70" is a hypo, "below 54" a severe one, "above 250" very high. So the low thresholds are exclusive
(70 and 54 themselves are not lows), the target range is inclusive at both ends (70 and 180 are in range),
and the high threshold is exclusive (250 is above target, not high).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

from voice_assistant.health.glucose import BARE_MG_DL_FROM, PLAUSIBLE_MG_DL, GlucoseTargets, is_plausible

#: The "rule of 15": take 15 g of fast sugar, check again 15 minutes later.
FAST_SUGAR_GRAMS = 15
RECHECK_AFTER_LOW_MINUTES = 15


class GlucoseLevel(str, Enum):
    """Where a reading lies, declared from lowest to highest."""

    SEVERE_LOW = "severe_low"  #: below targets.severe_low
    LOW = "low"  #: below targets.low
    BELOW_TARGET = "below_target"  #: not a hypo, but below targets.target_low (only when target_low > low)
    IN_RANGE = "in_range"  #: targets.target_low to targets.target_high, both included
    ABOVE_TARGET = "above_target"  #: above targets.target_high, up to targets.high included
    HIGH = "high"  #: above targets.high


class AlertKind(str, Enum):
    """Why the caregiver and the clinician are told about a reading."""

    HYPOGLYCAEMIA = "hypoglycaemia"
    SEVERE_HYPOGLYCAEMIA = "severe_hypoglycaemia"
    HYPERGLYCAEMIA = "hyperglycaemia"


@dataclass(frozen=True)
class GlucoseAssessment:
    """What a reading means and what the dialogue must do about it."""

    level: GlucoseLevel  #: where the reading lies against the patient's targets
    advise_fast_sugar: bool = False  #: tell the patient to take FAST_SUGAR_GRAMS of fast sugar now
    offer_recheck_reminder_minutes: int | None = None  #: offer a reminder to check again after this long
    advise_emergency_call: bool = False  #: give the emergency number and offer to call it
    alert_kind: AlertKind | None = None  #: record an alert for the caregiver and the clinician
    use_high_instruction: bool = False  #: read the clinician's Profile.high_glucose_instruction


# Every action depends on the level alone, so each level has one fixed assessment.
# Alerts: a severe low is an emergency the care team must hear of. A plain low is alerted too: lows that
# repeat are the usual sign that a sulfonylurea or insulin dose is too strong, and an older patient living
# alone may not mention them. A reading above `high` is alerted because, when it lasts, it leads to
# dehydration and hyperosmolar coma in older patients. Readings merely above target are not alerted: they
# are common after meals and would drown the alerts that matter.
_ASSESSMENTS = {
    GlucoseLevel.SEVERE_LOW: GlucoseAssessment(
        GlucoseLevel.SEVERE_LOW, advise_fast_sugar=True, offer_recheck_reminder_minutes=RECHECK_AFTER_LOW_MINUTES,
        advise_emergency_call=True, alert_kind=AlertKind.SEVERE_HYPOGLYCAEMIA),
    GlucoseLevel.LOW: GlucoseAssessment(
        GlucoseLevel.LOW, advise_fast_sugar=True, offer_recheck_reminder_minutes=RECHECK_AFTER_LOW_MINUTES,
        alert_kind=AlertKind.HYPOGLYCAEMIA),
    GlucoseLevel.BELOW_TARGET: GlucoseAssessment(GlucoseLevel.BELOW_TARGET),
    GlucoseLevel.IN_RANGE: GlucoseAssessment(GlucoseLevel.IN_RANGE),
    GlucoseLevel.ABOVE_TARGET: GlucoseAssessment(GlucoseLevel.ABOVE_TARGET),
    GlucoseLevel.HIGH: GlucoseAssessment(
        GlucoseLevel.HIGH, alert_kind=AlertKind.HYPERGLYCAEMIA, use_high_instruction=True),
}


def assess_glucose(mg_dl: float, targets: GlucoseTargets) -> GlucoseAssessment:
    """What a reading in mg/dL means for this patient; the hypo and high thresholds win over the target range."""
    if math.isnan(mg_dl):  # NaN fails every comparison below and would pass as in range
        raise ValueError("a glucose reading must be a number")
    if mg_dl < targets.severe_low:
        level = GlucoseLevel.SEVERE_LOW
    elif mg_dl < targets.low:
        level = GlucoseLevel.LOW
    elif mg_dl > targets.high:
        level = GlucoseLevel.HIGH
    elif mg_dl > targets.target_high:
        level = GlucoseLevel.ABOVE_TARGET
    elif mg_dl < targets.target_low:
        level = GlucoseLevel.BELOW_TARGET
    else:
        level = GlucoseLevel.IN_RANGE
    return _ASSESSMENTS[level]


class MeterExtreme(str, Enum):
    """A meter display that shows no number because the reading is outside what the meter can measure."""

    HI = "HI"  #: above the meter's range
    LO = "LO"  #: below the meter's range

    @property
    def range_limit_mg_dl(self) -> float:
        """The end of the meter's range that the true value lies beyond (HI: above 600, LO: below 20)."""
        low, high = PLAUSIBLE_MG_DL
        return high if self is MeterExtreme.HI else low


# How a recogniser may write the display token once case, spaces and dots are gone ("H I", "h.i.", "low").
_DISPLAY_TOKENS = {"hi": MeterExtreme.HI, "high": MeterExtreme.HI, "lo": MeterExtreme.LO, "low": MeterExtreme.LO}


def meter_reading(word: str) -> MeterExtreme | None:
    """The extreme a meter display token stands for; the caller knows the patient is reading the display.

    "high" or "low" alone is an ordinary word: only the dialogue, having asked what the meter shows, may
    take it as the display.
    """
    token = "".join(ch for ch in word.casefold() if ch.isalnum())
    return _DISPLAY_TOKENS.get(token)


def assess_meter_extreme(extreme: MeterExtreme) -> GlucoseAssessment:
    """HI is a high reading, LO a severe low, whatever the profile says.

    A meter extreme lies beyond every threshold a profile may hold (20 to 600 mg/dL), so the targets are not
    needed, and a mistaken profile cannot turn a LO into anything less than an emergency.
    """
    level = GlucoseLevel.HIGH if extreme is MeterExtreme.HI else GlucoseLevel.SEVERE_LOW
    return _ASSESSMENTS[level]


@dataclass(frozen=True)
class EmergencyNumbers:
    """Whom to call for a medical emergency in one country."""

    primary: str  #: the number to give first ("15")
    alternatives: tuple[str, ...]  #: other numbers that also reach help ("112")
    country_known: bool  #: False when the country is not in the table and 112 is a best guess


# The 27 member states of the European Union, where 112 reaches emergency services.
EU_COUNTRIES = frozenset({
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
    "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
})

_SAMU = EmergencyNumbers("15", ("112",), country_known=True)
_NORTH_AMERICA = EmergencyNumbers("911", (), country_known=True)
_UNITED_KINGDOM = EmergencyNumbers("999", ("112",), country_known=True)
_NATIONAL_NUMBERS = {
    # The SAMU (15) sends a doctor, not only an ambulance; it also serves the overseas departments.
    "FR": _SAMU, "GP": _SAMU, "MQ": _SAMU, "GF": _SAMU, "RE": _SAMU, "YT": _SAMU,
    "US": _NORTH_AMERICA, "CA": _NORTH_AMERICA,
    "GB": _UNITED_KINGDOM, "UK": _UNITED_KINGDOM,  # "UK" is not ISO 3166, but it is what people write
}


def emergency_numbers(country: str) -> EmergencyNumbers:
    """The emergency numbers for an ISO 3166 country code; 112 when the country is unknown."""
    code = country.strip().upper()
    if code in _NATIONAL_NUMBERS:
        return _NATIONAL_NUMBERS[code]
    # 112 is the GSM standard: most mobile phones route it to the local emergency service anywhere.
    return EmergencyNumbers("112", (), country_known=code in EU_COUNTRIES)


#: Lines that listen day and night to someone who wants to die, by country, where there is one national number the
#: assistant can give without asking: France's 3114 (numéro national de prévention du suicide, free, 24/7). Elsewhere
#: the profile's `crisis_line` names one; without it only the emergency number is said.
_CRISIS_LINES = {"FR": "3114"}


def crisis_line(country: str, chosen: str | None = None) -> str | None:
    """The crisis line to give: the one the profile names, else the country's national one, else None."""
    return chosen or _CRISIS_LINES.get(country.strip().upper())


class Plausibility(str, Enum):
    """Whether a glucose value can be stored after the usual read-back, or must be questioned first."""

    PLAUSIBLE = "plausible"  #: read back as usual, then store
    QUESTION_UNIT = "question_unit"  #: the unit was guessed: read the value back with its unit and ask
    QUESTION_RANGE = "question_range"  #: outside what a meter can show: ask the patient to say it again


def check_plausibility(mg_dl: float, unit_said: bool, said_value: float) -> Plausibility:
    """Whether a value may be stored: mg_dl after conversion, said_value the number as the patient said it.

    The unit is asked first: when it was guessed, the range verdict rests on the guess, and « 15 » taken as
    1500 mg/dL is more likely 15 mmol/L than a misheard number.
    """
    if not unit_said and said_value < BARE_MG_DL_FROM:
        return Plausibility.QUESTION_UNIT
    if not is_plausible(mg_dl):
        return Plausibility.QUESTION_RANGE
    return Plausibility.PLAUSIBLE


@dataclass(frozen=True)
class GlucoseSummary:
    """Statistics over a period's readings; every field but count is None when there are none."""

    count: int  #: number of readings
    average: float | None  #: mean in mg/dL, rounded to 0.1 like the readings
    lowest: float | None  #: lowest reading in mg/dL
    highest: float | None  #: highest reading in mg/dL
    time_in_range_percent: int | None  #: share of readings within the target range, whole percent


def glucose_summary(values_mg_dl: list[float], targets: GlucoseTargets) -> GlucoseSummary:
    """Count, average, extremes and time in range (target_low to target_high, both included)."""
    count = len(values_mg_dl)
    if not count:
        return GlucoseSummary(0, None, None, None, None)
    in_range = sum(targets.target_low <= v <= targets.target_high for v in values_mg_dl)
    # Half up, as people round: 12.5 % is said 13 %, where round() would say 12 %.
    time_in_range = math.floor(100 * in_range / count + 0.5)
    return GlucoseSummary(count=count, average=round(sum(values_mg_dl) / count, 1), lowest=min(values_mg_dl),
                          highest=max(values_mg_dl), time_in_range_percent=time_in_range)
