"""`voice-assistant sync` and `sync status`, against the real servers and with no connection at all."""

from __future__ import annotations

import json
import socket
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from synckit import identifiers, make_reading
from typer.testing import CliRunner

from voice_assistant.profile import default_profile_data
from voice_assistant.store import Store
from voice_assistant.sync.cli import sync_app
from voice_assistant.sync.outbox import device_parties, enqueue_reading


def setup_device(tmp_path: Path, patient_id: str | None, readings) -> dict[str, str]:
    """A profile (with the clinician's patient id) and a database holding readings saved as `chat` saves
    them (with their outbox rows); the environment that points the commands at them."""
    data = default_profile_data()
    data["clinician"] = {"fhir_base_url": None, "patient_id": patient_id}
    config = tmp_path / "config" / "voice-assistant"
    config.mkdir(parents=True)
    (config / "profile.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with Store.open(tmp_path / "data" / "voice-assistant" / "assistant.db") as store:
        parties = device_parties(store, SimpleNamespace(clinician=data["clinician"]))
        for r in readings:  # as the recording service saves them: the reading and its outbox rows together
            with store.transaction():
                store.add_reading(r)
                enqueue_reading(store, r, parties, origin="spoken" if r.asr_confidence is not None else "typed")
    return {"XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data")}


def run(env, *args):
    result = CliRunner().invoke(sync_app, list(args), env=env)
    return result.exit_code, result.output


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_sync_twice_sends_each_reading_once(fhir_target, tmp_path):
    patient = fhir_target.new_patient().patient_id
    readings = [make_reading(0), replace(make_reading(10), asr_confidence=None), make_reading(11)]  # one typed
    env = setup_device(tmp_path, patient, readings)
    args = ["--fhir-base-url", fhir_target.base_url] + (["--token", fhir_target.device_token]
                                                         if fhir_target.device_token else [])
    code, out = run(env, *args)
    assert code == 0, out
    # the readings, their origin, and the patient as the dashboard shows them (fhir.patient)
    assert f"Sent 3 readings, 3 origin records and 1 patient record to {fhir_target.base_url}." in out
    assert "Everything is with the clinician (7 records sent so far)." in out
    code, out = run(env, *args)
    assert code == 0 and "Nothing new to send." in out, out
    found = fhir_target.for_patient("Observation", patient)
    assert sorted(identifiers(found)) == sorted(r.uuid for r in readings)
    assert all(o["code"]["coding"][0]["code"] == "41653-7" and o["valueQuantity"]["code"] == "mg/dL" for o in found)

    code, out = run(env, "status", "--json")
    status = json.loads(out)
    assert code == 0 and status["pending"] == 0 and status["sent"] == 7 and status["dead"] == 0
    assert status["last_success_at"] and status["device_id"]
    code, out = run(env, "status")
    assert "Waiting to be sent: 0 (0 readings)" in out and "Sent: 7" in out and "Last success: 20" in out


def test_offline_exits_1_and_says_nothing_is_lost(tmp_path):
    env = setup_device(tmp_path, "p-1", [make_reading(i) for i in range(3)])
    code, out = run(env, "--fhir-base-url", f"http://127.0.0.1:{closed_port()}/fhir")
    assert code == 1, out  # something could not be sent: a script must notice
    assert "No connection to" in out and "3 readings wait on this device (7 records in all)" in out
    assert "Nothing is lost" in out
    code, out = run(env, "status", "--json")
    status = json.loads(out)
    assert status["pending"] == 7 and status["pending_readings"] == 3 and "no connection" in status["last_error"]
    assert status["last_success_at"] is None


def test_no_server_set(tmp_path):
    env = setup_device(tmp_path, None, [make_reading(0)])
    code, out = run(env)
    assert code == 1 and "No clinician server is set" in out and "1 reading waits on this device" in out, out


@pytest.mark.parametrize("url", ["http://fhir.example.org/R4", "not a url"])
def test_an_unusable_address_is_a_usage_error(tmp_path, url):
    env = setup_device(tmp_path, None, [])
    code, out = run(env, "--fhir-base-url", url)
    assert code == 2 and ("https://" in out or "not an address" in out)
