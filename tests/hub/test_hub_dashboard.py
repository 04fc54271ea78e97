"""The dashboard's content, over HTTP (the browser tests are in test_hub_browser.py)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from hubkit import start_hub, PARIS, call, dose, flag, observation, parties, plan, post, provenance, reading


def _send_reading(hub, token, value, who=None, asr=0.93, transcript=None, at=None):
    r = reading(value, asr=asr, transcript=transcript or f"ma glycémie est de {value}", at=at)
    obs = observation(r, who)
    assert post(hub, obs, token).status == 201
    assert post(hub, provenance(obs, r, who), token).status == 201
    return r


def _patient_order(html: str) -> list[str]:
    return re.findall(r'href="/dashboard/patients/([^"]+)"', html)


def test_patients_are_ordered_by_what_needs_attention(tmp_path):
    hub = start_hub(tmp_path)
    try:
        from voice_assistant.hub import TokenStore

        tokens = TokenStore(hub.server.app.db)
        calm, unsure, missed = (tokens.add("device", n, patient=f"p-{n}") for n in ("calm", "unsure", "missed"))
        _send_reading(hub, calm, 110, parties("p-calm"))
        _send_reading(hub, unsure, 240, parties("p-unsure"), asr=0.41)
        _send_reading(hub, missed, 130, parties("p-missed"))
        assert post(hub, dose("missed", who=parties("p-missed")), missed).status == 201
        _send_reading(hub, hub.device, 45, parties("p-42"))  # p-42: severe hypoglycaemia alert
        assert post(hub, flag("severe_hypoglycaemia"), hub.device).status == 201
        _send_reading(hub, hub.other_device, 65, parties("p-7"))
        assert post(hub, flag("hypoglycaemia", who=parties("p-7")), hub.other_device).status == 201
        page = call(f"{hub.url}/dashboard", token=hub.clinician)
        assert page.status == 200
        assert _patient_order(page.text) == ["p-42", "p-7", "p-missed", "p-unsure", "p-calm"]
        assert "Severe hypoglycaemia or emergency: 1" in page.text
        assert "Missed doses: 1" in page.text
        assert "Readings to check (uncertain recognition): 1" in page.text
        assert "Nothing new to review" in page.text
    finally:
        hub.server.stop()


def test_patient_page_shows_readings_transcripts_confidence_chart_and_adherence(hub):
    now = datetime.now(PARIS).replace(microsecond=0)
    _send_reading(hub, hub.device, 62, transcript="j'ai soixante-deux ce matin", at=now - timedelta(days=2))
    _send_reading(hub, hub.device, 250, asr=0.55, transcript="deux cent cinquante", at=now - timedelta(days=1))
    _send_reading(hub, hub.device, 140, at=now - timedelta(days=30))  # outside the 14 days
    for i, status in enumerate(("taken", "taken", "taken", "missed")):
        assert post(hub, dose(status, at=now - timedelta(days=i + 1)), hub.device).status == 201
    assert post(hub, plan(), hub.device).status == 201
    assert post(hub, flag("hypoglycaemia", at=now - timedelta(days=2)), hub.device).status == 201
    page = call(f"{hub.url}/dashboard/patients/p-42", token=hub.clinician)
    assert page.status == 200
    html = page.text
    assert '<html lang="en">' in html
    assert "j&#x27;ai soixante-deux ce matin" in html and "deux cent cinquante" in html
    assert ">62<" in html and ">250<" in html and ">140<" not in html
    assert "Check: uncertain recognition" in html and "ASR 55 %" in html
    assert "Hypoglycaemia reported by the patient" in html
    assert re.search(r'<svg[^>]+role="img"[^>]+aria-labelledby="glucose-chart-title glucose-chart-desc"', html)
    assert "2 readings: 0 in target (70 to 180), 1 low (54 to 69), 0 very low (below 54), 1 above 180." in html
    row = re.search(r"<tr><th scope=\"row\">metformin</th>(.*?)</tr>", html).group(1)
    assert re.findall(r'<td class="num">([^<]+)</td>', row) == ["3", "1", "75 %"]
    assert "08:00" in row


def test_every_plan_of_a_medicine_is_shown_and_a_one_off_says_so(hub):
    """Two reminders for one medicine showed only the last plan's time; a one-off ("in 30 minutes") read as daily."""
    for reminder_id, time, days in ((3, "08:00", "daily"), (4, "20:00", "daily"), (5, "18:30", "2026-12-08")):
        assert post(hub, plan(reminder_id=reminder_id, time_of_day=time, days=days), hub.device).status == 201
    html = call(f"{hub.url}/dashboard/patients/p-42", token=hub.clinician).text
    row = re.search(r"<tr><th scope=\"row\">metformin</th>(.*?)</tr>", html).group(1)
    assert "08:00, 18:30 once, 2026-12-08, 20:00" in row, row


def test_device_text_is_escaped(hub):
    _send_reading(hub, hub.device, 100, transcript='<script>alert("x")</script><img src=x onerror=alert(1)>')
    html = call(f"{hub.url}/dashboard/patients/p-42", token=hub.clinician).text
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    headers = call(f"{hub.url}/dashboard", token=hub.clinician).headers
    assert "default-src 'none'" in headers["content-security-policy"]


def test_mark_as_reviewed_clears_the_counts_until_new_data_arrives(hub):
    assert post(hub, flag("severe_hypoglycaemia"), hub.device).status == 201
    assert "Severe hypoglycaemia or emergency: 1" in call(f"{hub.url}/dashboard", token=hub.clinician).text
    done = call(f"{hub.url}/dashboard/patients/p-42/reviewed", "POST", hub.clinician, raw=b"",
                headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert done.status == 303
    page = call(f"{hub.url}/dashboard", token=hub.clinician).text
    assert "Severe hypoglycaemia or emergency" not in page and "Nothing new to review" in page
    assert "Last marked as reviewed on" in call(f"{hub.url}/dashboard/patients/p-42", token=hub.clinician).text
    assert post(hub, flag("hypoglycaemia"), hub.device).status == 201
    assert "Hypoglycaemia: 1" in call(f"{hub.url}/dashboard", token=hub.clinician).text


def test_unknown_patient_is_404_and_french_is_the_default(tmp_path):
    from voice_assistant.hub import HubServer, TokenStore

    server = HubServer(tmp_path / "hub.db", port=0, quiet=True).start()
    try:
        token = TokenStore(server.app.db).add("clinician", "dr")
        page = call(f"{server.url}/dashboard", token=token)
        assert '<html lang="fr">' in page.text and "Patients, les plus urgents d’abord" in page.text
        assert call(f"{server.url}/dashboard/patients/nobody", token=token).status == 404
    finally:
        server.stop()
