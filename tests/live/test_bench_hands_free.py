"""scripts/bench_voice.py --memory --hands-free: the peak memory of what `listen --hands-free` runs (built by
listening.listening_session, the wake-word spotters loaded), on the live-loop tests' fake microphone and speaker."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_hands_free_memory_row_is_measured_on_the_listen_loop():
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "bench_voice.py"), "--memory", "--hands-free",
                           "--engines", "pocketsphinx", "--memory-turns", "5"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "hands-free loop" in proc.stdout
    row = next(line for line in proc.stdout.splitlines() if line.startswith("pocketsphinx"))
    m = re.match(r"pocketsphinx\s+PiperSynthesizer\s+(\d+)\s+(\d+)\s+(\d+)\s+5\s+\((\d+) replies, (\d+) ignored; "
                 r"spotter (\w+)\)", row)
    assert m, row
    loaded, peak, end, replies, ignored = (int(m.group(i)) for i in range(1, 6))
    assert 0 < loaded and peak >= max(loaded, end)
    # four requests after « assistant, » (a wake phrase heard alone counts in neither), then overheard talk
    assert replies >= 3 and replies + ignored <= 5
    assert m.group(6) == "ModelSpotter"  # the wake-word model, as listen --hands-free loads it
