"""Process-wide memory settings (voice_assistant/memory.py): tuned by the composition root before the engines
start, and freed buffers given back after an utterance or a sentence."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace

import pytest

from voice_assistant import app
from voice_assistant.profile import default_profile

CODE = ("from voice_assistant.app import tune_malloc\n"
        "print(tune_malloc(), tune_malloc())\n")


def _run(env: dict) -> str:
    return subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, check=True,
                          env=env).stdout.strip()


RETURNED = """
import ctypes, sys
from voice_assistant.memory import release_free_memory, tune_malloc
if sys.argv[1] == "tuned":
    tune_malloc()
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
def rss():
    return next(int(l.split()[1]) // 1024 for l in open("/proc/self/status") if l.startswith("VmRSS:"))
def block(mb):  # a sentence's buffer: allocated, written, freed
    p = libc.malloc(mb << 20)
    ctypes.memset(p, 1, mb << 20)
    libc.free(p)
block(24)  # a long sentence
before = rss()
block(8)  # then a shorter one
grown = rss() - before
if sys.argv[1] == "released":
    release_free_memory()
print(grown, rss() - before)
"""


def _clean_env() -> dict:
    return {k: v for k, v in os.environ.items() if k not in ("MALLOC_ARENA_MAX", "MALLOC_MMAP_THRESHOLD_")}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_malloc_is_tuned_once_per_process():
    env = _clean_env()
    assert _run(env) == "True True"  # glibc accepted the settings; the second call changes nothing
    # the person running it chose both numbers: theirs are kept
    assert _run({**env, "MALLOC_ARENA_MAX": "4", "MALLOC_MMAP_THRESHOLD_": "65536"}) == "False False"
    assert _run({**env, "MALLOC_ARENA_MAX": "4"}) == "True True"  # the other one is still set


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_a_large_buffer_freed_goes_back_to_the_system():
    """Without the fixed threshold, glibc keeps a freed 8 MB buffer once a 24 MB one was freed before it;
    tuned, it is not kept; untuned, release_free_memory() gives it back."""
    def grown(mode: str) -> list[int]:
        out = subprocess.run([sys.executable, "-c", RETURNED, mode], capture_output=True, text=True,
                             check=True, env=_clean_env()).stdout
        return [int(x) for x in out.split()]

    assert grown("default")[1] >= 6  # the control: glibc's own behaviour kept it
    assert grown("tuned")[1] <= 2
    kept, after_release = grown("released")
    assert kept >= 6 and after_release <= 2


def test_build_session_applies_them_before_building_the_engines(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(app, "tune_malloc", lambda: calls.append("arenas") or True)
    store = app.open_store(tmp_path / "t.db")
    try:
        session = app.build_session(replace(default_profile(), language="en"), "en", store, recognizer=None,
                                    synthesizer=None, save_profile_changes=False)
        assert calls == ["arenas"] and session is not None
    finally:
        store.close()
