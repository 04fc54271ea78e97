"""Speech synthesis: the `Synthesizer` protocol, Piper and eSpeak NG engines, text normalised for the ear.

    synth = synthesizer_for("fr")            # Piper if a French voice is installed, else eSpeak NG
    for sentence in synth.speak("Votre glycémie est de 1,20 g/L. C'est noté.", words_per_minute=160):
        play(sentence.audio)                 # the first sentence plays while the next is synthesised

The rest of the code imports from here only; `piper` and the eSpeak library stay behind this package.
"""

from voice_assistant.tts.base import (
    DEFAULT_WPM,
    MAX_WPM,
    MIN_WPM,
    SpokenSentence,
    Synthesizer,
    SynthesizerUnavailable,
)
from voice_assistant.tts.normalize import normalize, normalizer_for, split_sentences
from voice_assistant.tts.select import ENGINES, find_piper_voice, synthesizer_for

__all__ = [
    "DEFAULT_WPM",
    "ENGINES",
    "MAX_WPM",
    "MIN_WPM",
    "SpokenSentence",
    "Synthesizer",
    "SynthesizerUnavailable",
    "find_piper_voice",
    "normalize",
    "normalizer_for",
    "split_sentences",
    "synthesizer_for",
]
