"""Durability contract: killing the process at any moment never loses a confirmed reading nor stores one twice."""

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from uuid import uuid4

WRITER = Path(__file__).with_name("crash_writer.py")
REPO_ROOT = Path(__file__).resolve().parents[2]
ROUNDS = 110
BATCH = 1000  # more than a child can save before it is killed, so kills land mid-stream
KILL_DURING_START_EVERY = 5  # one round in five kills while the child opens (and migrates) the database


def run_until_killed(db_path: Path, uuids: list[str], rng: random.Random) -> tuple[list[str], bool]:
    """Start a writer, SIGKILL it at a random moment; return the uuids it confirmed and whether it was killed."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])}
    child = subprocess.Popen(
        [sys.executable, str(WRITER), str(db_path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True,
    )
    child.stdin.write("\n".join(uuids) + "\n")
    child.stdin.close()
    if rng.randrange(KILL_DURING_START_EVERY) == 0:
        time.sleep(rng.uniform(0, 0.2))
    else:
        assert child.stdout.readline() == "ready\n"
        time.sleep(rng.uniform(0, 0.05))
    child.send_signal(signal.SIGKILL)
    output = child.stdout.read()
    child.stdout.close()
    child.wait()
    # A line cut short by the kill was never a confirmation.
    lines = output.split("\n")[:-1]
    return [line for line in lines if line != "ready"], child.returncode == -signal.SIGKILL


def stored_uuids(db_path: Path) -> list[str]:
    """The uuids in the database (none if every child so far was killed before creating the schema)."""
    if not db_path.exists():
        return []  # sqlite3.connect would leave an empty file, which the store reports instead of reusing
    connection = sqlite3.connect(db_path)
    try:
        if not connection.execute("SELECT 1 FROM sqlite_master WHERE name = 'readings'").fetchone():
            return []
        return [uuid for (uuid,) in connection.execute("SELECT uuid FROM readings")]
    finally:
        connection.close()


def test_killed_writer_never_loses_nor_duplicates_a_confirmed_reading(tmp_path):
    db_path = tmp_path / "assistant.db"
    rng = random.Random()
    confirmed: list[str] = []
    unconfirmed: list[str] = []  # sent at least once, never confirmed: the assistant would retry them
    killed_mid_stream = 0

    for _ in range(ROUNDS):
        unconfirmed += [str(uuid4()) for _ in range(BATCH - len(unconfirmed))]
        # A retry after a crash re-sends what was not confirmed, plus the last confirmed value in case the
        # confirmation itself was what got lost.
        to_send = confirmed[-1:] + unconfirmed
        newly_confirmed, killed = run_until_killed(db_path, to_send, rng)
        assert set(newly_confirmed) <= set(to_send)
        confirmed += [uuid for uuid in newly_confirmed if uuid not in confirmed[-1:]]
        done = set(newly_confirmed)
        unconfirmed = [uuid for uuid in unconfirmed if uuid not in done]
        killed_mid_stream += killed and bool(newly_confirmed)
        # Checked before the next retry, which could otherwise mask a value confirmed before its commit.
        lost = set(confirmed) - set(stored_uuids(db_path))
        assert not lost, f"{len(lost)} confirmed readings were lost"

    assert killed_mid_stream >= ROUNDS // 2, "kills should mostly land while readings are being saved"
    assert len(confirmed) == len(set(confirmed))

    stored = stored_uuids(db_path)
    connection = sqlite3.connect(db_path)
    queued = [key.removeprefix("Observation/") for (key,) in connection.execute("SELECT resource_key FROM outbox")]
    assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    connection.close()

    assert len(stored) == len(set(stored)), "a reading was stored twice"
    assert set(stored) <= set(confirmed) | set(unconfirmed), "a reading nobody sent was stored"
    # The reading and its outbox entry are one transaction: never one without the other.
    assert sorted(queued) == sorted(stored)
