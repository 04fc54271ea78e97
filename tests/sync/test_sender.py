"""The sender's rules without a server: what each answer does to an item, backoff, Retry-After, TLS settings,
configuration, and the background sender."""

from __future__ import annotations

import json
import random
import ssl
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from synckit import FakeClock, make_reading, new_patient

from voice_assistant.profile import default_profile
from voice_assistant.store import Store
from voice_assistant.sync.auth import BearerAuth
from voice_assistant.sync.outbox import enqueue_reading, enqueue_reminder_plan
from voice_assistant.sync.sender import (
    BackgroundSender,
    OutboxSender,
    RetryPolicy,
    SyncConfig,
    SyncConfigError,
    check_base_url,
    make_client,
    parse_retry_after,
    sync_status,
)

BASE = "https://fhir.example.org/R4"
T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def answering(status: int, headers: dict | None = None, seen: list | None = None):
    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        return httpx.Response(status, headers=headers or {}, json={"resourceType": "OperationOutcome", "issue": [
            {"severity": "error", "code": "invalid", "diagnostics": f"answer {status}"}]})
    return httpx.MockTransport(handler)


def sender(store, transport, clock=None, **policy) -> OutboxSender:
    clock = clock or FakeClock(T0)
    return OutboxSender(store, BASE, BearerAuth("tok-1"), client=httpx.Client(transport=transport), clock=clock,
                        sleep=clock.sleep, policy=RetryPolicy(rng=random.Random(5), **policy))


def queue_one(store) -> None:
    r = make_reading(0)
    with store.transaction():
        store.add_reading(r)
        enqueue_reading(store, r, new_patient())


def test_request_is_a_conditional_create_with_the_token(store):
    seen: list[httpx.Request] = []
    queue_one(store)
    report = sender(store, answering(201, seen=seen)).send_pending()
    assert len(report.sent) == 2
    obs, prov = seen
    assert obs.method == "POST" and str(obs.url) == f"{BASE}/Observation"
    uuid = store.outbox_items()[0].payload["identifier"][0]["value"]
    assert obs.headers["If-None-Exist"] == f"identifier=urn:voice-assistant:reading|{uuid}"
    assert prov.headers["If-None-Exist"] == f"_tag=urn:voice-assistant:provenance|Observation/{uuid}"
    assert obs.headers["Authorization"] == "Bearer tok-1"
    assert obs.headers["Content-Type"] == "application/fhir+json"
    assert json.loads(obs.content)["resourceType"] == "Observation"
    status = sync_status(store)
    assert status["sent"] == 2 and status["pending"] == 0 and status["last_success_at"] == T0.isoformat()


def test_a_stopped_plan_is_a_conditional_update(store):
    seen: list[httpx.Request] = []
    reminder = store.add_reminder("metformin", "08:00")
    [stopped] = store.cancel_reminders(reminder_id=reminder.id)
    parties = new_patient()
    enqueue_reminder_plan(store, stopped, parties)
    sender(store, answering(200, seen=seen)).send_pending()
    assert seen[0].method == "PUT" and "If-None-Exist" not in seen[0].headers
    assert seen[0].url.params["identifier"] == f"urn:voice-assistant:reminder|{parties.device_id}:{reminder.id}"


@pytest.mark.parametrize("status, state, stops", [
    (400, "dead", False), (404, "pending", True), (405, "dead", False), (409, "pending", False), (410, "dead", False),
    (412, "dead", False), (422, "dead", False), (401, "pending", True), (403, "pending", True),
    (500, "pending", False), (501, "pending", False), (502, "pending", True), (503, "pending", True),
    (504, "pending", True), (429, "pending", True), (301, "pending", True),
])
def test_what_each_answer_does(store, status, state, stops):
    queue_one(store)
    report = sender(store, answering(status), inline_wait=0).send_pending()
    first = store.outbox_items()[0]
    assert first.state == state and first.attempts == 1
    assert first.last_error.startswith(f"HTTP {status}")
    assert (report.stopped is not None) == stops
    assert len(report.items) == (1 if stops else 2)
    dead_alerts = [a for a in store.alerts() if a.kind == "sync_dead_letter"]
    assert len(dead_alerts) == (2 if state == "dead" else 0)  # one per item (the Observation and its Provenance)


def test_inline_retries_use_sleep_then_leave_it_for_later(store):
    queue_one(store)
    clock = FakeClock(T0)
    report = sender(store, answering(500), clock=clock).send_pending()
    obs = store.outbox_items()[0]
    assert obs.attempts == 3 and len(clock.slept) >= 2  # two short in-pass retries, then a later one
    assert all(s <= 2.0 for s in clock.slept)
    assert obs.next_attempt_at > clock.now and report.retried


def test_backoff_grows_exponentially_with_jitter_and_a_cap():
    policy = RetryPolicy(base=1.0, cap=60.0, rng=random.Random(0))
    for attempts in range(12):
        ceiling = min(60.0, 2.0 ** attempts)
        delays = [policy.backoff(attempts) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 1  # jittered
    assert policy.delay(3, retry_after=30.0) == 30.0
    assert policy.delay(3, retry_after=10 ** 9) == policy.max_retry_after


def test_retry_after_seconds_or_http_date():
    now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    assert parse_retry_after("120", now) == 120
    assert parse_retry_after("Tue, 24 Nov 2026 09:05:00 GMT", now) == 300
    assert parse_retry_after("Tue, 24 Nov 2026 08:00:00 GMT", now) == 0  # in the past: now
    assert parse_retry_after("soon", now) is None and parse_retry_after(None, now) is None


def test_retry_after_is_honoured_for_the_whole_server(store):
    for i in range(3):
        r = make_reading(i)
        with store.transaction():
            store.add_reading(r)
            enqueue_reading(store, r, new_patient())
    clock = FakeClock(T0)
    seen: list = []
    s = sender(store, answering(429, {"Retry-After": "600"}, seen=seen), clock=clock)
    report = s.send_pending()
    assert len(seen) == 1 and report.next_try_at == T0 + timedelta(seconds=600)
    clock.advance(300)
    assert s.send_pending().waited and len(seen) == 1  # nothing asked before the server said
    s.send_pending(force=True)  # a person asked: try now
    assert len(seen) == 2


def test_unreachable_server_stops_the_pass_without_retrying_in_it(store):
    queue_one(store)
    calls = []

    def refuse(request):
        calls.append(request)
        raise httpx.ConnectError("[Errno 111] Connection refused")

    clock = FakeClock(T0)
    report = sender(store, httpx.MockTransport(refuse), clock=clock).send_pending()
    assert report.offline and len(calls) == 1 and clock.slept == []
    assert report.pending == 2 and report.pending_readings == 1
    assert "no connection" in sync_status(store)["last_error"]


def test_only_https_or_loopback_http():
    assert check_base_url("https://fhir.example.org/R4/") == "https://fhir.example.org/R4"
    assert check_base_url("http://127.0.0.1:8080/fhir") == "http://127.0.0.1:8080/fhir"
    assert check_base_url("http://localhost/fhir") == "http://localhost/fhir"
    for bad in ("http://fhir.example.org/R4", "http://10.0.0.2/fhir", "ftp://x", "fhir.example.org"):
        with pytest.raises(SyncConfigError):
            check_base_url(bad)


def test_tls_is_always_verified(tmp_path):
    client = make_client()
    context = client._transport._pool._ssl_context
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    with pytest.raises(SyncConfigError, match="ca_bundle"):
        make_client(ca_bundle=tmp_path / "missing.pem")
    assert make_client().timeout.connect == 5.0 and make_client().timeout.read == 20.0


def test_config_from_the_profile_and_the_command_line(tmp_path):
    profile = default_profile()
    assert SyncConfig.from_profile(profile).base_url is None
    profile = replace(profile, clinician={"fhir_base_url": "https://hub.example.org/fhir/", "token": "abc",
                                          "ca_bundle": str(tmp_path / "ca.pem")})
    config = SyncConfig.from_profile(profile)
    assert config.base_url == "https://hub.example.org/fhir" and config.token == "abc"
    assert config.ca_bundle == tmp_path / "ca.pem"
    over = SyncConfig.from_profile(profile, base_url="http://127.0.0.1:9/fhir", token="xyz")
    assert over.base_url == "http://127.0.0.1:9/fhir" and isinstance(over.make_auth(), BearerAuth)
    with pytest.raises(SyncConfigError, match="--fhir-base-url"):
        SyncConfig.from_profile(profile, base_url="http://example.org/fhir")
    with pytest.raises(SyncConfigError, match="clinician.oauth.token_url"):
        SyncConfig.from_profile(replace(profile, clinician={"oauth": {"client_id": "c", "private_key": "k"}}))


def test_background_sender_sends_when_poked_and_stops(tmp_path):
    path = tmp_path / "bg.db"
    reports: list = []
    passed = threading.Semaphore(0)
    seen: list = []

    def handler(request):
        seen.append(request)
        return httpx.Response(201)

    def make() -> OutboxSender:
        return OutboxSender(Store.open(path), BASE, client=httpx.Client(transport=httpx.MockTransport(handler)))

    def on_report(report) -> None:
        reports.append(report)
        passed.release()

    with Store.open(path) as store:
        with BackgroundSender(make, interval=3600, on_report=on_report) as background:
            assert passed.acquire(timeout=5)  # the first pass runs at start: nothing queued yet
            assert reports[0].items == []
            queue_one(store)
            background.poke()  # a reading was saved: do not wait an hour
            assert passed.acquire(timeout=5)
        assert not background.running and background.last_exception is None
        assert len(reports[1].sent) == 2 and len(seen) == 2
        assert sync_status(store)["sent"] == 2


def test_background_sender_survives_a_failing_pass(tmp_path):
    path = tmp_path / "bg2.db"
    with Store.open(path) as store:
        queue_one(store)
    passes = threading.Semaphore(0)

    class Boom(OutboxSender):
        def send_pending(self, *a, **kw):
            passes.release()
            raise RuntimeError("boom")

    with BackgroundSender(lambda: Boom(Store.open(path), BASE), interval=0.01) as background:
        assert passes.acquire(timeout=5) and passes.acquire(timeout=5)  # went on after the first failure
    assert isinstance(background.last_exception, RuntimeError)


def test_background_sender_for_the_live_loop_needs_a_server(tmp_path):
    with pytest.raises(SyncConfigError):
        BackgroundSender.for_database(tmp_path / "x.db", SyncConfig(base_url=None))
    background = BackgroundSender.for_database(tmp_path / "x.db", SyncConfig(base_url="http://127.0.0.1:9/fhir"),
                                               interval=3600)
    with background:
        pass
    assert not background.running and background.last_exception is None
