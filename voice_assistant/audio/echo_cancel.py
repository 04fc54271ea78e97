"""PulseAudio's (or PipeWire's pipewire-pulse) echo canceller in front of the microphone, for `listen --echo-cancel`.

`module-echo-cancel` with the WebRTC method makes a virtual source (the microphone with the speaker's sound taken
out) and a virtual sink (what goes to the speaker, as its reference). The assistant records from the one and plays
to the other, by naming them in PULSE_SOURCE and PULSE_SINK before PortAudio opens its ALSA "pulse" device. Then
the patient can interrupt with any words, not only the wake phrase. Without a PulseAudio server, or without the
module, nothing changes and the reason is given (the loop keeps leaving its own sound out of what it hears).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from dataclasses import dataclass

from voice_assistant.errors import EngineUnavailable

log = logging.getLogger(__name__)

SOURCE, SINK = "va_echo_cancelled", "va_echo_reference"


@dataclass
class EchoCanceller:
    module: int | None  #: the loaded module's index (unloaded by close()); None: it was there before us, kept
    source: str
    sink: str
    _saved: dict

    def close(self) -> None:
        if self.module is not None:
            _pactl("unload-module", str(self.module))
        for key, value in self._saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    def __enter__(self) -> EchoCanceller:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class EchoCancelUnavailable(EngineUnavailable):
    """Why the echo canceller cannot be used here (in plain words)."""


def start_echo_canceller(source_master: str | None = None, sink_master: str | None = None,
                         aec_args: str | None = None) -> EchoCanceller:
    """Load module-echo-cancel (WebRTC) and point this process's audio at it; raises EchoCancelUnavailable.

    One already loaded under our names (by the system's configuration, or a benchmark that warmed it up) is used
    as it is, and left loaded afterwards. `aec_args`: the WebRTC canceller's own settings (module-echo-cancel's
    aec_args, e.g. "analog_gain_control=0 digital_gain_control=0")."""
    if shutil.which("pactl") is None:
        raise EchoCancelUnavailable("pactl is not installed (Debian: apt install pulseaudio-utils)")
    info = _pactl("info")
    if info.returncode != 0:
        raise EchoCancelUnavailable("no PulseAudio or PipeWire sound server answers")
    saved = {k: os.environ.get(k) for k in ("PULSE_SOURCE", "PULSE_SINK")}
    if SOURCE in _names("sources") and SINK in _names("sinks"):
        os.environ["PULSE_SOURCE"], os.environ["PULSE_SINK"] = SOURCE, SINK
        log.info("echo canceller already loaded: used as it is")
        return EchoCanceller(None, SOURCE, SINK, saved)
    args = ["load-module", "module-echo-cancel", "aec_method=webrtc", f"source_name={SOURCE}", f"sink_name={SINK}",
            "use_master_format=1"]
    if aec_args:
        args.append(f'aec_args="{aec_args}"')
    if source_master:
        args.append(f"source_master={source_master}")
    if sink_master:
        args.append(f"sink_master={sink_master}")
    loaded = _pactl(*args)
    if loaded.returncode != 0:
        raise EchoCancelUnavailable(f"the sound server refused its echo canceller ({loaded.stderr.strip()})")
    module = int(loaded.stdout.strip().split()[0])
    os.environ["PULSE_SOURCE"], os.environ["PULSE_SINK"] = SOURCE, SINK
    log.info("echo canceller loaded (module %s)", module)
    return EchoCanceller(module, SOURCE, SINK, saved)


def _names(kind: str) -> list[str]:
    """The names of the server's sources or sinks."""
    out = _pactl("list", "short", kind).stdout or ""
    return [line.split("\t")[1] for line in out.splitlines() if "\t" in line]


def _pactl(*args: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["pactl", *args], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as e:
        return subprocess.CompletedProcess(["pactl", *args], 1, "", str(e))
