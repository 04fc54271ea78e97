"""The browser for the web-page tests (hub dashboard, tablet): Debian's chromium through Playwright, and
axe-core (installed by `npm ci` in tests/hub) for accessibility. Absent on a developer's machine, the tests skip
saying why; where VOICE_ASSISTANT_BROWSER_TESTS=required (.ci/run sets it) they fail instead, so a missing
browser can never pass for a working page."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

AXE = Path(__file__).resolve().parent / "hub" / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


def chromium() -> str | None:
    for name in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if name and Path(name).exists():
            return name
    return None


def unavailable(reason: str) -> None:
    """Skipped on a developer's machine; a failure where .ci/run has installed everything."""
    if os.environ.get("VOICE_ASSISTANT_BROWSER_TESTS") == "required":
        pytest.fail(reason)
    pytest.skip(reason)


def require_browser() -> str:
    """Chromium's path, once Playwright, Chromium and axe-core are known to be there."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        unavailable("Python playwright is not installed (pip install playwright)")
    executable = chromium()
    if executable is None:
        unavailable("Debian's chromium is not installed (apt-get install -y chromium)")
    if not AXE.is_file():
        unavailable(f"axe-core is not installed: run `npm ci` in tests/hub (looked for {AXE})")
    return executable


def axe_violations(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    return page.evaluate("""async (tags) => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                       nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary)}));
    }""", AXE_TAGS)


def assert_accessible(page, where: str) -> None:
    """No axe-core violation (WCAG 2.2 A/AA and best practice) on the page as it stands."""
    violations = axe_violations(page)
    assert violations == [], f"axe-core violations on {where}:\n{json.dumps(violations, indent=2)}"
