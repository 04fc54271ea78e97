"""Child process of test_crash.py: save the readings whose uuids arrive on stdin, one a line.

Prints "ready" once the database is open, then each uuid only after its save has returned (committed),
exactly as the assistant confirms a value aloud only after the store returns.
"""

import sys
from datetime import datetime, timedelta, timezone

from voice_assistant.health.glucose import GlucoseUnit
from voice_assistant.store import Reading, Store

PARIS_SUMMER = timezone(timedelta(hours=2))


def reading_for(uuid: str) -> Reading:
    """The same uuid always gives the same reading: a re-sent uuid is a retry, not a new value."""
    mg_dl = 40 + int(uuid[:4], 16) % 400
    return Reading(
        uuid=uuid, glucose_mg_dl=mg_dl, unit_said=GlucoseUnit.MG_DL, value_said=mg_dl, words_said=str(mg_dl),
        measured_at=datetime(2024, 5, 1, 8, tzinfo=PARIS_SUMMER) + timedelta(minutes=int(uuid[4:8], 16)),
        transcript=f"my sugar is {mg_dl}",
    )


def main(db_path: str) -> None:
    uuids = sys.stdin.read().split()
    with Store.open(db_path) as store:
        print("ready", flush=True)
        for uuid in uuids:
            with store.transaction():
                store.add_reading(reading_for(uuid))
                store.enqueue("Observation", f"Observation/{uuid}", {"resourceType": "Observation", "id": uuid})
            print(uuid, flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
