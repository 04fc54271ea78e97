"""`voice-assistant demo`: a whole spoken conversation on a machine with no microphone.

The patient's lines (prompts/demo/<lang>.yaml) are synthesised with a voice and speed unlike the
assistant's, resampled to 16 kHz and go through the real recogniser, understanding, dialogue, database and
synthesis: the same `Session` as the live loop. Each turn's audio is written as WAV files next to a
`transcript.json`. Nothing touches the user's own data: the demo has its own database in the output folder.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import numpy as np

from voice_assistant.app import build_session
from voice_assistant.asr.select import RecognizerUnavailable, recognizer_for
from voice_assistant.assistant import Output
from voice_assistant.audio.clip import AudioClip
from voice_assistant.audio.files import from_array, write_wav
from voice_assistant.language import language_file, read_yaml
from voice_assistant.profile import Profile, default_profile
from voice_assistant.store import Store
from voice_assistant.tts import synthesizer_for
from voice_assistant.tts.espeak import EspeakSynthesizer


@dataclass(frozen=True)
class DemoTurn:
    said: str  #: what the synthetic patient said
    heard: str  #: what the recogniser heard ("" when it ran on text)
    intent: str
    slots: dict
    reply: str
    seconds: dict  #: asr, dialogue, first_audio
    patient_wav: str
    assistant_wav: str


def demo_script(lang: str) -> dict:
    return read_yaml(language_file("prompts/demo", lang), what="the demo script")


def _concat(clips: list[AudioClip]) -> AudioClip | None:
    if not clips:
        return None
    rate = clips[0].sample_rate
    return AudioClip(np.concatenate([c.samples for c in clips]), rate)


def run_demo(lang: str, out: Path, echo: Callable[[str], None] = print, profile: Profile | None = None) -> list[DemoTurn]:
    out.mkdir(parents=True, exist_ok=True)
    script = demo_script(lang)
    profile = replace(profile or default_profile(), language=lang)
    voice = script["patient_voice"]
    patient = EspeakSynthesizer(lang, voice=voice.get("voice"))
    assistant_voice = synthesizer_for(lang, profile.tts_engine)
    try:
        recognizer = recognizer_for(lang, profile)
    except RecognizerUnavailable as exc:
        recognizer = None
        echo(f"(no {lang} speech recogniser installed: {exc}. The patient's words go in as text.)")
    db = out / "demo.db"
    for stale in out.glob("demo.db*"):
        stale.unlink()
    store = Store.open(db)
    try:
        session = build_session(profile, lang, store, recognizer=recognizer, synthesizer=assistant_voice,
                                save_profile_changes=False)
        turns: list[DemoTurn] = []
        greeting = session.start()
        _write_reply(greeting, out / "turn-00-assistant.wav")
        echo(f"assistant: {greeting.text}")
        for n, said in enumerate(script["turns"], 1):
            spoken = list(patient.speak(said, voice.get("words_per_minute", 135)))
            clip = _concat([s.audio for s in spoken])
            patient_wav = out / f"turn-{n:02d}-patient.wav"
            write_wav(patient_wav, clip)
            if recognizer is not None:
                heard_clip = from_array(clip.samples, clip.sample_rate)  # 22.05 kHz voice -> 16 kHz
                output = session.hear(heard_clip)
                heard = output.transcript.text if output.transcript else ""
            else:
                output, heard = session.text(said), ""
            assistant_wav = out / f"turn-{n:02d}-assistant.wav"
            _write_reply(output, assistant_wav)
            u = output.turn.understanding
            seconds = {k: round(v, 3) for k, v in output.timings.items()}
            turns.append(DemoTurn(said, heard, u.intent, dict(u.slots), output.text, seconds,
                                  patient_wav.name, assistant_wav.name))
            echo(f"patient:   {said}")
            if recognizer is not None:
                echo(f"  heard:   {heard}")
            echo(f"  -> {u.intent} {json.dumps(u.slots, ensure_ascii=False)}  "
                 + "  ".join(f"{k} {v * 1000:.0f} ms" for k, v in seconds.items()))
            echo(f"assistant: {output.text}")
        (out / "transcript.json").write_text(json.dumps({
            "language": lang,
            "recogniser": getattr(recognizer, "engine", None) or (type(recognizer).__name__ if recognizer else None),
            "synthesiser": type(assistant_voice).__name__,
            "greeting": greeting.text,
            "turns": [vars(t) for t in turns],
            "stored_readings": [{"glucose_mg_dl": r.glucose_mg_dl, "context": r.context, "transcript": r.transcript}
                                for r in store.readings()],
        }, ensure_ascii=False, indent=2), encoding="utf-8")
        return turns
    finally:
        store.close()


def _write_reply(output: Output, path: Path) -> None:
    started = time.perf_counter()
    clip = _concat([s.audio for s in output.sentences()])
    output.timings.setdefault("synthesis", time.perf_counter() - started)
    if clip is not None:
        write_wav(path, clip)
