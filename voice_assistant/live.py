"""`voice-assistant listen`: the microphone and the speaker around one `Session`.

Two ways to talk, both usable without a screen:
- push-to-talk: press Enter (or the space bar, or a big USB button that sends it), speak; the endpointer ends
  the turn after a pause, so older speakers can stop mid-sentence to think;
- hands-free: speak after the wake phrase (« assistant », "assistant"), which the recogniser hears like any
  word of the pack.
Barge-in: the key, or the wake phrase said while the assistant speaks, stops it mid-sentence. Earcons tell
the state without words. Reminders are spoken between turns, never over the patient.
"""

from __future__ import annotations

import queue
import sys
import threading
from dataclasses import dataclass
from typing import Callable

import numpy as np

from voice_assistant.assistant import Output, Session
from voice_assistant.audio.earcons import Earcon, earcon

#: How often the loop checks for reminders and re-prompts while nobody speaks (seconds).
IDLE_EVERY_S = 1.0


@dataclass(frozen=True)
class LiveOptions:
    push_to_talk: bool = True
    wake_words: tuple[str, ...] = ("assistant",)  #: the wake phrase's words, lowercase


class LiveLoop:
    """Runs one Session on audio devices (or on any source of blocks and any player, for tests)."""

    def __init__(self, session: Session, options: LiveOptions, play: Callable, open_microphone: Callable,
                 echo: Callable[[str], None] = print):
        self.session = session
        self.options = options
        self._play = play
        self._open_microphone = open_microphone
        self.echo = echo
        self.blocks: queue.Queue[np.ndarray] = queue.Queue()
        self.stop_speaking = threading.Event()
        self.talk_pressed = threading.Event()
        self.stopped = threading.Event()
        self.awake = False  #: the wake phrase was said alone: the next utterance is for the assistant

    # --- output -----------------------------------------------------------------------------------

    def say(self, output: Output) -> bool:
        """Speak a reply sentence by sentence; False when barge-in cut it."""
        self.echo(output.text)
        self.stop_speaking.clear()
        for sentence in output.sentences():
            if not self._play(sentence.audio, self.stop_speaking):
                return False
        return True

    def chime(self, kind: Earcon) -> None:
        self._play(earcon(kind), None)

    # --- input ------------------------------------------------------------------------------------

    def _on_block(self, block: np.ndarray) -> None:
        self.blocks.put(block)

    def _keys(self) -> None:
        """Enter (or space then Enter) is the talk key; it also stops the assistant mid-sentence."""
        for _ in sys.stdin:
            self.stop_speaking.set()
            self.talk_pressed.set()
        self.stopped.set()

    def _for_the_assistant(self, transcript_text: str) -> str | None:
        """Hands-free: the words after the wake phrase, or None when it was not said (the TV, a visitor).
        An open question (« C'est bien ça ? ») is answered without it."""
        words = transcript_text.split()
        if self.options.push_to_talk or self.awake or self.session.manager.ctx.pending is not None:
            self.awake = False
            return transcript_text
        for i, word in enumerate(words):
            if word in self.options.wake_words:
                return " ".join(words[i + 1:])
        return None

    def run(self) -> None:
        self.say(self.session.start())
        threading.Thread(target=self._keys, daemon=True).start()
        with self._open_microphone(self._on_block):
            while not self.stopped.is_set():
                if self.options.push_to_talk and not self.talk_pressed.wait(IDLE_EVERY_S):
                    self._idle()
                    continue
                self.talk_pressed.clear()
                self._drain()
                if self.options.push_to_talk:
                    self.chime(Earcon.LISTENING)
                self._listen_for_turn()

    def _idle(self) -> None:
        output = self.session.idle()
        if output is not None:
            self.say(output)

    def _drain(self) -> None:
        while not self.blocks.empty():
            self.blocks.get_nowait()
        self.session.endpointer.reset()

    def _listen_for_turn(self) -> None:
        """Feed the microphone to the session until it gives a reply (or a silence in push-to-talk)."""
        while not self.stopped.is_set():
            try:
                block = self.blocks.get(timeout=IDLE_EVERY_S)
            except queue.Empty:
                if not self.options.push_to_talk:
                    self._idle()
                continue
            for event in self.session.feed(block.astype("<i2").tobytes()):
                if event.kind == "no_speech" and self.options.push_to_talk:
                    return
                if event.kind != "utterance" or event.audio is None:
                    continue
                transcript, seconds = self.session.recognize(event.audio)
                words = self._for_the_assistant(transcript.text)
                if words is None:
                    continue
                if not words:  # the wake phrase alone: listening now
                    self.chime(Earcon.LISTENING)
                    self.awake = True
                    continue
                output = self.session.text(words, transcript.confidence, transcript, {"asr": seconds})
                understood = output.turn is not None and output.turn.understanding.intent != "none"
                self.chime(Earcon.UNDERSTOOD if understood else Earcon.NOT_UNDERSTOOD)
                self.say(output)
                if self.options.push_to_talk:
                    return


def run_live(session: Session, options: LiveOptions) -> None:
    from voice_assistant.audio import devices

    devices.check_audio_devices()
    LiveLoop(session, options, devices.play, devices.open_microphone).run()

