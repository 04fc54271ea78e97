"""What makes a resource plausible, before anything stores it.

`problems(resource, now)` walks a parsed resource once (iteratively: a hostile body nested 10,000 deep cannot
exhaust the stack) and lists, in plain sentences with a FHIRPath-like location:

- nesting deeper than `MAX_DEPTH` (the resources a device sends are 8 deep at most);
- numbers that are not finite or are absurdly large (`1e308`, `10**400`, NaN, Infinity);
- quantities outside the plausible range of their code (`codes.PLAUSIBLE`), also in components;
- dates before 1900 or after `now` plus `CLOCK_SKEW` (a device whose clock is a little ahead is fine; a
  reading dated 9999-12-31 is not), in the date fields the hub reads.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from voice_assistant.fhir import codes, dates

MAX_DEPTH = 32
CLOCK_SKEW = timedelta(minutes=15)
EARLIEST_YEAR = 1900
#: Fields holding a clinical or record time: a value there must be a real moment, not in the future.
DATE_FIELDS = frozenset({"effectiveDateTime", "effectiveInstant", "issued", "authoredOn", "recorded",
                         "occurredDateTime", "sent", "received", "start", "end", "valueDateTime"})
#: Fields holding a past date only (a birth date is never in the future).
PAST_FIELDS = frozenset({"birthDate"})
#: Periods that say when something is planned to happen, not when it happened: their start and end may lie ahead
#: (a reminder asked "in 30 minutes" at 23:50 rings tomorrow: its plan's timing is bounded by tomorrow's date).
PLANNED_PERIODS = (".boundsPeriod.start", ".boundsPeriod.end")


def problems(resource: object, now: datetime | None = None, *, skew: timedelta = CLOCK_SKEW) -> list[tuple[str, str]]:
    """[(location, sentence)] for everything implausible in `resource`; [] when it may be stored."""
    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    found: list[tuple[str, str]] = []
    root = resource.get("resourceType", "Resource") if isinstance(resource, dict) else "Resource"
    stack: list[tuple[object, str, int, str]] = [(resource, str(root), 1, "")]
    while stack:
        node, where, depth, key = stack.pop()
        if depth > MAX_DEPTH:
            found.append((where, f"the resource is nested more than {MAX_DEPTH} levels deep"))
            return found
        if isinstance(node, dict):
            _quantity(node, where, found)
            _coded_value(node, where, found)
            for name, value in node.items():
                stack.append((value, f"{where}.{name}", depth + 1, str(name)))
        elif isinstance(node, list):
            for i, value in enumerate(node):
                stack.append((value, f"{where}[{i}]", depth + 1, key))
        elif isinstance(node, (int, float)) and not isinstance(node, bool):
            if not codes.is_finite_number(node):
                found.append((where, f"{_shown(node)} is not a finite number of a plausible size"))
        elif isinstance(node, str) and (key in DATE_FIELDS or key in PAST_FIELDS) and not where.endswith(PLANNED_PERIODS):
            problem = _date_problem(node, now, skew, past_only=key in PAST_FIELDS)
            if problem:
                found.append((where, problem))
        if len(found) >= 20:
            break
    return found


def _quantity(node: dict, where: str, found: list[tuple[str, str]]) -> None:
    """An Observation (or component) with a code and a valueQuantity: the value must be plausible for it."""
    quantity = node.get("valueQuantity")
    concept = node.get("code")
    if not isinstance(quantity, dict) or not isinstance(concept, dict):
        return
    value = quantity.get("value")
    unit = quantity.get("code") or quantity.get("unit")
    for coding in concept.get("coding") or []:
        if isinstance(coding, dict) and coding.get("system") in codes.LOINC_SYSTEMS:
            problem = codes.implausible(str(coding.get("code")), value, unit if isinstance(unit, str) else None)
            if problem:
                found.append((f"{where}.valueQuantity.value", problem))
                return


def _coded_value(node: dict, where: str, found: list[tuple[str, str]]) -> None:
    del node, where, found  # reserved: coded values are checked by the FHIR model itself


def _shown(value: int | float) -> str:
    if isinstance(value, int) and abs(value) > codes.MAX_INTEGER:
        return f"a {len(str(abs(value)))}-digit number"
    return repr(value)


def date_problem(text: str, now: datetime, skew: timedelta = CLOCK_SKEW) -> str | None:
    """Why a FHIR date or dateTime cannot be a measurement's time (too far in the future, before 1900, beyond
    what can be placed in time); None when it can be (or is not a date at all)."""
    return _date_problem(text, now.astimezone(timezone.utc), skew, past_only=False)


def _date_problem(text: str, now: datetime, skew: timedelta, past_only: bool) -> str | None:
    if not dates.is_fhir_date(text):
        return None  # not a date at all: the FHIR model answers that (400)
    try:
        start, _ = dates.date_range(text)
    except (ValueError, OverflowError):
        if text[:4].isdigit() and int(text[:4]) > now.year:
            return f"'{text[:40]}' is in the future"
        return f"'{text[:40]}' is not a FHIR date or dateTime this server can place in time"
    if start.year < EARLIEST_YEAR:
        return f"'{text}' is before {EARLIEST_YEAR}"
    if past_only and start > now:
        return f"'{text}' is in the future"
    if start > now + skew:
        return f"'{text}' is in the future (more than {int(skew.total_seconds() // 60)} minutes ahead of this server's clock)"
    return None


def summary(found: list[tuple[str, str]]) -> str:
    return "; ".join(f"{where}: {text}" for where, text in found)
