"""One family of errors: every failure the assistant expects is a `VoiceAssistantError`.

Each error's `str()` is a plain sentence a caregiver can act on (it names the file, the setting or the
device, and the fix), and each carries the exit code the command line ends with. The command line catches
the base class once (`voice_assistant.cli.main`), so no traceback ever reaches a person; anything else is a
bug and is still turned into a sentence there.

The hierarchy (each family also keeps the built-in base its callers already catch: `ValueError` for bad
data, `RuntimeError` for an engine that cannot run):

    VoiceAssistantError
    ├── LanguageDataError (ValueError)    a file of intents/ or prompts/ is missing or broken: names file, key, line
    │   ├── PackError, TemplateError          intents/<lang>.yaml (nlu/packs.py, nlu/templates.py)
    │   ├── PromptError                       prompts/<lang>.yaml (dialogue/prompts.py)
    │   ├── SpeechRulesError                  prompts/speech/<lang>.yaml (speech.py)
    │   ├── LabPackError                      prompts/labs/<lang>.yaml (labs/present.py)
    │   └── PronunciationError                intents/pronunciations/<lang>.yaml (asr/vocabulary.py)
    ├── ConfigurationError (ValueError)   a setting is wrong
    │   ├── ProfileError                      profile.yaml (profile.py)
    │   └── SyncConfigError                   the clinician endpoint (sync/sender.py)
    ├── InputError (ValueError)           a file or value given to a command cannot be used
    │   ├── LabImportError                    a lab results file (labs/importer.py)
    │   ├── CorpusError                       an evaluation corpus (evaluation.py)
    │   ├── PairingError                      a tablet pairing code (tablet/pairing.py)
    │   └── TokenError                        a hub access token (hub/tokens.py)
    ├── ModelFormatError (ValueError)     a whisper model file the int8 copy cannot read (asr/whisper_int8.py)
    ├── EngineUnavailable (RuntimeError)  a recogniser or synthesiser cannot run here
    │   ├── RecognizerUnavailable, RecognizerError, VoskUnavailable   (asr/)
    │   ├── SynthesizerUnavailable            (tts/base.py)
    │   └── EchoCancelUnavailable             the echo canceller (audio/echo_cancel.py)
    ├── AudioError                        audio cannot be read, written or played (audio/errors.py)
    │   └── AudioDeviceError                  no usable microphone or speaker
    ├── StoreError                        the patient's database refused (store/errors.py)
    ├── ModelError                        a model cannot be found, downloaded or installed (models/)
    └── RemoteError                       the clinician side refused or failed
        ├── AuthError                         the device's credentials (sync/auth.py)
        └── FhirError                         the hub's answer to a FHIR request (hub/resources.py)

Exit codes: 2 for what the person can fix by changing what they typed or configured (data, settings,
input), 1 for what failed while running (an engine, a device, the storage, the network).
"""

from __future__ import annotations

__all__ = [
    "ConfigurationError", "EngineUnavailable", "InputError", "LanguageDataError", "RemoteError",
    "VoiceAssistantError", "sentence",
]


class VoiceAssistantError(Exception):
    """Base of every error the assistant expects; `str()` is a plain sentence, `exit_code` the CLI's code."""

    exit_code: int = 1


class LanguageDataError(VoiceAssistantError, ValueError):
    """A language file (intents/, prompts/) is missing or broken.

    The message names the file, and the key and the line when they are known:
    ``prompts/fr.yaml, key 'glucose.saved', line 12: must be text``. Built either from a whole message
    (``PackError("intents/fr.yaml: ...")``) or from its parts (``file=``, ``key=``, ``line=``).
    """

    exit_code = 2

    def __init__(self, message: str, *, file: object | None = None, key: str | None = None,
                 line: int | None = None) -> None:
        self.file = str(file) if file is not None else None
        self.key = key
        self.line = line
        self.problem = message
        if file is not None:
            where = [str(file)]
            if key and f"'{key}'" not in message:
                where.append(f"key '{key}'")
            if line:
                where.append(f"line {line}")
            message = ", ".join(where) + ": " + message
        super().__init__(message)


class ConfigurationError(VoiceAssistantError, ValueError):
    """A setting (the profile, the clinician endpoint) cannot be used; the message names it and the fix."""

    exit_code = 2


class InputError(VoiceAssistantError, ValueError):
    """A file or value given to a command cannot be used; the message says what was wrong."""

    exit_code = 2


class EngineUnavailable(VoiceAssistantError, RuntimeError):
    """A recogniser or synthesiser cannot run on this machine; the message says what to install."""


class RemoteError(VoiceAssistantError):
    """The clinician side (the hub, a FHIR server) refused or failed."""


def sentence(error: BaseException) -> str:
    """What a person is told about `error`: its own sentence, or a plain one for a bug."""
    if isinstance(error, VoiceAssistantError):
        return str(error) or type(error).__name__
    return (f"Something went wrong inside the assistant ({type(error).__name__}: {error}). Nothing was saved "
            "by this command; please tell the person who looks after this device.")
