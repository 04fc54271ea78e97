"""The dashboard in headless Chromium (Debian's `chromium`, driven by Playwright), checked with axe-core.

Needs: `apt-get install chromium`, `pip install playwright` (no `playwright install`: the system Chromium is
used), and `npm ci` in tests/hub (axe-core). The tests skip, saying which, only when one of them is absent.
"""

from __future__ import annotations

import pytest
from browserkit import CHROMIUM_ARGS, assert_accessible, require_browser
from hubkit import start_hub, dose, flag, observation, post, provenance, reading


@pytest.fixture(scope="module")
def browser():
    executable = require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def synced_hub(tmp_path):
    """A hub that received, from a device, a low reading with its transcript, its Provenance, a severe
    hypoglycaemia Flag and a missed dose."""
    hub = start_hub(tmp_path, lang="en")
    r = reading(48, transcript="j'ai fait quarante-huit, je tremble", asr=0.62, nlu=0.9)
    obs = observation(r)
    for resource in (obs, provenance(obs, r), flag("severe_hypoglycaemia"), dose("missed"),
                     observation(reading(132, transcript="cent trente-deux après le repas", context="after_meal"))):
        assert post(hub, resource, hub.device).status == 201
    yield hub
    hub.server.stop()


def test_dashboard_shows_the_synced_reading_transcript_and_alert(browser, synced_hub, tmp_path):
    hub = synced_hub
    context = browser.new_context(bypass_csp=True, locale="en-GB")  # bypass_csp: to inject axe only
    page = context.new_page()
    try:
        # unauthenticated: 401, and the sign-in page
        response = page.goto(f"{hub.url}/dashboard")
        assert response.status == 401
        assert_accessible(page, "the sign-in page")
        # a wrong token: still 401, with the error announced and tied to the field
        page.get_by_label("Clinician access token").fill("vah_not-a-token")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.get_by_role("alert").inner_text().startswith("This token is not valid")
        assert_accessible(page, "the sign-in page with an error")
        # the clinician pastes their token once
        page.get_by_label("Clinician access token").fill(hub.clinician)
        with page.expect_navigation():
            page.get_by_role("button", name="Sign in").click()
        assert page.url.endswith("/dashboard")
        assert page.get_by_role("heading", level=1).inner_text() == "Patients, most urgent first"
        row = page.get_by_role("row", name="Patient p-42")
        assert "Severe hypoglycaemia or emergency: 1" in row.inner_text()
        assert "Missed doses: 1" in row.inner_text()
        assert "Readings to check (uncertain recognition): 1" in row.inner_text()
        assert_accessible(page, "the patient list")
        # keyboard only: Tab to the patient's link and open it
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
        for _ in range(10):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.textContent") == "Patient p-42":
                break
        else:
            pytest.fail("the patient link is not reachable with Tab")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.get_by_role("heading", level=1).inner_text() == "Patient p-42"
        readings = page.locator("#readings-table")
        assert readings.get_by_role("cell", name="48", exact=True).is_visible()
        assert page.get_by_text("j'ai fait quarante-huit, je tremble").is_visible()
        assert page.get_by_text("cent trente-deux après le repas").is_visible()
        assert page.get_by_text("Check: uncertain recognition").is_visible()
        assert page.locator("#alert-list").get_by_text("Severe hypoglycaemia reported by the patient").is_visible()
        chart = page.get_by_role("img", name="Glucose chart, 14 days, mg/dL, target band 70 to 180")
        assert chart.is_visible()
        assert page.locator("#medication-table").get_by_role("row", name="metformin").is_visible()
        page.screenshot(path=str(tmp_path / "patient.png"), full_page=True)
        assert_accessible(page, "the patient page")
        # the review button is reachable and works from the keyboard
        page.get_by_role("button", name="Mark as reviewed").focus()
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert "Nothing new to review" in page.get_by_role("row", name="Patient p-42").inner_text()
        # signing out ends the session
        with page.expect_navigation():
            page.get_by_role("button", name="Sign out").click()
        assert page.goto(f"{hub.url}/dashboard").status == 401
    finally:
        context.close()


def test_dashboard_with_the_token_as_a_header_and_in_french(browser, tmp_path):
    hub = start_hub(tmp_path / "fr", lang="fr")
    try:
        r = reading(52, transcript="cinquante-deux")
        obs = observation(r)
        for resource in (obs, provenance(obs, r), flag("severe_hypoglycaemia")):
            assert post(hub, resource, hub.device).status == 201
        context = browser.new_context(bypass_csp=True, extra_http_headers={"Authorization": f"Bearer {hub.clinician}"})
        page = context.new_page()
        try:
            assert page.goto(f"{hub.url}/dashboard").status == 200
            assert page.evaluate("document.documentElement.lang") == "fr"
            assert_accessible(page, "the French patient list")
            assert page.goto(f"{hub.url}/dashboard/patients/p-42").status == 200
            assert page.get_by_text("Hypoglycémie sévère signalée par le patient").is_visible()
            assert page.get_by_text("cinquante-deux").is_visible()
            assert_accessible(page, "the French patient page")
        finally:
            context.close()
        device = browser.new_context(extra_http_headers={"Authorization": f"Bearer {hub.device}"})
        try:
            assert device.new_page().goto(f"{hub.url}/dashboard").status == 403
        finally:
            device.close()
    finally:
        hub.server.stop()
