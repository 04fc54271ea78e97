"""No recogniser for the language yet: the real `voice-assistant tablet` (demo profile, French; no French model is
installed on a clean machine) starts anyway, and in headless Chromium its page says which model to install and
takes typed sentences through the same session (read back, confirmed by a typed "oui", stored)."""

from __future__ import annotations

import socket

from browserkit import assert_accessible
from tabletkit import start_tablet_command, stop_tablet_command
from voice_assistant.store import Store, default_db_path

TABLET = {"width": 768, "height": 1024}
INSTALL = "voice-assistant models install vosk-model-small-fr-0.22"


def expect(target):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


def free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as s:
        return s.getsockname()[1]


def readings() -> list[float]:
    with Store.open(default_db_path()) as store:
        return [r.glucose_mg_dl for r in store.readings()]


def test_a_new_user_pairs_reads_the_model_to_install_and_types_a_reading(browser):
    port = free_port()
    proc, out = start_tablet_command("--port", str(port))
    problems: list[str] = []
    try:
        assert "Pairing code: " in out, out
        code = out.split("Pairing code: ")[1][:7].replace(" ", "")
        context = browser.new_context(viewport=TABLET, locale="fr-FR", bypass_csp=True)  # bypass_csp: axe only
        page = context.new_page()
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.goto(f"http://127.0.0.1:{port}/")
        page.get_by_label("Code d'association, 6 chiffres").fill(code)
        with page.expect_navigation():
            page.get_by_role("button", name="Associer").click()

        # the page shows why it cannot hear and the model to install; the device says it (the reply)
        notice = page.get_by_role("region", name="Je ne peux pas encore vous entendre")
        expect(notice).to_contain_text(INSTALL)
        expect(page.locator("#reply-text")).to_contain_text("Je ne sais pas encore entendre", timeout=60_000)
        expect(page.locator("#status")).to_have_text("Écrivez votre message, puis touchez « Envoyer ».")
        assert_accessible(page, "the talk page without a recogniser")
        fits = page.evaluate("() => document.documentElement.scrollHeight <= window.innerHeight")
        assert fits, "the notice, the text field and the buttons must fit the tablet's screen without scrolling"

        # Talk does not record: it says again why, and how to write instead
        replies = page.evaluate("() => window.tabletStats.replies")
        page.get_by_role("button", name="Parler", exact=True).click()
        page.wait_for_function(f"() => window.tabletStats.replies > {replies}", timeout=60_000)
        expect(page.locator("#reply-text")).to_contain_text("écrivez ici")
        stats = page.evaluate("() => window.tabletStats")
        assert not stats["micOpen"] and stats["framesSent"] == 0, stats

        # a typed sentence is a turn: read back, heard shown, nothing stored before the "oui"
        field = page.get_by_label("Écrivez votre message")
        field.fill("ma glycémie est à 120")
        field.press("Enter")  # the keyboard sends it
        expect(page.locator("#reply-text")).to_contain_text("C'est bien ça ?", timeout=60_000)
        expect(page.locator("#reply-text")).to_contain_text("cent vingt milligrammes")
        expect(page.locator("#heard-text")).to_have_text("ma glycémie est à 120")
        expect(page.locator("#announce")).to_contain_text("C'est bien ça ?")  # screen readers are told
        assert page.evaluate("() => document.activeElement.id") == "typed-text"  # ready for the answer
        assert field.input_value() == ""
        assert readings() == []
        assert_accessible(page, "the talk page after a typed reading")

        field.fill("oui")
        page.get_by_role("button", name="Envoyer").click()
        expect(page.locator("#reply-text")).to_contain_text("C'est enregistré", timeout=60_000)
        assert readings() == [120.0]
        assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
        context.close()
    finally:
        err = stop_tablet_command(proc)
    assert INSTALL in err, err
