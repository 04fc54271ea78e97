"""Helpers for the hub tests: a tiny HTTP client (standard library) and resources made by the device's own
mapping (voice_assistant/sync/fhir.py), so the hub is tested on exactly what the devices send."""

from __future__ import annotations

import http.client
import json
import ssl
from dataclasses import dataclass
from pathlib import Path
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from voice_assistant.health.glucose import GlucoseUnit
from voice_assistant.hub import HubServer, TokenStore
from voice_assistant.store import Alert, MedicationEvent, Reading, Reminder, reminder_event_id
from voice_assistant.sync import fhir

PARIS = timezone(timedelta(hours=1))


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def json(self):
        return json.loads(self.text)


def call(url: str, method: str = "GET", token: str | None = None, body: object = None,
         headers: dict | None = None, context: ssl.SSLContext | None = None, raw: bytes | None = None) -> Response:
    parts = urlsplit(url)
    if parts.scheme == "https":
        conn = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=30, context=context)
    else:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    send_headers = {"Accept": "application/fhir+json"}
    if token:
        send_headers["Authorization"] = f"Bearer {token}"
    data = raw
    if body is not None:
        data = json.dumps(body).encode("utf-8")
        send_headers["Content-Type"] = "application/fhir+json"
    send_headers.update(headers or {})
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request(method, path, body=data, headers=send_headers)
        answer = conn.getresponse()
        return Response(answer.status, {k.lower(): v for k, v in answer.getheaders()},
                        answer.read().decode("utf-8"))
    finally:
        conn.close()


def parties(patient: str = "p-42", device: str = "device-7") -> fhir.Parties:
    return fhir.Parties(patient_id=patient, device_id=device)


def reading(value: float = 120, at: datetime | None = None, transcript: str = "ma glycémie est de un gramme "
            "vingt à jeun", context: str | None = "fasting", asr: float | None = 0.91,
            nlu: float | None = 0.97) -> Reading:
    return Reading(glucose_mg_dl=value, unit_said=GlucoseUnit.MG_DL, value_said=value, words_said=f"{value:g}",
                   measured_at=at or datetime.now(PARIS).replace(microsecond=0) - timedelta(hours=1),
                   transcript=transcript, context=context, asr_confidence=asr, nlu_confidence=nlu)


def observation(r: Reading, who: fhir.Parties | None = None) -> dict:
    return fhir.glucose_observation(r, who or parties())


def provenance(obs: dict, r: Reading, who: fhir.Parties | None = None) -> dict:
    return fhir.provenance(obs, r.measured_at, who or parties(), r.asr_confidence, r.nlu_confidence, "spoken")


def flag(kind: str = "severe_hypoglycaemia", at: datetime | None = None, who: fhir.Parties | None = None) -> dict:
    alert = Alert(kind=kind, message="j'ai fait quarante", at=at or datetime.now(PARIS).replace(microsecond=0))
    return fhir.alert_flag(alert, who or parties())


def dose(status: str = "taken", medication: str = "metformin", at: datetime | None = None, reminder_id: int = 3,
         who: fhir.Parties | None = None) -> dict:
    at = at or datetime.now(PARIS).replace(microsecond=0) - timedelta(hours=2)
    occurrence = at.strftime("%Y-%m-%dT%H:%M")
    event = MedicationEvent(id=reminder_event_id(reminder_id, occurrence), medication_id=medication, status=status,
                            at=at, source="reminder", reminder_id=reminder_id, occurrence=occurrence)
    return fhir.medication_administration(event, who or parties())


def plan(medication: str = "metformin", reminder_id: int = 3, who: fhir.Parties | None = None,
         time_of_day: str = "08:00", days: str = "daily") -> dict:
    reminder = Reminder(id=reminder_id, medication_id=medication, time_of_day=time_of_day, days=days,
                        dose_text="1 comprimé", active=True, created_at=datetime.now(PARIS).replace(microsecond=0))
    return fhir.medication_request(reminder, who or parties())


def post(hub, resource: dict, token: str, conditional: bool = True) -> Response:
    headers = {"If-None-Exist": fhir.if_none_exist(resource)} if conditional else {}
    return call(f"{hub.fhir}/{resource['resourceType']}", "POST", token, resource, headers)


@dataclass
class RunningHub:
    server: HubServer
    db_path: Path
    device: str  #: device token bound to Patient/p-42
    other_device: str  #: device token bound to Patient/p-7
    clinician: str

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def fhir(self) -> str:
        return self.server.fhir_base_url


def start_hub(tmp_path: Path, lang: str = "en", **kw) -> RunningHub:
    db_path = tmp_path / "hub.db"
    server = HubServer(db_path, host="127.0.0.1", port=0, lang=lang, quiet=True, **kw)
    tokens = TokenStore(server.app.db)
    hub = RunningHub(server, db_path, tokens.add("device", "kitchen", patient="p-42"),
                     tokens.add("device", "neighbour", patient="p-7"), tokens.add("clinician", "dr-martin"))
    server.start()
    return hub
