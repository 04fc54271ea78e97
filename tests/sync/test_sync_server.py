"""The sync suite against real FHIR servers (every target in synckit.TARGETS: Medplum's engine, and the hub
once it adds itself): exactly-once delivery, faults of every kind, dead letters."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from synckit import FakeClock, FaultTransport, FlakyProxy, identifiers, make_reading, sender_for

from voice_assistant.store import Store
from voice_assistant.sync import fhir
from voice_assistant.sync.outbox import enqueue_alert, enqueue_dose, enqueue_reading, enqueue_reminder_plan
from voice_assistant.sync.sender import RetryPolicy, dead_letter_outcome

NO_INLINE = dict(inline_wait=0.0)


def capture(store: Store, parties, readings) -> None:
    for r in readings:
        with store.transaction():
            store.add_reading(r)
            enqueue_reading(store, r, parties)


def assert_once(target, parties, readings) -> None:
    """Each reading is on the server exactly once, as LOINC 41653-7 in mg/dL with its value and time, with
    exactly one Provenance."""
    found = target.for_patient("Observation", parties.patient_id)
    assert sorted(identifiers(found)) == sorted(r.uuid for r in readings)
    by_id = {o["identifier"][0]["value"]: o for o in found}
    for r in readings:
        obs = by_id[r.uuid]
        assert obs["code"]["coding"][0]["code"] == "41653-7"
        assert obs["valueQuantity"]["code"] == "mg/dL" and obs["valueQuantity"]["value"] == r.glucose_mg_dl
        assert datetime.fromisoformat(obs["effectiveDateTime"]) == r.measured_at
        assert len(target.provenances_of("Observation", r.uuid)) == 1


def test_readings_sent_twice_are_stored_once(fhir_target, store, tmp_path):
    parties = fhir_target.new_patient()
    readings = [make_reading(i) for i in range(5)]
    capture(store, parties, readings)
    with sender_for(store, fhir_target) as sender:
        first = sender.send_pending()
        second = sender.send_pending()
    assert len(first.sent) == 10 and first.pending == 0
    assert second.items == [] and second.sent_total == 10
    assert_once(fhir_target, parties, readings)
    # The same readings queued again by another outbox (a restored backup, a second install): still once.
    with Store.open(tmp_path / "other.db") as other:
        capture(other, parties, readings)
        with sender_for(other, fhir_target) as sender:
            again = sender.send_pending()
    assert len(again.sent) == 10 and {i.status for i in again.sent} == {200}
    assert_once(fhir_target, parties, readings)


def test_doses_plans_and_alerts_go_once(fhir_target, store):
    from voice_assistant.store import Alert, MedicationEvent, reminder_event_id

    parties = fhir_target.new_patient()
    at = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    reminder = store.add_reminder("metformin", "08:00")
    event = MedicationEvent(id=reminder_event_id(reminder.id, "2026-11-24T08:00"),
                            medication_id="metformin", status="taken", at=at, source="reminder",
                            reminder_id=reminder.id)
    alert = Alert(kind="severe_hypoglycaemia", message="quarante", at=at)
    with store.transaction():
        enqueue_reminder_plan(store, reminder, parties)
        store.add_medication_event(event)
        enqueue_dose(store, event, parties)
        store.add_alert(alert)
        enqueue_alert(store, alert, parties)
    with sender_for(store, fhir_target) as sender:
        sender.send_pending()
        [stopped] = store.cancel_reminders(reminder_id=reminder.id)
        enqueue_reminder_plan(store, stopped, parties)
        sender.send_pending()
        sender.send_pending(force=True)
    assert store.outbox_items("pending") == []
    dead = [i.resource_key for i in store.outbox_items("dead")]
    plan_key = f"MedicationRequest/{parties.scoped(str(reminder.id))}"
    assert dead == ([] if fhir_target.supports_update else [f"{plan_key}@stopped"])
    [dose] = fhir_target.for_patient("MedicationAdministration", parties.patient_id)
    assert dose["identifier"][0]["value"] == parties.scoped(event.id) and dose["status"] == "completed"
    [flag] = fhir_target.for_patient("Flag", parties.patient_id)
    assert flag["code"]["coding"][0]["code"] == "severe_hypoglycaemia"
    plans = [p for p in fhir_target.for_patient("MedicationRequest", parties.patient_id)]
    # the revision updated the plan in place (or was refused whole by an append-only server)
    assert len(plans) == 1 and plans[0]["status"] == ("stopped" if fhir_target.supports_update else "active")


def test_duplicate_delivery_after_a_lost_response(fhir_target, store):
    """The server stores the reading but its answer never arrives: the retry finds it there (200), once."""
    parties = fhir_target.new_patient()
    readings = [make_reading(i) for i in range(2)]
    capture(store, parties, readings)
    faults = FaultTransport(fhir_target.transport(), [("lost", httpx.ReadError("connection reset by peer"))])
    clock = FakeClock()
    with sender_for(store, fhir_target, transport=faults, clock=clock, sleep=clock.sleep) as sender:
        report = sender.send_pending()
    assert len(report.sent) == 4 and report.sent[0].status == 200  # the retry found the stored one
    assert len(clock.slept) == 1 and len(faults.requests) == 5
    assert_once(fhir_target, parties, readings)


def test_lost_response_on_a_real_connection(fhir_target, store):
    parties = fhir_target.new_patient()
    readings = [make_reading(i) for i in range(3)]
    capture(store, parties, readings)
    proxy = FlakyProxy(fhir_target.base_url)
    proxy.script = ["lost", "forward", "lost", "lost"]
    target = replace(fhir_target, base_url=proxy.url(fhir_target.base_url))
    clock = FakeClock()
    try:
        with sender_for(store, target, clock=clock, sleep=clock.sleep) as sender:
            first = sender.send_pending()
            clock.advance(3600)
            second = sender.send_pending()
    finally:
        proxy.close()
    # three answers lost after the server stored the resource: each retry found it there (200)
    assert proxy.connections == 9 and [i.status for i in first.sent[:2]] == [200, 200]
    assert first.pending == 0 and second.items == []
    assert_once(fhir_target, parties, readings)


FAULTS = {
    "500": (("status", 500, None), False),
    "503": (("status", 503, None), True),
    "429 Retry-After seconds": (("status", 429, {"Retry-After": "120"}), True),
    "503 Retry-After date": (("status", 503, {"Retry-After": "DATE+300"}), True),
    "read timeout": (("raise", httpx.ReadTimeout("timed out")), True),
    "connect timeout": (("raise", httpx.ConnectTimeout("timed out")), True),
    "connection reset": (("raise", httpx.ReadError("[Errno 104] Connection reset by peer")), True),
    "server closed": (("raise", httpx.RemoteProtocolError("Server disconnected without sending a response")), True),
}


@pytest.mark.parametrize("name", list(FAULTS))
def test_fault_then_success(fhir_target, store, name):
    (fault, stops_pass) = FAULTS[name]
    clock = FakeClock(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    if fault[0] == "status" and fault[2] and fault[2]["Retry-After"].startswith("DATE+"):
        when = clock.now + timedelta(seconds=int(fault[2]["Retry-After"][5:]))
        fault = ("status", fault[1], {"Retry-After": when.strftime("%a, %d %b %Y %H:%M:%S GMT")})
    parties = fhir_target.new_patient()
    readings = [make_reading(0)]
    capture(store, parties, readings)
    faults = FaultTransport(fhir_target.transport(), [fault])
    policy = RetryPolicy(rng=random.Random(1), **NO_INLINE)
    with sender_for(store, fhir_target, transport=faults, clock=clock, sleep=clock.sleep, policy=policy) as sender:
        first = sender.send_pending()
        [failed] = [i for i in store.outbox_items() if i.attempts == 1 and i.state == "pending"]
        wait = (failed.next_attempt_at - clock.now).total_seconds()
        if "Retry-After" in name:
            assert wait == pytest.approx(120 if "seconds" in name else 300, abs=1)
        else:
            assert 0.5 <= wait <= 1.0  # first backoff: base 1 s, jitter in the upper half
        assert failed.last_error and first.last_error
        assert (first.stopped is not None) == stops_pass
        assert len(first.sent) == (0 if stops_pass else 1)  # a 500 on one item does not hold back the others
        clock.advance(wait / 2)
        early = sender.send_pending()
        assert early.items == [] or not stops_pass
        clock.advance(wait)
        late = sender.send_pending()
    assert late.pending == 0, late
    assert_once(fhir_target, parties, readings)


@pytest.mark.parametrize("mode", ["reset", "hang", "down"])
def test_real_network_faults(fhir_target, store, mode):
    parties = fhir_target.new_patient()
    readings = [make_reading(i) for i in range(2)]
    capture(store, parties, readings)
    proxy = FlakyProxy(fhir_target.base_url)
    target = replace(fhir_target, base_url=proxy.url(fhir_target.base_url))
    if mode == "down":
        proxy.down()
    else:
        proxy.mode = mode
    clock = FakeClock()
    try:
        with sender_for(store, target, clock=clock, sleep=clock.sleep, timeout=0.5) as sender:
            first = sender.send_pending()
            assert first.sent == [] and first.pending == 4 and first.stopped
            assert first.offline == (mode == "down")
            if mode == "down":
                proxy.up()
            proxy.mode = "forward"
            clock.advance(3600)
            second = sender.send_pending()
    finally:
        proxy.close()
    assert second.pending == 0 and len(second.sent) == 4
    assert_once(fhir_target, parties, readings)


def test_server_down_for_a_long_stretch(fhir_target, store):
    """Six hours without a server: attempts thin out exponentially (capped), nothing is lost, and everything
    goes once the server is back."""
    parties = fhir_target.new_patient()
    readings = [make_reading(i) for i in range(4)]
    capture(store, parties, readings)
    proxy = FlakyProxy(fhir_target.base_url)
    target = replace(fhir_target, base_url=proxy.url(fhir_target.base_url))
    proxy.down()
    clock = FakeClock(datetime(2026, 11, 24, 0, 0, tzinfo=UTC))
    transport = FaultTransport(target.transport())
    policy = RetryPolicy(base=1.0, cap=1800.0, rng=random.Random(3))
    attempts_at = []
    try:
        with sender_for(store, target, transport=transport, clock=clock, sleep=clock.sleep, policy=policy) as sender:
            while clock.now < datetime(2026, 11, 24, 6, 0, tzinfo=UTC):
                before = len(transport.requests)
                report = sender.send_pending()  # what the background sender does every minute
                if len(transport.requests) > before:
                    attempts_at.append(clock.now)
                    assert report.offline and report.pending == 8
                clock.advance(60)
            proxy.up()
            waited = sender.send_pending()
            clock.now = datetime.fromisoformat(store.get_setting("sync.server_retry_at"))
            back = sender.send_pending()
    finally:
        proxy.close()
    gaps = [(b - a).total_seconds() for a, b in zip(attempts_at, attempts_at[1:], strict=False)]
    assert 12 <= len(attempts_at) <= 30, attempts_at  # not 360 (one a minute)
    assert max(gaps) <= 1800 + 60
    assert gaps[-1] >= 900  # at the cap, with jitter in its upper half
    assert waited.waited and waited.items == []
    assert back.pending == 0 and len(back.sent) == 8
    assert_once(fhir_target, parties, readings)


def test_a_400_is_a_dead_letter_with_the_outcome_and_one_alert(fhir_target, store):
    parties = fhir_target.new_patient()
    good = make_reading(1)
    capture(store, parties, [good])
    bad = fhir.glucose_observation(make_reading(2), parties)
    bad["status"] = "not-a-status"
    del bad["code"]
    store.enqueue("Observation", f"Observation/{bad['identifier'][0]['value']}", bad)
    with sender_for(store, fhir_target) as sender:
        report = sender.send_pending()
        again = sender.send_pending(force=True)
    [dead] = store.outbox_items("dead")
    assert dead.resource_key == f"Observation/{bad['identifier'][0]['value']}"
    assert dead.last_error.startswith("HTTP 400")
    outcome = dead_letter_outcome(dead)
    assert outcome["resourceType"] == "OperationOutcome" and outcome["issue"][0]["severity"] == "error"
    assert [i.key for i in report.dead_now] == [dead.resource_key] and again.items == []
    alerts = [a for a in store.alerts() if a.kind == "sync_dead_letter"]
    assert len(alerts) == 1 and dead.resource_key in alerts[0].message
    assert_once(fhir_target, parties, [good])  # the good one went through all the same


def test_several_matches_412_is_a_dead_letter(fhir_target, store):
    parties = fhir_target.new_patient()
    r = make_reading(0)
    obs = fhir.glucose_observation(r, parties)
    for _ in range(2):  # another client stored it twice, without a condition
        answer = fhir_target.post(obs)
        if answer.status_code != 201:
            pytest.skip(f"{fhir_target.name} keeps identifiers unique ({answer.status_code}): no several matches")
    capture(store, parties, [r])
    with sender_for(store, fhir_target) as sender:
        report = sender.send_pending()
    [dead] = report.dead_now
    assert dead.status == 412 and dead.key == f"Observation/{r.uuid}"
    assert len([a for a in store.alerts() if a.kind == "sync_dead_letter"]) == 1
