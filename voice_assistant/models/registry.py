"""The model registry: `models/registry.yaml` read and checked (names, languages, URLs, checksums)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Mapping, Optional
from urllib.parse import unquote, urlsplit

import yaml

from voice_assistant.addresses import is_loopback_url
from voice_assistant.errors import VoiceAssistantError
from voice_assistant.language import registry_file


REGISTRY_ENV = "VOICE_ASSISTANT_MODEL_REGISTRY"
ENGINES = ("vosk", "piper", "whisper")
MANIFEST = "install.json"
CHUNK = 1 << 16
DEFAULT_TIMEOUT = 30.0  # seconds without a byte before a download is called stalled

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_LANG_RE = re.compile(r"^[a-z]{2,3}$")
CHECKSUM_RE = {"md5": re.compile(r"^[0-9a-f]{32}$"), "sha256": re.compile(r"^[0-9a-f]{64}$")}

Progress = Callable[[str, int, int], None]
"""Progress callback: ``(label, bytes_done, bytes_total)``; called often during a download."""


class ModelError(VoiceAssistantError):
    """A model could not be listed, installed or removed; the message says why and what to do."""


@dataclass(frozen=True)
class RemoteFile:
    """One downloadable file."""

    url: str
    """Official https URL."""
    size: int
    """Exact size in bytes."""
    checksum: Optional[str]
    """``"md5:<hex>"`` or ``"sha256:<hex>"`` as published, or None when none is published."""

    @property
    def filename(self) -> str:
        """The file's name, from the URL."""
        return unquote(PurePosixPath(urlsplit(self.url).path).name)

    @property
    def algorithm(self) -> Optional[str]:
        return self.checksum.split(":", 1)[0] if self.checksum else None

    @property
    def digest(self) -> Optional[str]:
        return self.checksum.split(":", 1)[1] if self.checksum else None


@dataclass(frozen=True)
class RegistryEntry:
    """One model of ``models/registry.yaml``."""

    name: str
    """Install name and folder name."""
    language: str
    """ISO 639-1 code."""
    engine: str
    """``vosk`` (zip archive, unpacked) or ``piper`` (.onnx voice plus .onnx.json config)."""
    url: str
    """Main file: the Vosk zip or the Piper .onnx."""
    size: int
    """Main file size in bytes."""
    checksum: Optional[str]
    """Main file checksum as published (``md5:...``), or None."""
    config: Optional[RemoteFile] = None
    """Piper only: the voice's .onnx.json."""
    description: str = ""
    """One line for ``models list``."""
    checksum_source: Optional[str] = None
    """Where the checksum and size come from."""
    extra: tuple[RemoteFile, ...] = ()
    """Whisper only: the model's other files (config.json, tokenizer.json, vocabulary.txt)."""

    @property
    def main(self) -> RemoteFile:
        return RemoteFile(self.url, self.size, self.checksum)

    @property
    def files(self) -> tuple[RemoteFile, ...]:
        """Everything to download, main file first."""
        return (self.main,) + ((self.config,) if self.config else ()) + self.extra

    @property
    def download_size(self) -> int:
        return sum(f.size for f in self.files)


def default_registry_path() -> Path:
    """``$VOICE_ASSISTANT_MODEL_REGISTRY`` if set, else ``models/registry.yaml`` shipped with the package."""
    env = os.environ.get(REGISTRY_ENV)
    if env:
        return Path(env).expanduser()
    return registry_file()


def load_registry(path: "str | os.PathLike[str] | None" = None) -> dict[str, RegistryEntry]:
    """Read and check a registry file; entries keep the file's order (the order of preference)."""
    path = Path(path) if path is not None else default_registry_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ModelError(f"the model registry {path} does not exist; reinstall voice-assistant, or point "
                         f"{REGISTRY_ENV} at a registry file") from None
    except OSError as exc:
        raise ModelError(f"cannot read the model registry {path}: {exc.strerror or exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ModelError(f"the model registry {path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("models"), list):
        raise ModelError(f"the model registry {path} must have a 'models:' list")
    entries: dict[str, RegistryEntry] = {}
    for index, raw in enumerate(data["models"], start=1):
        entry = _parse_entry(raw, index, path)
        if entry.name in entries:
            raise ModelError(f"{path}: entry {index} ({entry.name}): the name is used twice")
        entries[entry.name] = entry
    return entries


def _parse_entry(raw: Any, index: int, path: Path) -> RegistryEntry:
    label = f"entry {index}"
    if isinstance(raw, dict) and isinstance(raw.get("name"), str):
        label = f"entry {index} ({raw['name']})"

    def bad(message: str) -> ModelError:
        return ModelError(f"{path}: {label}: {message}")

    if not isinstance(raw, dict):
        raise bad("must be a mapping with name, language, engine, url, size and checksum")
    known = {"name", "language", "engine", "url", "size", "checksum", "config", "description",
             "checksum_source", "files"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise bad(f"unknown field(s) {', '.join(unknown)}")
    for key in ("name", "language", "engine", "url", "size"):
        if raw.get(key) is None:
            raise bad(f"'{key}' is missing")
    if "checksum" not in raw:
        raise bad("'checksum' is missing (write 'checksum: null' with a comment if the publisher gives none)")
    name, language, engine = raw["name"], raw["language"], raw["engine"]
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise bad("'name' must be letters, digits, '.', '_' or '-' (it becomes a folder name)")
    if not isinstance(language, str) or not _LANG_RE.match(language):
        raise bad(f"'language' must be a lower-case ISO 639-1 code such as fr or en, got {language!r}")
    if engine not in ENGINES:
        raise bad(f"'engine' must be one of {', '.join(ENGINES)}, got {engine!r}")
    main = _parse_file(raw, bad, "")
    config = None
    extra: tuple[RemoteFile, ...] = ()
    if raw.get("files") is not None and engine != "whisper":
        raise bad("only whisper models have 'files'")
    if engine == "whisper":
        if not isinstance(raw.get("files"), list) or not raw["files"]:
            raise bad("a whisper model needs 'files': the url, size and checksum of each file beside model.bin")
        extra = tuple(_parse_file(f if isinstance(f, dict) else {}, bad, f"files[{i}].")
                      for i, f in enumerate(raw["files"]))
        names = [main.filename] + [f.filename for f in extra]
        if main.filename != "model.bin" or len(set(names)) != len(names):
            raise bad("a whisper model's url must be its model.bin, and its files must have different names")
    elif engine == "piper":
        if not isinstance(raw.get("config"), dict):
            raise bad("a piper voice needs a 'config' with the url, size and checksum of its .onnx.json")
        config = _parse_file(raw["config"], bad, "config.")
        if not main.filename.endswith(".onnx") or not config.filename.endswith(".onnx.json"):
            raise bad("a piper voice's url must end in .onnx and its config url in .onnx.json")
    else:
        if raw.get("config") is not None:
            raise bad("only piper voices have a 'config'")
        if not main.filename.endswith(".zip"):
            raise bad("a vosk model's url must be a .zip archive")
    description = raw.get("description") or ""
    source = raw.get("checksum_source")
    if not isinstance(description, str) or (source is not None and not isinstance(source, str)):
        raise bad("'description' and 'checksum_source' must be text")
    return RegistryEntry(name, language, engine, main.url, main.size, main.checksum, config, description, source,
                         extra)


def _parse_file(raw: dict, bad: Callable[[str], ModelError], prefix: str) -> RemoteFile:
    for key in ("url", "size"):
        if raw.get(key) is None:
            raise bad(f"'{prefix}{key}' is missing")
    if "checksum" not in raw:
        raise bad(f"'{prefix}checksum' is missing")
    url, size, checksum = raw["url"], raw["size"], raw["checksum"]
    if not isinstance(url, str):
        raise bad(f"'{prefix}url' must be text")
    parts = urlsplit(url)
    if not parts.hostname or not parts.path or parts.path.endswith("/"):
        raise bad(f"'{prefix}url' is not a file URL: {url}")
    if parts.scheme != "https" and not is_loopback_url(url):
        raise bad(f"'{prefix}url' must use https (plain http only for a local test server): {url}")
    if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
        raise bad(f"'{prefix}size' must be a positive number of bytes, got {size!r}")
    if checksum is not None:
        if not isinstance(checksum, str) or ":" not in checksum:
            raise bad(f"'{prefix}checksum' must look like md5:<32 hex digits> or sha256:<64 hex digits>")
        algorithm, digest = checksum.split(":", 1)
        pattern = CHECKSUM_RE.get(algorithm)
        if pattern is None or not pattern.match(digest):
            raise bad(f"'{prefix}checksum' must look like md5:<32 hex digits> or sha256:<64 hex digits>, "
                      f"got {checksum!r}")
    return RemoteFile(url, size, checksum)


def registry_of(registry: "str | os.PathLike[str] | Mapping[str, RegistryEntry] | None") -> Mapping[str, RegistryEntry]:
    if isinstance(registry, Mapping):
        return registry
    return load_registry(registry)
