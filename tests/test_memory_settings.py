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



def test_listen_tunes_malloc_before_it_builds_the_engines(tmp_path, monkeypatch):
    """`listen` builds its Session itself (listening.listening_session), not through build_session: it too must tune
    malloc first (it did not: the live loop ran with glibc's defaults)."""
    from voice_assistant import listening
    from voice_assistant.asr import select
    from voice_assistant.tts import select as tts_select

    calls = []
    monkeypatch.setattr(app, "tune_malloc", lambda: calls.append("arenas") or True)
    monkeypatch.setattr(tts_select, "synthesizer_for", lambda *a, **k: calls.append("voice"))
    monkeypatch.setattr(select, "recognizer_for", lambda *a, **k: calls.append("recogniser"))
    monkeypatch.setattr("voice_assistant.tts.synthesizer_for", lambda *a, **k: calls.append("voice"))
    store = app.open_store(tmp_path / "t.db")
    try:
        session, wake, spotter = listening.listening_session(replace(default_profile(), language="en"), "en", store)
        assert calls == ["arenas", "voice", "recogniser"] and session is not None and wake
    finally:
        store.close()

# --- work done apart (run_apart): a child process writes, this process's heap stays small -----------------------

def _record_pid(path) -> None:
    with open(path, "a") as f:
        f.write(f"{os.getpid()}\n")


def test_work_done_apart_runs_in_a_child_and_leaves_its_files(tmp_path):
    from voice_assistant.memory import run_apart

    out = tmp_path / "pids"
    assert run_apart(lambda: _record_pid(out)) is (sys.platform.startswith("linux"))
    pids = out.read_text().split()
    assert len(pids) == 1
    if sys.platform.startswith("linux"):
        assert int(pids[0]) != os.getpid()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork: elsewhere the work always runs in-process")
def test_a_child_that_fails_or_hangs_leaves_the_work_to_this_process(tmp_path):
    from voice_assistant.memory import run_apart

    parent = os.getpid()
    failed, hung = tmp_path / "failed", tmp_path / "hung"

    def fail_in_child():
        if os.getpid() != parent:
            raise OSError("disk full")
        _record_pid(failed)

    def hang_in_child():
        if os.getpid() != parent:
            import time
            time.sleep(60)
        _record_pid(hung)

    assert run_apart(fail_in_child) is False
    assert failed.read_text().split() == [str(parent)]
    assert run_apart(hang_in_child, timeout_s=0.5) is False
    assert hung.read_text().split() == [str(parent)]


def test_an_error_of_the_work_still_reaches_the_caller(tmp_path):
    from voice_assistant.memory import run_apart

    def broken():
        raise ValueError("the pack cannot be read")

    with pytest.raises(ValueError, match="pack cannot be read"):
        run_apart(broken)


def test_the_language_model_written_apart_is_the_one_written_here(tmp_path, monkeypatch):
    """The pocketsphinx files written in a child are byte for byte those written in this process."""
    from voice_assistant.asr import pocketsphinx_engine as engine
    from voice_assistant.asr.vocabulary import build_vocabulary
    from voice_assistant.nlu.packs import load_pack

    vocabulary = build_vocabulary(load_pack("en"), ["metformin"])
    apart = engine.prepare_model_files(vocabulary, engine.bundled_model_dir(), tmp_path / "apart")
    monkeypatch.setattr(engine, "run_apart", lambda work: work())
    here = engine.prepare_model_files(vocabulary, engine.bundled_model_dir(), tmp_path / "here")
    for name in ("pack.lm", "pack.dict", "guessed.txt", "general.txt"):
        assert (apart["folder"] / name).read_bytes() == (here["folder"] / name).read_bytes(), name
    assert apart["general"] == here["general"] and apart["guessed"] == here["guessed"]
