"""`voice-assistant check`: is this device ready for its patient? For the nurse or « conseiller numérique » who
sets it up, in plain words, printed and said aloud (prompts/setup/<lang>.yaml).

Checked, in order: the microphone (its level while the helper says something for a few seconds), the speaker (a
chime and a sentence; "did you hear them?"), which recognisers and voices are installed for each language and what
to install, the clinician link (reachable, and the device's token accepted), the clock and time zone, free disk.
Exit 1 when something needed is missing (microphone, speaker, recogniser or voice for the profile's language, a
link that refuses the token, a wrong clock, a full disk); a link that is not set or not reachable is only told
(readings wait safely on the device).
"""

from __future__ import annotations

import shutil
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable, Optional

import httpx
import numpy as np
import typer

from voice_assistant.asr.select import RecognizerUnavailable, install_hint, recognizer_for
from voice_assistant.audio import devices
from voice_assistant.audio.earcons import Earcon, earcon
from voice_assistant.audio.errors import AudioDeviceError
from voice_assistant.command import language_or_exit, profile_or_exit
from voice_assistant.console import sound_noise_to
from voice_assistant.command import setup_words
from voice_assistant.speech import speech_for
from voice_assistant.store import default_db_path
from voice_assistant.sync.sender import SyncConfig, SyncConfigError
from voice_assistant.tts import SynthesizerUnavailable, synthesizer_for


def typer_option(default, flag: str, help: str):
    return typer.Option(default, flag, help=help)

LANGUAGES = ("en", "fr")
LISTEN_S = 3.0  #: how long the microphone is measured
SILENT_DBFS = -60.0  #: the loudest 100 ms below this: the microphone gives nothing
QUIET_DBFS = -35.0  #: the loudest 100 ms below this: a voice too quiet to be heard well
MIN_FREE_BYTES = 200 * 1024 * 1024  #: below this, the database and models may not fit
EARLIEST_YEAR = 2025  #: a clock before this has never been set


@dataclass
class Finding:
    key: str  #: the prompt key under `check.` ("mic_ok"...)
    ok: bool
    needed: bool = True  #: a missing needed thing makes the command exit 1
    values: dict = field(default_factory=dict)
    detail: str = ""  #: for the screen only: figures, the command to install, the error


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return all(f.ok or not f.needed for f in self.findings)


# --- the probes (each returns Findings; the audio ones take the device functions so tests can give others) ----

def microphone(record: Callable[[float], np.ndarray] | None) -> Finding:
    """`record(seconds)` -> 16 kHz int16 samples, or None when there is no microphone."""
    if record is None:
        return Finding("mic_missing", False)
    samples = record(LISTEN_S).astype(np.float64)
    n = 1600  # 100 ms
    frames = samples[: len(samples) // n * n].reshape(-1, n)
    if not len(frames):
        return Finding("mic_silent", False, detail="no audio came from the microphone")
    levels = 10 * np.log10(np.mean(frames ** 2, axis=1) / 32768.0 ** 2 + 1e-12)
    loudest, floor = float(levels.max()), float(np.percentile(levels, 10))
    detail = f"loudest {loudest:.0f} dBFS, background {floor:.0f} dBFS"
    if loudest < SILENT_DBFS:
        return Finding("mic_silent", False, detail=detail)
    if loudest < QUIET_DBFS or loudest - floor < 10:
        return Finding("mic_quiet", True, needed=False, detail=detail)
    return Finding("mic_ok", True, detail=detail)


def recognisers_and_voices(language: str, profile) -> list[Finding]:
    words = _words(language)
    findings = []
    for lang in LANGUAGES:
        name = words.raw("languages").get(lang, lang)
        needed = lang == language
        try:
            engine = getattr(recognizer_for(lang, profile), "engine", "")
            findings.append(Finding("recogniser_ok", True, needed, {"language": name}, f"{lang}: {engine}"))
        except RecognizerUnavailable as exc:
            findings.append(Finding("recogniser_missing", False, needed, {"language": name},
                                    f"{lang}: {exc}" + ("" if install_hint(lang) in str(exc) else
                                                        ". " + words.say("install_hint", command=install_hint(lang)))))
        try:
            voice = type(synthesizer_for(lang, getattr(profile, "tts_engine", None))).__name__
            findings.append(Finding("voice_ok", True, needed, {"language": name}, f"{lang}: {voice}"))
        except SynthesizerUnavailable as exc:
            findings.append(Finding("voice_missing", False, needed, {"language": name},
                                    f"{lang}: {exc} (voice-assistant models list)"))
    return findings


def clinician_link(profile, transport=None) -> Finding:
    """Reachable, and the token accepted: a 401 means the server does not know this device's token."""
    try:
        config = SyncConfig.from_profile(profile)
    except SyncConfigError as exc:
        return Finding("link_refused", False, detail=str(exc))
    if not config.base_url:
        return Finding("link_not_set", True, needed=False)
    try:
        with config.make_client(transport) as client:
            response = client.get(f"{config.base_url}/Observation", params={"_count": "1"})
    except (httpx.HTTPError, OSError) as exc:
        return Finding("link_unreachable", False, needed=False, detail=f"{config.base_url}: {exc}")
    if response.status_code == 401:
        return Finding("link_refused", False, detail=f"{config.base_url}: HTTP 401")
    if response.status_code >= 500:
        return Finding("link_unreachable", False, needed=False, detail=f"{config.base_url}: HTTP {response.status_code}")
    return Finding("link_ok", True, detail=f"{config.base_url}: HTTP {response.status_code}")


def clock(profile, language: str, now: datetime | None = None) -> Finding:
    now = now or datetime.now(profile.zone)
    said = speech_for(language).clock(now.hour, now.minute)
    values = {"time": said, "zone": str(profile.zone)}
    detail = f"{now.isoformat(timespec='seconds')} ({profile.zone})"
    if now.year < EARLIEST_YEAR:
        return Finding("clock_wrong", False, values=values, detail=detail)
    return Finding("clock_ok", True, values=values, detail=detail)


def disk(folder: Path) -> Finding:
    folder = folder if folder.exists() else next((p for p in folder.parents if p.exists()), Path("/"))
    free = shutil.disk_usage(folder).free
    detail = f"{free / 1024 ** 3:.1f} GB free in {folder}"
    return Finding("disk_ok" if free >= MIN_FREE_BYTES else "disk_low", free >= MIN_FREE_BYTES, detail=detail)


# --- the command ------------------------------------------------------------------------------------------

def _words(language: str):
    return setup_words(language)


class Voice:
    """Says and prints each line (the speaker may be missing: then only printed)."""

    def __init__(self, language: str, profile, echo: Callable[[str], None], play=None, silent: bool = False):
        self.words = _words(language)
        self.echo = echo
        self.play = play
        self.synthesizer = None
        self.silent = silent
        self.wpm = getattr(profile, "words_per_minute", 150)
        if play is not None:
            try:
                self.synthesizer = synthesizer_for(language, getattr(profile, "tts_engine", None))
            except Exception:  # noqa: BLE001 - no voice: printed only (the finding says so)
                self.synthesizer = None

    def say(self, key: str, detail: str = "", mark: str = "", force: bool = False, **values) -> None:
        text = self.words.say(f"check.{key}", **values)
        self.echo(f"{mark}{text}" + (f"  [{detail}]" if detail else ""))
        if self.synthesizer is not None and (force or not self.silent):
            for sentence in self.synthesizer.speak(text, self.wpm):
                self.play(sentence.audio)


def run_check(language: str, profile, *, echo: Callable[[str], None] = print,
              record: Callable[[float], np.ndarray] | None = None, play=None,
              ask: Callable[[], bool | None] | None = None, data_dir: Path | None = None,
              transport=None, silent: bool = False) -> Report:
    """Every check, said and printed. `record`/`play`: the microphone and speaker (None: missing); `ask()`: the
    helper's answer to "did you hear it?" (None: nobody to answer)."""
    report = Report()
    voice = Voice(language, profile, echo, play, silent)
    voice.say("start")

    def add(finding: Finding) -> None:
        report.findings.append(finding)
        voice.say(finding.key, finding.detail, "" if finding.ok else ("!! " if finding.needed else "-- "),
                  **finding.values)

    if record is not None:
        voice.say("say_something")
        time.sleep(0.2)
    add(microphone(record))
    if play is None:
        add(Finding("speaker_missing", False))
    else:
        play(earcon(Earcon.LISTENING))  # a chime and a sentence, even with --silent: this is the speaker test
        voice.say("speaker_test", force=True)
        heard = ask() if ask is not None else None
        finding = Finding("speaker_ok", heard is not False, detail="" if heard is None else
                          ("the helper heard it" if heard else "the helper did not hear it"))
        add(finding)
    for finding in recognisers_and_voices(language, profile):
        add(finding)
    add(clinician_link(profile, transport))
    add(clock(profile, language))
    add(disk(data_dir or default_db_path().parent))
    voice.say("all_good" if report.ready else "missing")
    return report


# --- the command line -------------------------------------------------------------------------------------

def _device_recorder():
    """`record(seconds)` on the default microphone, or None when there is none."""
    try:
        devices.check_audio_devices(need_input=True, need_output=False)
    except AudioDeviceError:
        return None

    def record(seconds: float) -> np.ndarray:
        blocks: list[np.ndarray] = []
        lock = threading.Lock()

        def take(block: np.ndarray) -> None:
            with lock:
                blocks.append(block)

        try:
            with devices.open_microphone(take):
                time.sleep(seconds)
        except Exception:  # noqa: BLE001 - a microphone that fails to open gives nothing: "silent"
            return np.zeros(0, np.int16)
        with lock:
            return np.concatenate(blocks) if blocks else np.zeros(0, np.int16)

    return record


def check_command(
    lang: Optional[str] = typer_option(None, "--lang", "fr or en (default: the profile's language)."),
    silent: bool = typer_option(False, "--silent", "Print only; say nothing aloud."),
) -> None:
    """Check that this device is ready: microphone, speaker, speech models, clinician link, clock, disk."""
    profile = profile_or_exit()
    language = language_or_exit(lang, profile)
    with sound_noise_to():  # ALSA's own messages go to the log file, not over the plain words
        ready = _check_devices(language, profile, silent)
    raise typer.Exit(0 if ready else 1)


def _check_devices(language: str, profile, silent: bool) -> bool:
    record = _device_recorder()
    player = None
    try:
        devices.check_audio_devices(need_input=False, need_output=True)
        player = devices.open_player()
    except AudioDeviceError as exc:
        typer.echo(str(exc), err=True)

    def ask() -> bool | None:
        if not sys.stdin.isatty():
            return None
        answer = typer.prompt("y/n", default="y")
        return answer.strip().lower()[:1] in ("y", "o")  # yes / oui

    try:
        report = run_check(language, profile, echo=typer.echo, record=record,
                           play=None if player is None else player.play, ask=ask, silent=silent)
    finally:
        if player is not None:
            player.close()
    return report.ready
