"""`reminders list` and `reminders due` on reminders set by voice through `chat`."""

import json
import os
import subprocess
import sys

import pytest


@pytest.fixture()
def run(tmp_path):
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "d"), XDG_CONFIG_HOME=str(tmp_path / "c"))

    def run(*args, stdin=None):
        out = subprocess.run([sys.executable, "-m", "voice_assistant", *args], input=stdin, capture_output=True,
                             text=True, env=env, timeout=60)
        return out
    return run


def test_reminders_set_by_voice_are_listed_and_due_across_daylight_saving(run):
    said = run("chat", "--lang", "fr", "--json", stdin="rappelle-moi la metformine à huit heures\noui\n"
               "un rappel pour le lantus à deux heures et demie du matin\noui\n")
    assert said.returncode == 0, said.stderr
    listed = json.loads(run("reminders", "list", "--json").stdout)
    assert [(r["medication_id"], r["time_of_day"]) for r in listed] == [("insulin_glargine", "02:30"),
                                                                       ("metformin", "08:00")]

    def due(at):
        out = run("reminders", "due", "--at", at, "--json")
        assert out.returncode == 0, out.stderr
        return [(d["medication_id"], d["local_time"]) for d in json.loads(out.stdout)]

    assert due("2026-03-29T08:00:00+02:00") == [("metformin", "08:00")]
    assert due("2026-03-29T03:00:00+02:00") == [("insulin_glargine", "03:00")]  # 02:30 does not exist that day
    assert due("2026-10-25T02:30:00+02:00") == [("insulin_glargine", "02:30")]
    assert due("2026-10-25T02:30:00+01:00") == []  # the repeated hour: announced once only
    assert due("2026-10-25T08:00:00+01:00") == [("metformin", "08:00")]


def test_due_needs_an_offset(run):
    out = run("reminders", "due", "--at", "2026-10-25T08:00")
    assert out.returncode == 2 and "no UTC offset" in out.stderr
