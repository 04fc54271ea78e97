"""Safety rules: glucose levels and the actions they call for, meter extremes, emergency numbers,
plausibility of a value before it is stored, and the summary statistics read to the patient."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voice_assistant.health.glucose import BARE_MG_DL_FROM
from voice_assistant.health.safety import (
    EU_COUNTRIES,
    FAST_SUGAR_GRAMS,
    RECHECK_AFTER_LOW_MINUTES,
    AlertKind,
    GlucoseAssessment,
    GlucoseLevel,
    GlucoseSummary,
    MeterExtreme,
    Plausibility,
    assess_glucose,
    assess_meter_extreme,
    check_plausibility,
    emergency_numbers,
    glucose_summary,
    meter_reading,
)
from voice_assistant.profile import GlucoseTargets, default_profile

DEFAULT = GlucoseTargets()
LEVELS_IN_ORDER = list(GlucoseLevel)


def level_of(mg_dl, targets=DEFAULT):
    return assess_glucose(mg_dl, targets).level


# --- levels at and around each threshold (defaults: 54, 70, 180, 250)

@pytest.mark.parametrize("mg_dl, level", [
    (0, GlucoseLevel.SEVERE_LOW),
    (20, GlucoseLevel.SEVERE_LOW),
    (53.9, GlucoseLevel.SEVERE_LOW),
    (54, GlucoseLevel.LOW),  # "below 54" is severe: 54 itself is not
    (54.1, GlucoseLevel.LOW),
    (69.9, GlucoseLevel.LOW),
    (70, GlucoseLevel.IN_RANGE),  # "below 70" is low: 70 itself is in range
    (120, GlucoseLevel.IN_RANGE),
    (180, GlucoseLevel.IN_RANGE),  # the target range includes both ends
    (180.1, GlucoseLevel.ABOVE_TARGET),
    (249.9, GlucoseLevel.ABOVE_TARGET),
    (250, GlucoseLevel.ABOVE_TARGET),  # "above 250" is high: 250 itself is not
    (250.1, GlucoseLevel.HIGH),
    (600, GlucoseLevel.HIGH),
    (1000, GlucoseLevel.HIGH),
])
def test_default_thresholds(mg_dl, level):
    assert level_of(mg_dl) is level


def test_the_default_profile_uses_the_default_thresholds():
    assert default_profile().glucose_targets == DEFAULT


def test_below_target_never_happens_with_the_default_targets():
    # low and target_low are both 70: a value is either a hypo or at least in range
    assert DEFAULT.low == DEFAULT.target_low


# --- custom thresholds set by the clinician

OLDER_PATIENT = GlucoseTargets(severe_low=60, low=80, target_low=100, target_high=200, high=300)


@pytest.mark.parametrize("mg_dl, level", [
    (59.9, GlucoseLevel.SEVERE_LOW),
    (60, GlucoseLevel.LOW),
    (79.9, GlucoseLevel.LOW),
    (80, GlucoseLevel.BELOW_TARGET),
    (99.9, GlucoseLevel.BELOW_TARGET),
    (100, GlucoseLevel.IN_RANGE),
    (200, GlucoseLevel.IN_RANGE),
    (200.1, GlucoseLevel.ABOVE_TARGET),
    (300, GlucoseLevel.ABOVE_TARGET),
    (300.1, GlucoseLevel.HIGH),
])
def test_custom_thresholds(mg_dl, level):
    assert level_of(mg_dl, OLDER_PATIENT) is level


def test_a_hypo_threshold_above_the_target_range_start_wins():
    targets = GlucoseTargets(severe_low=54, low=75, target_low=70, target_high=180, high=250)
    assert level_of(72, targets) is GlucoseLevel.LOW


def test_the_high_threshold_wins_over_a_wider_target_range():
    targets = GlucoseTargets(target_low=70, target_high=300, high=250)
    assert level_of(260, targets) is GlucoseLevel.HIGH


def test_not_a_number_is_refused_rather_than_called_in_range():
    with pytest.raises(ValueError):
        assess_glucose(math.nan, DEFAULT)


# --- what each level asks of the dialogue

def test_severe_low_asks_for_sugar_a_recheck_an_emergency_call_and_an_alert():
    assert assess_glucose(40, DEFAULT) == GlucoseAssessment(
        level=GlucoseLevel.SEVERE_LOW, advise_fast_sugar=True, offer_recheck_reminder_minutes=15,
        advise_emergency_call=True, alert_kind=AlertKind.SEVERE_HYPOGLYCAEMIA, use_high_instruction=False)


def test_low_asks_for_sugar_a_recheck_and_an_alert_but_no_emergency_call():
    assert assess_glucose(62, DEFAULT) == GlucoseAssessment(
        level=GlucoseLevel.LOW, advise_fast_sugar=True, offer_recheck_reminder_minutes=15,
        advise_emergency_call=False, alert_kind=AlertKind.HYPOGLYCAEMIA, use_high_instruction=False)


@pytest.mark.parametrize("mg_dl, targets", [(120, DEFAULT), (200, DEFAULT), (90, OLDER_PATIENT)])
def test_in_or_near_range_asks_for_nothing(mg_dl, targets):
    result = assess_glucose(mg_dl, targets)
    assert result == GlucoseAssessment(level=result.level)
    assert not (result.advise_fast_sugar or result.advise_emergency_call or result.use_high_instruction)
    assert result.offer_recheck_reminder_minutes is None and result.alert_kind is None


def test_high_reads_the_clinicians_instruction_and_alerts():
    assert assess_glucose(320, DEFAULT) == GlucoseAssessment(
        level=GlucoseLevel.HIGH, advise_fast_sugar=False, offer_recheck_reminder_minutes=None,
        advise_emergency_call=False, alert_kind=AlertKind.HYPERGLYCAEMIA, use_high_instruction=True)


def test_the_rule_of_fifteen():
    assert FAST_SUGAR_GRAMS == 15 and RECHECK_AFTER_LOW_MINUTES == 15


def test_alert_kinds_are_stable_names():
    # the store and the clinician side key on these strings
    assert [kind.value for kind in AlertKind] == ["hypoglycaemia", "severe_hypoglycaemia", "hyperglycaemia"]
    assert AlertKind.HYPOGLYCAEMIA == "hypoglycaemia"


def test_assessments_are_frozen():
    with pytest.raises(AttributeError):
        assess_glucose(40, DEFAULT).advise_emergency_call = False


# --- properties over every value and every valid profile

def matching_levels(v):
    """The contract for the default targets, written independently of the code's order of checks."""
    spec = {
        GlucoseLevel.SEVERE_LOW: v < 54,
        GlucoseLevel.LOW: 54 <= v < 70,
        GlucoseLevel.BELOW_TARGET: False,
        GlucoseLevel.IN_RANGE: 70 <= v <= 180,
        GlucoseLevel.ABOVE_TARGET: 180 < v <= 250,
        GlucoseLevel.HIGH: v > 250,
    }
    return [level for level, holds in spec.items() if holds]


values = st.floats(min_value=0, max_value=1000, allow_nan=False)


@given(values)
def test_every_value_has_exactly_one_level(mg_dl):
    assert matching_levels(mg_dl) == [level_of(mg_dl)]


@st.composite
def valid_targets(draw):
    """Targets that parse_profile accepts: 20 to 600, severe_low <= low <= high, target_low < target_high."""
    mg_dl = st.floats(min_value=20, max_value=600)
    severe_low, low, high = sorted(draw(st.lists(mg_dl, min_size=3, max_size=3)))
    target_low, target_high = sorted(draw(st.lists(mg_dl, min_size=2, max_size=2, unique=True)))
    return GlucoseTargets(severe_low=severe_low, low=low, target_low=target_low, target_high=target_high, high=high)


@given(valid_targets(), values, values)
def test_levels_rise_with_the_value(targets, a, b):
    low, high = sorted((a, b))
    assert LEVELS_IN_ORDER.index(level_of(low, targets)) <= LEVELS_IN_ORDER.index(level_of(high, targets))


@given(valid_targets(), values)
def test_hypo_and_high_thresholds_hold_for_any_profile(targets, mg_dl):
    level = level_of(mg_dl, targets)
    assert (level is GlucoseLevel.SEVERE_LOW) == (mg_dl < targets.severe_low)
    assert (level is GlucoseLevel.LOW) == (targets.severe_low <= mg_dl < targets.low)
    assert (level is GlucoseLevel.HIGH) == (mg_dl > targets.high)


# --- meter displays HI and LO

@pytest.mark.parametrize("word, extreme", [
    ("HI", MeterExtreme.HI), ("hi", MeterExtreme.HI), ("Hi", MeterExtreme.HI), ("h i", MeterExtreme.HI),
    ("H.I.", MeterExtreme.HI), ("high", MeterExtreme.HI), (" HIGH ", MeterExtreme.HI),
    ("LO", MeterExtreme.LO), ("lo", MeterExtreme.LO), ("l o", MeterExtreme.LO), ("L-O", MeterExtreme.LO),
    ("low", MeterExtreme.LO), ("Low", MeterExtreme.LO),
])
def test_display_tokens(word, extreme):
    assert meter_reading(word) is extreme


@pytest.mark.parametrize("word", ["", "h", "o", "hello", "hilo", "120", "haut", "bas", "higher", "below"])
def test_other_words_are_not_display_tokens(word):
    assert meter_reading(word) is None


def test_hi_is_a_high_reading_with_an_alert():
    assert assess_meter_extreme(MeterExtreme.HI) == assess_glucose(601, DEFAULT)
    assert assess_meter_extreme(MeterExtreme.HI).alert_kind is AlertKind.HYPERGLYCAEMIA
    assert assess_meter_extreme(MeterExtreme.HI).use_high_instruction


def test_lo_is_a_severe_low_and_an_emergency():
    assert assess_meter_extreme(MeterExtreme.LO) == assess_glucose(19, DEFAULT)
    assert assess_meter_extreme(MeterExtreme.LO).advise_emergency_call
    assert assess_meter_extreme(MeterExtreme.LO).alert_kind is AlertKind.SEVERE_HYPOGLYCAEMIA


def test_meter_range_limits():
    assert MeterExtreme.HI.range_limit_mg_dl == 600
    assert MeterExtreme.LO.range_limit_mg_dl == 20


# --- emergency numbers

@pytest.mark.parametrize("country, primary, alternatives", [
    ("FR", "15", ("112",)),
    ("US", "911", ()),
    ("CA", "911", ()),
    ("GB", "999", ("112",)),
    ("UK", "999", ("112",)),
])
def test_national_numbers(country, primary, alternatives):
    numbers = emergency_numbers(country)
    assert (numbers.primary, numbers.alternatives, numbers.country_known) == (primary, alternatives, True)


@pytest.mark.parametrize("country", ["GP", "MQ", "GF", "RE", "YT"])
def test_french_overseas_departments_call_the_samu(country):
    assert emergency_numbers(country) == emergency_numbers("FR")


@pytest.mark.parametrize("country", sorted(EU_COUNTRIES - {"FR"}))
def test_other_eu_countries_call_112(country):
    numbers = emergency_numbers(country)
    assert (numbers.primary, numbers.alternatives, numbers.country_known) == ("112", (), True)


def test_the_eu_has_27_members():
    assert len(EU_COUNTRIES) == 27 and "GB" not in EU_COUNTRIES


@pytest.mark.parametrize("country", ["ZZ", "", "XX"])
def test_unknown_countries_fall_back_to_112(country):
    numbers = emergency_numbers(country)
    assert (numbers.primary, numbers.alternatives, numbers.country_known) == ("112", (), False)


@pytest.mark.parametrize("country", ["fr", " Fr ", "gb\n"])
def test_country_codes_are_read_loosely(country):
    assert emergency_numbers(country) == emergency_numbers(country.strip().upper())


# --- plausibility before storing

@pytest.mark.parametrize("mg_dl, plausibility", [
    (19.9, Plausibility.QUESTION_RANGE),
    (20, Plausibility.PLAUSIBLE),
    (120, Plausibility.PLAUSIBLE),
    (600, Plausibility.PLAUSIBLE),
    (600.1, Plausibility.QUESTION_RANGE),
    (0, Plausibility.QUESTION_RANGE),
    (-5, Plausibility.QUESTION_RANGE),
    (math.nan, Plausibility.QUESTION_RANGE),
])
def test_range_edges_with_the_unit_said(mg_dl, plausibility):
    assert check_plausibility(mg_dl, unit_said=True, said_value=mg_dl) is plausibility


@pytest.mark.parametrize("said_value, mg_dl, plausibility", [
    (120, 120, Plausibility.PLAUSIBLE),  # a bare 35 or more is mg/dL: nothing was guessed
    (BARE_MG_DL_FROM, BARE_MG_DL_FROM, Plausibility.PLAUSIBLE),
    (700, 700, Plausibility.QUESTION_RANGE),
    (1.2, 120, Plausibility.QUESTION_UNIT),  # « 1,20 » taken as g/L
    (6.5, 117.1, Plausibility.QUESTION_UNIT),  # "6.5" taken as mmol/L
    (34.9, 628.7, Plausibility.QUESTION_UNIT),  # out of range too, but only under the guessed unit
    (15, 1500, Plausibility.QUESTION_UNIT),
])
def test_a_guessed_unit_is_questioned_first(said_value, mg_dl, plausibility):
    assert check_plausibility(mg_dl, unit_said=False, said_value=said_value) is plausibility


def test_a_small_value_with_its_unit_said_is_not_questioned():
    assert check_plausibility(120, unit_said=True, said_value=1.2) is Plausibility.PLAUSIBLE


# --- summary statistics

def test_empty_summary():
    assert glucose_summary([], DEFAULT) == GlucoseSummary(0, None, None, None, None)


def test_single_value_summary():
    assert glucose_summary([118], DEFAULT) == GlucoseSummary(
        count=1, average=118, lowest=118, highest=118, time_in_range_percent=100)


def test_single_value_out_of_range():
    assert glucose_summary([62], DEFAULT).time_in_range_percent == 0


def test_summary_of_a_week():
    values = [65, 70, 110, 180, 181, 250]
    assert glucose_summary(values, DEFAULT) == GlucoseSummary(
        count=6, average=142.7, lowest=65, highest=250, time_in_range_percent=50)


def test_time_in_range_includes_both_ends_of_the_target():
    assert glucose_summary([70, 180], DEFAULT).time_in_range_percent == 100
    assert glucose_summary([69.9, 180.1], DEFAULT).time_in_range_percent == 0


def test_time_in_range_uses_the_patients_targets():
    assert glucose_summary([90, 150], OLDER_PATIENT).time_in_range_percent == 50


@pytest.mark.parametrize("in_range, count, percent", [(1, 8, 13), (1, 3, 33), (2, 3, 67), (5, 8, 63), (199, 200, 100)])
def test_time_in_range_rounds_half_up_to_whole_percent(in_range, count, percent):
    values = [120] * in_range + [300] * (count - in_range)
    assert glucose_summary(values, DEFAULT).time_in_range_percent == percent


@given(st.lists(st.floats(min_value=20, max_value=600), min_size=1, max_size=50))
def test_summary_bounds(values):
    summary = glucose_summary(values, DEFAULT)
    assert summary.count == len(values)
    assert summary.lowest <= summary.average + 0.05 and summary.average <= summary.highest + 0.05
    assert 0 <= summary.time_in_range_percent <= 100
