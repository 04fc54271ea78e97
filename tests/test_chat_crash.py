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


def test_hostile_input_never_ends_chat_and_a_confirmed_reading_is_kept(tmp_path):
    """Undecodable bytes, digit look-alikes, 400-digit numbers, control characters: `chat --json` answers every
    line with a sentence, exits 0, and the reading confirmed in the middle of it all is stored."""
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "data"), XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_STATE_HOME=str(tmp_path / "state"))
    lines = [b"my sugar is 120 \xff\xfe", b"yes", b"it was \xe2\x93\xbd", "\u2792 \u136b \u277b".encode(),
             b"my sugar is " + b"9" * 400, b"cancel", b"\x00\x01\x1b hello\x7f", b"\xc3\x28\xa0\xa1", b"high", b"yes",
             "ma glycémie est de 1e400".encode(), b"my sugar is " + b"1" * 5000, b"thanks, bye"]
    done = subprocess.run([sys.executable, "-m", "voice_assistant", "chat", "--lang", "en", "--json"],
                          input=b"\n".join(lines) + b"\n", capture_output=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    turns = [json.loads(line) for line in done.stdout.decode("utf-8").splitlines()]
    assert len(turns) == len(lines)
    assert all(t["reply"] and "went wrong" not in t["reply"] for t in turns), turns
    assert turns[1]["reply"].startswith("Saved: one hundred and twenty")
    assert turns[4]["reply"].startswith("That number cannot be a sugar reading.")
    assert turns[9]["reply"].startswith("You can say")  # "high" alone was no meter reading: the yes confirms nothing
    stored = subprocess.run([sys.executable, "-m", "voice_assistant", "readings", "--json"], capture_output=True,
                            env=env, timeout=60)
    readings = json.loads(stored.stdout)
    assert [r["glucose_mg_dl"] for r in readings] == [120]
    status = subprocess.run([sys.executable, "-m", "voice_assistant", "sync", "status", "--json"],
                            capture_output=True, env=env, timeout=60)
    assert json.loads(status.stdout)["pending"] == 2  # the reading and its origin record; "high" was not confirmed
