"""Process-wide memory settings the composition root applies before the engines start (app.limit_malloc_arenas)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace

import pytest

from voice_assistant import app
from voice_assistant.profile import default_profile

CODE = ("from voice_assistant.app import limit_malloc_arenas\n"
        "print(limit_malloc_arenas(), limit_malloc_arenas())\n")


def _run(env: dict) -> str:
    return subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, check=True,
                          env=env).stdout.strip()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_malloc_arenas_are_limited_once_per_process():
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    assert _run(env) == "True True"  # glibc accepted M_ARENA_MAX; the second call changes nothing
    # the person running it chose a number: theirs is kept
    assert _run({**env, "MALLOC_ARENA_MAX": "4"}) == "False False"


def test_build_session_applies_them_before_building_the_engines(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(app, "limit_malloc_arenas", lambda: calls.append("arenas") or True)
    store = app.open_store(tmp_path / "t.db")
    try:
        session = app.build_session(replace(default_profile(), language="en"), "en", store, recognizer=None,
                                    synthesizer=None, save_profile_changes=False)
        assert calls == ["arenas"] and session is not None
    finally:
        store.close()
