"""What the hub accepts and how it reads it: validation with `fhir.resources` (R4B models, R4-compatible),
OperationOutcome answers, and the values it indexes (patient, clinical time, codes, identifiers, tags)."""

from __future__ import annotations

import re
from datetime import datetime

from voice_assistant.fhir import checks, codes
from voice_assistant.fhir.dates import date_range, instant, utc_text  # noqa: F401 - the hub's names for them

from voice_assistant.errors import RemoteError

#: The resource types a device sends (see voice_assistant/sync/fhir.py), plus Communication for alerts.
SUPPORTED_TYPES = ("Observation", "MedicationAdministration", "MedicationRequest", "Flag", "Provenance",
                   "Communication", "Patient")


class FhirError(RemoteError):
    """An error answered as an OperationOutcome with an HTTP status."""

    def __init__(self, status: int, code: str, diagnostics: str, expression: list[str] | None = None,
                 issues: list[dict] | None = None, headers: dict | None = None):
        super().__init__(diagnostics)
        self.status = status
        self.issues = issues or [issue(code, diagnostics, expression)]
        self.headers = headers or {}

    @property
    def outcome(self) -> dict:
        return operation_outcome(self.issues)


def issue(code: str, diagnostics: str, expression: list[str] | None = None, severity: str = "error") -> dict:
    entry = {"severity": severity, "code": code, "diagnostics": diagnostics}
    if expression:
        entry["expression"] = expression
    return entry


def operation_outcome(issues: list[dict]) -> dict:
    return {"resourceType": "OperationOutcome", "issue": issues}


# -- validation ---------------------------------------------------------------------------------------------

_MODELS: dict[str, type] = {}


def _model(resource_type: str):
    model = _MODELS.get(resource_type)
    if model is None:
        from fhir.resources.R4B import get_fhir_model_class

        model = _MODELS[resource_type] = get_fhir_model_class(resource_type)
    return model


def _path(resource_type: str, loc: tuple) -> str:
    parts = [resource_type]
    for part in loc:
        if isinstance(part, int):
            parts[-1] += f"[{part}]"
        else:
            parts.append(str(part))
    return ".".join(parts)


def check_plausible(resource: object, now: datetime | None = None) -> None:
    """Refuse, with 422 and an OperationOutcome naming each problem, what no device could have measured:
    numbers that are not finite or absurdly large, values outside the plausible range of their code, dates
    in the future beyond clock skew (or before 1900), nesting deeper than the contract allows
    (voice_assistant/fhir/checks.py). Run before the FHIR model sees the resource."""
    found = checks.problems(resource, now)
    if found:
        issues = [issue("value" if "nested" not in text else "structure", f"{where}: {text}", [where])
                  for where, text in found]
        raise FhirError(422, issues[0]["code"], issues[0]["diagnostics"], issues=issues)


def validate(resource: object, expected_type: str | None = None, now: datetime | None = None) -> dict:
    """Check a resource's plausibility (422) and then the FHIR R4B model of its type (400), naming every
    problem."""
    if not isinstance(resource, dict):
        raise FhirError(400, "structure", "The body is not a FHIR resource (a JSON object was expected).")
    resource_type = resource.get("resourceType")
    if not isinstance(resource_type, str) or not resource_type:
        raise FhirError(400, "required", "The resource has no resourceType.", ["resourceType"])
    if expected_type is not None and resource_type != expected_type:
        raise FhirError(400, "invalid", f"The body is a {resource_type} but the URL names {expected_type}.",
                        ["resourceType"])
    if resource_type not in SUPPORTED_TYPES:
        raise FhirError(400, "not-supported", f"This hub does not store {resource_type} resources "
                        f"(it stores {', '.join(SUPPORTED_TYPES)}).", ["resourceType"])
    check_plausible(resource, now)
    from pydantic import ValidationError

    try:
        _model(resource_type).model_validate(resource)
    except ValidationError as exc:
        problems = [issue("invalid" if err.get("type") != "missing" else "required",
                          f"{_path(resource_type, err.get('loc', ()))}: {err.get('msg')}",
                          [_path(resource_type, err.get("loc", ()))]) for err in exc.errors()[:20]]
        raise FhirError(400, "invalid", problems[0]["diagnostics"], issues=problems) from None
    except (ValueError, TypeError) as exc:
        raise FhirError(400, "invalid", f"{resource_type}: {exc}") from None
    return resource


# -- what is indexed ----------------------------------------------------------------------------------------

_PATIENT_REF = re.compile(r"(?:^|/)Patient/([A-Za-z0-9\-.]{1,64})(?:/_history/[^/]+)?$")


#: A device that does not know the patient's id on the server names the patient by this identifier (see
#: voice_assistant/sync/outbox.py); the hub files such data under the identifier's value.
DEVICE_PATIENT_SYSTEM = codes.PATIENT_SYSTEM
_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")


def patient_id(reference: object) -> str | None:
    """`Patient/p-42` (or an absolute URL ending so) -> `p-42`; a device's patient identifier -> its value."""
    if isinstance(reference, dict):
        ident = reference.get("identifier")
        if not reference.get("reference") and isinstance(ident, dict) \
                and ident.get("system") == DEVICE_PATIENT_SYSTEM and _ID.fullmatch(str(ident.get("value", ""))):
            return str(ident["value"])
        reference = reference.get("reference")
    if not isinstance(reference, str):
        return None
    match = _PATIENT_REF.search(reference)
    return match.group(1) if match else None


def resource_patient(resource: dict) -> str | None:
    """The patient a resource is about: its subject or patient, for a Provenance its author agent, for a
    Patient itself (its identifier in the device's patient system, the id devices send for)."""
    if resource.get("resourceType") == "Patient":
        for ident in resource.get("identifier") or []:
            if isinstance(ident, dict) and ident.get("system") == DEVICE_PATIENT_SYSTEM \
                    and _ID.fullmatch(str(ident.get("value", ""))):
                return str(ident["value"])
        return None
    for key in ("subject", "patient"):
        found = patient_id(resource.get(key))
        if found:
            return found
    if resource.get("resourceType") == "Provenance":
        for agent in resource.get("agent") or []:
            found = patient_id(agent.get("who"))
            if found:
                return found
    return None


def resource_date(resource: dict) -> str | None:
    """The resource's clinical time in UTC (fixed width), or None."""
    kind = resource.get("resourceType")
    candidates: list[object]
    if kind in ("Observation", "MedicationAdministration"):
        candidates = [resource.get("effectiveDateTime"), resource.get("effectiveInstant"),
                      (resource.get("effectivePeriod") or {}).get("start"), resource.get("issued")]
    elif kind == "MedicationRequest":
        candidates = [resource.get("authoredOn")]
    elif kind == "Flag":
        candidates = [(resource.get("period") or {}).get("start")]
    elif kind == "Provenance":
        candidates = [resource.get("recorded"), resource.get("occurredDateTime")]
    elif kind == "Communication":
        candidates = [resource.get("sent"), resource.get("received")]
    else:
        candidates = []
    for value in candidates:
        if isinstance(value, str):
            try:
                return utc_text(date_range(value)[0])
            except ValueError:
                continue
    return None


def resource_codes(resource: dict) -> list[tuple[str, str]]:
    concepts = [resource.get("code"), resource.get("medicationCodeableConcept")]
    for category in resource.get("category") or []:
        if resource.get("resourceType") == "Communication":
            concepts.append(category)
    codes = []
    for concept in concepts:
        if isinstance(concept, dict):
            for coding in concept.get("coding") or []:
                if coding.get("code"):
                    codes.append((coding.get("system") or "", coding["code"]))
    return codes


def resource_identifiers(resource: dict) -> list[tuple[str, str]]:
    return [(ident.get("system") or "", ident["value"]) for ident in resource.get("identifier") or []
            if isinstance(ident, dict) and ident.get("value")]


def resource_tags(resource: dict) -> list[tuple[str, str]]:
    return [(tag.get("system") or "", tag["code"]) for tag in (resource.get("meta") or {}).get("tag") or []
            if isinstance(tag, dict) and tag.get("code")]

