"""What `listen` prints for a helper sitting next to the patient, and where the sound library's noise goes.

One line per turn (what was heard with the recogniser's confidence, what was understood, what was done) and one
per state change ("[listening]", "[thinking]", "[speaking]", "[waiting]"), each with the time. `--quiet` (a
patient's own device) prints nothing but what must be read (errors).

ALSA and PortAudio write their complaints ("ALSA lib pcm.c: ... underrun occurred", "Unknown PCM cards...")
straight to the process's standard error, in C, below Python. `sound_noise_to(path)` points that file descriptor
at a private log file for the session, and gives Python a copy of the real terminal, so our own messages still
reach it.

`stacks_if_ending_hangs(path)`: after Ctrl+C, an end that does not come within SHUTDOWN_LIMIT_S (a thread waited
for, a sound stream that will not close, a native library's teardown) writes every thread's stack into the same
log and ends the process, rather than leaving a patient's device hung.
"""

from __future__ import annotations

import faulthandler
import os
import signal
import sys
import threading
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterator

from voice_assistant.store import default_db_path


def console_printer(quiet: bool = False, out=None) -> Callable[[str], None] | None:
    """The loop's console: None when quiet, else a printer that stamps each line with the time."""
    if quiet:
        return None

    def show(line: str) -> None:
        stream = out or sys.stdout
        print(f"{datetime.now():%H:%M:%S} {line}", file=stream, flush=True)

    return show


def default_log_path() -> Path:
    """`sound.log` beside the assistant's database (the user data dir, 0700)."""
    return default_db_path().parent / "sound.log"


@contextmanager
def sound_noise_to(path: Path | None = None) -> Iterator[Path]:
    """While inside, whatever C libraries write to standard error goes to `path` (created 0600 in a 0700
    folder); Python's sys.stderr keeps writing to the terminal."""
    path = path or default_log_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        sys.stderr.flush()
    except Exception:  # noqa: BLE001
        pass
    try:
        saved = os.dup(2)
    except OSError:  # no standard error at all: nothing to redirect
        yield path
        return
    log = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.chmod(path, 0o600)
    python_stderr = sys.stderr
    terminal = os.fdopen(os.dup(saved), "w", buffering=1, encoding=getattr(python_stderr, "encoding", None) or "utf-8",
                         errors="replace")
    os.dup2(log, 2)
    os.close(log)
    sys.stderr = terminal
    try:
        yield path
    finally:
        try:
            terminal.flush()
        except Exception:  # noqa: BLE001
            pass
        os.dup2(saved, 2)
        os.close(saved)
        sys.stderr = python_stderr
        terminal.close()


#: After Ctrl+C, how long `listen` may take to end (seconds) before every thread's stack is written to its sound
#: log and the process ends with status 1. Its own ending waits at most ~6 s (the sentence and the decoding in
#: progress, `assistant.EXIT_WAIT_S`; the barge-in watcher, `live.WATCHER_EXIT_S`).
SHUTDOWN_LIMIT_S = 20.0


@contextmanager
def stacks_if_ending_hangs(path: Path, limit_s: float = SHUTDOWN_LIMIT_S) -> Iterator[None]:
    """While inside, Ctrl+C (SIGINT) still raises KeyboardInterrupt, and first arms `faulthandler`: if the process
    has not ended `limit_s` later, the stacks of all its threads are appended to `path` and it ends (status 1).
    faulthandler's watchdog is a native thread: it works during the interpreter's own end too. Once armed it stays
    armed until the process ends. Outside the main thread, or when SIGINT is not Python's default handler (someone
    else handles it), nothing changes."""
    if threading.current_thread() is not threading.main_thread() \
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield
        return
    armed: list = []

    def interrupted(signum, frame) -> None:  # noqa: ARG001 - a signal handler's signature
        if not armed:
            armed.append(None)
            try:
                handle = open(path, "a", encoding="utf-8")  # kept open by faulthandler until the process ends
                handle.write(f"{datetime.now():%H:%M:%S} Ctrl+C: ending (every thread's stack follows if that "
                             f"takes more than {limit_s:.0f} s)\n")
                handle.flush()
                faulthandler.dump_traceback_later(limit_s, exit=True, file=handle)
            except OSError:  # no log to write to: Ctrl+C still ends the assistant
                pass
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupted)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
