"""The disclosure gate: only released reports are read; doctor-only privacy; range status."""

from __future__ import annotations

import pytest

from voice_assistant.labs import gate, is_abnormal, range_status
from voice_assistant.labs.gate import PENDING_STATUSES, RELEASED_STATUSES
from voice_assistant.store import LabResult


def lab(**changes) -> LabResult:
    fields = dict(id="r1", report_id="rep", report_status="final", loinc="4548-4", display="HbA1c",
                  effective_at="2025-03-03", value=7.4, unit="%", ref_low=4.0, ref_high=6.0, interpretation=None)
    return LabResult(**{**fields, **changes})


# --- range status --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "low", "high", "expected"),
    [
        (5.0, 4.0, 6.0, "within"),
        (4.0, 4.0, 6.0, "within"),   # bounds are inclusive
        (6.0, 4.0, 6.0, "within"),
        (7.4, 4.0, 6.0, "above"),
        (3.9, 4.0, 6.0, "below"),
        (0.38, 0.40, None, "below"),  # only a low bound (HDL)
        (0.55, 0.40, None, "within"),
        (1.85, None, 2.00, "within"),  # only a high bound (total cholesterol)
        (2.10, None, 2.00, "above"),
    ],
)
def test_range_status_from_reference_range(value, low, high, expected):
    assert range_status(lab(value=value, ref_low=low, ref_high=high)) == expected


def test_reference_range_decides_before_interpretation():
    assert range_status(lab(value=5.0, interpretation="H")) == "within"


@pytest.mark.parametrize(
    ("code", "expected"),
    [("H", "above"), ("HH", "above"), ("HU", "above"), (">", "above"),
     ("L", "below"), ("LL", "below"), ("LU", "below"), ("<", "below"),
     ("N", "within"), ("A", "unknown"), ("IND", "unknown"), (None, "unknown")],
)
def test_range_status_from_interpretation_without_a_range(code, expected):
    assert range_status(lab(ref_low=None, ref_high=None, interpretation=code)) == expected


def test_range_status_for_text_results_comes_from_interpretation():
    assert range_status(lab(value=None, value_text="négatif", interpretation="N")) == "within"
    assert range_status(lab(value=None, value_text="positif", interpretation=None)) == "unknown"


@pytest.mark.parametrize(
    ("comparator", "value", "low", "high", "interpretation", "expected"),
    [
        (">", 60, 60, None, None, "within"),     # eGFR "> 60", normal from 60
        (">", 90, 60, None, None, "within"),
        ("<", 0.5, 1.0, 5.0, None, "below"),
        ("<", 1.0, 1.0, 5.0, None, "below"),     # strictly under the low bound
        ("<=", 1.0, 1.0, 5.0, None, "unknown"),  # could be 1.0: within, or under it
        ("<", 5.0, None, 10.0, None, "within"),  # CRP "< 5", normal under 10
        (">", 10.0, None, 10.0, None, "above"),
        ("<", 5.0, 1.0, 10.0, "N", "within"),    # the range cannot tell; the laboratory's flag does
    ],
)
def test_a_bounded_value_is_judged_as_the_interval_it_stands_for(comparator, value, low, high, interpretation,
                                                                  expected):
    result = lab(value=value, value_text=comparator, ref_low=low, ref_high=high, interpretation=interpretation)
    assert range_status(result) == expected


def test_abnormal_without_direction():
    assert is_abnormal(lab(ref_low=None, ref_high=None, interpretation="A"))
    assert is_abnormal(lab(value=5.0, interpretation="AA"))
    assert not is_abnormal(lab(value=5.0, interpretation="N"))


# --- what is released --------------------------------------------------------------------------


@pytest.mark.parametrize("status", sorted(RELEASED_STATUSES))
def test_released_statuses_are_read(status):
    outcome = gate([lab(report_status=status)])
    assert [d.result.id for d in outcome.released] == ["r1"] and outcome.pending_count == 0


@pytest.mark.parametrize("status", sorted(PENDING_STATUSES))
def test_reports_in_progress_are_never_read_but_counted_as_pending(status):
    outcome = gate([lab(report_status=status)])
    assert outcome.released == () and outcome.pending_count == 1 and outcome.pending_loincs == {"4548-4"}


@pytest.mark.parametrize("status", ["cancelled", "entered-in-error", "unknown", "something-else"])
def test_withdrawn_or_unknown_reports_are_neither_read_nor_announced(status):
    outcome = gate([lab(report_status=status)])
    assert outcome.released == () and outcome.pending_count == 0


def test_the_gate_keeps_no_value_of_a_pending_result():
    outcome = gate([lab(report_status="preliminary", value=5.8)])
    assert "5.8" not in repr(outcome)


def test_a_pending_result_superseded_by_a_released_one_is_not_pending_any_more():
    old_preliminary = lab(id="p", report_status="preliminary", effective_at="2025-01-10")
    released_later = lab(id="f", report_status="final", effective_at="2025-03-03")
    assert gate([old_preliminary, released_later]).pending_count == 0
    newer_preliminary = lab(id="p2", report_status="preliminary", effective_at="2025-04-01")
    assert gate([newer_preliminary, released_later]).pending_count == 1


# --- doctor-only privacy -----------------------------------------------------------------------


def test_without_the_privacy_choice_abnormal_results_are_read():
    (disclosed,) = gate([lab()], doctor_only=False).released
    assert not disclosed.withheld and disclosed.status == "above" and disclosed.result.value == 7.4


@pytest.mark.parametrize(
    "result",
    [
        lab(),                                                           # above its range
        lab(value=3.0),                                                  # below
        lab(ref_low=None, ref_high=None, interpretation="HH"),           # flagged only
        lab(value=5.0, interpretation="A"),                              # within, but flagged abnormal
        lab(ref_low=None, ref_high=None, interpretation=None),           # cannot tell: not read either
    ],
)
def test_doctor_only_withholds_every_result_not_known_to_be_normal(result):
    (disclosed,) = gate([result], doctor_only=True).released
    assert disclosed.withheld and disclosed.status == "unknown"
    held = disclosed.result
    assert (held.value, held.value_text, held.unit, held.ref_low, held.ref_high, held.interpretation) == (
        None, None, None, None, None, None)
    assert (held.id, held.loinc, held.effective_at) == (result.id, result.loinc, result.effective_at)


def test_doctor_only_still_reads_normal_results():
    (disclosed,) = gate([lab(value=5.2)], doctor_only=True).released
    assert not disclosed.withheld and disclosed.status == "within" and disclosed.result.value == 5.2
