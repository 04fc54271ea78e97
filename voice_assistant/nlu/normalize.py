"""Turn raw recogniser or typed text into a clean, predictable token string.

Recognisers and people produce capitals, accents or none, hyphens, apostrophes, emoji, control characters
and sometimes megabytes of junk. Everything downstream assumes the output of `clean()`: lowercase words
and digit groups separated by single spaces, decimal commas and points kept between digits.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection

#: Utterances longer than this are cut: no one speaks 600 characters in one breath, and the matcher's
#: cost grows with length. Keeps the worst case (10,000 characters of noise) fast and bounded.
MAX_CHARS = 600

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'"})
_DIGIT_LETTER = re.compile(r"(?<=\d)(?=[^\W\d_])|(?<=[^\W\d_])(?=\d)")
#: a decimal mark between digits ("1,20", "1.20", "6 . 5"); not a comma followed by a space, which ends a phrase
#: ("120, 2 hours after lunch" is 120, then how long after; "1,20" is a decimal)
_DECIMAL = re.compile(r"(?<=\d)(?:\s*(\.)\s*|\s?(,))(?=\d)")
_CLOCK = re.compile(r"(?<=\d):(?=\d\d\b)")
_NOT_WORD = re.compile(r"[^\w\s,.:/%]|_")
_LONE_PUNCT = re.compile(r"(?<!\d)[,.:/]|[,.:/](?!\d)")
_SPACES = re.compile(r"\s+")


#: What a typed or heard utterance may be at most, as stored and echoed (the understanding reads MAX_CHARS of it).
MAX_INPUT_CHARS = 2000


def clean_input(text: object) -> str:
    """An utterance made safe at the edge, before anything reads or stores it: invalid Unicode (lone
    surrogates from undecodable bytes, "\\xff\\xfe") becomes U+FFFD, control characters become spaces, the
    length is bounded. Every later layer (understanding, the store, JSON output) can then take it as is."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    text = str(text).encode("utf-8", "surrogateescape").decode("utf-8", "replace") if _has_surrogate(str(text)) \
        else str(text)
    text = "".join(" " if unicodedata.category(c) in ("Cc", "Cs", "Co", "Cn") and c != "\ufffd" else c
                   for c in text[:MAX_INPUT_CHARS])
    return _SPACES.sub(" ", text).strip()


def _has_surrogate(text: str) -> bool:
    return any("\ud800" <= c <= "\udfff" for c in text)


def fold_accents(text: str) -> str:
    """« glycémie » -> « glycemie »: recognisers and typists drop accents, so matching ignores them."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("œ", "oe").replace("æ", "ae")


_GLUED = re.compile(r"[^\W_]+")
#: a run of digits or of letters inside one word ("a1c" -> a, 1, c)
GLUED_PIECES = re.compile(r"\d+|[^\W\d_]+")


def _unglue(marks: Collection[str]):
    """A digit glued to letters is split from them only when every letter group is a mark of a number (a unit,
    an hour word, "am"): "7am", "120mg", "8h30". Otherwise the whole stays one word, no number: "1c", "b12",
    "2x", "3rd" say nothing of a glucose value or a time."""
    def split(match: re.Match) -> str:
        run = match.group(0)
        pieces = GLUED_PIECES.findall(run)
        if len(pieces) < 2 or all(p.isdigit() for p in pieces):
            return run
        letters = [fold_accents(p) for p in pieces if not p.isdigit()]
        return " ".join(pieces) if all(w in marks for w in letters) else run
    return split


def clean(text: str, marks: Collection[str] | None = None) -> str:
    """Lowercase words and numbers separated by single spaces; accents kept (number parsing needs them).

    `marks`: the words that may be glued to a number and mean something of it ("am", "mg", "h"); a number glued
    to other letters stays one word with them ("1c", "b12"). Without `marks` every digit is split from letters."""
    text = unicodedata.normalize("NFKC", str(text))[:MAX_CHARS].lower().translate(_APOSTROPHES)
    # Only ASCII decimal digits are numbers: a look-alike (⓽, ➒, ፫, ❻, ١) is no digit and no letter either
    text = "".join(" " if unicodedata.category(c)[0] == "C" or (not c.isascii() and (c.isdigit() or c.isnumeric()))
                   else c for c in text)
    text = text.replace("'", " ").replace("-", " ")
    text = _NOT_WORD.sub(" ", text)
    text = _DECIMAL.sub(lambda m: m.group(1) or m.group(2), text)  # "1 ,20", "1,20" -> "1,20"; "6 . 5" -> "6.5"
    text = _CLOCK.sub(" h ", text)  # "8:30" -> "8 h 30"
    if marks is None:
        text = _DIGIT_LETTER.sub(" ", text)  # "8h30" -> "8 h 30", "8pm" -> "8 pm"
    else:
        text = _GLUED.sub(_unglue(marks), text)
    text = _LONE_PUNCT.sub(" ", text)
    return _SPACES.sub(" ", text).strip()
