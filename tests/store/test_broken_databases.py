"""Clear sentences, never tracebacks, for every command on a damaged, missing-folder, empty or misplaced
database (the commands run as a person runs them: `python -m voice_assistant ...`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

CASES = {
    "damaged": lambda p: p.write_bytes(b"SQLite format 3\x00" + os.urandom(8000)),
    "not a database": lambda p: p.write_bytes(b"this is a letter, not a database\n" * 200),
    "empty": lambda p: p.write_bytes(b""),
    "a folder": lambda p: p.mkdir(),
}
COMMANDS = {
    "readings": ["readings"],
    "sync": ["sync", "--fhir-base-url", "http://127.0.0.1:9/fhir"],
    "sync status": ["sync", "status"],
    "labs import": ["labs", "import", "{lab}"],
}


def _run(env: dict, args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "voice_assistant", *args], env=env, capture_output=True,
                          text=True, timeout=120)


@pytest.fixture
def home(tmp_path):
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data")}
    (tmp_path / "data" / "voice-assistant").mkdir(parents=True)
    return tmp_path, env


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_device_commands_on_a_broken_database(home, case, command):
    tmp_path, env = home
    db = tmp_path / "data" / "voice-assistant" / "assistant.db"
    CASES[case](db)
    before = db.read_bytes() if db.is_file() else None
    lab = Path(__file__).parents[1] / "labs" / "fixtures" / "observation_hba1c.json"
    args = [a.replace("{lab}", str(lab)) for a in COMMANDS[command]]
    done = _run(env, args)
    said = done.stdout + done.stderr
    assert done.returncode != 0, said
    assert "Traceback" not in said and "Error:" not in said.split("\n", 1)[0][:6], said
    assert str(db) in said, said
    if before is not None:
        assert db.read_bytes() == before  # nothing overwritten


@pytest.mark.parametrize("case", sorted(CASES))
def test_hub_and_tablet_commands_on_a_broken_database(home, case):
    tmp_path, env = home
    hub_db = tmp_path / "hub.db"
    CASES[case](hub_db)
    for args in (["hub", "token", "list", "--db", str(hub_db)],
                 ["hub", "token", "add", "--clinician", "dr", "--db", str(hub_db)],
                 ["hub", "--db", str(hub_db), "--port", "0"]):
        done = _run(env, args)
        said = done.stdout + done.stderr
        assert done.returncode == 2 and "Traceback" not in said and str(hub_db) in said, (args, said)
    tablet_db = tmp_path / "data" / "voice-assistant" / "tablet.db"
    CASES[case](tablet_db)
    done = _run(env, ["tablet", "list"])
    said = done.stdout + done.stderr
    assert done.returncode != 0 and "Traceback" not in said and str(tablet_db) in said, said


def test_a_database_folder_that_cannot_be_made(home):
    tmp_path, env = home
    (tmp_path / "blocker").write_text("a file where a folder should be")
    for args in (["readings", "--db", str(tmp_path / "blocker" / "a.db")] if False else ["sync", "status", "--db",
                 str(tmp_path / "blocker" / "a.db")], ["hub", "token", "list", "--db", str(tmp_path / "blocker" / "h.db")]):
        done = _run(env, args)
        said = done.stdout + done.stderr
        assert done.returncode == 2 and "Traceback" not in said and "blocker" in said, said
