"""kill -9 at random points while readings are being confirmed through `chat`: nothing lost, nothing doubled.

A reading is confirmed to the patient when the reply « C'est enregistré » comes out. Every such reading must
be in the database exactly once, whenever the process dies; readings never confirmed may or may not be
there (the crash can fall between the commit and the reply), but never twice.
"""

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

ROUNDS = 120


def test_kill_during_confirmations_loses_and_doubles_nothing(tmp_path):
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "data"), XDG_CONFIG_HOME=str(tmp_path / "config"),
               PYTHONUNBUFFERED="1")
    rng = random.Random(20261124)
    values = [100 + n for n in range(ROUNDS)]  # one distinct mg/dL value per round
    confirmed: set[int] = set()
    sent = 0
    kills = 0
    while sent < ROUNDS:
        child = subprocess.Popen([sys.executable, "-m", "voice_assistant", "chat", "--lang", "fr", "--json"],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                 text=True, env=env)
        batch = rng.randint(3, 15)  # confirmations this process gets through before it dies
        kill_at_line = rng.randint(1, 2 * batch)  # die after this many utterances, mid-round or between rounds
        lines = 0
        killed = False
        for value in values[sent:sent + batch]:
            for utterance in (f"ma glycémie est de {value}", "oui"):
                child.stdin.write(utterance + "\n")
                child.stdin.flush()
                lines += 1
                if lines == kill_at_line:
                    # sometimes before the reply is read, sometimes a moment after
                    time.sleep(rng.choice([0, 0, 0.001, 0.01]))
                    child.send_signal(signal.SIGKILL)
                    killed = True
                    break
                turn = json.loads(child.stdout.readline())
                if turn["reply"].startswith("C'est enregistré"):
                    confirmed.add(value)
            sent += 1
            if killed:
                break
        if killed:
            kills += 1
            child.wait(timeout=10)
            # the turn the kill interrupted may still have printed its reply before dying
            for line in child.stdout:
                # a line cut by the kill was never fully said: that reading counts as unconfirmed
                if line.endswith("\n") and json.loads(line)["reply"].startswith("C'est enregistré"):
                    confirmed.add(value)
        else:
            child.stdin.close()
            child.wait(timeout=10)
        child.stdout.close()

    db = tmp_path / "data" / "voice-assistant" / "assistant.db"
    with sqlite3.connect(db) as conn:
        stored = [row[0] for row in conn.execute("SELECT glucose_mg_dl FROM readings")]
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert kills >= 5
    assert len(confirmed) >= ROUNDS // 3, "the test must confirm many readings to mean anything"
    stored_values = [int(v) for v in stored]
    assert len(stored_values) == len(set(stored_values)), "a reading was stored twice"
    missing = confirmed - set(stored_values)
    assert not missing, f"confirmed aloud but lost: {sorted(missing)}"
    assert set(stored_values) <= set(values)
