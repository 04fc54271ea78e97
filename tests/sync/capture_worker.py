"""Capture readings and sync them as the assistant does, resumably: killed with -9 and started again, it
carries on. Each reading has a fixed uuid (from its number), as a reading does from the moment it is captured.

    python capture_worker.py DB BASE_URL PATIENT COUNT SYNC_EVERY [TOKEN]
"""

from __future__ import annotations

import sys
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))

from synckit import make_reading  # noqa: E402

from voice_assistant.store import Store  # noqa: E402
from voice_assistant.sync.auth import BearerAuth  # noqa: E402
from voice_assistant.sync.fhir import Parties  # noqa: E402
from voice_assistant.sync.outbox import enqueue_reading  # noqa: E402
from voice_assistant.sync.sender import OutboxSender  # noqa: E402


def main() -> None:
    db, base_url, patient, count, sync_every = sys.argv[1:6]
    token = sys.argv[6] if len(sys.argv) > 6 else None
    parties = Parties(patient_id=patient, device_id="dev-crash-test")
    with Store.open(db) as store:
        client = httpx.Client(timeout=httpx.Timeout(5.0, connect=2.0))
        sender = OutboxSender(store, base_url, BearerAuth(token) if token else None, client=client)
        captured = {r.uuid for r in store.readings()}  # saved before the last kill, with their outbox rows
        print(f"started captured={len(captured)}", flush=True)
        for i in range(int(count)):
            reading = make_reading(i, tag=patient)
            if reading.uuid in captured:
                continue
            with store.transaction():
                store.add_reading(reading)
                enqueue_reading(store, reading, parties)
            if i % int(sync_every) == int(sync_every) - 1:
                print("sync", flush=True)  # the parent counts the kills that fall inside a pass
                sender.send_pending(force=True)
                print("synced", flush=True)
        report = sender.send_pending(force=True)
        client.close()
    print(f"done pending={report.pending}", flush=True)


if __name__ == "__main__":
    main()
