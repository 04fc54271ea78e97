"""Vosk (Kaldi) recognition: the default engine wherever a Vosk model is installed.

The recogniser is constrained by a phrase list built from the language pack (template sentences with
their slots filled, number words, the patient's medication names) plus "[unk]" when the model knows it.
Vosk drops phrase-list words missing from the model's vocabulary with only a log line, so every word is
checked at load and the missing ones are reported (`missing_words`, a warning). Vosk turns the phrase
list into a bigram model, not a strict grammar: the transcript is re-checked against the pack's matcher
(`info["fit"]`), and when the constrained pass hears nothing, mostly "[unk]", or something that reads like
no pack sentence with little confidence, an open-vocabulary pass (no grammar) decodes the same audio.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from voice_assistant.asr.base import Transcript, Word, transcribe
from voice_assistant.asr.rescore import PackFit, Rescorer
from voice_assistant.asr.vocabulary import build_vocabulary, medication_names, patient_medications, speech_words
from voice_assistant.audio.clip import SAMPLE_RATE
from voice_assistant.errors import EngineUnavailable
from voice_assistant.nlu.packs import Pack, PackError, load_pack

log = logging.getLogger(__name__)

ENGINE = "vosk"
UNK = "[unk]"

_MODELS: dict[str, object] = {}
_MODELS_LOCK = threading.Lock()


class VoskUnavailable(EngineUnavailable):
    """Vosk or its model cannot be loaded; the message says what to install or fix."""


def load_model(model_path: str | Path):
    """A Vosk model, loaded once per process (they are large) and shared by every recogniser."""
    path = str(Path(model_path).resolve())
    with _MODELS_LOCK:
        if path not in _MODELS:
            try:
                import vosk
            except ImportError:
                raise VoskUnavailable("vosk is not installed: pip install vosk") from None
            vosk.SetLogLevel(-1)
            if not (Path(path) / "am").is_dir() and not (Path(path) / "conf").is_dir():
                raise VoskUnavailable(f"{path} is not a Vosk model folder (no am/ or conf/ inside)")
            try:
                _MODELS[path] = vosk.Model(path)
            except Exception as exc:  # vosk raises a bare Exception when the model does not load
                raise VoskUnavailable(f"Vosk could not load the model in {path}: {exc}") from None
        return _MODELS[path]


def supports_grammar(model_path: str | Path) -> bool:
    """Only models with a dynamic graph (HCLr.fst + Gr.fst, the "small" ones) take a phrase list; a model
    with a static HCLG.fst ignores it."""
    graph = Path(model_path) / "graph"
    return (graph / "HCLr.fst").exists() or not (graph / "HCLG.fst").exists()


class Lexicon:
    """The words a Vosk model knows: `graph/words.txt` when the model has it, else asked one by one."""

    def __init__(self, model, model_path: str | Path):
        self.model = model
        self._known: set[str] | None = None
        words_txt = Path(model_path) / "graph" / "words.txt"
        if words_txt.exists():
            with open(words_txt, encoding="utf-8", errors="replace") as f:
                self._known = {line.split(maxsplit=1)[0] for line in f if line.strip()}
        self._probed: dict[str, bool] = {}

    def __contains__(self, word: str) -> bool:
        if self._known is not None:
            return word in self._known
        if word not in self._probed:
            find = getattr(self.model, "find_word", None) or self.model.vosk_model_find_word
            self._probed[word] = find(word) != -1
        return self._probed[word]


def fit_to_lexicon(words: Sequence[str], lexicon) -> tuple[list[str], list[str]]:
    """Respell a phrase in the model's own spelling where it and the pack disagree on apostrophes and
    hyphens ("aujourd hui" -> "aujourd'hui", "est ce" -> "est-ce", "l" -> "l'", "o'clock" -> "oclock").
    Returns (the words kept, the words the model does not know)."""
    out: list[str] = []
    missing: list[str] = []
    i = 0
    while i < len(words):
        w = words[i]
        nxt = words[i + 1] if i + 1 < len(words) else None
        joined = next((j for j in (f"{w}'{nxt}", f"{w}-{nxt}") if nxt is not None and j in lexicon), None)
        if joined:  # the model writes it as one word: « aujourd'hui », « est-ce », "o'clock"
            out.append(joined)
            i += 2
            continue
        if w in lexicon:
            out.append(w)
        elif f"{w}'" in lexicon:
            out.append(f"{w}'")
        elif "'" in w and w.replace("'", "") in lexicon:
            out.append(w.replace("'", ""))
        elif "'" in w and all(p in lexicon for p in w.replace("'", "' ").split()):
            out.extend(w.replace("'", "' ").split())
        else:
            missing.append(w)
        i += 1
    return out, missing


class VoskRecognizer:
    """Streaming Vosk recognition, constrained by a phrase list, with an open-vocabulary fallback."""

    engine = ENGINE

    def __init__(self, model_path: str | Path, language: str, grammar_words: Iterable[str] | None = None, *,
                 pack: Pack | None = None, medications: Sequence | None = None, use_pack: bool = True,
                 open_fallback: bool = True, max_phrases: int = 1500, min_confidence: float = 0.5,
                 min_fit: float = 0.6, rescorer: Rescorer | None | bool = True, min_peak: int = 100):
        """`grammar_words`: the phrases (or single words) to listen for; None builds them from the
        language pack (`pack` or `load_pack(language)`) and the patient's `medications` (profile
        `Medication`s or names; default the demo profile's), or leaves the recogniser open when the
        language has no pack. `rescorer`: how well a text reads as a pack sentence (True: the pack's own
        matcher), used with `min_confidence` and `min_fit` to decide on the open pass."""
        started = time.perf_counter()
        self.language = language
        self.sample_rate = SAMPLE_RATE
        self.model_path = Path(model_path)
        #: for messages: "vosk-model-small-fr-0.22", or the package for a package's `model` folder
        self.name = self.model_path.parent.name if self.model_path.name == "model" else self.model_path.name
        self.model = load_model(self.model_path)
        self.open_fallback = open_fallback
        self.min_confidence = min_confidence
        self.min_fit = min_fit
        self.min_peak = min_peak  #: quieter audio (peak under about -50 dBFS) never goes to the open pass
        self.grammar_supported = supports_grammar(self.model_path)
        self.lexicon = Lexicon(self.model, self.model_path)
        self.pack = pack
        self.rescorer: Rescorer | None = None
        if grammar_words is None and use_pack:
            if self.pack is None:
                try:
                    self.pack = load_pack(language)
                except PackError:
                    self.pack = None
            if self.pack is not None:
                meds = patient_medications(medications)
                vocabulary = build_vocabulary(self.pack, medication_names(meds, language))
                grammar_words = vocabulary.phrases(limit=max_phrases)
                if rescorer is True:
                    self.rescorer = PackFit(self.pack, meds)
        if callable(rescorer):
            self.rescorer = rescorer
        self.phrases: list[str] = []  #: the phrase list given to Vosk (words it does not know removed)
        self.missing_words: list[str] = []  #: grammar words the model's vocabulary lacks (Vosk would drop them)
        self.has_unk = UNK in self.lexicon
        if grammar_words is not None:
            self.phrases, self.missing_words = self._grammar(grammar_words)
            if self.missing_words:
                log.warning("Vosk model %s does not know %d grammar word(s), they cannot be heard: %s",
                            self.name, len(self.missing_words), ", ".join(self.missing_words[:40]))
            if not self.grammar_supported:
                log.warning("Vosk model %s has a static graph: it ignores phrase lists, recognition is open",
                            self.name)
        self.constrained = bool(self.phrases) and self.grammar_supported
        self._rec = self._make(self.phrases if self.constrained else None)
        self._open_rec = None if self.constrained else self._rec
        self._audio = bytearray()
        self._segments: list[dict] = []
        self._last_partial = ""
        self.load_seconds = time.perf_counter() - started

    # --------------------------------------------------------------------------------- protocol

    def accept(self, pcm: bytes) -> Transcript | None:
        if not pcm:
            return None
        self._audio.extend(pcm)
        if self._rec.AcceptWaveform(bytes(pcm)):
            # Vosk's own endpointer closed a segment (a pause): keep it, the utterance goes on until finish().
            self._segments.append(json.loads(self._rec.Result()))
            partial_words: list[dict] = []
        else:
            partial = json.loads(self._rec.PartialResult())
            partial_words = partial.get("partial_result") or [{"word": w, "conf": 1.0}
                                                                for w in partial.get("partial", "").split()]
        words = [w for seg in self._segments for w in seg.get("result", [])] + partial_words
        words = [w for w in words if w.get("word") and w["word"] != UNK]
        text = " ".join(w["word"] for w in words)
        if not text or text == self._last_partial:
            return None
        self._last_partial = text
        return Transcript(text, tuple(_word(w) for w in words), 0.0, final=False, engine=ENGINE,
                          constrained=self.constrained)

    def finish(self) -> Transcript:
        started = time.perf_counter()
        self._segments.append(json.loads(self._rec.FinalResult()))
        result = self._transcript(self._segments, self.constrained)
        audio = bytes(self._audio)
        self.reset()
        info = dict(result.info)
        info["audio_seconds"] = len(audio) / 2 / self.sample_rate
        if self.constrained:
            info["constrained_text"] = result.text
            if self.rescorer is not None and result.text:
                info["fit"] = round(self.rescorer(result.text), 3)
            unk_share = info.get("unknown", 0) / max(info.get("unknown", 0) + len(result.words), 1)
            unsure = result.confidence < self.min_confidence and info.get("fit", 1.0) < self.min_fit
            heard_nothing = not result.text or unk_share >= 0.5
            if self.open_fallback and _peak(audio) >= self.min_peak and (heard_nothing or unsure):
                opened = self.decode_open(audio)
                info["open_text"] = opened.text
                info["open_confidence"] = opened.confidence
                if opened.text:
                    result = opened
        info["decode_seconds"] = time.perf_counter() - started
        return Transcript(result.text, result.words, result.confidence, True, ENGINE, result.constrained, info)

    def reset(self) -> None:
        self._rec.Reset()
        self._audio = bytearray()
        self._segments = []
        self._last_partial = ""

    # --------------------------------------------------------------------------------- helpers

    def recognize(self, pcm: bytes) -> Transcript:
        """One whole utterance at once."""
        return transcribe(self, pcm)

    def decode_open(self, pcm: bytes) -> Transcript:
        """The open-vocabulary pass (no phrase list) over a whole utterance."""
        if self._open_rec is None:
            self._open_rec = self._make(None)
        rec = self._open_rec
        rec.Reset()
        segments = []
        for i in range(0, len(pcm), 16000):
            if rec.AcceptWaveform(pcm[i:i + 16000]):
                segments.append(json.loads(rec.Result()))
        segments.append(json.loads(rec.FinalResult()))
        return self._transcript(segments, constrained=False)

    def _make(self, phrases: list[str] | None):
        import vosk

        if phrases:
            grammar = json.dumps(phrases + ([UNK] if self.has_unk else []), ensure_ascii=False)
            rec = vosk.KaldiRecognizer(self.model, float(self.sample_rate), grammar)
        else:
            rec = vosk.KaldiRecognizer(self.model, float(self.sample_rate))
        rec.SetWords(True)
        if hasattr(rec, "SetPartialWords"):
            rec.SetPartialWords(True)
        return rec

    def _grammar(self, grammar_words: Iterable[str]) -> tuple[list[str], list[str]]:
        phrases: list[str] = []
        seen: set[str] = set()
        missing: dict[str, None] = {}
        for phrase in grammar_words:
            words = speech_words(phrase, self.language) if phrase != UNK else []
            kept, lost = fit_to_lexicon(words, self.lexicon)
            for w in lost:
                missing.setdefault(w)
            text = " ".join(kept)
            if text and text not in seen:
                seen.add(text)
                phrases.append(text)
        return phrases, list(missing)

    def _transcript(self, segments: list[dict], constrained: bool) -> Transcript:
        raw = [w for seg in segments for w in seg.get("result", []) if w.get("word")]
        unknown = sum(1 for w in raw if w["word"] == UNK)
        words = tuple(_word(w) for w in raw if w["word"] != UNK)
        if not raw:  # a model without word times still gives the text
            words = tuple(Word(t, 1.0) for seg in segments for t in seg.get("text", "").split() if t != UNK)
        text = " ".join(w.text for w in words)
        confidence = sum(w.confidence for w in words) / len(words) if words else 0.0
        info = {"unknown": unknown} if unknown else {}
        return Transcript(text, words, round(confidence, 3), True, ENGINE, constrained, info)


def _peak(pcm: bytes) -> int:
    """Loudest sample of 16-bit PCM, ignoring the loudest 0.1 % (a click)."""
    if len(pcm) < 2:
        return 0
    samples = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype="<i2").astype(np.int32)
    return int(np.percentile(np.abs(samples), 99.9))


def _word(w: dict) -> Word:
    return Word(str(w["word"]).lower(), round(min(max(float(w.get("conf", 1.0)), 0.0), 1.0), 3),
                float(w.get("start", 0.0)), float(w.get("end", 0.0)))
