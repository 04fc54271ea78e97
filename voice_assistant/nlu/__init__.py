"""Understanding: text -> intent and normalised slots (see docs/INTENTS.md)."""

from voice_assistant.nlu.packs import Pack, PackError, load_pack
from voice_assistant.nlu.understand import CARE_TEAM, DAY_PART, DELAY, DISTRESS, GLUCOSE, NONE, OTHER_REMINDER, QUANTITY, RECHECK_PLAN, RED_FLAG, SMALL_TALK, VALUE_QUESTION, Entity, Understander, Understanding, understand

__all__ = ["CARE_TEAM", "DAY_PART", "DELAY", "DISTRESS", "GLUCOSE", "Entity", "NONE", "OTHER_REMINDER", "QUANTITY", "RECHECK_PLAN", "RED_FLAG", "SMALL_TALK", "VALUE_QUESTION", "Pack", "PackError", "Understander", "Understanding", "load_pack", "understand"]
