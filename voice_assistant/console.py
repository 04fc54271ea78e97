"""What `listen` prints for a helper sitting next to the patient, and where the sound library's noise goes.

One line per turn (what was heard with the recogniser's confidence, what was understood, what was done) and one
per state change ("[listening]", "[thinking]", "[speaking]", "[waiting]"), each with the time. `--quiet` (a
patient's own device) prints nothing but what must be read (errors).

ALSA and PortAudio write their complaints ("ALSA lib pcm.c: ... underrun occurred", "Unknown PCM cards...")
straight to the process's standard error, in C, below Python. `sound_noise_to(path)` points that file descriptor
at a private log file for the session, and gives Python a copy of the real terminal, so our own messages still
reach it.
"""

from __future__ import annotations

import os
import sys
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
