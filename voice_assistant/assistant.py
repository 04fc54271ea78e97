"""One assistant session: audio or text in, replies (text and audio) out.

Every front end drives this same object: the microphone loop (`listen`), `demo`, `eval` with audio cases,
the tests, and the tablet's WebSocket. It wires the layers and nothing else:

    audio -> endpointer -> recogniser -> dialogue (understanding, store, safety) -> reply -> synthesiser
    clock -> dialogue.tick (re-prompt) / reminders due (a turn the assistant starts)
"""

from __future__ import annotations

import atexit
import queue
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Callable, Iterator

from voice_assistant.asr.base import Recognizer, Transcript, feed, transcribe
from voice_assistant.audio.clip import AudioClip
from voice_assistant.audio.endpoint import EndpointConfig, Endpointer, EventKind
from voice_assistant.dialogue.manager import DialogueManager
from voice_assistant.dialogue.state import Reply, Turn
from voice_assistant.tts.base import SpokenSentence, Synthesizer


@dataclass
class Output:
    """What the assistant says at the end of a turn, and how the turn went."""

    reply: Reply
    turn: Turn | None = None  #: None for turns the assistant starts (greeting, reminder, re-prompt)
    transcript: Transcript | None = None  #: what the recogniser heard, for audio turns
    timings: dict[str, float] = field(default_factory=dict)  #: seconds: "asr", "dialogue", "first_audio"
    _voice: Callable[[], Iterator[SpokenSentence]] | None = None

    @property
    def text(self) -> str:
        return self.reply.text

    def sentences(self) -> Iterator[SpokenSentence]:
        """The reply's audio, sentence by sentence. The next sentence is synthesised while this one plays (in
        a thread), so there is no gap between sentences; closing the iterator early (barge-in) stops it."""
        if self._voice is None:
            return iter(())
        return self._timed(_ahead(self._voice))

    def _timed(self, sentences: Iterator[SpokenSentence]) -> Iterator[SpokenSentence]:
        started = time.perf_counter()
        first = True
        for sentence in sentences:
            if first:
                self.timings.setdefault("first_audio", time.perf_counter() - started)
                first = False
            yield sentence


class _EarlyDecode:
    """A recogniser's final decoding of one clip, running in a thread; `result()` waits for it.

    A decoding cannot be stopped once the engine runs it (whisper's CTranslate2, pocketsphinx's C search), so a
    superseded one (the patient spoke on, or the utterance was dropped) is `cancel()`led: it is not started if
    it has not begun, its result is never used, and the Session starts no other decoding until it has ended
    (`done`): two decodings at once held both engines' working memory together (two whisper decodings of one
    utterance) and the second queued behind the first's recogniser lock anyway."""

    def __init__(self, decode: Callable[[bytes], Transcript], pcm: bytes):
        self.size = len(pcm)
        self._done = threading.Event()
        self._cancelled = threading.Event()
        self._value: Transcript | BaseException | None = None

        def run() -> None:
            try:
                if not self._cancelled.is_set() and not _EXITING.is_set():
                    self._value = decode(pcm)
            except BaseException as exc:  # given to the caller of result()
                self._value = exc
            finally:
                self._done.set()
                with _DECODINGS_LOCK:
                    _DECODINGS.discard(self)

        with _DECODINGS_LOCK:
            _DECODINGS.add(self)
        threading.Thread(target=run, daemon=True, name="early-decode").start()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def cancel(self) -> None:
        """Superseded: its result will not be used (it runs to its end if the engine has started it)."""
        self._cancelled.set()

    def wait(self) -> None:
        self._done.wait()

    def result(self) -> Transcript:
        self._done.wait()
        if isinstance(self._value, BaseException):
            raise self._value
        if self._value is None:
            raise RuntimeError("a cancelled decoding has no result")
        return self._value


#: Decodings running in their threads; at exit none is started any more and those running are waited for (a
#: bounded time): a recogniser's native code (CTranslate2, pocketsphinx) still running in a daemon thread while the
#: interpreter ends is what `_stop_synthesis_ahead` keeps Piper from (an abort, or an exit that never comes).
_DECODINGS: set[_EarlyDecode] = set()
_DECODINGS_LOCK = threading.Lock()
_EXITING = threading.Event()


def finish_decodings(timeout_s: float) -> bool:
    """No new decoding starts from now on (each one not yet begun is dropped), and those running are waited for, at
    most `timeout_s` in all. True when none is left running. Called at exit (`_stop_synthesis_ahead`)."""
    _EXITING.set()
    deadline = time.monotonic() + timeout_s
    with _DECODINGS_LOCK:
        running = list(_DECODINGS)
    for decoding in running:
        decoding.cancel()
    for decoding in running:
        decoding._done.wait(max(0.0, deadline - time.monotonic()))
    return all(decoding.done for decoding in running)


#: Sentences synthesised ahead of the one playing.
AHEAD = 2
#: At exit, how long to wait for a sentence being synthesised ahead to finish.
EXIT_WAIT_S = 5.0

#: Synthesis threads still running, with the event that stops each.
_PRODUCERS: dict[threading.Thread, threading.Event] = {}
_PRODUCERS_LOCK = threading.Lock()


@atexit.register
def _stop_synthesis_ahead() -> None:
    """Let every synthesis thread finish its sentence before the interpreter goes away: Piper's onnxruntime,
    frozen mid-sentence by the interpreter's end (a reply stopped early, Ctrl-C while it speaks), aborts the
    whole process ("terminate called without an active exception") instead of exiting cleanly."""
    with _PRODUCERS_LOCK:
        running = list(_PRODUCERS.items())
    for thread, stop in running:
        stop.set()
    deadline = time.monotonic() + EXIT_WAIT_S
    for thread, _ in running:
        thread.join(max(0.0, deadline - time.monotonic()))
    finish_decodings(max(0.0, deadline - time.monotonic()))  # the same bound, shared


def _ahead(make: Callable[[], Iterator[SpokenSentence]]) -> Iterator[SpokenSentence]:
    """Run a sentence generator in a thread, up to AHEAD sentences in advance of the consumer."""
    done = object()
    ready: queue.Queue = queue.Queue(maxsize=AHEAD)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False  # the consumer has gone (barge-in): nothing more to synthesise

    def produce() -> None:
        try:
            for sentence in make():
                if not put(sentence):
                    return
            put(done)
        except BaseException as exc:  # the consumer re-raises it: a synthesis error is not lost in a thread
            put(exc)
        finally:
            with _PRODUCERS_LOCK:
                _PRODUCERS.pop(threading.current_thread(), None)

    producer = threading.Thread(target=produce, daemon=True, name="synthesis-ahead")
    with _PRODUCERS_LOCK:
        _PRODUCERS[producer] = stop
    producer.start()
    try:
        while True:
            item = ready.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()


@dataclass(frozen=True)
class Event:
    """Something the streaming front end must act on."""

    kind: str  #: "speech_started" (barge-in may stop the reply), "partial" (words so far), "utterance", "no_speech"
    audio: AudioClip | None = None  #: "utterance": its audio
    transcript: Transcript | None = None  #: "utterance": what was said (decoded while it was said); "partial"
    asr_seconds: float = 0.0  #: "utterance": recognition time after the endpointer closed it
    start_s: float | None = None  #: "speech_started" / "utterance": endpointer stream time where speech began
    #: "utterance": not decoded, the front end having said early on that it was not for the assistant
    #: (`Session.not_for_assistant`: hands-free, no wake phrase at its start)
    undecoded: bool = False


class Session:
    def __init__(self, manager: DialogueManager, recognizer: Recognizer | None = None,
                 synthesizer: Synthesizer | None = None, endpoint: EndpointConfig | None = None,
                 clock: Callable[[], datetime] | None = None):
        self.manager = manager
        self.recognizer = recognizer
        self.synthesizer = synthesizer
        self.clock = clock or (lambda: datetime.now(manager.profile.zone))
        self.endpointer = Endpointer(endpoint or EndpointConfig())
        self._settled = 0  #: frames of the utterance in progress already given to the recogniser
        self._heard = bytearray()  #: their audio
        self._early: _EarlyDecode | None = None  #: the final decoding, started during the closing pause
        #: a superseded decoding still running: no other starts until it has ended (see _EarlyDecode)
        self._superseded: _EarlyDecode | None = None
        self._not_for_us = False  #: the utterance in progress is not decoded (see not_for_assistant)

    # --- turns ------------------------------------------------------------------------------------

    def start(self) -> Output:
        """The greeting; then `idle()` brings any reminder missed while the assistant was off."""
        return self._out(self.manager.greeting(self.clock()))

    def text(self, text: str, asr_confidence: float | None = None, transcript: Transcript | None = None,
             timings: dict[str, float] | None = None) -> Output:
        """A turn from words: typed (chat, tablet) or already recognised."""
        started = time.perf_counter()
        choices = tuple(transcript.info.get("choices", ())) if transcript is not None else ()
        turn = self.manager.handle(text, self.clock(), asr_confidence, alternatives=choices)
        timings = dict(timings or {}) | {"dialogue": time.perf_counter() - started}
        return self._out(turn.reply, turn, transcript, timings)

    def recognize(self, clip: AudioClip) -> tuple[Transcript, float]:
        """What was said in a whole utterance, and how long recognition took after it ended."""
        if self.recognizer is None:
            raise RuntimeError("this session has no recogniser: use text() or give one")
        started = time.perf_counter()
        transcript = transcribe(self.recognizer, clip.pcm())
        return transcript, time.perf_counter() - started

    def hear(self, clip: AudioClip) -> Output:
        """A whole utterance (a file, a demo turn, an endpointed stretch of microphone audio)."""
        transcript, seconds = self.recognize(clip)
        return self.text(transcript.text, transcript.confidence, transcript, {"asr": seconds})

    def feed(self, pcm: bytes) -> list[Event]:
        """Streaming microphone audio: the endpointer decides when an utterance ends (pauses allowed).

        The recogniser decodes the utterance while it is being said (its settled audio, see
        `Endpointer.settled`), so when the endpointer closes it only the end of the decoding is left: the
        reply starts sooner. An ended utterance comes back as an "utterance" event with its audio and
        transcript: the front end decides whether it was for the assistant (push-to-talk pressed, wake phrase
        heard) before `text()` acts on it; "partial" events carry the words so far (a wake phrase can stop
        the assistant mid-sentence)."""
        return self._events(self.endpointer.feed(pcm))

    def not_for_assistant(self) -> None:
        """The front end knows the utterance in progress is not for the assistant (hands-free: the wake phrase was
        not heard at its start): stop decoding it. It still ends as an "utterance" event, marked `undecoded`.
        Television talks for minutes on end: decoding every sentence with both recognisers kept the loop tens of
        seconds behind the microphone, and the patient's request waited behind it."""
        if self.endpointer.in_speech and not self._not_for_us:
            self._not_for_us = True
            self._supersede()
            self._settled, self._heard = 0, bytearray()
            if self.recognizer is not None:
                self.recognizer.reset()

    def hold(self) -> None:
        """The talk button is held (the tablet): pauses do not end the utterance; `release()` does."""
        self.endpointer.hold()

    def release(self) -> list[Event]:
        """The talk button is let go: the utterance ends now ("utterance"), or "no_speech" if nothing was said."""
        return self._events(self.endpointer.release())

    def _events(self, endpointed: list) -> list[Event]:
        events: list[Event] = []
        for ep in endpointed:
            if ep.kind == EventKind.SPEECH_STARTED:
                events.append(Event("speech_started", start_s=ep.start_s))
                self._supersede()
                self._settled, self._heard, self._not_for_us = 0, bytearray(), False
                if self.recognizer is not None:
                    self.recognizer.reset()
            elif ep.kind == EventKind.UTTERANCE_ENDED and ep.audio is not None:
                if self._not_for_us:
                    self._not_for_us = False
                    events.append(Event("utterance", audio=ep.audio, start_s=ep.start_s, undecoded=True))
                else:
                    events.append(replace(self._closed(ep.audio), start_s=ep.start_s))
                self.endpointer.reset()
            elif ep.kind == EventKind.NO_SPEECH:
                events.append(Event("no_speech"))
        if self.recognizer is not None and self.endpointer.in_speech and not self._not_for_us:
            samples, self._settled = self.endpointer.settled(self._settled)
            pcm = samples.astype("<i2").tobytes()
            self._heard.extend(pcm)
            partial = self.recognizer.accept(pcm) if pcm else None
            if partial is not None and partial.text:
                events.append(Event("partial", transcript=partial))
            self._decode_early()
        return events

    def _decode_early(self) -> None:
        """The pause that will close the utterance has begun (its audio is complete unless speech resumes):
        start the final decoding now, in a thread, while the endpointer waits out the rest of the pause (most
        of a second), so the reply does not wait for it. If the patient goes on speaking it is redone: the
        superseded decoding is cancelled, and the new one starts once it has ended (never two at once)."""
        decode = getattr(self.recognizer, "decode", None)
        if decode is None or not self.endpointer.settled_whole:
            return
        if self._early is not None and self._early.size == len(self._heard):
            return
        self._supersede()
        if self._superseded is not None:
            return  # still running: tried again on the next audio fed
        self._early = _EarlyDecode(decode, bytes(self._heard))

    def _supersede(self) -> None:
        """The early decoding in progress is for audio that is no longer the utterance's: cancel it, and keep it
        until it has ended (the next decoding waits for that)."""
        if self._early is not None:
            self._early.cancel()
            self._superseded, self._early = self._early, None
        if self._superseded is not None and self._superseded.done:
            self._superseded = None

    def _closed(self, audio: AudioClip) -> Event:
        """The utterance just closed: the rest of its audio to the recogniser, and the final transcript."""
        if self.recognizer is None:
            return Event("utterance", audio=audio)
        started = time.perf_counter()
        pcm = audio.pcm()
        early, fed = self._early, len(self._heard)
        self._early, self._settled, self._heard = None, 0, bytearray()
        if early is not None and early.size == len(pcm):  # decoded during the pause: the same audio
            self.recognizer.reset()
            transcript = early.result()
        else:
            self._early = early
            self._supersede()
            if self._superseded is not None:  # never two decodings at once: the superseded one ends first
                self._superseded.wait()
                self._superseded = None
            feed(self.recognizer, pcm[fed:])
            transcript = self.recognizer.finish()
        return Event("utterance", audio=audio, transcript=transcript, asr_seconds=time.perf_counter() - started)

    def reply_heard(self) -> None:
        """The reply's last sample has left the speaker (the live loop says so): its question's answer time
        starts now, not when the reply was written."""
        self.manager.reply_heard(self.clock())

    def idle(self) -> Output | None:
        """Nothing heard: a re-prompt after a silence, or a reminder due now. Call it between turns only."""
        now = self.clock()
        reply = self.manager.tick(now) or self.manager.announce_due(now)
        return self._out(reply) if reply else None

    def notice(self, text: str) -> Output:
        """Words said outside the conversation (the tablet's "I cannot hear this language yet"), in the voice."""
        return self._out(Reply(text))

    # --- voice --------------------------------------------------------------------------------------

    def _out(self, reply: Reply, turn: Turn | None = None, transcript: Transcript | None = None,
             timings: dict[str, float] | None = None) -> Output:
        voice = None
        if self.synthesizer is not None:
            synthesizer, wpm, text = self.synthesizer, self.manager.profile.words_per_minute, reply.text
            voice = lambda: synthesizer.speak(text, wpm)  # noqa: E731 (deferred until played)
        return Output(reply, turn, transcript, dict(timings or {}), voice)
