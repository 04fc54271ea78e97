"""Turn raw recogniser or typed text into a clean, predictable token string.

Recognisers and people produce capitals, accents or none, hyphens, apostrophes, emoji, control characters
and sometimes megabytes of junk. Everything downstream assumes the output of `clean()`: lowercase words
and digit groups separated by single spaces, decimal commas and points kept between digits.
"""

from __future__ import annotations

import re
import unicodedata

#: Utterances longer than this are cut: no one speaks 600 characters in one breath, and the matcher's
#: cost grows with length. Keeps the worst case (10,000 characters of noise) fast and bounded.
MAX_CHARS = 600

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'"})
_DIGIT_LETTER = re.compile(r"(?<=\d)(?=[^\W\d_])|(?<=[^\W\d_])(?=\d)")
_DECIMAL = re.compile(r"(?<=\d)\s*([,.])\s*(?=\d)")
_CLOCK = re.compile(r"(?<=\d):(?=\d\d\b)")
_NOT_WORD = re.compile(r"[^\w\s,.:/%]|_")
_LONE_PUNCT = re.compile(r"(?<!\d)[,.:/]|[,.:/](?!\d)")
_SPACES = re.compile(r"\s+")


def fold_accents(text: str) -> str:
    """« glycémie » -> « glycemie »: recognisers and typists drop accents, so matching ignores them."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("œ", "oe").replace("æ", "ae")


def clean(text: str) -> str:
    """Lowercase words and numbers separated by single spaces; accents kept (number parsing needs them)."""
    text = unicodedata.normalize("NFKC", str(text))[:MAX_CHARS].lower().translate(_APOSTROPHES)
    text = "".join(c if unicodedata.category(c)[0] != "C" else " " for c in text)
    text = text.replace("'", " ").replace("-", " ")
    text = _NOT_WORD.sub(" ", text)
    text = _DECIMAL.sub(r"\1", text)  # "1 , 20" and "1,20" -> "1,20"
    text = _CLOCK.sub(" h ", text)  # "8:30" -> "8 h 30"
    text = _DIGIT_LETTER.sub(" ", text)  # "8h30" -> "8 h 30", "8pm" -> "8 pm"
    text = _LONE_PUNCT.sub(" ", text)
    return _SPACES.sub(" ", text).strip()
