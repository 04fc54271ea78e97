"""Sample arithmetic shared by files and devices: any array to float mono, resampling (soxr), float to int16."""

from __future__ import annotations

import numpy as np

_INT_SCALE = {  # integer dtype -> (offset, full scale) so that the result lies in [-1, 1)
    np.dtype(np.uint8): (128.0, 128.0),
    np.dtype(np.int8): (0.0, 128.0),
    np.dtype(np.int16): (0.0, 32768.0),
    np.dtype(np.int32): (0.0, 2147483648.0),
    np.dtype(np.int64): (0.0, 9223372036854775808.0),
}


def to_float_mono(samples: np.ndarray) -> np.ndarray:
    """float32 mono in [-1, 1] from int (8/16/32-bit, 8-bit unsigned) or float samples, shape (n,) or (n, channels).

    Channels are averaged; NaN and infinity (seen in broken float files) become silence.
    """
    a = np.asarray(samples)
    if a.ndim == 0:
        a = a.reshape(1)
    if a.ndim > 2:
        raise ValueError(f"audio must be (frames,) or (frames, channels), got shape {a.shape}")
    if a.dtype in _INT_SCALE:
        offset, scale = _INT_SCALE[a.dtype]
        a = (a.astype(np.float64) - offset) / scale if offset else a.astype(np.float64) / scale
    elif a.dtype.kind == "f":
        a = a.astype(np.float64, copy=False)
    elif a.dtype.kind == "b":
        a = a.astype(np.float64)
    else:
        raise ValueError(f"unsupported sample type {a.dtype}")
    if a.ndim == 2:
        a = a.mean(axis=1) if a.shape[1] else np.zeros(a.shape[0])
    a = np.nan_to_num(a, nan=0.0, posinf=1.0, neginf=-1.0)
    return a.astype(np.float32)


def resample(samples: np.ndarray, rate: int, target_rate: int) -> np.ndarray:
    """Resample float mono samples with soxr (high quality); returns float32."""
    if rate == target_rate or len(samples) == 0:
        return np.asarray(samples, dtype=np.float32)
    import soxr

    return soxr.resample(np.asarray(samples, dtype=np.float32), rate, target_rate, quality="HQ")


def float_to_int16(samples: np.ndarray) -> np.ndarray:
    """int16 from float samples, clipped rather than wrapped: +1.0 gives 32767, -1.0 gives -32768."""
    scaled = np.rint(np.asarray(samples, dtype=np.float64) * 32768.0)
    return np.clip(scaled, -32768, 32767).astype(np.int16)


def int16_mono(samples: np.ndarray) -> np.ndarray:
    """int16 mono from whatever a stream delivers (int16 or float, 1-D or (frames, channels)).

    No copy when the input already is 1-D int16."""
    a = np.asarray(samples)
    if a.dtype == np.int16 and a.ndim == 1:
        return a
    if a.dtype == np.int16 and a.ndim == 2 and a.shape[1] == 1:
        return a[:, 0]
    return float_to_int16(to_float_mono(a))
