"""kill -9 at random points while ≥ 200 readings are captured and synced: every reading arrives exactly once.

A worker process saves each reading with its outbox entry (one transaction) and runs a sync pass every few
readings; it is killed at random moments (mid-save, mid-request, between the server's answer and
`mark_sent`...) and started again until it finishes. A last pass then runs, and the server must hold each
reading, and its Provenance, exactly once.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from synckit import env_for_subprocess, identifiers, make_reading, sender_for

from voice_assistant.store import Store

READINGS = 200
WORKER = Path(__file__).parent / "capture_worker.py"


def test_kill_9_during_capture_and_sync_loses_and_doubles_nothing(fhir_target, tmp_path):
    patient = fhir_target.new_patient().patient_id
    db = tmp_path / "assistant.db"
    args = [sys.executable, str(WORKER), str(db), fhir_target.base_url, patient, str(READINGS), "5"]
    if fhir_target.device_token:
        args.append(fhir_target.device_token)
    rng = random.Random(20261124)
    kills, runs, mid_sync = 0, 0, 0
    deadline = time.monotonic() + 45
    while True:
        runs += 1
        worker = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  env=env_for_subprocess(tmp_path))
        started = worker.stdout.readline()  # imports done, database open: the work begins
        assert started.startswith("started"), worker.communicate()[1]
        time.sleep(rng.uniform(0.0, 0.3))  # a random point in the capture and sync work
        if worker.poll() is None and runs < 40 and time.monotonic() < deadline:
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=10)
            kills += 1
            said = worker.stdout.read().split()
            mid_sync += bool(said) and said[-1] == "sync"
            continue
        out, err = worker.communicate(timeout=60)
        assert worker.returncode == 0, err
        assert "done" in out
        break
    assert kills >= 5, f"only {kills} kills in {runs} runs"
    assert mid_sync >= 1, "no kill fell inside a sync pass"

    with Store.open(db) as store:
        with sender_for(store, fhir_target) as sender:
            final = sender.send_pending(force=True)
        assert final.pending == 0 and final.dead == 0
        assert len(store.readings()) == READINGS
        items = store.outbox_items()
        assert len(items) == 2 * READINGS and {i.state for i in items} == {"sent"}

    expected = sorted(make_reading(i, tag=patient).uuid for i in range(READINGS))
    found = fhir_target.for_patient("Observation", patient)
    assert sorted(identifiers(found)) == expected  # each exactly once
    for uuid in expected:
        assert len(fhir_target.provenances_of("Observation", uuid)) == 1
