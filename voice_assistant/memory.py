"""Process-wide memory settings for the engines' native code (glibc malloc): applied once at the composition
root (`app.build_session`), and a trim after the work that frees large buffers (a decoded utterance, a spoken
sentence). Measured with `python3 scripts/bench_voice.py --memory` (see the README's Memory paragraph)."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging
import os
import signal
import sys
import time
from typing import Any, Callable

log = logging.getLogger(__name__)

#: glibc mallopt() settings applied by `tune_malloc`: (parameter, value, the environment variable that sets it).
MALLOC_SETTINGS = (
    (-8, 2, "MALLOC_ARENA_MAX"),  # M_ARENA_MAX: at most 2 malloc arenas
    (-3, 1 << 20, "MALLOC_MMAP_THRESHOLD_"),  # M_MMAP_THRESHOLD: blocks of 1 MB and more mapped on their own
)


@functools.cache
def _libc() -> Any:
    """glibc, or None (musl, macOS: their allocators have no such settings)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt, libc.malloc_trim  # noqa: B018  (both must exist)
    except (OSError, AttributeError):
        return None
    return libc


@functools.cache
def tune_malloc() -> bool:
    """Process-wide, once, before any engine starts its threads (build_session calls it). Two glibc malloc
    settings, for what the engines allocate and free on every utterance and every sentence:
    - at most 2 malloc arenas: glibc gives each thread that allocates its own arena (up to 8 per core) and keeps
      freed memory in each, so the recognisers' and the voice's worker threads (CTranslate2, ONNX Runtime,
      the decoding threads) held memory apart;
    - a fixed 1 MB mmap threshold: by default glibc raises the threshold to the size of every large block freed
      (up to 32 MB), after which the voice's and whisper's per-sentence buffers (tens of MB) came from the heap
      and stayed resident, fragmented, under the next sentence's. Mapped on their own, they go back on free.
    Measured (scripts/bench_voice.py --memory, 40 turns heard and answered with Piper): combined recogniser
    peak 525 -> 438 MB with the same replies. A variable already set in the environment (MALLOC_ARENA_MAX,
    MALLOC_MMAP_THRESHOLD_) is the person's choice and is kept. True when applied (glibc), else False."""
    libc, applied = _libc(), False
    if libc is not None:
        for parameter, value, variable in MALLOC_SETTINGS:
            if variable not in os.environ:
                applied = bool(libc.mallopt(parameter, value)) or applied
    return applied


def release_free_memory() -> bool:
    """Give the free pages inside malloc's heaps back to the system (glibc malloc_trim): called after a
    decoded utterance and a spoken sentence, whose freed buffers otherwise stay resident between the blocks
    still in use, under the next one's. A few milliseconds. True when something was released."""
    libc = _libc()
    return bool(libc.malloc_trim(0)) if libc is not None else False


#: how long `run_apart` waits for its child before doing the work itself (a Raspberry Pi writes the English
#: pocketsphinx model in about 15 s; a child that hangs, e.g. on a lock another thread held at the fork, is killed)
APART_TIMEOUT_S = 180.0


def run_apart(work: Callable[[], None], timeout_s: float = APART_TIMEOUT_S) -> bool:
    """Run `work` (which leaves its results in files) in a forked child, so its short-lived Python objects never
    sit in this process's heap: Python keeps an arena of small objects resident while any object in it lives,
    and work that makes millions of them (counting a language model's n-grams) left tens of MB resident here, under
    every later turn's peak. Where fork is missing, or the child fails or hangs, `work` runs here instead (its
    errors then raise as usual). True when the child did it."""
    if not (sys.platform.startswith("linux") and hasattr(os, "fork")):
        work()
        return False
    try:
        pid = os.fork()
    except OSError as e:
        log.info("no child process (%s): the work runs here", e)
        work()
        return False
    if pid == 0:  # the child: do the work, then leave at once (no cleanup of the parent's state, no atexit)
        code = 1
        try:
            work()
            code = 0
        finally:
            os._exit(code)
    deadline = time.monotonic() + timeout_s
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            if os.waitstatus_to_exitcode(status) == 0:
                return True
            log.info("the child process failed (status %s): the work runs here", status)
            break
        if time.monotonic() > deadline:
            log.warning("the child process did not finish in %.0f s: the work runs here", timeout_s)
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            break
        time.sleep(0.02)
    work()
    return False
