"""Texts worth scoring when two readings of one utterance disagree on a glucose value: a reading with the other
reading's value written in, so that only the number differs (the combiner asks whisper which is likelier, see
combine.py `value_margin`).

Measured and not used in the product: pocketsphinx's forced alignment of whisper's reading (the other model's
view the other way round). On the two audio dev sets (270 clips) where exactly one engine was right, it favoured
the right reading in 42 of 74 clips (chance), whisper's own score in 68 of 84; the aligner lives in
scripts/cache_asr_pairs.py (`--align`), where it can be measured again.
"""

from __future__ import annotations

from typing import Any


def value_variants(own: Any, other: Any) -> list[str]:
    """`own`'s sentence with `other`'s glucose value written in place of its own (only the number differs), or
    nothing when either has no glucose value or the words cannot be found."""
    words = getattr(getattr(own, "glucose", None), "words", None)
    value = getattr(getattr(other, "glucose", None), "value", None)
    text = getattr(own, "text", "")
    if not words or value is None or str(words) not in text:
        return []
    swapped = text.replace(str(words), f"{float(value):g}", 1)
    return [swapped] if swapped != text else []
