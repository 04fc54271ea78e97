"""Audio files in and out: read WAV/FLAC/OGG of any rate, width and channel count as a 16 kHz mono AudioClip."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from voice_assistant.audio.clip import SAMPLE_RATE, AudioClip
from voice_assistant.audio.convert import float_to_int16, resample, to_float_mono
from voice_assistant.audio.errors import AudioError

FORMATS = ("WAV", "FLAC", "OGG")  #: containers read_audio accepts (libsndfile may read more; these are promised)
_BLOCK = 1 << 16  #: frames decoded at a time, so a long file never sits in memory as float64 multichannel


def read_audio(path: str | os.PathLike, *, target_rate: int = SAMPLE_RATE) -> AudioClip:
    """Read an audio file as mono int16 at `target_rate` (16 kHz unless told otherwise).

    Any rate, 8/16/24/32-bit integer or float samples, any number of channels (averaged). Raises AudioError with a
    plain message naming the file and what to do when it is missing, empty, not audio, damaged or silent-by-absence.
    """
    p = Path(path)
    name = p.name or str(p)
    _check_file(p, name)
    import soundfile as sf

    try:
        f = sf.SoundFile(str(p))
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as e:
        raise AudioError(
            f"{name}: this file is not audio I can read (WAV, FLAC or OGG), or it is damaged. "
            "Record it again, or convert it to a WAV file and try again.",
            path=str(p), reason="not_audio") from e
    except OSError as e:
        raise _os_error(p, name, e) from e
    with f:
        rate, channels = int(f.samplerate), int(f.channels)
        if rate <= 0 or channels <= 0:
            raise AudioError(f"{name}: the file's header is damaged (sample rate {rate}, {channels} channels). "
                             "Record it again.", path=str(p), reason="damaged")
        try:
            samples = _decode(f, rate, target_rate)
        except (sf.LibsndfileError, RuntimeError, ValueError) as e:
            raise AudioError(f"{name}: the file is damaged and cannot be decoded ({e}). Record it again.",
                             path=str(p), reason="damaged") from e
        except MemoryError as e:
            raise AudioError(f"{name}: the file is too long to read on this machine. Cut it into shorter pieces.",
                             path=str(p), reason="too_long") from e
    if len(samples) == 0:
        raise AudioError(f"{name}: the file contains no sound at all (0 samples). Record it again.",
                         path=str(p), reason="no_sound")
    return AudioClip(samples, target_rate)


def from_array(samples: np.ndarray, rate: int, *, target_rate: int = SAMPLE_RATE) -> AudioClip:
    """An AudioClip at `target_rate` from any samples (int or float, (n,) or (n, channels)) recorded at `rate`."""
    if rate <= 0:
        raise ValueError(f"sample rate must be positive, got {rate}")
    mono = to_float_mono(samples)
    return AudioClip(float_to_int16(resample(mono, int(rate), target_rate)), target_rate)


def write_wav(path: str | os.PathLike, clip: AudioClip) -> Path:
    """Write a 16-bit mono WAV atomically (temp file in the same folder, then os.replace); creates the folder."""
    import soundfile as sf

    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    samples = np.asarray(clip.samples)
    if samples.dtype != np.int16:
        samples = float_to_int16(to_float_mono(samples))
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    try:
        with os.fdopen(fd, "w+b") as fh:
            sf.write(fh, samples, int(clip.sample_rate), format="WAV", subtype="PCM_16")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, p)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(e, OSError):
            raise AudioError(f"{p.name}: cannot write the sound file ({e.strerror or e}). "
                             "Check there is free space and that the folder can be written.",
                             path=str(p), reason="write_failed") from e
        raise
    return p


def _check_file(p: Path, name: str) -> None:
    try:
        st = p.stat()
    except FileNotFoundError as e:
        raise AudioError(f"{p}: there is no such file. Check the name and the folder.",
                         path=str(p), reason="missing") from e
    except OSError as e:
        raise _os_error(p, name, e) from e
    if p.is_dir():
        raise AudioError(f"{p}: this is a folder, not a sound file. Give the path of a WAV, FLAC or OGG file.",
                         path=str(p), reason="not_a_file")
    if st.st_size == 0:
        raise AudioError(f"{name}: the file is empty (0 bytes). Record it again.", path=str(p), reason="empty")


def _os_error(p: Path, name: str, e: OSError) -> AudioError:
    if isinstance(e, PermissionError):
        return AudioError(f"{name}: I am not allowed to read this file. Check its permissions.",
                          path=str(p), reason="unreadable")
    return AudioError(f"{name}: the file cannot be opened ({e.strerror or e}).", path=str(p), reason="unreadable")


def _decode(f, rate: int, target_rate: int) -> np.ndarray:
    """Decode block by block, downmix, resample as a stream, convert to int16; returns the whole int16 signal."""
    import soxr

    stream = soxr.ResampleStream(rate, target_rate, 1, dtype="float32", quality="HQ") if rate != target_rate else None
    out: list[np.ndarray] = []
    while True:
        block = f.read(_BLOCK, dtype="float32", always_2d=True)
        last = len(block) < _BLOCK
        mono = to_float_mono(block)
        if stream is not None:
            mono = stream.resample_chunk(mono, last=last)
        if len(mono):
            out.append(float_to_int16(mono))
        if last:
            break
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int16)
