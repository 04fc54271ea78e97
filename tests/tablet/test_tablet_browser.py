"""The tablet page in headless Chromium (Debian's `chromium` through Playwright), as a new user meets it.

The patient's requests are WAV files played by Chromium's fake microphone (`--use-file-for-fake-audio-capture`);
Chromium is launched once per turn with that turn's file, keeping the paired cookie (storage state), so each
turn hears its own request from its start. axe-core comes from tests/hub/node_modules.
"""

from __future__ import annotations

import pytest

from browserkit import assert_accessible
from tabletkit import CHROMIUM_ARGS, REQUEST, YES, chromium, profile, start_tablet

TABLET = {"width": 768, "height": 1024}


@pytest.fixture(scope="module")
def recognizer():
    from voice_assistant.asr.select import recognizer_for

    return recognizer_for("en", profile(), cached=False)


def expect(target):
    """Playwright's `expect`, imported when a test runs: the browser fixtures have by then checked that
    Playwright is there (skipping or failing with the fix), so collecting this file never needs it."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


def stats(page) -> dict:
    return page.evaluate("() => window.tabletStats")


#: An older tablet's browser: no AudioWorklet, so the page captures through a ScriptProcessor.
WITHOUT_AUDIO_WORKLET = (
    "Object.defineProperty(BaseAudioContext.prototype, 'audioWorklet', {get: function () { return undefined; }});"
    "delete window.AudioWorkletNode;")


@pytest.mark.parametrize("capture", ["worklet", "script"])
def test_a_new_user_pairs_says_a_reading_and_confirms_it(playwright, tmp_path, said, quick_voice, capture):
    from voice_assistant.asr.select import recognizer_for

    tablet = start_tablet(tmp_path / "tablet", recognizer=recognizer_for("en", profile(), cached=False),
                          synthesizer=quick_voice)
    state = tmp_path / "state.json"
    problems: list[str] = []
    try:
        for turn, (wav, expected) in enumerate(((said[REQUEST], "Is that right?"), (said[YES], "Saved"))):
            browser = playwright.chromium.launch(
                executable_path=chromium(), headless=True,
                args=CHROMIUM_ARGS + ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                                      f"--use-file-for-fake-audio-capture={wav}"])
            try:
                context = browser.new_context(viewport=TABLET, locale="en-GB",
                                              storage_state=str(state) if turn else None)
                if capture == "script":
                    context.add_init_script(WITHOUT_AUDIO_WORKLET)
                page = context.new_page()
                page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
                page.goto(tablet.url + "/")
                if turn == 0:  # the caregiver's code, typed once on the pairing screen
                    code = tablet.pairing.new_code().code
                    page.get_by_label("Pairing code, 6 digits").fill(code)
                    with page.expect_navigation():
                        page.get_by_role("button", name="Pair").click()
                    context.storage_state(path=str(state))
                expect(page.locator("#status")).to_have_text("Tap Talk to speak.")
                page.get_by_role("button", name="Talk").click()
                expect(page.locator("#reply-text")).to_contain_text(expected, timeout=30_000)
                heard = REQUEST if turn == 0 else YES
                expect(page.locator("#heard-text")).to_have_text(heard)
                if turn == 0:
                    expect(page.locator("#reply-text")).to_contain_text("one hundred and twenty milligrams")
                expect(page.locator("#announce")).to_contain_text(expected)  # screen readers are told
                page.wait_for_function("() => window.tabletStats.samplesPlayed > 16000", timeout=20_000)
                s = stats(page)
                assert s["framesSent"] > 50 and s["clipsPlayed"] >= 2, s  # the chime and the reply's voice
                assert s["capture"] == capture, s
            finally:
                browser.close()
        assert tablet.readings() == [120.0]
        assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
    finally:
        tablet.stop()


@pytest.fixture
def tablet(tmp_path, recognizer, quick_voice):
    running = start_tablet(tmp_path / "tablet", recognizer=recognizer, synthesizer=quick_voice)
    yield running
    running.stop()


def test_pairing_screen_refuses_a_wrong_code_accessibly(browser, tablet):
    context = browser.new_context(viewport=TABLET, bypass_csp=True)  # bypass_csp: to inject axe only
    page = context.new_page()
    page.goto(tablet.url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Pair this tablet")
    assert_accessible(page, "the pairing screen")
    code = tablet.pairing.new_code().code
    page.get_by_label("Pairing code, 6 digits").fill("000000" if code != "000000" else "111111")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_have_text("That code is not right. Tries left: 4.")
    assert_accessible(page, "the pairing screen with an error")
    page.evaluate("() => localStorage.setItem('tablet.light', '1')")
    page.reload()
    assert_accessible(page, "the pairing screen, light background")
    context.close()


def test_talk_page_is_accessible_keyboard_usable_and_keeps_its_settings(browser, tablet):
    context = browser.new_context(viewport=TABLET, bypass_csp=True, permissions=["microphone"])
    context.add_cookies([tablet.cookie()])
    page = context.new_page()
    page.goto(tablet.url + "/")
    expect(page.locator("#status")).to_have_text("Tap Talk to speak.")
    expect(page.locator("#reply-text")).to_contain_text("Hello")
    assert_accessible(page, "the talk page")
    for name in ("Talk", "Repeat", "Stop", "Bigger text", "Light background", "My screen reader speaks"):
        expect(page.get_by_role("button", name=name, exact=True)).to_be_visible()
    # keyboard only: Tab reaches Talk, Space starts a turn
    for _ in range(4):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.id") == "talk":
            break
    else:
        pytest.fail("Talk is not reachable with Tab")
    assert page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.press("Space")
    expect(page.locator("#status")).to_have_text("I am listening. Speak now.")
    page.wait_for_function("() => window.tabletStats.micOpen")
    page.get_by_role("button", name="Stop").click()
    # settings: light background, bigger text, the screen reader speaks instead of the voice; kept after a reload
    page.get_by_role("button", name="Light background").click()
    page.get_by_role("button", name="Bigger text").click()
    page.get_by_role("button", name="My screen reader speaks").click()
    page.reload()
    expect(page.get_by_role("button", name="Light background")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("button", name="My screen reader speaks")).to_have_attribute("aria-pressed", "true")
    assert set(page.evaluate("() => document.documentElement.className").split()) == {"size-1", "light"}
    page.wait_for_function("() => window.tabletStats.connected")
    page.wait_for_timeout(300)
    assert tablet.server.link.voice is False  # the assistant's voice is off: the screen reader reads the replies
    assert_accessible(page, "the talk page, light background, bigger text")
    context.close()


@pytest.mark.parametrize("viewport, scale", [({"width": 384, "height": 512}, 2),  # a tablet at 200 % zoom
                                             ({"width": 1024, "height": 768}, 1),  # landscape
                                             ({"width": 360, "height": 640}, 1)])  # a small phone-sized tablet
def test_fits_without_scrolling_at_200_percent_zoom_and_in_landscape(browser, tablet, viewport, scale):
    context = browser.new_context(viewport=viewport, device_scale_factor=scale)
    context.add_cookies([tablet.cookie()])
    page = context.new_page()
    page.goto(tablet.url + "/")
    expect(page.locator("#reply-text")).to_contain_text("Hello")
    for size in ("0", "2"):
        page.evaluate(f"() => {{ localStorage.setItem('tablet.size', '{size}'); }}")
        page.reload()
        expect(page.locator("#reply-text")).to_contain_text("Hello")
        fits = page.evaluate("""() => ({
            horizontal: document.documentElement.scrollWidth <= window.innerWidth,
            vertical: document.documentElement.scrollHeight <= window.innerHeight})""")
        assert fits == {"horizontal": True, "vertical": True}, (viewport, size, fits)
        for name in ("Talk", "Repeat", "Stop"):
            box = page.get_by_role("button", name=name, exact=True).bounding_box()
            assert box and box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"] + 1, (name, box)
            assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"] + 1, (name, box)
    context.close()


def test_microphone_refused_is_said_in_large_text(browser, tablet):
    context = browser.new_context(viewport=TABLET)  # no microphone permission, and no fake prompt to grant it
    context.add_cookies([tablet.cookie()])
    page = context.new_page()
    page.goto(tablet.url + "/")
    expect(page.locator("#status")).to_have_text("Tap Talk to speak.")
    page.get_by_role("button", name="Talk").click()
    refused = "The microphone is blocked. Allow it for this page in the browser settings, then tap Talk."
    expect(page.locator("#status")).to_have_text(refused)
    expect(page.locator("#alert")).to_have_text(refused)
    assert stats(page)["micError"] == "refused"
    context.close()


def test_the_page_reconnects_by_itself_after_a_server_restart(browser, tmp_path, recognizer, quick_voice):
    tablet = start_tablet(tmp_path / "tablet", recognizer=recognizer, synthesizer=quick_voice)
    port = tablet.server.port
    context = browser.new_context(viewport=TABLET)
    context.add_cookies([tablet.cookie()])
    page = context.new_page()
    page.goto(tablet.url + "/")
    page.wait_for_function("() => window.tabletStats.connected")
    tablet.stop()
    expect(page.locator("#status")).to_have_text("The connection is lost. Trying again…")
    tablet = start_tablet(tmp_path / "tablet", recognizer=recognizer, synthesizer=quick_voice, port=port)
    try:
        expect(page.locator("#status")).to_have_text("Connected again.", timeout=15_000)
        assert stats(page)["reconnects"] == 1
        tablet.pairing.revoke()  # unpaired meanwhile: the next talk goes back to the pairing screen
        page.get_by_role("button", name="Talk").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Pair this tablet", timeout=10_000)
    finally:
        context.close()
        tablet.stop()


def test_the_french_page_speaks_french_words(browser, tmp_path, quick_voice):
    tablet = start_tablet(tmp_path / "tablet", synthesizer=quick_voice, lang="fr")
    try:
        context = browser.new_context(viewport=TABLET, bypass_csp=True)
        context.add_cookies([tablet.cookie()])
        page = context.new_page()
        page.goto(tablet.url + "/")
        assert page.evaluate("() => document.documentElement.lang") == "fr"
        for name in ("Parler", "Répéter", "Arrêter", "Texte plus grand", "Fond clair", "Mon lecteur d'écran parle"):
            expect(page.get_by_role("button", name=name, exact=True)).to_be_visible()
        expect(page.locator("#status")).to_have_text("Touchez « Parler » pour parler.")
        expect(page.locator("#reply-text")).to_contain_text("Claire")
        assert_accessible(page, "the French talk page")
        context.close()
    finally:
        tablet.stop()
