"""`voice-assistant listen`: checks, then the live loop on the real microphone and speaker.

- No PortAudio or no device: one clear message and exit 1, before loading voices and models.
- No recogniser for the language (say French without its Vosk model): the assistant starts anyway, says which
  model to install (prompts/setup/<lang>.yaml) and takes typed sentences in the terminal until then.
- Hands-free: the wake-phrase spotter for the language (asr/wake.py) when there is one.
- `--echo-cancel`: PulseAudio/PipeWire's WebRTC echo canceller in front of the microphone (audio/echo_cancel.py);
  any words interrupt the assistant. Unavailable: said, and the loop goes on without it.
- The console: one line per turn and state (console.py); ALSA's and PortAudio's noise goes to a log file;
  `--quiet` prints nothing but errors.
"""

from __future__ import annotations

import sys
from contextlib import ExitStack

import typer

from voice_assistant.errors import EngineUnavailable
from voice_assistant.command import (fail, language_or_exit, no_recogniser_words, profile_or_exit, setup_words,
                                     store_or_exit, warn)


class NoRecognizer(EngineUnavailable):
    """No recogniser for the language: `session` has none (typed turns), `error` says why."""

    def __init__(self, session, error: Exception):
        super().__init__(str(error))
        self.session, self.error = session, error


def listening_session(profile, language: str, store):
    """What `listen` runs, built as it runs it (scripts/bench_voice.py --hands-free measures this very one):
    glibc's malloc tuned first (`app.tune_malloc`, before the engines start their threads), the dialogue, the
    voice, the recogniser, and the wake-phrase spotter. Returns (session, wake words, spotter factory or None);
    raises NoRecognizer (with a Session without one) when no recogniser is installed for the language."""
    from voice_assistant import app as app_root
    from voice_assistant.asr.select import RecognizerUnavailable, recognizer_for
    from voice_assistant.asr.wake import spotter_for
    from voice_assistant.assistant import Session
    from voice_assistant.dialogue.manager import DialogueManager
    from voice_assistant.tts import synthesizer_for

    app_root.tune_malloc()  # the engines' freed buffers go back to the system (memory.py); `listen` missed it
    manager = DialogueManager(profile, store, language)
    synthesizer = synthesizer_for(language, profile.tts_engine)
    try:
        recognizer = recognizer_for(language, profile)
    except RecognizerUnavailable as exc:
        raise NoRecognizer(Session(manager, None, synthesizer), exc) from None
    wake = manager.understander.pack.wake_words or ("assistant",)
    # hands-free: the wake phrase must open an utterance; both modes: the phrase said over a reply stops it, heard
    # by the spotter (light on the CPU) rather than by the whole recogniser
    return Session(manager, recognizer, synthesizer), wake, spotter_for(language, wake)


def run_listen(lang: str | None, *, hands_free: bool, quiet: bool, echo_cancel: bool) -> None:
    from voice_assistant.asr.select import RecognizerUnavailable
    from voice_assistant.audio import devices
    from voice_assistant.audio.errors import AudioDeviceError
    from voice_assistant import app as app_root
    from voice_assistant.console import console_printer, sound_noise_to, stacks_if_ending_hangs
    from voice_assistant.dialogue.prompts import PromptError
    from voice_assistant.live import LiveOptions, run_live
    from voice_assistant.nlu import PackError
    from voice_assistant.tts import SynthesizerUnavailable

    profile = profile_or_exit()
    language = language_or_exit(lang, profile)
    say_line = (lambda text: None) if quiet else typer.echo
    with ExitStack() as stack:
        log_path = stack.enter_context(sound_noise_to())
        stack.enter_context(stacks_if_ending_hangs(log_path))  # Ctrl+C: an end that hangs leaves its stacks there
        try:
            devices.check_audio_devices()  # before loading voices and models: no PortAudio or no device, say so
        except AudioDeviceError as exc:
            fail(str(exc), 1)
        canceller = None
        if echo_cancel:
            from voice_assistant.audio.echo_cancel import EchoCancelUnavailable, start_echo_canceller

            try:
                canceller = stack.enter_context(start_echo_canceller())
                _rescan_portaudio()
            except EchoCancelUnavailable as exc:
                typer.echo(f"voice-assistant: no echo canceller ({exc}); only the key or the wake phrase can "
                           "interrupt the assistant.", err=True)
        store = store_or_exit()
        stack.callback(store.close)
        try:
            try:
                session, wake, spotter = listening_session(profile, language, store)
            except NoRecognizer as no:
                said, shown = no_recogniser_words(language, no.error)
                typer.echo(shown, err=True)
                _typed_turns(no.session, said, language, quiet)
                return
            say_line("Press Enter to talk; Ctrl+C to stop." if not hands_free
                     else f"Say « {' '.join(wake)} » then your request; Ctrl+C to stop.")
            say_line(f"(sound library messages: {log_path})")
            sender = app_root.background_sender(profile, warn)
            try:
                run_live(session, LiveOptions(push_to_talk=not hands_free, wake_words=wake, answer_without_key=True,
                                              echo_cancelled=canceller is not None),
                         echo=say_line, console=console_printer(quiet), spotter=spotter)
            finally:
                if sender is not None:
                    sender.stop()
        except (AudioDeviceError, RecognizerUnavailable, SynthesizerUnavailable, PackError, PromptError) as exc:
            fail(str(exc), 1)


def _typed_turns(session, notice: str, language: str, quiet: bool) -> None:
    """No recogniser for the language: say so, then typed sentences are the patient's turns (spoken replies)."""
    from voice_assistant.audio import devices

    words = setup_words(language)
    with devices.open_player() as player:
        def say(output) -> None:
            typer.echo(output.text)
            for sentence in output.sentences():
                player.play(sentence.audio)

        typer.echo(notice)
        for sentence in (session.synthesizer.speak(notice, session.manager.profile.words_per_minute)
                         if session.synthesizer else ()):
            player.play(sentence.audio)
        say(session.start())
        if not quiet:
            typer.echo(words.say("typed_prompt"))
        for line in sys.stdin:
            if line.strip():
                say(session.text(line.strip()))


def _rescan_portaudio() -> None:
    """PortAudio lists devices once; after the sound server changed (an echo canceller loaded), list again."""
    try:
        import sounddevice as sd

        sd._terminate()
        sd._initialize()
    except Exception:  # noqa: BLE001 - no PortAudio: check_audio_devices has said so already
        pass


__all__ = ["NoRecognizer", "listening_session", "run_listen"]
