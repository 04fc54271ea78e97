"""Language data in one place: every word file ships in the wheel, and every broken one names file, key, line."""

from __future__ import annotations

import ast
import fnmatch
import tomllib
from pathlib import Path

import pytest

from voice_assistant.dialogue.prompts import PromptError, load_prompts
from voice_assistant.errors import LanguageDataError, VoiceAssistantError
from voice_assistant.language import base_language, folder, language_file, read_yaml, read_yaml_lines

ROOT = Path(__file__).resolve().parents[1]


def _wheel_data() -> dict[str, tuple[str, list[str]]]:
    """Package in the wheel -> (top-level folder it is built from, its package-data globs)."""
    tree = ast.parse((ROOT / "setup.py").read_text(encoding="utf-8"))
    mapping = next(ast.literal_eval(node.value) for node in ast.walk(tree)
                   if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "LANGUAGE_DATA")
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["package-data"]
    return {package: (top, globs.get(package, [])) for package, top in mapping.items()}


def test_every_language_file_is_package_data_of_the_wheel():
    data = _wheel_data()
    assert {top for top, _ in data.values()} == {"intents", "prompts", "models"}
    for top, globs in data.values():
        files = [p.relative_to(ROOT / top).as_posix() for p in (ROOT / top).rglob("*.yaml")]
        assert files, top
        missing = [f for f in files if not any(fnmatch.fnmatch(f, g) and f.count("/") == g.count("/") for g in globs)]
        assert not missing, f"{top}/: {missing} would not be in the wheel; add a glob to pyproject.toml"


def test_folders_resolve_to_the_checkout_and_follow_the_environment(monkeypatch, tmp_path):
    assert folder("intents") == ROOT / "intents"
    assert language_file("prompts/tablet", "fr-FR") == ROOT / "prompts" / "tablet" / "fr.yaml"
    monkeypatch.setenv("VOICE_ASSISTANT_PROMPTS", str(tmp_path))
    assert folder("prompts/labs") == tmp_path / "labs"


@pytest.mark.parametrize("code, lang", [("fr-FR", "fr"), ("en_US", "en"), ("EN", "en"), (" fr ", "fr")])
def test_language_codes_are_normalised_in_one_place(code, lang):
    assert base_language(code) == lang


def test_bad_yaml_names_the_file_and_the_line(tmp_path):
    path = tmp_path / "fr.yaml"
    path.write_text("greeting: bonjour\nfarewell: [unclosed\n", encoding="utf-8")
    with pytest.raises(LanguageDataError) as err:
        read_yaml(path)
    assert err.value.file == str(path) and err.value.line == 3
    assert str(err.value).startswith(f"{path}, line 3: not valid YAML")
    assert isinstance(err.value, VoiceAssistantError) and isinstance(err.value, ValueError)


def test_a_duplicate_key_is_refused_with_both_lines(tmp_path):
    path = tmp_path / "en.yaml"
    path.write_text("a: 1\nb: 2\na: 3\n", encoding="utf-8")
    with pytest.raises(LanguageDataError, match="duplicate key 'a' at line 3 \\(first at line 1\\)"):
        read_yaml_lines(path)


def test_a_broken_prompt_names_file_key_and_line(tmp_path):
    (tmp_path / "en.yaml").write_text("language: en\nglucose:\n  saved: [not, text]\n  asked: Is it {value}?\n",
                                      encoding="utf-8")
    prompts = load_prompts("en", str(tmp_path))
    with pytest.raises(PromptError) as err:
        prompts.say("glucose.saved")
    assert (err.value.file, err.value.key, err.value.line) == (str(tmp_path / "en.yaml"), "glucose.saved", 3)
    assert "line 3" in str(err.value) and "glucose.saved" in str(err.value)
    with pytest.raises(PromptError, match="line 4: prompt 'glucose.asked' uses 'value', which is not given"):
        prompts.say("glucose.asked")
    with pytest.raises(PromptError, match="missing prompt 'glucose.gone'"):
        prompts.say("glucose.gone")


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_every_distress_phrase_of_a_pack_said_alone_is_the_emergency_path_with_its_distress(lang):
    """A phrase added to `distress` that a filler, a decline or a slot would eat is caught here, and both prompt
    packs say the distress reply."""
    from voice_assistant.dialogue.prompts import load_prompts
    from voice_assistant.nlu import DISTRESS, Understander, load_pack

    pack = load_pack(lang)
    assert pack.distress and set(pack.distress) < set(pack.alarm_words)
    understander = Understander(lang)
    for phrase in pack.distress:
        result = understander.understand(" ".join(phrase))
        said = result.entity(DISTRESS)
        assert result.intent == "emergency" and said and said in " ".join(phrase), (phrase, result)
    prompts = load_prompts(lang)
    for key in ("safety.distress", "safety.distress_line", "safety.distress_no_line", "safety.distress_not_alerted"):
        assert prompts.raw(key), key
