"""The tablet's HTML: the talk page, the pairing page and the refusal page, in the profile's language.

Words come from prompts/tablet/<lang>.yaml; the script reads its own words from a JSON block in the
page (no inline script runs: the Content-Security-Policy allows only the files in static/).
"""

from __future__ import annotations

import json
from functools import lru_cache
from html import escape
from importlib import resources

from voice_assistant.language import LANGUAGES, base_language, language_file, read_yaml

STATIC_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


@lru_cache(maxsize=None)
def words(lang: str) -> dict:
    lang = base_language(lang)
    return read_yaml(language_file("prompts/tablet", lang if lang in LANGUAGES else "en"), what="the tablet's words")


def static_file(name: str) -> tuple[bytes, str] | None:
    """A file of static/ and its content type, or None (only plain names: no folders, no dot files)."""
    if "/" in name or "\\" in name or name.startswith(".") or not any(name.endswith(e) for e in STATIC_TYPES):
        return None
    path = resources.files("voice_assistant.tablet").joinpath("static", name)
    if not path.is_file():
        return None
    return path.read_bytes(), STATIC_TYPES[name[name.rindex("."):]]


def _head(lang: str, title: str) -> str:
    return (f'<!doctype html>\n<html lang="{lang}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>{escape(title)}</title><link rel="stylesheet" href="/static/tablet.css">'
            '<script src="/static/settings.js"></script></head>')


def _typed_parts(p: dict, cannot_hear) -> tuple[str, str]:
    """No recogniser yet: the notice (why, and the model's install command) and the typed sentence's form."""
    if cannot_hear is None:
        return "", ""
    notice = ('<section id="notice" class="notice" aria-labelledby="notice-title">'
              f'<h2 id="notice-title">{escape(p["cannot_hear_title"])}</h2>'
              f'<p id="notice-said">{escape(cannot_hear.said)}</p>'
              f'<p>{escape(p["install_label"])} <code id="install">{escape(cannot_hear.install)}</code></p></section>')
    form = ('<form id="typed" class="typed" autocomplete="off">'
            f'<label for="typed-text">{escape(p["typed_label"])}</label>'
            '<div class="row"><input id="typed-text" name="text" type="text" maxlength="500" enterkeyhint="send"'
            f' autocomplete="off" aria-describedby="typed-help">'
            f'<button id="send" type="submit">{escape(p["send"])}</button></div>'
            f'<p id="typed-help" class="visually-hidden">{escape(p["typed_help"])}</p></form>')
    return notice, form


def talk_page(lang: str, cannot_hear=None) -> str:
    """The talk page; with `cannot_hear` (a server.CannotHear: no recogniser for the language yet) it shows why
    and the model to install, and offers a text field whose sentences are the patient's turns."""
    w = words(lang)
    p = w["page"]
    notice, form = _typed_parts(p, cannot_hear)
    data = json.dumps({"lang": lang, "states": w["states"], "typed": cannot_hear is not None},
                      ensure_ascii=False).replace("</", "<\\/")
    return (_head(lang, p["title"]) + '<body class="talk-page">'
            f'<script type="application/json" id="words">{data}</script>'
            '<main class="layout">'
            f'<h1 class="visually-hidden">{escape(p["title"])}</h1>'
            '<div class="conversation">' + notice +
            f'<p id="status" class="status" role="status">{escape(w["states"]["connecting"])}</p>'
            f'<p id="heard" class="heard" hidden><span class="label">{escape(p["you_said"])}</span> '
            '<span id="heard-text"></span></p>'
            f'<section id="reply" class="reply" aria-label="{escape(p["reply_label"])}" tabindex="0">'
            '<p id="reply-text"></p></section>'
            '</div>'
            '<div class="controls">' + form +
            f'<button id="talk" class="talk" type="button" aria-describedby="talk-help">{escape(p["talk"])}</button>'
            f'<p id="talk-help" class="visually-hidden">{escape(p["talk_help"])}</p>'
            '<div class="row">'
            f'<button id="repeat" type="button">{escape(p["repeat"])}</button>'
            f'<button id="stop" type="button">{escape(p["stop"])}</button>'
            '</div>'
            f'<div class="row settings" role="group" aria-label="{escape(p["settings_label"])}">'
            f'<button id="size" type="button" aria-pressed="false">{escape(p["text_size"])}</button>'
            f'<button id="light" type="button" aria-pressed="false">{escape(p["light"])}</button>'
            f'<button id="reader" type="button" aria-pressed="false">{escape(p["screen_reader"])}</button>'
            '</div></div></main>'
            '<div id="announce" class="visually-hidden" aria-live="polite"></div>'
            '<div id="alert" class="visually-hidden" aria-live="assertive"></div>'
            '<script src="/static/downsample.js"></script><script src="/static/tablet.js"></script></body></html>')


def pairing_page(lang: str, error: str | None = None) -> str:
    p = words(lang)["pairing"]
    message = (f'<p id="code-error" class="error" role="alert">{escape(error)}</p>' if error else "")
    described = ' aria-describedby="code-error" aria-invalid="true"' if error else ""
    return (_head(lang, p["title"]) + '<body class="pairing-page"><main class="pairing">'
            f'<h1>{escape(p["title"])}</h1><p>{escape(p["intro"])}</p>{message}'
            '<form method="get" action="/pair" class="pair-form">'
            f'<label for="code">{escape(p["code_label"])}</label>'
            '<input id="code" name="code" type="text" inputmode="numeric" pattern="[0-9 ]*" maxlength="9"'
            f' autocomplete="one-time-code" required autofocus{described}>'
            f'<button type="submit" class="talk">{escape(p["submit"])}</button>'
            '</form></main></body></html>')


def refused_page(lang: str) -> str:
    r = words(lang)["refused"]
    return (_head(lang, r["title"]) + '<body class="pairing-page"><main class="pairing">'
            f'<h1>{escape(r["title"])}</h1><p>{escape(r["text"])}</p></main></body></html>')


def pairing_error(lang: str, reason: str, attempts_left: int = 0) -> str:
    p = words(lang)["pairing"]
    return p["wrong"].format(n=attempts_left) if reason == "wrong" else p["ended"]


def spoken_code(lang: str, code: str) -> str:
    return words(lang)["spoken"]["pairing_code"].format(digits=", ".join(code))
