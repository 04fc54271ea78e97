"""pocketsphinx with its bundled en-US model: English recognition out of the box.

The constrained pass decodes against a trigram language model generated from the language pack (sentences
from its templates with number words, times, list phrases and the patient's medication names), with a
dictionary extended by the pack's pronunciations (drug names, A1c, LDL...). The model also holds the
3,000 most frequent everyday English words as a low-weight "garbage" class, so speech the pack does not
cover comes out as the words said (`Transcript.constrained` False when they make up much of it) rather than
forced into pack words. The n-best hypotheses are re-ranked by how well they read as pack sentences. When
the pass hears nothing, or hears something unsure that reads like no pack sentence, an open pass over the
bundled general English model decodes the same audio. Word confidences are the decoder's posteriors.
Generated files are cached under the user cache dir, keyed by a hash of everything they come from.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import os
import re
import tempfile
import threading
import time
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from voice_assistant.asr import unlocked
from voice_assistant.asr.bandwidth import extend_band, is_narrowband
from voice_assistant.asr.base import Transcript, Word
from voice_assistant.asr.rescore import PackFit, Rescorer, pick
from voice_assistant.asr.vocabulary import (GENERATOR_VERSION, Vocabulary, build_vocabulary,
                                            medication_names, pack_pronunciations, patient_medications, pronounce,
                                            read_dictionary)
from voice_assistant.audio.clip import SAMPLE_RATE
from voice_assistant.errors import EngineUnavailable
from voice_assistant.locations import cache_dir
from voice_assistant.memory import run_apart
from voice_assistant.nlu.packs import Pack, load_pack

log = logging.getLogger(__name__)

ENGINE = "pocketsphinx"
_FRAMES_PER_SECOND = 100  #: pocketsphinx's default frame rate
_NOT_WORDS = re.compile(r"^(<s>|</s>|<sil>|\[.*\]|\(null\)|\+.*\+)$", re.IGNORECASE)
_ALTERNATE = re.compile(r"\(\d+\)$")


class RecognizerError(EngineUnavailable):
    """A recogniser cannot be built; the message says what to install or fix."""


def bundled_model_dir() -> Path:
    """pocketsphinx's own en-US model (acoustic model, CMUdict, general language model)."""
    try:
        import pocketsphinx
    except ImportError:
        raise RecognizerError("pocketsphinx is not installed: pip install pocketsphinx") from None
    return Path(pocketsphinx.get_model_path()) / "en-us"


def cache_root() -> Path:
    """Where generated language models and dictionaries are kept (`$XDG_CACHE_HOME/voice-assistant/asr`)."""
    return cache_dir() / "asr"


#: Under this contrast (`_contrast_db`) no voice stands out of the noise: not decoded. Between four voices talking
#: at once (at most 10.5 dB measured) and speech in white noise at 12 dB SNR (11.9 dB at least): 12.0 dropped a
#: natural-set request ("how was my glucose yesterday", 11.9 dB) as if it were noise.
MIN_CONTRAST_DB = 11.0


class PocketsphinxRecognizer:
    """Streaming English recognition constrained by the language pack, with an open fallback pass."""

    engine = ENGINE

    def __init__(self, language: str = "en", pack: Pack | None = None, medications: Sequence | None = None, *,
                 model_dir: str | Path | None = None, cache_dir: str | Path | None = None,
                 open_pass: bool = True, min_confidence: float = 0.4, partial_every: float = 0.3,
                 language_weight: float = 8.0, decoder_options: dict | None = None,
                 lm_options: dict | None = None, rescorer: Rescorer | None | bool = True, nbest: int = 10,
                 outside_share: float = 0.34, min_fit: float = 0.6, min_peak: int = 100,
                 band_extension: bool = True, utterance_cmn: bool = True,
                 min_contrast_db: float = MIN_CONTRAST_DB):
        """`medications`: profile `Medication`s or names (default: the demo profile's). `min_confidence`:
        under this utterance confidence the open pass is tried; `partial_every`: seconds between partials;
        `rescorer`: re-ranks the `nbest` hypotheses by how well they read as pack sentences (True: the pack's
        own matcher, False/None: off). `utterance_cmn`: the final decoding normalises the utterance by its own
        cepstral mean (see `UtteranceMean`) instead of one carried over from earlier audio; the words heard
        while it is said (partials) come from a lighter decoder of the same model. `min_contrast_db`: audio
        whose loud parts stand less than this above its quiet parts (steady noise, distant chatter) holds no
        speech addressed to the assistant and is not decoded."""
        if language != "en":
            raise RecognizerError(f"pocketsphinx here has an English model only, not '{language}': "
                                  f"install a Vosk model for it (voice-assistant models list)")
        started = time.perf_counter()
        self.language = language
        self.sample_rate = SAMPLE_RATE
        self.pack = pack or load_pack(language)
        self.model_dir = Path(model_dir) if model_dir else bundled_model_dir()
        meds = patient_medications(medications)
        self.vocabulary: Vocabulary = build_vocabulary(self.pack, medication_names(meds, language))
        self.rescorer = PackFit(self.pack, meds) if rescorer is True else (rescorer or None)
        self.nbest = nbest
        self.outside_share = outside_share
        self.min_fit = min_fit
        self.min_peak = min_peak  #: quieter audio (peak under about -50 dBFS) is not decoded
        self.band_extension = band_extension  #: telephone-band audio gets its high band filled
        self.utterance_cmn = utterance_cmn
        self.min_contrast_db = min_contrast_db
        self.open_pass = open_pass
        self.min_confidence = min_confidence
        self.partial_every = partial_every
        self.language_weight = language_weight
        self.decoder_options = dict(decoder_options or {})
        self._cache_dir, self._lm_options = cache_dir, lm_options
        files = prepare_model_files(self.vocabulary, self.model_dir, cache_dir, lm_options)
        self.lm_path, self.dict_path = files["lm"], files["dict"]
        self.guessed_words: list[str] = files["guessed"]  #: words whose pronunciation is a spelling guess
        self.general_words: frozenset[str] = files["general"]  #: everyday words outside the pack (garbage class)
        if self.guessed_words:
            log.warning("pocketsphinx: pronunciations guessed from spelling for %s; add them to "
                        "intents/pronunciations/%s.yaml", ", ".join(self.guessed_words), language)
        self._decoder = self._make_decoder(lm=str(self.lm_path), dict=str(self.dict_path))
        self._mean = UtteranceMean(self.model_dir, self.dict_path, self.sample_rate) if utterance_cmn else None
        #: decodes while the patient speaks (partials); the final decoding is done again by decode(), so this one
        #: skips the slower second search passes
        self._stream_decoder = self._make_decoder(lm=str(self.lm_path), dict=str(self.dict_path), fwdflat=False,
                                                  bestpath=False)
        self._final_lock = threading.Lock()  #: decode() may run in a thread while accept() goes on
        self._open_decoder = None
        self._narrow_decoder = None
        self._audio = bytearray()
        self._in_utterance = False
        self._last_partial_at = 0
        self._last_partial = ""
        self.load_seconds = time.perf_counter() - started  #: constrained decoder ready (the open one loads lazily)

    # --------------------------------------------------------------------------------- protocol

    def accept(self, pcm: bytes) -> Transcript | None:
        if not pcm:
            return None
        if not self._in_utterance:
            if self.utterance_cmn:  # partials: a typical speech mean, the same whatever was heard before
                self._stream_decoder.set_cmn(SPEECH_CMN)
            self._stream_decoder.start_utt()
            self._in_utterance = True
        self._audio.extend(pcm)
        _process(self._stream_decoder, bytes(pcm))
        if len(self._audio) - self._last_partial_at < self.partial_every * self.sample_rate * 2:
            return None
        self._last_partial_at = len(self._audio)
        hyp = self._stream_decoder.hyp()
        text = _clean_text(hyp.hypstr) if hyp is not None else ""
        if not text or text == self._last_partial:
            return None
        self._last_partial = text
        return Transcript(text=text, words=tuple(Word(w, 1.0) for w in text.split()), confidence=0.0, final=False,
                          engine=ENGINE, constrained=True)

    def finish(self) -> Transcript:
        if not self._in_utterance:
            return Transcript("", engine=ENGINE)
        audio = bytes(self._audio)
        self._stream_decoder.end_utt()
        self._in_utterance = False
        try:
            return self.decode(audio)
        finally:
            self.reset()

    def decode(self, audio: bytes, open_pass: bool | None = None) -> Transcript:
        """The final transcript of a whole utterance, apart from the streaming state: `accept()` may go on in
        another thread meanwhile (the Session decodes a clip that looks complete while the endpointer waits out
        the pause, see `Session.feed`). Calls are serialised. `open_pass`: False for no open pass on this one
        (None: `self.open_pass`); the combined recogniser asks for none (combine.py)."""
        with self._final_lock:
            return self._decode(audio, self.open_pass if open_pass is None else open_pass)

    def _decode(self, audio: bytes, open_pass: bool) -> Transcript:
        started = time.perf_counter()
        info: dict = {"audio_seconds": len(audio) / 2 / self.sample_rate}
        samples = np.frombuffer(audio[: len(audio) // 2 * 2], dtype="<i2")
        if _peak(samples) < self.min_peak:  # silence or a hum: nothing was said
            return Transcript("", engine=ENGINE, info={**info, "skipped": "no speech"})
        contrast = _contrast_db(samples, self.sample_rate)
        if contrast < self.min_contrast_db:  # steady noise or far-off chatter: no voice stands out of it
            return Transcript("", engine=ENGINE, info={**info, "skipped": "no foreground speech",
                                                       "contrast_db": round(contrast, 1)})
        narrow = self.band_extension and is_narrowband(samples, self.sample_rate)
        if narrow:
            # Telephone-band audio: decoded again with its empty high band filled (see bandwidth.py), on its
            # own decoder (its search state and noise estimate follow telephone-band audio only).
            audio = extend_band(samples, self.sample_rate).astype("<i2").tobytes()
            info["narrowband"] = True
            if self._narrow_decoder is None:
                self._ensure_files()
                self._narrow_decoder = self._make_decoder(lm=str(self.lm_path), dict=str(self.dict_path))
        # The words heard while the patient spoke were normalised by a guessed cepstral mean; the final
        # decoding uses the utterance's own, so the result does not depend on what was heard before.
        cmn = self._mean.of(audio) if self._mean is not None else None
        decoder = self._narrow_decoder if narrow else self._decoder
        redecode_started = time.perf_counter()
        _decode_whole(decoder, audio, cmn, full_utt=False)
        info["redecode_seconds"] = round(time.perf_counter() - redecode_started, 4)
        result = self._result(decoder, constrained=True)
        info.update(result.info)
        info.update(constrained_text=result.text, constrained_confidence=result.confidence)
        unsure = result.confidence < self.min_confidence and result.info.get("fit", 0.0) < self.min_fit
        if open_pass and (not result.text or unsure):
            open_result = self.decode_open(audio, cmn)
            info["open_text"] = open_result.text
            info["open_confidence"] = open_result.confidence
            if self._prefer_open(result, open_result):
                result = open_result
        info["decode_seconds"] = time.perf_counter() - started
        return Transcript(result.text, result.words, result.confidence, True, ENGINE, result.constrained, info)

    def reset(self) -> None:
        if self._in_utterance:
            try:
                self._stream_decoder.end_utt()
            except RuntimeError:
                pass
        self._in_utterance = False
        self._audio = bytearray()
        self._last_partial_at = 0
        self._last_partial = ""

    # --------------------------------------------------------------------------------- helpers

    def recognize(self, pcm: bytes) -> Transcript:
        """One whole utterance at once."""
        self.reset()
        self.accept(pcm)
        return self.finish()

    def decode_open(self, pcm: bytes, cmn: str | None = None) -> Transcript:
        """The open pass: the bundled general English model over the whole utterance."""
        decoder = self.open_decoder()
        _decode_whole(decoder, pcm, cmn, full_utt=True)
        return self._result(decoder, constrained=False)

    def _ensure_files(self) -> None:
        """The generated files again, if the cache was cleaned since they were written."""
        if not (self.lm_path.exists() and self.dict_path.exists()):
            files = prepare_model_files(self.vocabulary, self.model_dir, self._cache_dir, self._lm_options)
            self.lm_path, self.dict_path = files["lm"], files["dict"]

    def open_decoder(self):
        if self._open_decoder is None:
            started = time.perf_counter()
            self._open_decoder = self._make_decoder(lm=str(self.model_dir / "en-us.lm.bin"),
                                                    dict=str(self.model_dir / "cmudict-en-us.dict"),
                                                    lw=6.5)
            # The pack's own words (drug names, "a1c") can be heard in the open pass too.
            self._ensure_files()
            entries = read_dictionary(str(self.dict_path))
            base = read_dictionary(str(self.model_dir / "cmudict-en-us.dict"))
            extra = [(w, prons[0]) for w, prons in entries.items() if w not in base]
            for i, (word, phones) in enumerate(extra):  # the search is rebuilt once, after the last word
                self._open_decoder.add_word(word, phones, i == len(extra) - 1)
            log.info("pocketsphinx open pass loaded in %.2f s", time.perf_counter() - started)
        return self._open_decoder

    def _make_decoder(self, lm: str, dict: str, lw: float | None = None, **overrides):
        from pocketsphinx import Decoder

        try:
            options = {"bestpath": True, **self.decoder_options, **overrides}
            return Decoder(hmm=str(self.model_dir / "en-us"), lm=lm, dict=dict, lw=lw or self.language_weight,
                           samprate=self.sample_rate, loglevel="FATAL", **options)
        except (RuntimeError, ValueError) as exc:
            raise RecognizerError(f"pocketsphinx could not load its model from {self.model_dir}: {exc}") from None

    def _result(self, decoder, constrained: bool) -> Transcript:
        words: list[Word] = []
        for seg in decoder.seg() or ():
            text = _ALTERNATE.sub("", seg.word).lower()
            if _NOT_WORDS.match(text):
                continue
            conf = min(max(float(seg.prob), 0.0), 1.0)
            words.append(Word(text, round(conf, 3), seg.start_frame / _FRAMES_PER_SECOND,
                              (seg.end_frame + 1) / _FRAMES_PER_SECOND))
        info: dict = {}
        if constrained and self.rescorer is not None and self.nbest > 1 and words:
            hypotheses = [" ".join(w.text for w in words)]
            try:
                for hyp in itertools.islice(decoder.nbest(), self.nbest):
                    text = _clean_text(hyp.hypstr) if hyp is not None else ""
                    if text and text not in hypotheses:
                        hypotheses.append(text)
            except (RuntimeError, ValueError):  # no lattice for this utterance
                pass
            index, fit = pick(hypotheses, self.rescorer)
            info = {"fit": round(fit, 3), "alternatives": hypotheses[1:5]}
            if index:
                info["rescored_from"] = hypotheses[0]
                words = _align(hypotheses[index].split(), words)
        text = " ".join(w.text for w in words)
        confidence = sum(w.confidence for w in words) / len(words) if words else 0.0
        if constrained and words:
            outside = [w.text for w in words if w.text not in self.vocabulary.words]
            if outside:
                info["outside_words"] = outside
                # Mostly everyday words the pack does not know: out-of-scope speech, heard as such.
                constrained = len(outside) / len(words) < self.outside_share
        return Transcript(text, tuple(words), round(confidence, 3), True, ENGINE, constrained, info)

    def _prefer_open(self, constrained: Transcript, open_: Transcript) -> bool:
        if not constrained.text:
            return bool(open_.text)
        if not open_.text:
            return False
        # The constrained pass forced unsure words: keep it only if the open pass agrees on most of them (more than
        # half: "the weather reason eyes it is it today" shares 4 of its 8 words with "the weather is nice to them
        # today", and which one was kept changed with any edit of the pack's sentences)
        overlap = len(set(constrained.text.split()) & set(open_.text.split())) / max(len(constrained.words), 1)
        return overlap <= 0.5


#: Cepstral mean a decoder starts an utterance from while it is being said (the median over varied English
#: speech: voices, rates, noise); pocketsphinx's own start value (40,3,-1) is far from any real speech.
SPEECH_CMN = "62.15,2.08,-2.28,16.68,-6.73,-1.38,-3.07,-8.02,-3.17,0.23,0.61,-1.44,-2.48"


class UtteranceMean:
    """The cepstral mean of one utterance, as pocketsphinx's own front end computes it (same model, same
    feature options), read from a feature-only decoder with a one-word grammar (its search costs little).

    pocketsphinx's live normalisation starts each utterance from a remembered mean, weighted as 500 frames
    (`set_cmn`). Features are computed twice, from a start mean of 0 and of 100 (first coefficient only):
    the two means read back give the number of frames counted (silent frames are skipped) and so the
    utterance's own mean."""

    WINDOW = 500  #: frames a start mean weighs (pocketsphinx's CMN_WIN)
    PROBE = 100.0
    #: The search it runs over the buffered frames at `end_utt` is never read: as little of it as can be (the
    #: acoustic scores of one frame in ten, the best Gaussian only) took its two passes from 29 to 6 ms of CPU per
    #: utterance, the means unchanged (features are computed before, and apart from, the search).
    SEARCH = dict(beam=1e-5, pbeam=1e-5, wbeam=1e-5, maxhmmpf=10, fwdflat=False, bestpath=False, ds=10, topn=1)

    def __init__(self, model_dir: Path, dictionary: str | Path, sample_rate: int = SAMPLE_RATE):
        """`dictionary`: any pronunciation dictionary holding the word "oh" (the pack's is small)."""
        from pocketsphinx import Decoder

        folder = Path(tempfile.mkdtemp(prefix="va-cmn-"))
        grammar = folder / "one.gram"
        grammar.write_text("#JSGF V1.0;\ngrammar one;\npublic <one> = oh;\n", encoding="utf-8")
        try:
            self._decoder = Decoder(hmm=str(model_dir / "en-us"), dict=str(dictionary),
                                    jsgf=str(grammar), samprate=sample_rate, loglevel="FATAL", **self.SEARCH)
        finally:
            grammar.unlink(missing_ok=True)
            folder.rmdir()
        self.size = len(self._decoder.get_cmn(False).split(","))

    def _read(self, pcm: bytes, first: float) -> np.ndarray:
        d = self._decoder
        d.set_cmn(",".join([repr(first)] + ["0"] * (self.size - 1)))
        d.start_utt()
        _process(d, pcm, no_search=True, unlock=True)
        mean = np.array([float(x) for x in d.get_cmn(True).split(",")])
        unlocked.end_utt(d)  # the buffered frames through its (cheap) search: most of this pass's time
        return mean

    def of(self, pcm: bytes) -> str | None:
        """The mean as `set_cmn` takes it, or None for audio too short or silent to have one."""
        if len(pcm) < 2 * 400:
            return None
        low, high = self._read(pcm, 0.0), self._read(pcm, self.PROBE)
        spread = float(high[0] - low[0])  # = WINDOW * PROBE / (WINDOW + frames)
        if not 0.0 < spread < self.PROBE - 1e-6:
            return None
        frames = self.WINDOW * self.PROBE / spread - self.WINDOW
        if frames < 5:
            return None
        mean = low * (self.WINDOW + frames) / frames
        return ",".join(f"{x:.3f}" for x in mean)


def _decode_whole(decoder, pcm: bytes, cmn: str | None, full_utt: bool) -> None:
    """One utterance through `decoder`, normalised by `cmn` when given (see `UtteranceMean`)."""
    if cmn is not None:
        decoder.set_cmn(cmn)
    decoder.start_utt()
    if full_utt:  # batch normalisation needs the whole utterance in one call
        unlocked.process_raw(decoder, pcm, False, True)
    else:
        _process(decoder, pcm, unlock=True)
    unlocked.end_utt(decoder)


#: bytes given to pocketsphinx per call: its binding holds the interpreter lock for a whole `process_raw` (1.7 s
#: measured for 0.25 s of audio with both cores busy), which starves the speaker's callback thread; 50 ms pieces
#: let it run between them. Results are the same (the front end carries partial frames over between calls).
PROCESS_BYTES = 2 * SAMPLE_RATE // 20


def _process(decoder, pcm: bytes, no_search: bool = False, unlock: bool = False) -> None:
    """`pcm` through `decoder.process_raw` (live mode) in `PROCESS_BYTES` pieces. `unlock`: without holding the
    interpreter lock (unlocked.py: the final decoding, serialised by the recogniser, runs beside the other
    engine's); the streaming decoder keeps the binding's own call (reset() may come from another thread)."""
    process = unlocked.process_raw if unlock else (lambda d, *args: d.process_raw(*args))
    for i in range(0, len(pcm), PROCESS_BYTES):
        process(decoder, pcm[i:i + PROCESS_BYTES], no_search, False)


def _contrast_db(samples: np.ndarray, rate: int = SAMPLE_RATE, min_seconds: float = 0.6) -> float:
    """How far the loud frames (95th percentile of 25 ms frame energies) stand above the quiet ones (10th), in
    dB. Measured: a clip of speech, pre-roll and pauses included, 11.9 dB or more with white noise at 12 dB SNR
    (the audio dev sets: 13.8 on the synthetic one, 11.9-12.7 for three clips of the natural one, Piper's voice);
    steady noise under 2 dB, four voices talking at once 6-10.5 dB. Clips too short to tell count as
    contrasted."""
    frame = int(rate * 0.025)
    n = len(samples) // frame
    if len(samples) < min_seconds * rate or n < 8:
        return float("inf")
    x = samples[: n * frame].astype(np.float64).reshape(n, frame)
    energy = 10 * np.log10(np.mean(x * x, axis=1) + 1.0)
    return float(np.percentile(energy, 95) - np.percentile(energy, 10))


def _peak(samples: np.ndarray) -> int:
    """Loudest sample, ignoring the loudest 0.1 % (a click)."""
    if len(samples) == 0:
        return 0
    return int(np.percentile(np.abs(samples.astype(np.int32)), 99.9))


def _align(chosen: list[str], heard: list[Word]) -> list[Word]:
    """Words of a re-ranked hypothesis with the confidences and times of the same words in the first one;
    a word the first hypothesis did not have gets its lowest confidence."""
    floor = min((w.confidence for w in heard), default=0.0)
    pool = list(heard)
    out = []
    for text in chosen:
        match = next((w for w in pool if w.text == text), None)
        if match is not None:
            pool.remove(match)
            out.append(match)
        else:
            out.append(Word(text, floor))
    return out


def _clean_text(hypstr: str) -> str:
    return " ".join(_ALTERNATE.sub("", w).lower() for w in hypstr.split() if not _NOT_WORDS.match(w))


#: How the pack's language model is estimated (see `Vocabulary.arpa`); `general_words` everyday English
#: words (the most frequent of the bundled general model) share `general_weight` of the unigram mass.
LM_OPTIONS = {"order": 3, "discount": 0.5, "floor": 0.05, "general_words": 3000, "general_weight": 0.5}


def general_words(model_dir: Path, count: int, base: Mapping[str, list[str]] | None = None) -> dict[str, float]:
    """The `count` most frequent words of the bundled general English model (word -> unigram probability),
    keeping only words its dictionary can pronounce."""
    if count <= 0:
        return {}
    from pocketsphinx import Config, LogMath, NGramModel

    logmath = LogMath()
    try:
        model = NGramModel(Config(), logmath, str(model_dir / "en-us.lm.bin"))
    except (RuntimeError, ValueError, OSError):
        log.warning("pocketsphinx: cannot read %s; no everyday words in the pack model", model_dir / "en-us.lm.bin")
        return {}
    scored = []
    for word in read_dictionary(str(model_dir / "cmudict-en-us.dict")) if base is None else base:
        if not re.fullmatch(r"[a-z]+(?:'[a-z]+)?", word) or (len(word) == 1 and word not in ("a", "i")):
            continue
        score = model.prob([word])
        if score > -400_000:  # log base 1.0001: probability above about e^-40
            scored.append((score, word))
    scored.sort(reverse=True)
    return {w: logmath.exp(s) for s, w in scored[:count]}


def prepare_model_files(vocabulary: Vocabulary, model_dir: Path, cache_dir: str | Path | None = None,
                        lm_options: dict | None = None) -> dict:
    """Write the language model and the extended dictionary for `vocabulary` into a cache folder keyed by
    a hash of the vocabulary and the pronunciation sources (rebuilt only when the pack or profile changes)."""
    base_dict = model_dir / "cmudict-en-us.dict"
    pron_path = Path(pack_pronunciations(vocabulary.language)["path"])
    pron_digest = hashlib.sha256(pron_path.read_bytes()).hexdigest()[:12] if pron_path.exists() else "none"
    try:
        base_stat = base_dict.stat()
    except OSError:
        raise RecognizerError(f"pocketsphinx dictionary not found: {base_dict}") from None
    lm_options = {**LM_OPTIONS, **(lm_options or {})}
    n_general = int(lm_options.pop("general_words", 0))
    key = hashlib.sha256(f"{GENERATOR_VERSION}|{vocabulary.digest}|{pron_digest}|{base_dict}|{base_stat.st_size}|"
                         f"{sorted(lm_options.items())}|{n_general}".encode()).hexdigest()[:16]
    folder = _writable(Path(cache_dir) if cache_dir else cache_root()) / f"pocketsphinx-{vocabulary.language}-{key}"
    lm, dic, guessed = folder / "pack.lm", folder / "pack.dict", folder / "guessed.txt"
    everyday = folder / "general.txt"
    if not (lm.exists() and dic.exists() and guessed.exists() and everyday.exists()):
        def write() -> None:
            base = read_dictionary(str(base_dict))
            general = general_words(model_dir, n_general, base) if lm_options.get("general_weight") else {}
            pron = pronounce(vocabulary.words, vocabulary.language, base)
            for word in general:
                pron.entries.setdefault(word, list(base[word]))
            folder.mkdir(parents=True, exist_ok=True)
            _atomic_write(dic, pron.dictionary_text())
            _atomic_write(lm, vocabulary.arpa(general=general, **lm_options))
            _atomic_write(guessed, "".join(f"{w}\n" for w in pron.guessed))
            _atomic_write(everyday, "".join(f"{w}\n" for w in sorted(set(general) - vocabulary.words)))
            _prune(folder.parent, f"pocketsphinx-{vocabulary.language}-", keep=folder)

        # in a child process: counting the n-grams makes millions of short-lived objects, which left 27-60 MB of
        # this process's heap resident afterwards (first start 472 MB peak vs 419 MB with the model already written)
        run_apart(write)
    return {"lm": lm, "dict": dic, "guessed": guessed.read_text(encoding="utf-8").split(), "folder": folder,
            "general": frozenset(everyday.read_text(encoding="utf-8").split())}


def _prune(root: Path, prefix: str, keep: Path, most: int = 6) -> None:
    """Remove the oldest generated folders beyond `most` (every profile change leaves one behind)."""
    import shutil

    folders = sorted((p for p in root.glob(prefix + "*") if p.is_dir() and p != keep),
                     key=lambda p: p.stat().st_mtime, reverse=True)
    for old in folders[most - 1:]:
        shutil.rmtree(old, ignore_errors=True)


def _writable(folder: Path) -> Path:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".probe-{os.getpid()}"
        probe.write_text("")
        probe.unlink()
        return folder
    except OSError:
        fallback = Path(tempfile.gettempdir()) / "voice-assistant-asr"
        fallback.mkdir(parents=True, exist_ok=True)
        return fallback


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
