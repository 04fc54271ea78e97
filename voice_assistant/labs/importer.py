"""Import laboratory results from FHIR R4 JSON files into the store.

Accepted files:
- a Bundle holding DiagnosticReports and their Observations (`DiagnosticReport.result` references resolved
  to the Bundle's Observations by `fullUrl` or by "Observation/<id>"; panel Observations are followed through
  `hasMember`, and Observations contained in their report, "#id", are resolved too); Observations no report
  points to are imported on their own, with their own status;
- a Bundle of Observations only;
- a single Observation (or a DiagnosticReport whose Observations are contained in it).

Validation uses the `fhir.resources` library's `fhir.resources.R4B` models. R4B (FHIR 4.3) is the R4-compatible
release: DiagnosticReport, Observation and Bundle have the same elements and cardinalities as in R4, so a valid
R4 file validates. The library checks structure and types; this module adds what it leaves out (status codes,
resolvable references) and turns every problem into a `LabImportError` naming the file, the resource and the
field in plain words.

What is kept, exactly as the laboratory wrote it: value and unit (`unit`, else the UCUM `code`), reference
range low/high, interpretation code (H, L, N, A, HH, LL...), effective date/time (as written), the report id
and the report's status (a standalone Observation carries its own status). Only a stricter Observation status
overrides a released report's (an Observation `preliminary` or `entered-in-error` inside a `final` report
keeps its own, so it is never read).

A value given as a bound ("< 0.5", "> 90": `valueQuantity.comparator`) is stored with `value` = the number and
`value_text` = the comparator ("<", "<=", ">", ">="); `value_text` alone holds non-numeric results ("négatif").

Importing the same file again changes nothing: a result's id is the Observation's id, else its first
identifier ("system|value"), else a stable hash of its report, test and date (an Observation contained in a
report: "<report id>#<its id>"); a re-issued (amended) report updates its results in place. An Observation
listed by several reports takes the status of the most released one.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from voice_assistant.errors import InputError
from voice_assistant.fhir import checks as fhir_checks
from voice_assistant.fhir import codes as fhir_codes
from voice_assistant.store import LabResult, Store

from .gate import PENDING_STATUSES, RELEASED_STATUSES

LOINC_SYSTEMS = fhir_codes.LOINC_SYSTEMS
INTERPRETATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"

#: FHIR R4 status codes (the model library does not check code values).
OBSERVATION_STATUSES = frozenset(
    {"registered", "preliminary", "final", "amended", "corrected", "cancelled", "entered-in-error", "unknown"}
)
REPORT_STATUSES = frozenset(
    {"registered", "partial", "preliminary", "final", "amended", "corrected", "appended", "cancelled",
     "entered-in-error", "unknown"}
)

#: How much a status lets a result be read: the stricter of report and Observation wins.
_RANK = {**{s: 2 for s in RELEASED_STATUSES}, **{s: 1 for s in PENDING_STATUSES}}

#: At most this many validation problems are listed in one message.
_MAX_PROBLEMS = 3


class LabImportError(InputError):
    """The file cannot be imported; the message names the file and what is wrong. Nothing was saved."""


@dataclass(frozen=True)
class ImportReport:
    """What an import did."""

    path: Path
    results: tuple[LabResult, ...]
    """Every result the file holds, as saved (without import times)."""
    added: int
    """Results new to the store."""
    updated: int
    """Results already stored that the file changed (an amended or now final report)."""
    unchanged: int
    """Results already stored exactly so (importing the same file again: all of them)."""
    report_ids: tuple[str, ...] = ()
    """The DiagnosticReports found, in file order."""
    warnings: tuple[str, ...] = field(default_factory=tuple)
    """Things kept but worth knowing (no LOINC code, no value...), one plain sentence each."""

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated)

    def describe(self) -> str:
        """One line for the command line: "3 results imported from bilan.json: 2 new, 1 updated, 0 unchanged"."""
        count = len(self.results)
        noun = "result" if count == 1 else "results"
        return (f"{count} {noun} imported from {self.path.name}: {self.added} new, {self.updated} updated, "
                f"{self.unchanged} unchanged")

    def as_dict(self) -> dict[str, Any]:
        """For `--json`."""
        return {
            "file": str(self.path),
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "reports": list(self.report_ids),
            "results": [
                {"id": r.id, "report_id": r.report_id, "report_status": r.report_status, "loinc": r.loinc,
                 "display": r.display, "value": r.value, "value_text": r.value_text, "unit": r.unit,
                 "ref_low": r.ref_low, "ref_high": r.ref_high, "interpretation": r.interpretation,
                 "effective_at": r.effective_at}
                for r in self.results
            ],
            "warnings": list(self.warnings),
        }


def import_fhir(path: str | os.PathLike[str], store: Store) -> ImportReport:
    """Read, validate and save the lab results in the FHIR R4 JSON file at `path`, all in one transaction.

    Raises `LabImportError` (nothing saved) when the file cannot be read, is not JSON, is not a Bundle or an
    Observation, fails FHIR validation, or has a report pointing to an Observation the file does not hold.
    `StoreError` comes through unchanged when the database fails.
    """
    path = Path(path)
    data = _read_json(path)
    results, report_ids, warnings = parse_fhir(data, path.name)
    added = updated = 0
    with store.transaction():
        existing = {result.id for result in store.lab_results()}
        for result in results:
            if store.upsert_lab_result(result):
                if result.id in existing:
                    updated += 1
                else:
                    added += 1
    return ImportReport(
        path=path, results=tuple(results), added=added, updated=updated,
        unchanged=len(results) - added - updated, report_ids=tuple(report_ids), warnings=tuple(warnings),
    )


def parse_fhir(data: Any, source: str = "the file") -> tuple[list[LabResult], list[str], list[str]]:
    """The results in already-parsed FHIR JSON: (results, report ids, warnings). No I/O.

    `source` names the file in error messages.
    """
    if not isinstance(data, dict):
        raise LabImportError(f"{source}: expected a FHIR resource (a JSON object), found a JSON {_json_kind(data)}.")
    kind = data.get("resourceType")
    if kind == "Bundle":
        _validate(data, "Bundle", source)
        parser = _BundleParser(data, source)
        return parser.results(), parser.report_ids, parser.warnings
    if kind == "Observation":
        _validate(data, "Observation", source)
        _check_status(data, OBSERVATION_STATUSES, source, "")
        warnings: list[str] = []
        results = [_lab_result(data, None, source, "", warnings)]
        return results, [], warnings
    if kind == "DiagnosticReport":
        if not any(isinstance(c, dict) and c.get("resourceType") == "Observation" for c in data.get("contained") or []):
            raise LabImportError(
                f"{source}: a DiagnosticReport alone holds no values. Import the Bundle that holds it with its "
                f"Observations.")
        _validate(data, "DiagnosticReport", source)
        parser = _BundleParser({"resourceType": "Bundle", "type": "collection", "entry": [{"resource": data}]},
                               source)
        return parser.results(), parser.report_ids, parser.warnings
    if kind is None:
        raise LabImportError(f"{source}: this is not a FHIR resource (no 'resourceType').")
    raise LabImportError(
        f"{source}: a {kind} is not a lab result. Expected a Bundle (DiagnosticReport with Observations) "
        f"or an Observation.")


# --- reading and validating -----------------------------------------------------------------------


def _read_json(path: Path) -> Any:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise LabImportError(f"{path}: no such file.") from None
    except IsADirectoryError:
        raise LabImportError(f"{path}: this is a folder, not a file.") from None
    except OSError as error:
        raise LabImportError(f"{path}: the file cannot be read ({error.strerror}).") from None
    except UnicodeDecodeError:
        raise LabImportError(f"{path.name}: this is not a FHIR JSON file (it is not UTF-8 text).") from None
    try:
        return json.loads(text, parse_float=Decimal)
    except RecursionError:
        raise LabImportError(f"{path.name}: this is not a lab report: it is nested far too deeply.") from None
    except json.JSONDecodeError as error:
        raise LabImportError(
            f"{path.name}: this is not a FHIR JSON file: it is not valid JSON (line {error.lineno}, column "
            f"{error.colno}: {error.msg}).") from None


def _validate(data: dict, kind: str, source: str) -> None:
    """Validate against the fhir.resources R4B model; problems become a LabImportError in plain words."""
    from fhir.resources.R4B import get_fhir_model_class

    if kind == "Bundle":
        _check_bundle_entries(data, source)
    try:
        get_fhir_model_class(kind).model_validate(data)
    except ValidationError as error:
        problems = [_describe_problem(problem, data) for problem in error.errors()]
        shown = "; ".join(problems[:_MAX_PROBLEMS])
        more = f" (and {len(problems) - _MAX_PROBLEMS} more problems)" if len(problems) > _MAX_PROBLEMS else ""
        raise LabImportError(f"{source}: not valid FHIR R4: {shown}{more}.") from None
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise LabImportError(f"{source}: not valid FHIR R4 ({type(error).__name__}: {error}).") from None


def _check_bundle_entries(bundle: dict, source: str) -> None:
    """What the model library reports badly (or raises KeyError on): entries with an unknown resourceType."""
    from fhir.resources.R4B import get_fhir_model_class

    entries = bundle.get("entry")
    if not isinstance(entries, list):
        return  # missing is fine; a wrong type is reported by the model
    for index, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if resource is None:
            continue
        if not isinstance(resource, dict):
            raise LabImportError(f"{source}: Bundle entry {index}: 'resource' must be a JSON object.")
        kind = resource.get("resourceType")
        if not isinstance(kind, str):
            raise LabImportError(f"{source}: Bundle entry {index}: the resource has no 'resourceType'.")
        try:
            get_fhir_model_class(kind)
        except ValueError:
            raise LabImportError(
                f"{source}: Bundle entry {index}: '{kind}' is not a FHIR resource type.") from None


def _describe_problem(problem: Mapping[str, Any], data: dict) -> str:
    location = list(problem.get("loc", ()))
    where = ""
    # ('entry', 3, 'resource', 'status') -> "the Observation 'obs-tsh' (Bundle entry 3): field 'status'"
    if len(location) >= 3 and location[0] == "entry" and isinstance(location[1], int) and location[2] == "resource":
        resource = _entry_resource(data, location[1])
        where = f"{_describe_resource(resource, location[1])}: "
        location = location[3:]
    elif data.get("resourceType") != "Bundle":
        where = f"{_describe_resource(data, None)}: "
    field_path = _field_path(location) or "(the resource itself)"
    kind = str(problem.get("type", ""))
    if "missing" in kind:
        what = "is required but missing"
    elif kind == "extra_forbidden":
        what = "is not a FHIR R4 element (misspelled, or from another FHIR version?)"
    elif "regex" in str(problem.get("msg", "")):
        what = f"has a wrong format ({problem.get('input')!r})"
    elif kind.endswith("_type"):
        expected = kind.removesuffix("_type").replace("_", " ")
        what = f"should be a {expected}, not {problem.get('input')!r}"
    else:
        message = str(problem.get("msg", "is not valid")).removeprefix("Value error, ")
        what = f"is not valid: {message}"
    return f"{where}field '{field_path}' {what}"


def _field_path(location: list[Any]) -> str:
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += ("." if path else "") + str(part)
    return path


def _entry_resource(bundle: dict, index: int) -> dict:
    try:
        resource = bundle["entry"][index]["resource"]
    except (KeyError, IndexError, TypeError):
        return {}
    return resource if isinstance(resource, dict) else {}


def _describe_resource(resource: dict, entry_index: int | None) -> str:
    kind = resource.get("resourceType") or "resource"
    name = f"the {kind}"
    if isinstance(resource.get("id"), str):
        name += f" '{resource['id']}'"
    return f"{name} (Bundle entry {entry_index})" if entry_index is not None else name


def _check_status(resource: dict, allowed: frozenset[str], source: str, where: str) -> None:
    status = resource.get("status")
    if status not in allowed:
        raise LabImportError(
            f"{source}: {_describe_resource(resource, None)}{where}: status '{status}' is not a FHIR R4 "
            f"{resource.get('resourceType')} status (one of: {', '.join(sorted(allowed))}).")


def _json_kind(data: Any) -> str:
    return {list: "list", str: "text", bool: "true/false", type(None): "null"}.get(type(data), "number")


# --- bundles --------------------------------------------------------------------------------------


class _BundleParser:
    """Resolves each report's results to the Bundle's Observations (or to Observations contained in the
    report, "#id"), then reads them."""

    def __init__(self, bundle: dict, source: str) -> None:
        self.source = source
        self.warnings: list[str] = []
        self.report_ids: list[str] = []
        # Observations and reports, each under a key: its entry index, or (report entry index, "#local id").
        self.observations: dict[int | tuple[int, str], tuple[str, dict]] = {}
        self.reports: list[tuple[int, dict]] = []
        self.by_reference: dict[str, tuple[int, dict]] = {}
        for index, entry in enumerate(bundle.get("entry") or []):
            resource = entry.get("resource")
            if not isinstance(resource, dict):
                continue
            if entry.get("fullUrl"):
                self.by_reference.setdefault(entry["fullUrl"], (index, resource))
            if resource.get("id"):
                self.by_reference.setdefault(f"{resource['resourceType']}/{resource['id']}", (index, resource))
            if resource["resourceType"] == "Observation":
                self.observations[index] = (f" (Bundle entry {index})", resource)
            elif resource["resourceType"] == "DiagnosticReport":
                self.reports.append((index, resource))

    def results(self) -> list[LabResult]:
        for key, (where, observation) in self.observations.items():
            _check_status(observation, OBSERVATION_STATUSES, self.source, where)
        # Observation key -> (report, report id): the report each Observation is a result of.
        owner: dict[int | tuple[int, str], tuple[dict, str]] = {}
        for index, report in self.reports:
            _check_status(report, REPORT_STATUSES, self.source, f" (Bundle entry {index})")
            report_id = _report_id(report)
            self.report_ids.append(report_id)
            for contained in report.get("contained") or []:
                if contained.get("resourceType") == "Observation" and contained.get("id"):
                    where = f" (contained in DiagnosticReport '{report_id}')"
                    _check_status(contained, OBSERVATION_STATUSES, self.source, where)
                    self.observations[(index, f"#{contained['id']}")] = (where, contained)
            for key in self._report_results(report, index):
                current = owner.get(key)
                # Listed by two reports: a report the clinician released releases it (the Observation's own
                # status still applies).
                if current is None or _RANK.get(report["status"], 0) > _RANK.get(current[0]["status"], 0):
                    owner[key] = (report, report_id)
        results: list[LabResult] = []
        for key, (where, observation) in self.observations.items():
            if _is_panel(observation):
                continue  # a panel ("lipid panel") holds no value: its members are results of their own
            report, report_id = owner.get(key, (None, None))
            result = _lab_result(observation, report, self.source, where, self.warnings, report_id)
            if isinstance(key, tuple):  # a contained id is only unique inside its report
                result = replace(result, id=f"{report_id}{key[1]}")
            results.append(result)
        if not results:
            raise LabImportError(f"{self.source}: this Bundle holds no Observation with a lab result.")
        return _unique_ids(results)

    def _report_results(self, report: dict, report_index: int) -> Iterator[int | tuple[int, str]]:
        """Keys of the Observations a report lists, panels followed through hasMember."""
        seen: set[int | tuple[int, str]] = set()
        pending = [(f"result[{n}]", ref) for n, ref in enumerate(report.get("result") or [])]
        while pending:
            where, reference = pending.pop(0)
            key, observation = self._resolve(reference, report, report_index, where)
            if key in seen:
                continue
            seen.add(key)
            yield key
            members = observation.get("hasMember") or []
            pending.extend((f"{where} → hasMember[{n}]", ref) for n, ref in enumerate(members))

    def _resolve(self, reference: dict, report: dict, report_index: int,
                 where: str) -> tuple[int | tuple[int, str], dict]:
        target = reference.get("reference")
        name = _describe_resource(report, report_index)
        if not target:
            raise LabImportError(f"{self.source}: {name}: {where} has no reference to an Observation.")
        if target.startswith("#"):
            found = self.observations.get((report_index, target))
            if found is None:
                raise LabImportError(
                    f"{self.source}: {name}: {where} points to '{target}', which the report does not contain.")
            return (report_index, target), found[1]
        found = self.by_reference.get(target) or self.by_reference.get(_relative(target))
        if found is None:
            raise LabImportError(
                f"{self.source}: {name}: {where} points to '{target}', which is not in this file "
                f"(no entry with that fullUrl or id).")
        if found[1]["resourceType"] != "Observation":
            raise LabImportError(
                f"{self.source}: {name}: {where} points to a {found[1]['resourceType']}, not an Observation.")
        return found


def _relative(reference: str) -> str:
    """'https://lab.example/fhir/Observation/42/_history/3' -> 'Observation/42'."""
    parts = reference.split("/")
    if "_history" in parts:
        parts = parts[: parts.index("_history")]
    return "/".join(parts[-2:])


def _is_panel(observation: dict) -> bool:
    return bool(observation.get("hasMember")) and _value_fields(observation) == (None, None, None)


def _unique_ids(results: list[LabResult]) -> list[LabResult]:
    """Two results of one file must not share an id (the second would overwrite the first)."""
    seen: dict[str, int] = {}
    unique = []
    for result in results:
        count = seen.get(result.id, 0) + 1
        seen[result.id] = count
        unique.append(result if count == 1 else replace(result, id=f"{result.id}~{count}"))
    return unique


# --- one Observation ------------------------------------------------------------------------------


def _lab_result(
    observation: dict, report: dict | None, source: str, where: str, warnings: list[str],
    report_id: str | None = None,
) -> LabResult:
    name = f"{_describe_resource(observation, None)}{where}"
    loinc, display = _code(observation.get("code") or {})
    _check_plausible(observation, loinc, display, source, name)
    if not loinc:
        warnings.append(f"{name} has no LOINC code: it will be read with the laboratory's own name '{display}'.")
    value, value_text, unit = _value_fields(observation)
    if value is None and value_text is None:
        warnings.append(f"{name} ({display}) has no value.")
    low, high = _reference_range(observation)
    effective = _effective(observation) or (_effective(report) if report else None)
    if effective is None:
        raise LabImportError(f"{source}: {name}: no date (effective[x] or issued) on the Observation or its report.")
    status = observation["status"] if report is None else _stricter(report["status"], observation["status"])
    return LabResult(
        id=_observation_id(observation, report_id, loinc or display, effective),
        report_id=report_id,
        report_status=status,
        loinc=loinc,
        display=display,
        effective_at=effective,
        value=value,
        value_text=value_text,
        unit=unit,
        ref_low=low,
        ref_high=high,
        interpretation=_interpretation(observation),
    )


def _check_plausible(observation: dict, loinc: str, display: str, source: str, name: str) -> None:
    """The limits the hub applies (voice_assistant/fhir): a value that no laboratory could have measured (not
    finite, absurdly large, outside the plausible range of its code) or a date in the future refuses the file:
    a typing or transfer error must not be read to the patient as their result."""
    quantity = observation.get("valueQuantity") or {}
    raw = quantity.get("value") if "valueQuantity" in observation else observation.get("valueInteger")
    unit = quantity.get("code") or quantity.get("unit")
    problem = fhir_codes.implausible(loinc, raw, unit if isinstance(unit, str) else None)
    if problem is None:
        for field in ("effectiveDateTime", "effectiveInstant", "issued"):
            if isinstance(observation.get(field), str):
                problem = fhir_checks.date_problem(observation[field], datetime.now(timezone.utc))
                if problem:
                    break
    if problem:
        raise LabImportError(f"{source}: {name} ({display}): {problem}. Nothing was imported: ask the laboratory "
                             "for a corrected file.")


def _stricter(report_status: str, observation_status: str) -> str:
    """The report's status, unless the Observation's own one lets it be read less."""
    if _RANK.get(observation_status, 0) < _RANK.get(report_status, 0):
        return observation_status
    return report_status


def _code(code: dict) -> tuple[str, str]:
    """(LOINC code or "", the name the laboratory gave)."""
    codings = [c for c in code.get("coding") or [] if isinstance(c, dict)]
    loinc = next((c for c in codings if c.get("system") in LOINC_SYSTEMS and c.get("code")), None)
    display = (code.get("text") or (loinc or {}).get("display")
               or next((c.get("display") for c in codings if c.get("display")), None)
               or (loinc or {}).get("code") or next((c.get("code") for c in codings if c.get("code")), None)
               or "?")
    return (loinc["code"] if loinc else ""), display


def _value_fields(observation: dict) -> tuple[float | None, str | None, str | None]:
    """(value, value_text, unit)."""
    quantity = observation.get("valueQuantity")
    if quantity is not None:
        number = quantity.get("value")
        unit = quantity.get("unit") or quantity.get("code")
        if number is None:
            return None, None, unit
        return float(number), quantity.get("comparator"), unit
    if observation.get("valueInteger") is not None:
        return float(observation["valueInteger"]), None, None
    if observation.get("valueString") is not None:
        return None, observation["valueString"], None
    concept = observation.get("valueCodeableConcept")
    if concept is not None:
        codings = concept.get("coding") or []
        text = concept.get("text") or next((c.get("display") or c.get("code") for c in codings
                                            if c.get("display") or c.get("code")), None)
        return None, text, None
    if observation.get("valueBoolean") is not None:
        return None, str(observation["valueBoolean"]).lower(), None
    return None, None, None


def _reference_range(observation: dict) -> tuple[float | None, float | None]:
    """Low and high of the first "normal" reference range (or the first one without a type)."""
    for reference_range in observation.get("referenceRange") or []:
        kind = reference_range.get("type") or {}
        codes = {c.get("code") for c in kind.get("coding") or []}
        if kind and "normal" not in codes:
            continue
        low = (reference_range.get("low") or {}).get("value")
        high = (reference_range.get("high") or {}).get("value")
        if low is not None or high is not None:
            return (None if low is None else float(low)), (None if high is None else float(high))
    return None, None


def _interpretation(observation: dict) -> str | None:
    for concept in observation.get("interpretation") or []:
        codings = [c for c in concept.get("coding") or [] if c.get("code")]
        preferred = [c for c in codings if c.get("system") == INTERPRETATION_SYSTEM] or codings
        if preferred:
            return str(preferred[0]["code"])
    return None


def _effective(resource: dict) -> str | None:
    """The date as written: effectiveDateTime, effectiveInstant, effectivePeriod's start (or end), else issued."""
    period = resource.get("effectivePeriod") or {}
    for candidate in (resource.get("effectiveDateTime"), resource.get("effectiveInstant"), period.get("start"),
                      period.get("end"), resource.get("issued")):
        if candidate:
            return str(candidate)
    return None


def _observation_id(observation: dict, report_id: str | None, test: str, effective: str) -> str:
    if observation.get("id"):
        return str(observation["id"])
    identifier = _first_identifier(observation)
    if identifier:
        return identifier
    return _stable_hash("obs", report_id or "", test, effective)


def _report_id(report: dict) -> str:
    if report.get("id"):
        return str(report["id"])
    identifier = _first_identifier(report)
    if identifier:
        return identifier
    _, name = _code(report.get("code") or {})
    return _stable_hash("report", name, _effective(report) or "")


def _first_identifier(resource: dict) -> str | None:
    for identifier in resource.get("identifier") or []:
        if identifier.get("value"):
            system = identifier.get("system")
            return f"{system}|{identifier['value']}" if system else str(identifier["value"])
    return None


def _stable_hash(kind: str, *parts: str) -> str:
    digest = hashlib.sha256(json.dumps([kind, *parts], ensure_ascii=False).encode("utf-8")).hexdigest()
    return f"{kind}-sha256-{digest[:32]}"
