"""Language data: every word the assistant understands, says or shows, read from one place.

The words live in two top-level folders of the project, written by clinicians and translators:

    intents/<lang>.yaml                  what a patient may say (language packs)            nlu/packs.py
    intents/pronunciations/<lang>.yaml   how pack words sound (drug names, A1c...)           asr/vocabulary.py
    prompts/<lang>.yaml                  what the assistant says                             dialogue/prompts.py
    prompts/speech/<lang>.yaml           numbers, times and dates said as words              speech.py
    prompts/labs/<lang>.yaml             lab results said and shown                          labs/present.py
    prompts/tablet/<lang>.yaml           the tablet page's words                             tablet/page.py
    prompts/hub/<lang>.yaml              the clinician dashboard's words                     hub/
    prompts/demo/<lang>.yaml             the demo's scripted conversation                    demo.py
    models/registry.yaml                 the models the assistant knows (not words; shipped the same way)

A built wheel carries these folders inside the package, as `voice_assistant/language/intents/`,
`.../prompts/` and `.../models/` (the build maps them there: see `setup.py`); a checkout (or an editable
install) reads the top-level folders themselves. `folder()` hides the difference, and every reader goes
through it and through `read_yaml`, whose one error type, `LanguageDataError`, names the file, the key and
the line. Environment variables point a folder elsewhere (tests, a translator's draft):
VOICE_ASSISTANT_PACKS (intents/), VOICE_ASSISTANT_PROMPTS (prompts/), VOICE_ASSISTANT_SPEECH_RULES
(prompts/speech/).
"""

from __future__ import annotations

import os
import string
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from voice_assistant.errors import LanguageDataError

__all__ = [
    "LANGUAGES", "LanguageDataError", "LineLoader", "Phrases", "base_language", "folder", "language_file", "plain",
    "read_yaml", "read_yaml_lines", "registry_file",
]

#: The languages the assistant speaks (a pack, prompts and speech words exist for each).
LANGUAGES: tuple[str, ...] = ("fr", "en")

#: Folder name -> the environment variable that points it elsewhere.
_ENV = {"intents": "VOICE_ASSISTANT_PACKS", "prompts": "VOICE_ASSISTANT_PROMPTS",
        "prompts/speech": "VOICE_ASSISTANT_SPEECH_RULES"}

#: The project checkout this package sits in, when it runs from one (voice_assistant/language/ -> ../..).
_CHECKOUT = Path(__file__).resolve().parents[2]


def base_language(language: str) -> str:
    """"fr-FR", "en_US", "EN" -> "fr", "en": packs, prompts and models are per language, not per region."""
    return str(language).strip().replace("_", "-").split("-")[0].lower()


def _installed_root() -> Path | None:
    """The data folders inside the installed package (a wheel), or None in a checkout."""
    inside = resources.files(__name__)
    if not isinstance(inside, Path):  # a zipped install: the folders are not files we can hand out
        raise LanguageDataError("the assistant is installed in a zip archive; install the wheel unpacked",
                                file=str(inside))
    return inside if (inside / "intents").is_dir() else None


def folder(name: str) -> Path:
    """`intents`, `prompts`, `prompts/speech`, `prompts/labs`, `models`...: where that folder's files are.

    An environment variable (see the module's docstring) wins; then the copy inside an installed wheel;
    then the checkout's top-level folder.
    """
    parts = name.split("/")
    for n in range(len(parts), 0, -1):  # "prompts/labs" follows VOICE_ASSISTANT_PROMPTS unless it has its own
        env = _ENV.get("/".join(parts[:n]))
        if env and os.environ.get(env):
            return Path(os.environ[env]).joinpath(*parts[n:])
    root = _installed_root() or _CHECKOUT
    return root.joinpath(*parts)


def language_file(name: str, lang: str) -> Path:
    """`language_file("prompts/tablet", "fr-FR")` -> .../prompts/tablet/fr.yaml."""
    return folder(name) / f"{base_language(lang)}.yaml"


def registry_file() -> Path:
    """`models/registry.yaml`: the models the assistant knows, shipped with it."""
    return folder("models") / "registry.yaml"


# --- reading ------------------------------------------------------------------------------------------


class _LineStr(str):
    """A list item that remembers its line (`.line`), for messages about one template of a pack."""

    line = 0


class LineLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys and remembers lines: every mapping gets a "__lines__" entry
    {key: line}, every string in a list is a `str` with a `.line`."""


def _construct_mapping(loader: LineLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    mapping: dict = {}
    lines: dict = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in mapping:
            raise LanguageDataError(f"duplicate key '{key}' at line {key_node.start_mark.line + 1} "
                                    f"(first at line {lines[key]})")
        mapping[key] = loader.construct_object(value_node, deep=deep)
        lines[key] = key_node.start_mark.line + 1
    mapping["__lines__"] = lines
    return mapping


def _construct_seq(loader: LineLoader, node: yaml.SequenceNode, deep: bool = False) -> list:
    items = []
    for child in node.value:
        value = loader.construct_object(child, deep=True)
        if isinstance(value, str):
            value = _LineStr(value)
            value.line = child.start_mark.line + 1
        items.append(value)
    return items


LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_seq)


def plain(value: Any) -> Any:
    """Data read with `keep_lines=True`, without its "__lines__" entries."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items() if k != "__lines__"}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def read_yaml(path: str | os.PathLike[str], *, error: type[LanguageDataError] = LanguageDataError,
              what: str = "the file", keep_lines: bool = False, mapping: bool = True) -> Any:
    """A language file as read. Every failure is an `error` (a `LanguageDataError`) naming the file and,
    for bad YAML, the line. `keep_lines` reads with `LineLoader` (duplicate keys refused, lines kept);
    `mapping` requires a mapping at the top of the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise error(f"cannot read {what} ({exc.strerror})", file=path) from None
    except UnicodeDecodeError:
        raise error("the file is not UTF-8 text", file=path) from None
    try:
        data = yaml.load(text, Loader=LineLoader) if keep_lines else yaml.safe_load(text)
    except LanguageDataError as exc:
        raise error(exc.problem, file=path) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise error(f"not valid YAML ({problem})", file=path, line=mark.line + 1 if mark else None) from None
    if mapping and not isinstance(data, dict):
        raise error("expected a mapping at the top of the file", file=path)
    return data


def read_yaml_lines(path: str | os.PathLike[str], *, error: type[LanguageDataError] = LanguageDataError,
                    what: str = "the file") -> tuple[dict, dict[str, int]]:
    """A language file as plain data, and the line of every key by its dotted name ("glucose.saved": 12),
    so a message about a key can name its line too."""
    data = read_yaml(path, error=error, what=what, keep_lines=True)
    lines: dict[str, int] = {}

    def walk(node: Any, prefix: str) -> None:
        if isinstance(node, dict):
            for key, line in (node.get("__lines__") or {}).items():
                lines[f"{prefix}{key}"] = line
                walk(node[key], f"{prefix}{key}.")

    walk(data, "")
    return plain(data), lines


# --- sentences by key --------------------------------------------------------------------------------


class Phrases:
    """One language file read as sentences by key: `say("glucose.saved", value=...)` -> the sentence.

    The dialogue's prompts (`dialogue.prompts.Prompts`) and the lab words (`labs.present.LabPack`) are
    Phrases; a subclass sets the error it raises and how a key is named in a message."""

    #: What a missing or broken key raises, and how its message names the key ("missing prompt 'x'").
    error: type[LanguageDataError] = LanguageDataError
    what = ""

    def __init__(self, data: dict, path: Path, lines: dict[str, int] | None = None):
        self.data = data
        self.path = path
        self.lines = lines or {}  #: line of each key by dotted name, when read from a file
        self.lang = str(data.get("language", path.stem))

    def raw(self, key: str) -> Any:
        node: Any = self.data
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                raise self.error(f"missing {self.what}'{key}'", file=self.path, key=key)
            node = node[part]
        return node

    def say(self, key: str, **values: Any) -> str:
        template = self.raw(key)
        if not isinstance(template, str):
            raise self.error(f"{self.what}'{key}' must be text", file=self.path, key=key, line=self.lines.get(key))
        try:
            return template.format(**values)
        except (KeyError, IndexError) as exc:
            raise self.error(f"{self.what}'{key}' uses {exc}, which is not given", file=self.path, key=key,
                             line=self.lines.get(key)) from None

    def fields(self, key: str) -> set[str]:
        """The {names} a prompt expects: the tests check every language asks for the same."""
        return {f for _, f, _, _ in string.Formatter().parse(self.raw(key)) if f}
