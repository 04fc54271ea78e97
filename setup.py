"""Build configuration that pyproject.toml cannot express: the language data in the wheel.

The words (`intents/`, `prompts/`) and the model registry (`models/registry.yaml`) live at the top of the
project, where translators and clinicians find them. A wheel carries them as data of the package
`voice_assistant.language` (installed as voice_assistant/language/intents/, .../prompts/, .../models/),
which is where `voice_assistant.language.folder()` looks when it does not run from a checkout. Which files
of those folders go in: `[tool.setuptools.package-data]` in pyproject.toml.
"""

from setuptools import find_packages, setup

#: Package (inside the wheel) -> the top-level folder it is built from.
LANGUAGE_DATA = {
    "voice_assistant.language.intents": "intents",
    "voice_assistant.language.prompts": "prompts",
    "voice_assistant.language.models": "models",
}

setup(
    packages=find_packages(include=["voice_assistant", "voice_assistant.*"]) + list(LANGUAGE_DATA),
    package_dir=LANGUAGE_DATA,
)
