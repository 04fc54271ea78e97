"""Files private whatever the umask (folder 0700; database, WAL, SHM, key files 0600/0400), for the patient's
database, the tablet pairing file and the hub; one SQLite setup (WAL, synchronous=FULL) for all three; an
empty file reported, not reused."""

from __future__ import annotations

import os
import sqlite3
import stat
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

from voice_assistant.health.glucose import GlucoseUnit
from voice_assistant.store import Reading, Store, StoreError


@contextmanager
def umask(mask: int):
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def a_reading() -> Reading:
    return Reading(glucose_mg_dl=120.0, unit_said=GlucoseUnit.MG_DL, value_said=120.0, words_said="120",
                   measured_at=datetime(2026, 11, 24, 7, 0, tzinfo=UTC), transcript="my sugar is 120")


def side_files(db: Path) -> list[Path]:
    return [p for p in (db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")) if p.exists()]


def test_the_patient_database_is_private_under_umask_022(tmp_path):
    folder = tmp_path / "data" / "voice-assistant"
    with umask(0o022):
        store = Store.open(folder / "assistant.db")
        store.add_reading(a_reading())
        sides = side_files(folder / "assistant.db")
        assert sides, "WAL mode keeps -wal and -shm files while open"
        assert mode(folder) == 0o700
        assert mode(folder / "assistant.db") == 0o600
        assert all(mode(p) == 0o600 for p in sides), [(p.name, oct(mode(p))) for p in sides]
        assert store._connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store._connection.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        store.close()


def test_an_older_world_readable_database_is_made_private_when_opened(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir(mode=0o755)
    db = folder / "assistant.db"
    Store.open(db).close()
    os.chmod(db, 0o644)
    os.chmod(folder, 0o755)
    Store.open(db).close()
    assert mode(db) == 0o600 and mode(folder) == 0o700


def test_tablet_pairing_and_hub_files_are_private_under_umask_022(tmp_path):
    from voice_assistant.hub.db import HubDatabase
    from voice_assistant.hub.tokens import TokenStore
    from voice_assistant.tablet.pairing import PairingStore

    with umask(0o022):
        pairing = PairingStore(tmp_path / "tablet" / "tablet.db")
        pairing.redeem(pairing.new_code().code)
        hub = HubDatabase(tmp_path / "hub" / "hub.db")
        TokenStore(hub).add("clinician", "dr")
    for db in (tmp_path / "tablet" / "tablet.db", tmp_path / "hub" / "hub.db"):
        assert mode(db.parent) == 0o700 and mode(db) == 0o600, db
        assert all(mode(p) == 0o600 for p in side_files(db))
    with hub.connect() as conn:
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL: a 201 means it is on disk
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_the_pairing_code_is_not_kept_as_a_fast_hash(tmp_path):
    from voice_assistant.tablet.pairing import PairingStore

    pairing = PairingStore(tmp_path / "tablet.db")
    code = pairing.new_code().code
    with sqlite3.connect(tmp_path / "tablet.db") as conn:
        salt, kept = conn.execute("SELECT salt, hash FROM pairing_code").fetchone()
    import hashlib

    assert kept != hashlib.sha256((salt + code).encode()).hexdigest()
    assert kept == hashlib.scrypt(code.encode(), salt=salt.encode(), n=2**14, r=8, p=1, dklen=32).hex()


@pytest.mark.parametrize("opener", ["store", "hub", "tablet"])
def test_an_empty_file_is_reported_not_reused(tmp_path, opener):
    from voice_assistant.hub.db import HubDatabase
    from voice_assistant.tablet.pairing import PairingStore

    db = tmp_path / "x.db"
    db.write_bytes(b"")
    open_it = {"store": Store.open, "hub": HubDatabase, "tablet": PairingStore}[opener]
    with pytest.raises(StoreError) as refused:
        open_it(db)
    assert "empty" in str(refused.value) and str(db) in str(refused.value)
    assert db.stat().st_size == 0  # left as it was


def test_a_folder_where_the_database_should_be_is_a_sentence(tmp_path):
    (tmp_path / "assistant.db").mkdir()
    with pytest.raises(StoreError) as refused:
        Store.open(tmp_path / "assistant.db")
    assert "folder" in str(refused.value)
    (tmp_path / "file").write_text("x")
    with pytest.raises(StoreError) as refused:
        Store.open(tmp_path / "file" / "assistant.db")
    assert "not a folder" in str(refused.value) or "is a file" in str(refused.value)
