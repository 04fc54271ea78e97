"""Encryption at rest, both ways: a plain database is readable by any SQLite; `storage encrypt` makes a 0400 key
outside the data folder and rewrites the database so that SQLite alone cannot read it, while the assistant
opens it with its key and keeps everything; a missing or loose key is a sentence."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from voice_assistant.health.glucose import GlucoseUnit
from voice_assistant.store import Reading, Store, StoreError
from voice_assistant.store.encryption import default_key_path, encrypt_database, is_encrypted_file

# The SQLCipher driver comes with the test extra (pip install -e '.[test]': sqlcipher3-binary); no skip.


def a_reading(value: float) -> Reading:
    return Reading(glucose_mg_dl=value, unit_said=GlucoseUnit.MG_DL, value_said=value, words_said=f"{value:g}",
                   measured_at=datetime(2026, 11, 24, 7, 0, tzinfo=UTC), transcript=f"my sugar is {value:g}")


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return tmp_path


def test_a_plain_database_is_plain(env):
    db = env / "data" / "voice-assistant" / "assistant.db"
    with Store.open(db) as store:
        store.add_reading(a_reading(123))
    assert not is_encrypted_file(db)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT glucose_mg_dl FROM readings").fetchone()[0] == 123


def test_encrypting_an_existing_database_keeps_everything_and_hides_it(env):
    db = env / "data" / "voice-assistant" / "assistant.db"
    with Store.open(db) as store:
        store.add_reading(a_reading(123))
        store.set_setting("sync.device_id", "d-1")
    key = encrypt_database(db)
    assert key == default_key_path(db) and key.parent.parent.parent == env / "config"
    assert stat.S_IMODE(key.stat().st_mode) == 0o400 and stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    assert is_encrypted_file(db) and b"my sugar is 123" not in db.read_bytes()
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(db).execute("SELECT * FROM readings").fetchall()
    with Store.open(db) as store:  # the key is found by itself
        assert [r.glucose_mg_dl for r in store.readings()] == [123]
        assert store.get_setting("sync.device_id") == "d-1"
        store.add_reading(a_reading(140))
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    with Store.open(db) as store:
        assert sorted(r.glucose_mg_dl for r in store.readings()) == [123, 140]


def test_a_new_database_with_a_key_is_made_encrypted(env):
    db = env / "data" / "voice-assistant" / "assistant.db"
    encrypt_database(db)
    with Store.open(db) as store:
        store.add_reading(a_reading(99))
    assert is_encrypted_file(db)


def test_a_missing_or_loose_key_is_a_sentence(env):
    db = env / "data" / "voice-assistant" / "assistant.db"
    Store.open(db).close()
    key = encrypt_database(db)
    os.chmod(key, 0o644)
    with pytest.raises(StoreError) as refused:
        Store.open(db)
    assert "can be read by other users" in str(refused.value)
    key.unlink()
    with pytest.raises(StoreError) as refused:
        Store.open(db)
    assert str(key) in str(refused.value)


def test_storage_encrypt_command(env):
    run_env = {**os.environ, "XDG_CONFIG_HOME": str(env / "config"), "XDG_DATA_HOME": str(env / "data")}
    db = env / "data" / "voice-assistant" / "assistant.db"
    with Store.open(db) as store:
        store.add_reading(a_reading(111))
    done = subprocess.run([sys.executable, "-m", "voice_assistant", "storage", "encrypt"], env=run_env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "is encrypted" in done.stdout and is_encrypted_file(db)
    again = subprocess.run([sys.executable, "-m", "voice_assistant", "storage", "encrypt"], env=run_env,
                           capture_output=True, text=True, timeout=60)
    assert again.returncode == 2 and "already encrypted" in again.stderr and "Traceback" not in again.stderr
    inside = subprocess.run([sys.executable, "-m", "voice_assistant", "storage", "encrypt", "--db",
                             str(env / "other" / "a.db"), "--key-file", str(env / "other" / "a.key")],
                            env=run_env, capture_output=True, text=True, timeout=60)
    assert inside.returncode == 2 and "outside the data folder" in inside.stderr
    shown = subprocess.run([sys.executable, "-m", "voice_assistant", "readings"], env=run_env,
                           capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0 and "111" in shown.stdout, shown.stdout + shown.stderr
