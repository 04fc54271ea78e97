"""The disclosure gate: which lab results may be read aloud, and how. Pure: no I/O, no clock, no words.

« Ce qui est écrit doit toujours avoir été dit auparavant »: a result is read only once the clinician has
released its report. Results still in progress are never read; the assistant may only say that some are
pending. A patient who chose to hear abnormal results with their doctor only (the profile's
`abnormal_labs_with_doctor_only`) is told that a result is ready, never its value.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Literal

from voice_assistant.store import LabResult

RangeStatus = Literal["within", "above", "below", "unknown"]

#: Report statuses of a released report. `appended` is, in FHIR's status hierarchy, a kind of `amended`
#: (final content with something added), so it is released too.
RELEASED_STATUSES = frozenset({"final", "amended", "corrected", "appended"})
#: Report statuses of work in progress: never read, but "results are pending" may be said.
PENDING_STATUSES = frozenset({"registered", "partial", "preliminary"})
# Everything else (cancelled, entered-in-error, unknown, anything unexpected) is neither read nor announced.

#: HL7 v3 ObservationInterpretation codes, by the direction they give.
_ABOVE_CODES = frozenset({"H", "HH", "HU", ">"})
_BELOW_CODES = frozenset({"L", "LL", "LU", "<"})
_WITHIN_CODES = frozenset({"N"})
#: Abnormal without a direction.
_ABNORMAL_CODES = frozenset({"A", "AA"})

#: The value bound carried in `LabResult.value_text` when `value` is set (see the importer): "<" 0.5 is
#: "less than 0.5", not 0.5.
COMPARATORS = frozenset({"<", "<=", ">", ">="})


def is_released(report_status: str) -> bool:
    return report_status in RELEASED_STATUSES


def is_pending(report_status: str) -> bool:
    return report_status in PENDING_STATUSES


def comparator(result: LabResult) -> str | None:
    """"<", "<=", ">" or ">=" when the value is a bound ("> 90"), else None."""
    return result.value_text if result.value is not None and result.value_text in COMPARATORS else None


def range_status(result: LabResult) -> RangeStatus:
    """Within, above or below: from the reference range when it decides, else from the laboratory's
    interpretation code (H/HH/> above, L/LL/< below, N within), else unknown."""
    from_range = _status_from_range(result)
    if from_range is not None:
        return from_range
    code = (result.interpretation or "").strip()
    if code in _ABOVE_CODES:
        return "above"
    if code in _BELOW_CODES:
        return "below"
    if code in _WITHIN_CODES:
        return "within"
    return "unknown"


def is_abnormal(result: LabResult) -> bool:
    """Outside the reference values, or flagged abnormal by the laboratory (even without a direction)."""
    code = (result.interpretation or "").strip()
    return range_status(result) in ("above", "below") or code in _ABOVE_CODES | _BELOW_CODES | _ABNORMAL_CODES


def _status_from_range(result: LabResult) -> RangeStatus | None:
    """None when there is no value or no reference bound, or when a bounded value ("< 5") straddles one."""
    if result.value is None or (result.ref_low is None and result.ref_high is None):
        return None
    value, bound = result.value, comparator(result)
    low = result.ref_low if result.ref_low is not None else float("-inf")
    high = result.ref_high if result.ref_high is not None else float("inf")
    # The values the result may stand for, as an interval [lowest, highest] with open ends where strict.
    lowest, highest = {
        None: (value, value), "<": (float("-inf"), value), "<=": (float("-inf"), value),
        ">": (value, float("inf")), ">=": (value, float("inf")),
    }[bound]
    if lowest > high or (lowest == high and bound == ">"):
        return "above"
    if highest < low or (highest == low and bound == "<"):
        return "below"
    if low <= lowest and highest <= high:
        return "within"
    return None


@dataclass(frozen=True)
class Disclosed:
    """A released result, as it may be said."""

    result: LabResult
    """The result; when `withheld`, stripped of its value, range and interpretation."""
    status: RangeStatus
    """Within, above, below or unknown; "unknown" when withheld (nothing about it may be said)."""
    withheld: bool
    """Announced only: the patient hears abnormal results with their doctor (or cannot be told it is normal)."""


@dataclass(frozen=True)
class GateOutcome:
    """What may be said. Results in progress are not in it at all: only how many there are, and which tests."""

    released: tuple[Disclosed, ...]
    """Released results, in the order given."""
    pending_count: int
    """Results whose report is registered, partial or preliminary (and not since released)."""
    pending_loincs: frozenset[str]
    """The tests those pending results are for, so "that one is not ready yet" can be said."""


def gate(results: Iterable[LabResult], *, doctor_only: bool = False) -> GateOutcome:
    """Sort results into what may be read and what is pending.

    With `doctor_only` (the profile's `abnormal_labs_with_doctor_only`), only results known to be within
    the reference values are read with their value; any other released result (abnormal, or whose range
    status cannot be told) is withheld: the assistant says a result is ready and suggests calling the doctor.
    A pending result is not counted once a released result of the same test is as recent or more.
    """
    results = list(results)
    released: list[Disclosed] = []
    newest_released: dict[str, str] = {}
    for result in results:
        if not is_released(result.report_status):
            continue
        status = range_status(result)
        if doctor_only and (status != "within" or is_abnormal(result)):
            released.append(Disclosed(result=_redacted(result), status="unknown", withheld=True))
        else:
            released.append(Disclosed(result=result, status=status, withheld=False))
        if result.effective_at > newest_released.get(result.loinc, ""):
            newest_released[result.loinc] = result.effective_at
    pending = [
        r for r in results
        if is_pending(r.report_status) and not newest_released.get(r.loinc, "") >= r.effective_at
    ]
    return GateOutcome(
        released=tuple(released), pending_count=len(pending), pending_loincs=frozenset(r.loinc for r in pending)
    )


def _redacted(result: LabResult) -> LabResult:
    return replace(result, value=None, value_text=None, unit=None, ref_low=None, ref_high=None, interpretation=None)
