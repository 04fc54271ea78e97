"""What the dashboard shows, computed from the stored resources: per patient, the last 14 days of readings
(with the transcript and the recogniser's confidence from their Provenance), alerts, medication adherence,
and what needs the clinician's attention since the patient was last marked as reviewed."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from voice_assistant.fhir import codes as fhir_codes
from voice_assistant.hub import resources as res
from voice_assistant.hub import store
from voice_assistant.hub.db import HubDatabase

log = logging.getLogger(__name__)

WINDOW_DAYS = 14
LOW_CONFIDENCE = 0.7  #: a reading recognised with less than this needs a look
#: Glucose Observations the dashboard charts (LOINC): capillary by meter first, then blood/serum/plasma.
GLUCOSE_MG_DL_CODES = fhir_codes.GLUCOSE_MG_DL_CODES
GLUCOSE_MMOL_L_CODES = fhir_codes.GLUCOSE_MMOL_L_CODES
MG_DL_PER_MMOL_L = fhir_codes.MG_DL_PER_MMOL_L
SEVERE_KINDS = ("severe_hypoglycaemia", "emergency")
HYPO_KINDS = ("hypoglycaemia",)
#: Reference band (international consensus on time in range); the patient's own targets live on the device.
TARGET_LOW, TARGET_HIGH, HYPO_BELOW, SEVERE_BELOW = 70, 180, 70, 54
DEVICE_CODES = fhir_codes.CODES
RECOGNITION_URL = fhir_codes.RECOGNITION_URL


def parse_time(text: str | None) -> datetime | None:
    """A FHIR dateTime as an aware datetime in its own offset (UTC when it has none)."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, TypeError):
        try:
            return res.date_range(text)[0]
        except (ValueError, TypeError):
            return None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    try:
        moment.astimezone(timezone.utc)  # 9999-12-31T23:59:59-14:00 cannot be placed in UTC: not a time to show
    except OverflowError:
        return None
    return moment


@dataclass
class ReadingView:
    at: datetime
    mg_dl: float
    context: str | None
    said: str | None  #: the value and unit as the patient said them
    transcript: str | None
    arrived: str
    key: tuple[str, str] | None  #: its first identifier (system, value), which its Provenance points at
    asr: float | None = None
    nlu: float | None = None
    origin: str | None = None

    @property
    def confidence(self) -> float | None:
        values = [v for v in (self.asr, self.nlu) if v is not None]
        return min(values) if values else None

    @property
    def low_confidence(self) -> bool:
        return self.confidence is not None and self.confidence < LOW_CONFIDENCE


@dataclass
class AlertView:
    kind: str
    text: str
    at: datetime | None
    arrived: str
    words: str | None = None  #: what the patient said that raised it
    confirmed: bool | None = None  #: whether the patient confirmed it (None: not asked)


@dataclass
class MedicationView:
    name: str
    code: str | None = None  #: the device's medication code (names per language: PatientSummary.medication_names)
    taken: int = 0
    missed: int = 0
    last_missed: datetime | None = None
    #: the reminder times of its active plans (MedicationRequests), each once on a day or every day/week
    plan: tuple["PlanTime", ...] = ()

    @property
    def percent_taken(self) -> int | None:
        total = self.taken + self.missed
        return round(100 * self.taken / total) if total else None


@dataclass
class PatientSummary:
    patient: str
    devices: list[str] = field(default_factory=list)
    readings: list[ReadingView] = field(default_factory=list)
    alerts: list[AlertView] = field(default_factory=list)
    medications: list[MedicationView] = field(default_factory=list)
    reviewed_at: str | None = None
    reviewer: str | None = None
    latest_arrival: str = ""
    #: what arrived since the last review (in the window): the attention counts
    severe: int = 0
    hypo: int = 0
    missed: int = 0
    low_confidence: int = 0
    other_alerts: int = 0
    unreadable: int = 0  #: stored rows left out because they cannot be read
    display_name: str | None = None  #: from the Patient the device sent (only when the patient agreed)
    targets: dict[str, float] = field(default_factory=dict)  #: the patient's own, mg/dL (target_low, ...)
    medication_names: dict[str, dict[str, str]] = field(default_factory=dict)  #: code -> language -> name

    def medication_name(self, medication: "MedicationView", lang: str) -> str:
        """The medicine's name in the page's language, as the patient's profile names it."""
        names = self.medication_names.get(medication.code or "", {})
        return names.get(lang) or medication.name

    def in_range_shares(self) -> tuple[int, int] | None:
        """(% of readings 70-180 mg/dL, % below 70): the 2019 international consensus on time in range
        (Battelino et al.) asks > 50 % and < 1 % for older or high-risk patients."""
        if not self.readings:
            return None
        n = len(self.readings)
        inside = sum(1 for r in self.readings if TARGET_LOW <= r.mg_dl <= TARGET_HIGH)
        below = sum(1 for r in self.readings if r.mg_dl < TARGET_LOW)
        return round(100 * inside / n), round(100 * below / n)

    @property
    def last_reading(self) -> ReadingView | None:
        return self.readings[-1] if self.readings else None

    def sort_key(self) -> tuple:
        return (-self.severe, -self.hypo, -self.missed, -self.low_confidence, -self.other_alerts)

    def is_new(self, arrived: str) -> bool:
        return self.reviewed_at is None or arrived > self.reviewed_at


def _glucose_mg_dl(obs: dict) -> float | None:
    """The glucose value in mg/dL (from mg/dL, g/L or mmol/L, by the shared contract), or None when there is
    none or it is not a plausible measurement (a row stored before the hub checked values is skipped)."""
    codes = {c.get("code") for c in (obs.get("code") or {}).get("coding") or []}
    quantity = obs.get("valueQuantity") or {}
    value = quantity.get("value")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not fhir_codes.is_finite_number(value):
        return None
    unit = quantity.get("code") or quantity.get("unit")
    if not unit:
        unit = "mmol/L" if codes & set(GLUCOSE_MMOL_L_CODES) else "mg/dL" if codes & set(GLUCOSE_MG_DL_CODES) else ""
    mg_dl = fhir_codes.glucose_to_mg_dl(float(value), str(unit))
    if mg_dl is None:
        return None
    if fhir_codes.implausible(fhir_codes.GLUCOSE_MG_DL_CODES[0], mg_dl, "mg/dL"):
        return None
    return round(mg_dl, 1) if fhir_codes.unit_key(str(unit)) == "mmol/l" else mg_dl


def _is_glucose(obs: dict) -> bool:
    codes = {c.get("code") for c in (obs.get("code") or {}).get("coding") or []}
    return bool(codes & set(GLUCOSE_MG_DL_CODES + GLUCOSE_MMOL_L_CODES))


def _transcript(obs: dict) -> str | None:
    for note in obs.get("note") or []:
        text = (note.get("text") or "").strip()
        if text.startswith("Said:"):
            text = text[len("Said:"):].strip()
            if len(text) >= 2 and text[0] in "\u201c\"" and text[-1] in "\u201d\"":
                text = text[1:-1]
            return text
    notes = [n.get("text") for n in obs.get("note") or [] if n.get("text")]
    return " ".join(notes) or None


def _reading(item: store.Stored) -> ReadingView | None:
    obs = item.body
    if not _is_glucose(obs):
        return None
    value = _glucose_mg_dl(obs)
    at = parse_time(obs.get("effectiveDateTime") or obs.get("effectiveInstant")
                    or (obs.get("effectivePeriod") or {}).get("start"))
    if value is None or at is None:
        return None
    context = said = None
    for component in obs.get("component") or []:
        codes = {c.get("code") for c in (component.get("code") or {}).get("coding") or []}
        if "measurement-context" in codes:
            concept = component.get("valueCodeableConcept") or {}
            device = [c.get("code") for c in concept.get("coding") or [] if c.get("system") == DEVICE_CODES]
            context = device[0] if device else concept.get("text")
        elif "value-as-said" in codes:
            said = (component.get("code") or {}).get("text")
    idents = res.resource_identifiers(obs)
    return ReadingView(at=at, mg_dl=value, context=context, said=said, transcript=_transcript(obs),
                       arrived=item.last_updated, key=idents[0] if idents else None)


def _recognition(provenance: dict) -> tuple[float | None, float | None]:
    asr = nlu = None
    for ext in provenance.get("extension") or []:
        if ext.get("url") != RECOGNITION_URL:
            continue
        for sub in ext.get("extension") or []:
            if sub.get("url") == "asr-confidence":
                asr = sub.get("valueDecimal")
            elif sub.get("url") == "nlu-confidence":
                nlu = sub.get("valueDecimal")
    return asr, nlu


def _alert(item: store.Stored) -> AlertView | None:
    flag = item.body
    if flag.get("status") != "active":
        return None
    code = flag.get("code") or {}
    kinds = [c.get("code") for c in code.get("coding") or [] if c.get("code")]
    device = [c.get("code") for c in code.get("coding") or [] if c.get("system") == DEVICE_CODES]
    kind = (device or kinds or ["other"])[0]
    said = confirmed = None
    for ext in flag.get("extension") or []:
        if ext.get("url") == fhir_codes.WORDS_URL and isinstance(ext.get("valueString"), str):
            said = ext["valueString"]
        elif ext.get("url") == fhir_codes.CONFIRMATION_URL and isinstance(ext.get("valueBoolean"), bool):
            confirmed = ext["valueBoolean"]
    return AlertView(kind=kind, text=code.get("text") or kind, at=parse_time((flag.get("period") or {}).get("start")),
                     arrived=item.last_updated, words=said, confirmed=confirmed)


@dataclass(frozen=True, order=True)
class PlanTime:
    """One reminder time of a plan: "08:00" every day (or week), or once, on `once_on` ("2026-12-08"), for a reminder
    the patient asked "in 30 minutes"."""

    time: str
    once_on: str | None = None


def _plan(request: dict) -> tuple[PlanTime, ...]:
    times: set[PlanTime] = set()
    for dosage in request.get("dosageInstruction") or []:
        repeat = ((dosage.get("timing") or {}).get("repeat")) or {}
        start = str(((repeat.get("boundsPeriod") or {}).get("start")) or "")[:10]
        once_on = start if repeat.get("count") == 1 and start else None
        times |= {PlanTime(str(t)[:5], once_on) for t in repeat.get("timeOfDay") or []}
    return tuple(sorted(times))


def _medication_name(resource: dict) -> str:
    concept = resource.get("medicationCodeableConcept") or {}
    codes = [c.get("code") for c in concept.get("coding") or [] if c.get("code")]
    return concept.get("text") or (codes[0] if codes else "?")


def _medication_code(resource: dict) -> str | None:
    concept = resource.get("medicationCodeableConcept") or {}
    return next((c.get("code") for c in concept.get("coding") or []
                 if c.get("system") == fhir_codes.MEDICATION_CODES and c.get("code")), None)


def _patient_details(summary: "PatientSummary", body: dict) -> None:
    """Display name, targets and medicine names from the Patient the device sent."""
    names = [n.get("text") for n in body.get("name") or [] if isinstance(n, dict) and n.get("text")]
    summary.display_name = names[0] if names else None
    for ext in body.get("extension") or []:
        if ext.get("url") == fhir_codes.TARGETS_URL:
            for sub in ext.get("extension") or []:
                value = (sub.get("valueQuantity") or {}).get("value")
                if isinstance(value, (int, float)) and fhir_codes.is_finite_number(value) and 0 < value < 1000:
                    summary.targets[str(sub.get("url"))] = float(value)
        elif ext.get("url") == fhir_codes.MEDICATION_NAMES_URL:
            subs = ext.get("extension") or []
            code = next((x.get("valueCode") for x in subs if x.get("url") == "code"), None)
            if code:
                summary.medication_names[code] = {x["url"]: x["valueString"] for x in subs
                                                  if x.get("url") != "code" and isinstance(x.get("valueString"), str)}


def _device_names(conn, patient: str) -> list[str]:
    rows = conn.execute("SELECT name FROM tokens WHERE kind='device' AND patient=? AND revoked_at IS NULL "
                        "ORDER BY name", (patient,)).fetchall()
    return [row[0] for row in rows]


def _take(item: store.Stored, summary: "PatientSummary", confidence: dict, medications: dict) -> None:
    """Add one stored resource to the summary."""
    body = item.body
    if item.type == "Observation":
        reading = _reading(item)
        if reading is not None:
            summary.readings.append(reading)
    elif item.type == "Provenance":
        for target in body.get("target") or []:
            ident = target.get("identifier") or {}
            if ident.get("value"):
                asr, nlu = _recognition(body)
                confidence[(ident.get("system") or "", ident["value"])] = (
                    asr, nlu, (body.get("activity") or {}).get("text"))
    elif item.type == "Flag":
        alert = _alert(item)
        if alert is not None:
            summary.alerts.append(alert)
            if summary.is_new(alert.arrived):
                if alert.kind in SEVERE_KINDS:
                    summary.severe += 1
                elif alert.kind in HYPO_KINDS:
                    summary.hypo += 1
                elif alert.kind != "missed_dose":  # missed doses are counted from the administrations
                    summary.other_alerts += 1
    elif item.type == "MedicationAdministration":
        name = _medication_name(body)
        view = medications.setdefault(name, MedicationView(name, _medication_code(body)))
        if body.get("status") == "completed":
            view.taken += 1
        elif body.get("status") in ("not-done", "stopped"):
            view.missed += 1
            at = parse_time(body.get("effectiveDateTime") or (body.get("effectivePeriod") or {}).get("start"))
            if at is not None and (view.last_missed is None or at > view.last_missed):
                view.last_missed = at
            if summary.is_new(item.last_updated):
                summary.missed += 1


def summarize_patient(db: HubDatabase, patient: str, now: datetime, days: int = WINDOW_DAYS) -> PatientSummary:
    start = res.utc_text(now - timedelta(days=days))
    with db.connect() as conn:
        items = store.since(conn, patient, start)
        review = conn.execute("SELECT reviewed_at, reviewer FROM reviews WHERE patient=?", (patient,)).fetchone()
        devices = _device_names(conn, patient)
        plans = [store.Stored.from_row(row) for row in conn.execute(
            "SELECT * FROM resources WHERE type='MedicationRequest' AND patient=? AND status='active'",
            (patient,))]
    summary = PatientSummary(patient=patient, devices=devices,
                             reviewed_at=review["reviewed_at"] if review else None,
                             reviewer=review["reviewer"] if review else None)
    confidence: dict[tuple[str, str], tuple[float | None, float | None, str | None]] = {}
    medications: dict[str, MedicationView] = {}
    for plan in plans:
        name = _medication_name(plan.body)
        # (a medicine may have several plans, one per reminder: "08:00" and "20:00" are two)
        view = medications.setdefault(name, MedicationView(name, _medication_code(plan.body)))
        view.plan = tuple(sorted(set(view.plan) | set(_plan(plan.body))))
    with db.connect() as conn:
        row = conn.execute("SELECT * FROM resources WHERE type='Patient' AND patient=? ORDER BY last_updated DESC "
                           "LIMIT 1", (patient,)).fetchone()
    if row is not None:
        try:
            _patient_details(summary, store.Stored.from_row(row).body)
        except (ValueError, TypeError, AttributeError, KeyError):
            log.warning("dashboard: a stored Patient could not be read and is left out")
    for item in items:
        summary.latest_arrival = max(summary.latest_arrival, item.last_updated)
        try:
            _take(item, summary, confidence, medications)
        except (ValueError, TypeError, AttributeError, OverflowError, KeyError, RecursionError):
            # a row no check would take today (stored by an older hub): the page shows everything else
            log.warning("dashboard: a stored %s could not be read and is left out", item.type)
            summary.unreadable += 1
    for reading in summary.readings:
        if reading.key in confidence:
            reading.asr, reading.nlu, reading.origin = confidence[reading.key]
        if reading.low_confidence and summary.is_new(reading.arrived):
            summary.low_confidence += 1
    summary.readings.sort(key=lambda r: r.at)
    summary.alerts.sort(key=lambda a: a.at or datetime.min.replace(tzinfo=timezone.utc), reverse=True)
    summary.medications = sorted(medications.values(), key=lambda m: (-m.missed, m.name))
    return summary


def summarize_all(db: HubDatabase, now: datetime, days: int = WINDOW_DAYS) -> list[PatientSummary]:
    """Every patient with data, the ones that need attention first (severe lows, lows, missed doses,
    readings to check), then by most recent activity."""
    with db.connect() as conn:
        patients = store.patients(conn)
    summaries = [summarize_patient(db, patient, now, days) for patient in patients]
    summaries.sort(key=lambda s: s.patient)
    summaries.sort(key=lambda s: s.latest_arrival, reverse=True)  # most recent activity first among equals
    summaries.sort(key=PatientSummary.sort_key)  # stable: what needs attention first
    return summaries


def mark_reviewed(db: HubDatabase, patient: str, reviewer: str, at: datetime | None = None) -> None:
    moment = res.utc_text(at or datetime.now(timezone.utc))
    with db.transaction() as conn:
        conn.execute("INSERT INTO reviews (patient, reviewed_at, reviewer) VALUES (?, ?, ?) "
                     "ON CONFLICT (patient) DO UPDATE SET reviewed_at=excluded.reviewed_at, "
                     "reviewer=excluded.reviewer", (patient, moment, reviewer))
