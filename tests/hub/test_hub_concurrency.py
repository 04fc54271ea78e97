"""Concurrent deliveries of the same resource store it once."""

from __future__ import annotations

import threading

from hubkit import call, observation, post, provenance, reading


def _race(hub, resource, conditional, threads=2, rounds=1):
    answers, barrier = [], threading.Barrier(threads)

    def send():
        barrier.wait()
        for _ in range(rounds):
            answers.append(post(hub, resource, hub.device, conditional=conditional))

    workers = [threading.Thread(target=send) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    return answers


def test_two_threads_posting_the_same_identifier_store_one_resource(hub):
    for attempt in range(10):
        obs = observation(reading(100 + attempt))
        answers = _race(hub, obs, conditional=True)
        assert sorted(a.status for a in answers) == [200, 201], [a.text for a in answers]
        assert len({a.json["id"] for a in answers}) == 1
    assert call(f"{hub.fhir}/Observation?_count=0", token=hub.clinician).json["total"] == 10


def test_concurrent_plain_creates_cannot_both_land(hub):
    obs = observation(reading())
    answers = _race(hub, obs, conditional=False, threads=4)
    assert sorted(a.status for a in answers) == [201, 409, 409, 409]
    assert call(f"{hub.fhir}/Observation", token=hub.clinician).json["total"] == 1


def test_many_threads_many_retries_of_a_provenance_keep_one(hub):
    r = reading()
    prov = provenance(observation(r), r)
    answers = _race(hub, prov, conditional=True, threads=6, rounds=5)
    assert len(answers) == 30 and sum(a.status == 201 for a in answers) == 1
    assert all(a.status in (200, 201) for a in answers)
    assert call(f"{hub.fhir}/Provenance", token=hub.clinician).json["total"] == 1
