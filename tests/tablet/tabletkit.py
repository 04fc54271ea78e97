"""Helpers for the tablet tests: a TabletServer around a Session on a throwaway store (run in its own thread, which
owns the store), pairing without a browser, a tiny WebSocket page, the patient's requests as WAV files for
Chromium's fake microphone, and the browser (Debian's chromium through Playwright; axe-core from tests/hub)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from browserkit import CHROMIUM_ARGS as BROWSER_ARGS
from browserkit import chromium  # noqa: F401  (the tablet tests take it from here)
from voice_assistant.assistant import Session
from voice_assistant.dialogue.manager import DialogueManager
from voice_assistant.live import LiveOptions
from voice_assistant.profile import default_profile
from voice_assistant.store import Store
from voice_assistant.tablet import PairingStore, TabletServer
from voice_assistant.tablet.server import COOKIE

TESTS = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = BROWSER_ARGS + ["--autoplay-policy=no-user-gesture-required"]

#: The patient's voice: eSpeak NG's "en-us+f2" at 150 words per minute (the assistant speaks with another voice).
#: pocketsphinx hears it reliably saying the requests below (tried over the voices of tests/test_audio_roundtrip.py).
PATIENT_VOICE, PATIENT_WPM = "en-us+f2", 150
REQUEST = "my glucose is one hundred and twenty"  #: 8 times in 8 (pocketsphinx is unsure of "one twenty")
YES = "yes that's right"


def profile(lang: str = "en"):
    return replace(default_profile(), language=lang)


@dataclass
class RunningTablet:
    server: TabletServer
    pairing: PairingStore
    db_path: Path
    thread: threading.Thread
    errors: list

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def origin(self) -> str:
        return self.url

    def token(self) -> str:
        """A paired tablet's cookie value, as the pairing page would give it."""
        return self.pairing.redeem(self.pairing.new_code().code)

    def cookie(self, token: str | None = None) -> dict:
        parts = urlsplit(self.url)
        return {"name": COOKIE, "value": token or self.token(), "domain": parts.hostname, "path": "/",
                "httpOnly": True, "sameSite": "Strict", "secure": parts.scheme == "https"}

    def readings(self) -> list[float]:
        with Store.open(self.db_path) as store:
            return [r.glucose_mg_dl for r in store.readings()]

    def stop(self) -> None:
        self.server.stop()
        self.thread.join(timeout=15)


def start_tablet(folder: Path, *, recognizer=None, synthesizer=None, clock=None, lang: str = "en",
                 certificate=None, port: int = 0, idle_every_s: float = 0.2, cannot_hear=None) -> RunningTablet:
    """A tablet server on 127.0.0.1 whose session (and store) live in the server's own thread."""
    folder.mkdir(parents=True, exist_ok=True)
    db_path = folder / "assistant.db"
    pairing = PairingStore(folder / "tablet.db")
    made: dict = {}
    ready = threading.Event()
    errors: list = []

    def serve() -> None:
        store = Store.open(db_path)
        try:
            manager = DialogueManager(profile(lang), store, lang, save_profile_changes=False)
            session = Session(manager, recognizer, synthesizer, clock=clock)
            server = TabletServer(session, pairing, host="127.0.0.1", port=port, lang=lang, certificate=certificate,
                                  cannot_hear=cannot_hear,
                                  options=LiveOptions(push_to_talk=True, barge_in_by_wake_phrase=False,
                                                                 idle_every_s=idle_every_s))
            made["server"] = server.start()
        except BaseException as exc:
            errors.append(exc)
            store.close()
            ready.set()
            return
        ready.set()
        try:
            server.run()
        except BaseException as exc:
            errors.append(exc)
        finally:
            store.close()

    thread = threading.Thread(target=serve, daemon=True, name="tablet-server")
    thread.start()
    assert ready.wait(30), "the tablet server did not start"
    if errors:
        raise errors[0]
    return RunningTablet(made["server"], pairing, db_path, thread, errors)


def ws_connect(tablet: RunningTablet, token: str | None, origin: str | None = None, **kw):
    """A WebSocket to the tablet as the page opens it (cookie and Origin), from Python."""
    from websockets.sync.client import connect

    parts = urlsplit(tablet.url)
    headers = {"Cookie": f"{COOKIE}={token}"} if token else {}
    scheme = "wss" if parts.scheme == "https" else "ws"
    return connect(f"{scheme}://{parts.netloc}/ws", origin=origin if origin is not None else tablet.origin,
                   additional_headers=headers, open_timeout=10, **kw)


def next_message(ws, kind: str, timeout: float = 30.0) -> dict:
    """The next JSON message of this type (answering 'play' as a page that played it at once)."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        raw = ws.recv(timeout=max(0.01, deadline - time.monotonic()))
        if isinstance(raw, bytes):
            continue
        message = json.loads(raw)
        if message["type"] == "play":
            ws.send(json.dumps({"type": "played", "id": message["id"], "completed": True}))
        if message["type"] == kind:
            return message


def spoken_wav(text: str, path: Path, lead_in_s: float = 1.5, tail_s: float = 3.0) -> Path:
    """The patient's request as Chromium's fake microphone plays it: a silence (the tap, the listening chime), the
    words, then a silence long enough for the endpointer to end the turn. 16 kHz mono int16. Synthesised in a fresh
    process: eSpeak NG carries state from one synthesis to the next, and the recogniser would notice."""
    script = ("import sys, numpy as np; sys.path.insert(0, sys.argv[1]); from espeak_audio import synthesize; "
              "from voice_assistant.audio.clip import AudioClip; from voice_assistant.audio.files import write_wav; "
              "z = lambda s: np.zeros(round(s * 16000), np.int16); "
              "a = synthesize(sys.argv[2], sys.argv[3], int(sys.argv[4])); "
              "write_wav(sys.argv[5], AudioClip(np.concatenate([z(float(sys.argv[6])), a, z(float(sys.argv[7]))])))")
    subprocess.run([sys.executable, "-c", script, str(TESTS / "asr"), text, PATIENT_VOICE, str(PATIENT_WPM),
                    str(path), str(lead_in_s), str(tail_s)], check=True, capture_output=True, timeout=60)
    return path


def start_tablet_command(*args: str) -> tuple[subprocess.Popen, str]:
    """`voice-assistant tablet` on 127.0.0.1 (the user's folders are the test's): the process and what it printed
    until it serves."""
    proc = subprocess.Popen([sys.executable, "-m", "voice_assistant", "tablet", "--host", "127.0.0.1", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("Ctrl+C to stop."):
            break
    return proc, "".join(lines)


def stop_tablet_command(proc: subprocess.Popen) -> str:
    """Ctrl+C; what it wrote on stderr (no traceback allowed)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    try:
        code = proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise
    err = proc.stderr.read()
    assert code in (0, 130) and "Traceback" not in err, (code, err)
    return err
