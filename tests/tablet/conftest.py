"""Tablet fixtures: never the real user's data; the assistant's quick voice; the patient's requests as WAV files;
Chromium through Playwright. Without chromium, playwright or axe-core the browser tests are skipped, saying why,
on a developer's machine; where VOICE_ASSISTANT_BROWSER_TESTS=required (.ci/run sets it) they fail instead, so a
missing browser can never pass for a working tablet."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # browserkit

from browserkit import require_browser  # noqa: E402
from tabletkit import CHROMIUM_ARGS, REQUEST, YES, chromium, spoken_wav  # noqa: E402


@pytest.fixture(autouse=True)
def _no_user_data(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


@pytest.fixture(scope="session")
def quick_voice():
    """eSpeak NG's English voice for the assistant (Piper's is tested elsewhere; this one is quick)."""
    from voice_assistant.tts import synthesizer_for

    return synthesizer_for("en", engine="espeak")


@pytest.fixture(scope="session")
def said(tmp_path_factory) -> dict[str, Path]:
    """The patient's two requests as WAV files for the fake microphone."""
    folder = tmp_path_factory.mktemp("said")
    return {text: spoken_wav(text, folder / f"{n}.wav") for n, text in enumerate((REQUEST, YES))}


@pytest.fixture(scope="session")
def playwright():
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright):
    """A browser without a microphone file (pages, accessibility, refusals)."""
    b = playwright.chromium.launch(executable_path=chromium(), headless=True,
                                   args=CHROMIUM_ARGS + ["--use-fake-device-for-media-stream"])
    yield b
    b.close()
