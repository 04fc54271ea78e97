"""Understanding: text -> intent and normalised slots (see docs/INTENTS.md)."""

from voice_assistant.nlu.packs import Pack, PackError, load_pack
from voice_assistant.nlu.understand import NONE, SMALL_TALK, Understander, Understanding, understand

__all__ = ["NONE", "SMALL_TALK", "Pack", "PackError", "Understander", "Understanding", "load_pack", "understand"]
