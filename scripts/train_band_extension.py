"""Fit the telephone-band extension model (voice_assistant/data/band_extension.npz): generated now, nothing
downloaded.

    python scripts/train_band_extension.py                 # writes the shipped model, prints its error
    python scripts/train_band_extension.py --out FILE      # somewhere else

Speech with a known answer: pack sentences and everyday sentences spoken by many eSpeak NG voices and Piper's
Joe (wide band, sometimes with white noise, at random levels), each paired with its own telephone-band copy
(16 kHz -> 8 kHz -> 16 kHz, as `read_audio` resamples an 8 kHz file). The model learns the 4-8 kHz band
levels of the original from the 0.15-3.9 kHz spectrum of the copy (ridge regression, see
voice_assistant/asr/bandwidth.py). The eSpeak voices of the audio dev set (make_audio_devset.py) and of the
round-trip test are left out, so both still measure voices the model never heard.
"""

from __future__ import annotations

import argparse
import random
import sys
from multiprocessing import Pool
from pathlib import Path

import numpy as np
import soxr

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "asr"))
sys.path.insert(0, str(ROOT / "scripts"))

from make_audio_devset import ESPEAK as DEV_VOICES  # noqa: E402
from make_audio_devset import _piper, speak  # noqa: E402

from voice_assistant.asr.bandwidth import (MODEL_PATH, RATE, BandModel, high_band_levels,  # noqa: E402
                                           low_band_features, spectrogram)

ROUND_TRIP_VOICES = {"en-us+f2", "en-us+klatt", "en-us+m3"}  #: tests/test_audio_roundtrip.py
VOICES = ["en-us+" + v for v in ("m2 m4 m5 m6 m8 f1 f3 klatt2 klatt4 adam aunty belinda benjamin david ed john "
                                 "linda paul rob robert steph travis victor Andy Annie Lee Michael max quincy "
                                 "edward norbert").split()]
VOICES += ["en-gb-x-rp+m4", "en-029", "en-gb-scotland+f1", "en-gb-x-gbclan"]
PIPER_SHARE = 0.2  #: share of sentences Joe says (the one natural-sounding voice here)
EVERYDAY = [
    "the bus was late again so we walked home along the river",
    "could you pass me the salt and the pepper please",
    "my grandson is coming to visit on saturday afternoon",
    "she keeps her glasses in the drawer next to the phone",
    "it has been raining since six o'clock this morning",
    "the doctor said to walk for half an hour every day",
    "we need bread milk eggs and some fresh vegetables",
    "turn the radio down a little i can't hear myself think",
    "the cat sleeps on the sofa all afternoon",
    "his sister lives in a small house by the sea",
    "i forgot where i put the keys to the shed",
    "the pharmacy shuts at seven on fridays",
    "fish and chips on thursday is a family tradition",
    "the nurse will phone you sometime next week",
    "several strong storms crossed the south west coast",
    "fresh strawberries are sweetest in the summer season",
]
_PIPER: list = []


def _speech(job: tuple) -> tuple[np.ndarray, np.ndarray] | None:
    """(features of the telephone copy, high-band levels of the original) for one sentence."""
    seed, voice, speed, text, noisy = job
    rng = np.random.default_rng(seed)
    if voice == "piper":
        if not _PIPER:
            _PIPER.append(_piper())
        audio = speak(text, ("piper:joe", speed), _PIPER[0])
    else:
        audio = speak(text, (voice, int(speed)))
    wide = audio.astype(np.float64)
    if noisy:
        loud = wide[np.abs(wide) > 0.02 * np.abs(wide).max()]
        power = float(np.mean(loud ** 2)) if len(loud) else 1.0
        wide = wide + rng.standard_normal(len(wide)) * np.sqrt(power / 10 ** (rng.uniform(15, 30) / 10))
    wide *= 10 ** (rng.uniform(-12, 3) / 20)  # quiet and loud speakers
    narrow = soxr.resample(soxr.resample(wide, RATE, 8000), 8000, RATE)
    narrow = np.pad(narrow, (0, max(0, len(wide) - len(narrow))))[: len(wide)]
    features = low_band_features(np.abs(spectrogram(narrow)) ** 2)
    return features.astype(np.float32), high_band_levels(np.abs(spectrogram(wide)) ** 2).astype(np.float32)


def jobs(count: int, seed: int = 1) -> list[tuple]:
    from voice_assistant.asr.vocabulary import build_vocabulary
    from voice_assistant.nlu.packs import load_pack

    voices = [v for v in VOICES if v not in ROUND_TRIP_VOICES | {name for name, _ in DEV_VOICES}]
    sentences = sorted({" ".join(s) for s in build_vocabulary(load_pack("en")).sentences if len(s) > 2})
    rng = random.Random(seed)
    rng.shuffle(sentences)
    out = []
    for k in range(count):
        text = EVERYDAY[k % len(EVERYDAY)] if k % 4 == 3 else sentences[k % len(sentences)]
        if rng.random() < PIPER_SHARE:
            out.append((k, "piper", rng.choice([0.85, 1.0, 1.3]), text, rng.random() < 0.3))
        else:
            out.append((k, voices[k % len(voices)], rng.choice([120, 140, 160, 180, 200]), text, rng.random() < 0.3))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    parser.add_argument("--sentences", type=int, default=3600)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with Pool(args.workers) as pool:
        pairs = [p for p in pool.map(_speech, jobs(args.sentences), chunksize=8) if p is not None]
    features = np.concatenate([f for f, _ in pairs]).astype(np.float64)
    levels = np.concatenate([t for _, t in pairs]).astype(np.float64)
    held = int(len(features) * 0.9)  # the last sentences check the fit
    check = BandModel.fit(features[:held], levels[:held])
    error = check.predict(features[held:]) - levels[held:]
    print(f"{len(pairs)} sentences, {len(features)} frames; held-out error per band (natural log level): "
          f"{np.sqrt((error ** 2).mean(axis=0)).round(2).tolist()}, spread {levels[held:].std(axis=0).round(2).tolist()}")
    BandModel.fit(features, levels).save(args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
