"""The clinician dashboard's HTML, rendered on the server: semantic HTML, no script, one small stylesheet.

Every value the devices sent (transcripts above all) is escaped. Nothing is told by colour alone: each badge
and level has words, the chart's markers have shapes.
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from html import escape
from urllib.parse import quote

from voice_assistant.hub.chart import glucose_svg, level_key
from voice_assistant.hub.i18n import Words
from voice_assistant.hub.summary import TARGET_HIGH, TARGET_LOW, PatientSummary, ReadingView, parse_time

STYLE = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif;
       font-size: 1.0625rem; line-height: 1.5; color: #1a1a1a; background: #ffffff; }
a { color: #0b4f9c; text-decoration: underline; }
a:hover { color: #06305f; }
:focus-visible { outline: 3px solid #1a1a1a; outline-offset: 2px; box-shadow: 0 0 0 6px #ffd24d; }
.skip { position: absolute; left: 0.5rem; top: -3rem; background: #ffffff; padding: 0.5rem 1rem;
        border: 2px solid #1a1a1a; z-index: 10; }
.skip:focus { top: 0.5rem; }
header { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; justify-content: space-between;
         padding: 0.75rem 1.5rem; border-bottom: 2px solid #1a1a1a; background: #f2f2f2; }
header .app { font-weight: 700; font-size: 1.2rem; margin: 0; }
header form { display: inline; margin: 0 0 0 1rem; }
main { max-width: 72rem; margin: 0 auto; padding: 1rem 1.5rem 3rem; }
main:focus { outline: none; }
h1 { font-size: 1.75rem; margin: 0.5rem 0 0.75rem; }
h2 { font-size: 1.35rem; margin: 2rem 0 0.5rem; border-bottom: 1px solid #767676; padding-bottom: 0.25rem; }
table { border-collapse: collapse; width: 100%; margin: 0.5rem 0 1rem; }
caption { text-align: left; font-weight: 600; padding: 0.25rem 0; }
th, td { border: 1px solid #767676; padding: 0.4rem 0.6rem; text-align: left; vertical-align: top; }
thead th { background: #f2f2f2; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
th[scope=row] a { white-space: nowrap; }
ul.badges { list-style: none; margin: 0; padding: 0; }
ul.badges li { margin: 0.15rem 0; }
.badge { display: inline-block; padding: 0.1rem 0.5rem; border: 2px solid #1a1a1a; border-radius: 0.25rem;
         font-weight: 600; }
.badge.severe { background: #8b0000; color: #ffffff; }
.badge.warn { background: #ffe08a; color: #1a1a1a; }
.badge.check { background: #dbe9f6; color: #1a1a1a; }
.badge.ok { background: #ffffff; color: #1a1a1a; font-weight: 400; }
.badge.new { background: #1a1a1a; color: #ffffff; font-size: 0.9rem; }
.level-severe, .level-low { font-weight: 700; }
button, input { font: inherit; }
button { padding: 0.45rem 1rem; border: 2px solid #1a1a1a; border-radius: 0.25rem; background: #0b4f9c;
         color: #ffffff; cursor: pointer; }
button.secondary { background: #ffffff; color: #1a1a1a; }
label { display: block; font-weight: 600; margin-bottom: 0.25rem; }
input[type=password] { width: 100%; max-width: 36rem; padding: 0.5rem; border: 2px solid #1a1a1a;
                       border-radius: 0.25rem; }
.hint { color: #3d3d3d; margin: 0.25rem 0 0.75rem; }
.error { border: 2px solid #8b0000; padding: 0.5rem 0.75rem; background: #fff0f0; color: #1a1a1a; }
figure { margin: 0.5rem 0 1rem; }
figcaption ul { margin: 0.25rem 0; padding-left: 1.25rem; }
svg.chart { max-width: 100%; height: auto; border: 0; }
.said { font-style: italic; }
.review { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; }
.review p { margin: 0; }
"""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def page(words: Words, title: str, body: str, signed_in: str | None = None, csrf: str | None = None,
         can_sign_out: bool = False) -> str:
    account = ""
    if signed_in:
        account = f'<p>{_e(words("signed_in_as", name=signed_in))}'
        if can_sign_out:
            account += (f'<form method="post" action="/dashboard/logout">'
                        f'<input type="hidden" name="csrf" value="{_e(csrf or "")}">'
                        f'<button type="submit" class="secondary">{_e(words("signout"))}</button></form>')
        account += "</p>"
    return (f'<!DOCTYPE html>\n<html lang="{words.lang}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<meta name="robots" content="noindex">\n'
            f'<title>{_e(title)} – {_e(words("app"))}</title>\n'
            f'<link rel="stylesheet" href="/dashboard/style.css">\n</head>\n<body>\n'
            f'<a class="skip" href="#main">{_e(words("skip"))}</a>\n'
            f'<header><p class="app">{_e(words("app"))}</p>{account}</header>\n'
            f'<main id="main" tabindex="-1">\n{body}\n</main>\n</body>\n</html>\n')


def login_page(words: Words, error: str | None = None) -> str:
    problem = ""
    described = "token-hint"
    invalid = ' aria-invalid="true"' if error else ""
    if error:
        problem = f'<p class="error" id="token-error" role="alert">{_e(error)}</p>'
        described = "token-error token-hint"
    body = (f'<h1>{_e(words("signin_title"))}</h1>\n<p>{_e(words("signin_intro"))}</p>\n{problem}\n'
            f'<form method="post" action="/dashboard/login">\n'
            f'<label for="token">{_e(words("token_label"))}</label>\n'
            f'<p class="hint" id="token-hint">{_e(words("token_hint"))}</p>\n'
            f'<input type="password" id="token" name="token" required autocomplete="off" spellcheck="false" '
            f'aria-describedby="{described}"{invalid} autofocus>\n'
            f'<p><button type="submit">{_e(words("signin"))}</button></p>\n</form>')
    return page(words, words("signin_title"), body)


def message_page(words: Words, title: str, text: str, signed_in: str | None = None) -> str:
    body = (f'<h1>{_e(title)}</h1>\n<p>{_e(text)}</p>\n'
            f'<p><a href="/dashboard">{_e(words("all_patients"))}</a></p>')
    return page(words, title, body, signed_in=signed_in)


def _patient_url(patient: str) -> str:
    return "/dashboard/patients/" + quote(patient, safe="")


def attention_badges(words: Words, summary: PatientSummary) -> str:
    items = []
    if summary.severe:
        items.append(("severe", "⚠", words("n_severe", n=summary.severe)))
    if summary.hypo:
        items.append(("severe", "⚠", words("n_hypo", n=summary.hypo)))
    if summary.missed:
        items.append(("warn", "!", words("n_missed", n=summary.missed)))
    if summary.low_confidence:
        items.append(("check", "?", words("n_lowconf", n=summary.low_confidence)))
    if summary.other_alerts:
        items.append(("warn", "!", words("n_other", n=summary.other_alerts)))
    if not items:
        return f'<span class="badge ok">{_e(words("nothing_new"))}</span>'
    return '<ul class="badges">' + "".join(
        f'<li><span class="badge {kind}"><span aria-hidden="true">{icon} </span>{_e(text)}</span></li>'
        for kind, icon, text in items) + "</ul>"


def patient_label(words: Words, summary: PatientSummary) -> str:
    """« Claire Martin (patient p-42) » when the patient agreed to share their name, else « Patient p-42 »."""
    if summary.display_name:
        return words("patient_named", name=summary.display_name, patient=summary.patient)
    return words("patient_title", patient=summary.patient)


def _targets(words: Words, summary: PatientSummary) -> str:
    """The patient's own targets (from their profile) and the 2019 consensus shares for older or high-risk
    patients: > 50 % of readings 70-180 mg/dL, < 1 % below 70."""
    items = []
    low, high = summary.targets.get("target_low"), summary.targets.get("target_high")
    if low is not None and high is not None:
        items.append(words("targets_own", lo=words.number(low), hi=words.number(high)))
    shares = summary.in_range_shares()
    if shares is not None:
        inside, below = shares
        met = inside > 50 and below < 1
        items.append(words("targets_consensus", inr=inside, low=below) + " "
                     + words("targets_met" if met else "targets_not_met"))
    if not items:
        return ""
    return '<ul id="targets">' + "".join(f"<li>{_e(item)}</li>" for item in items) + "</ul>"


def _reading_short(words: Words, reading: ReadingView | None) -> str:
    if reading is None:
        return _e(words("none"))
    return (f'{_e(words.number(reading.mg_dl))} mg/dL ({_e(words(level_key(reading.mg_dl)))}), '
            f'{_e(words.when(reading.at))}')


def patients_page(words: Words, summaries: list[PatientSummary], days: int, signed_in: str, csrf: str | None,
                  can_sign_out: bool) -> str:
    title = words("patients_title")
    parts = [f'<h1>{_e(title)}</h1>', f'<p>{_e(words("patients_intro", days=days))}</p>']
    if not summaries:
        parts.append(f'<p>{_e(words("no_patients"))}</p>')
    else:
        rows = []
        for summary in summaries:
            rows.append(
                f'<tr><th scope="row"><a href="{_e(_patient_url(summary.patient))}">'
                f'{_e(patient_label(words, summary))}</a></th>'
                f'<td>{attention_badges(words, summary)}</td>'
                f'<td>{_reading_short(words, summary.last_reading)}</td>'
                f'<td>{_e(", ".join(summary.devices) or words("none"))}</td></tr>')
        parts.append(f'<table id="patients"><caption>{_e(title)}</caption><thead><tr>'
                     f'<th scope="col">{_e(words("col_patient"))}</th>'
                     f'<th scope="col">{_e(words("col_attention"))}</th>'
                     f'<th scope="col">{_e(words("col_last"))}</th>'
                     f'<th scope="col">{_e(words("col_devices"))}</th></tr></thead>'
                     f'<tbody>{"".join(rows)}</tbody></table>')
    return page(words, title, "\n".join(parts), signed_in, csrf, can_sign_out)


def _confidence(words: Words, reading: ReadingView) -> str:
    if reading.confidence is None:
        return _e(words("typed") if reading.origin == "typed" else words("no_confidence"))
    parts = []
    if reading.asr is not None:
        parts.append(f"ASR {round(reading.asr * 100)} %")
    if reading.nlu is not None:
        parts.append(f"NLU {round(reading.nlu * 100)} %")
    text = _e(", ".join(parts))
    if reading.low_confidence:
        text += f'<br><span class="badge check"><span aria-hidden="true">? </span>{_e(words("check"))}</span>'
    return text


def patient_page(words: Words, summary: PatientSummary, days: int, local: tzinfo, now: datetime,
                 signed_in: str, csrf: str | None, can_sign_out: bool) -> str:
    title = patient_label(words, summary)
    parts = [f'<p><a href="/dashboard">{_e(words("all_patients"))}</a></p>', f'<h1>{_e(title)}</h1>']
    parts.append(_targets(words, summary))
    if summary.unreadable:
        parts.append(f'<p class="hint">{_e(words("unreadable", n=summary.unreadable))}</p>')
    if summary.devices:
        parts.append(f'<p>{_e(words("col_devices"))} : {_e(", ".join(summary.devices))}</p>'
                     if words.lang == "fr" else f'<p>{_e(words("col_devices"))}: {_e(", ".join(summary.devices))}</p>')
    # review status
    if summary.reviewed_at:
        reviewed = parse_time(summary.reviewed_at).astimezone(local)
        status = words("reviewed_at", when=words.when(reviewed), who=summary.reviewer or "?")
    else:
        status = words("reviewed_never")
    parts.append(f'<div class="review"><p>{_e(status)}</p>'
                 f'<form method="post" action="{_e(_patient_url(summary.patient))}/reviewed">'
                 f'<input type="hidden" name="csrf" value="{_e(csrf or "")}">'
                 f'<button type="submit" aria-describedby="review-hint">{_e(words("mark_reviewed"))}</button>'
                 f'</form><p class="hint" id="review-hint">{_e(words("reviewed_hint"))}</p></div>')
    # what needs attention
    parts.append(f'<h2 id="attention">{_e(words("summary_title"))}</h2>')
    parts.append(attention_badges(words, summary))
    # alerts
    parts.append(f'<h2 id="alerts">{_e(words("alerts_title", days=days))}</h2>')
    if summary.alerts:
        items = []
        for alert in summary.alerts:
            new = (f' <span class="badge new">{_e(words("new"))}</span>' if summary.is_new(alert.arrived) else "")
            when = f" – {_e(words.when(alert.at))}" if alert.at else ""
            said = (f'<br><span class="said">{_e(words("alert_words"))} “{_e(alert.words)}”</span>'
                    if alert.words else "")
            confirmed = ("" if alert.confirmed is None else
                         f'<br>{_e(words("alert_confirmed" if alert.confirmed else "alert_not_confirmed"))}')
            items.append(f'<li><strong>{_e(words.alert(alert.kind, alert.text))}</strong>{when}{new}'
                         f'{said}{confirmed}</li>')
        parts.append('<ul id="alert-list">' + "".join(items) + "</ul>")
    else:
        parts.append(f'<p>{_e(words("no_alerts", days=days))}</p>')
    # chart
    parts.append(f'<h2 id="chart">{_e(words("chart_title", days=days))}</h2>')
    svg = glucose_svg(summary.readings, now - timedelta(days=days), now, local, words, days)
    parts.append(f'<figure>{svg}<figcaption><ul>'
                 f'<li>{_e(words("legend_band", lo=TARGET_LOW, hi=TARGET_HIGH))}</li>'
                 f'<li>{_e(words("legend_in"))}</li><li>{_e(words("legend_low", lo=TARGET_LOW))}</li>'
                 f'<li>{_e(words("legend_high", hi=TARGET_HIGH))}</li></ul></figcaption></figure>')
    # readings table
    parts.append(f'<h2 id="readings">{_e(words("readings_title"))}</h2>')
    if summary.readings:
        rows = []
        for reading in reversed(summary.readings):
            level = level_key(reading.mg_dl)
            said = ""
            if reading.transcript:
                said = f'<span class="said">“{_e(reading.transcript)}”</span>'
            if reading.said and (not reading.transcript or reading.said not in reading.transcript):
                said += f'<br>({_e(reading.said)})'
            rows.append(f'<tr><th scope="row">{_e(words.when(reading.at))}</th>'
                        f'<td class="num">{_e(words.number(reading.mg_dl))}</td>'
                        f'<td class="level-{level.removeprefix("level_")}">{_e(words(level))}</td>'
                        f'<td>{_e(words.context(reading.context))}</td>'
                        f'<td>{said}</td><td>{_confidence(words, reading)}</td></tr>')
        parts.append(f'<table id="readings-table"><caption>{_e(words("readings_caption", days=days))}</caption>'
                     f'<thead><tr><th scope="col">{_e(words("col_when"))}</th>'
                     f'<th scope="col">{_e(words("col_value"))}</th><th scope="col">{_e(words("col_level"))}</th>'
                     f'<th scope="col">{_e(words("col_context"))}</th><th scope="col">{_e(words("col_said"))}</th>'
                     f'<th scope="col">{_e(words("col_confidence"))}</th></tr></thead>'
                     f'<tbody>{"".join(rows)}</tbody></table>')
    else:
        parts.append(f'<p>{_e(words("chart_none", days=days))}</p>')
    # medication adherence
    parts.append(f'<h2 id="medication">{_e(words("meds_title", days=days))}</h2>')
    if summary.medications:
        rows = []
        for med in summary.medications:
            percent = "–" if med.percent_taken is None else f"{med.percent_taken} %"
            last = words.when(med.last_missed) if med.last_missed else "–"
            rows.append(f'<tr><th scope="row">{_e(summary.medication_name(med, words.lang))}</th>'
                        f'<td class="num">{med.taken}</td>'
                        f'<td class="num">{med.missed}</td><td class="num">{_e(percent)}</td>'
                        f'<td>{_e(last)}</td><td>{_e(_plan_times(words, med.plan) or "–")}</td></tr>')
        parts.append(f'<table id="medication-table"><caption>{_e(words("meds_caption", days=days))}</caption>'
                     f'<thead><tr><th scope="col">{_e(words("col_med"))}</th>'
                     f'<th scope="col">{_e(words("col_taken"))}</th><th scope="col">{_e(words("col_missed"))}</th>'
                     f'<th scope="col">{_e(words("col_percent"))}</th>'
                     f'<th scope="col">{_e(words("col_last_missed"))}</th>'
                     f'<th scope="col">{_e(words("col_plan"))}</th></tr></thead>'
                     f'<tbody>{"".join(rows)}</tbody></table>')
    else:
        parts.append(f'<p>{_e(words("no_meds", days=days))}</p>')
    return page(words, title, "\n".join(parts), signed_in, csrf, can_sign_out)


def _plan_times(words, plan) -> str:
    """"08:00, 20:00", a one-off reminder marked ("18:30 once, 2026-12-08")."""
    return ", ".join(p.time if p.once_on is None else words("plan_once", time=p.time, date=p.once_on) for p in plan)
