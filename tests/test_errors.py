"""One error family: every error the package defines is a VoiceAssistantError, and the command turns each into a
plain sentence and an exit code, never a traceback."""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
import subprocess
import sys

import pytest

import voice_assistant
from voice_assistant import cli
from voice_assistant.errors import (ConfigurationError, EngineUnavailable, InputError, LanguageDataError,
                                    VoiceAssistantError)


def _package_exceptions() -> list[type[BaseException]]:
    found = {}
    for info in pkgutil.walk_packages(voice_assistant.__path__, "voice_assistant."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, BaseException) and obj.__module__.startswith("voice_assistant."):
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return list(found.values())


def test_every_exception_of_the_package_is_in_the_family():
    errors = _package_exceptions()
    assert len(errors) >= 22
    outside = [e.__qualname__ for e in errors if not issubclass(e, VoiceAssistantError)]
    assert not outside, f"not derived from voice_assistant.errors.VoiceAssistantError: {outside}"


@pytest.mark.parametrize("name, family, builtin", [
    ("voice_assistant.nlu.packs.PackError", LanguageDataError, ValueError),
    ("voice_assistant.dialogue.prompts.PromptError", LanguageDataError, ValueError),
    ("voice_assistant.speech.SpeechRulesError", LanguageDataError, ValueError),
    ("voice_assistant.profile.ProfileError", ConfigurationError, ValueError),
    ("voice_assistant.labs.importer.LabImportError", InputError, ValueError),
    ("voice_assistant.asr.select.RecognizerUnavailable", EngineUnavailable, RuntimeError),
    ("voice_assistant.tts.base.SynthesizerUnavailable", EngineUnavailable, RuntimeError),
])
def test_families_keep_the_builtin_base_callers_catch(name, family, builtin):
    module, _, cls = name.rpartition(".")
    error = getattr(importlib.import_module(module), cls)
    assert issubclass(error, family) and issubclass(error, builtin)


def test_a_missing_speech_words_file_is_a_sentence_not_a_traceback(tmp_path):
    env = dict(os.environ, VOICE_ASSISTANT_SPEECH_RULES=str(tmp_path / "speech"),
               XDG_DATA_HOME=str(tmp_path / "data"), XDG_CONFIG_HOME=str(tmp_path / "config"))
    out = subprocess.run([sys.executable, "-m", "voice_assistant", "chat", "--lang", "fr"],
                         input="ma glycémie est de 120\noui\n", capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert str(tmp_path / "speech" / "fr.yaml") in out.stderr and "prompts/speech/fr.yaml" in out.stderr
    assert out.stdout == ""  # no reply was half-made: it stopped at once


def test_an_unexpected_error_is_still_a_sentence(monkeypatch, capsys):
    def broken() -> None:
        raise KeyError("oops")

    monkeypatch.setattr(cli, "app", broken)
    with pytest.raises(SystemExit) as done:
        cli.main()
    assert done.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("voice-assistant: Something went wrong") and "Traceback" not in err


def test_a_family_error_ends_with_its_exit_code(monkeypatch, capsys):
    def refused() -> None:
        raise ConfigurationError("the profile's language must be fr or en")

    monkeypatch.setattr(cli, "app", refused)
    with pytest.raises(SystemExit) as done:
        cli.main()
    assert done.value.code == 2
    assert capsys.readouterr().err == "voice-assistant: the profile's language must be fr or en\n"
