"""A dashboard for this population: the patient's name (only with their consent), their own targets and the
2019 consensus shares for older or high-risk patients, each alert with the words that raised it and whether
it was confirmed, medicine names in the page's language."""

from __future__ import annotations

import html
from datetime import datetime, timedelta
from types import SimpleNamespace

from hubkit import PARIS, call, dose, observation, parties, plan, post, provenance, reading, start_hub

from voice_assistant.health.glucose import GlucoseTargets
from voice_assistant.hub.i18n import strings
from voice_assistant.profile import Medication
from voice_assistant.store import Alert, Store
from voice_assistant.sync import fhir
from voice_assistant.sync.outbox import enqueue_patient


def _profile(share: bool):
    return SimpleNamespace(name="Claire Martin", clinician={"patient_id": "p-42", "share_name": share},
                           glucose_targets=GlucoseTargets(target_low=90, target_high=200),
                           medications=(Medication(id="metformin", names={"fr": ("metformine",), "en": ("metformin",)},
                                                   dose={}),))


def _patient_resource(tmp_path, share: bool) -> dict:
    with Store.open(tmp_path / f"device-{share}.db") as store:
        assert enqueue_patient(store, _profile(share), parties())
        assert not enqueue_patient(store, _profile(share), parties())  # unchanged: not queued again
        [item] = store.outbox_items()
        assert item.resource_key.startswith("Patient/p-42@")  # sent as a conditional update
        return item.payload


def _put(hub, resource: dict):
    return call(f"{hub.fhir}/Patient?identifier={fhir.PATIENT_SYSTEM}|p-42", "PUT", hub.device, resource)


def test_the_patient_page_for_this_population(tmp_path):
    hub = start_hub(tmp_path, lang="fr")
    try:
        assert _put(hub, _patient_resource(tmp_path, share=True)).status == 201
        now = datetime.now(PARIS).replace(microsecond=0)
        for i, value in enumerate((60, 150, 160, 170, 250)):
            r = reading(value, at=now - timedelta(hours=3 + i))
            obs = observation(r)
            assert post(hub, obs, hub.device).status == 201
            assert post(hub, provenance(obs, r), hub.device).status == 201
        confirmed = fhir.alert_flag(Alert(kind="hypoglycaemia", message="ma glycémie est de soixante", at=now,
                                          reading_uuid="00000000-0000-4000-8000-000000000001"), parties())
        unanswered = fhir.alert_flag(Alert(kind="emergency", message="j'ai mal dans la poitrine", at=now), parties())
        unanswered["extension"].append({"url": fhir.CONFIRMATION_URL, "valueBoolean": False})
        for flag in (confirmed, unanswered):
            assert post(hub, flag, hub.device).status == 201
        assert post(hub, plan(), hub.device).status == 201
        assert post(hub, dose("missed"), hub.device).status == 201
        page = call(f"{hub.url}/dashboard/patients/p-42", token=hub.clinician)
        assert page.status == 200
        text = html.unescape(page.text)
        words = strings("fr")
        assert "Claire Martin (patient p-42)" in text
        assert words["targets_own"].format(lo="90", hi="200") in text
        # 3 of 5 readings in 70-180 (60 %), 1 below 70 (20 %): the < 1 % goal is not met
        assert words["targets_consensus"].format(inr=60, low=20) in text or \
            words["targets_consensus"].format(inr=60, low=20).split(" (")[0] in text
        assert words["targets_not_met"] in text
        assert "« ma glycémie est de soixante »" in text.replace("“", "« ").replace("”", " »")
        assert words["alert_confirmed"] in text and words["alert_not_confirmed"] in text
        assert "metformine" in text and ">metformin<" not in text
        listing = html.unescape(call(f"{hub.url}/dashboard", token=hub.clinician).text)
        assert "Claire Martin" in listing
        # the patient withdraws consent: the next Patient has no name, and the dashboard shows none
        assert _put(hub, _patient_resource(tmp_path, share=False)).status == 200
        text = html.unescape(call(f"{hub.url}/dashboard/patients/p-42", token=hub.clinician).text)
        assert "Claire Martin" not in text and "Patient p-42" in text
    finally:
        hub.server.stop()


def test_the_dashboard_words_have_the_same_keys_and_names_in_both_languages():
    import string

    en, fr = strings("en"), strings("fr")
    assert en.keys() == fr.keys()
    for key in en:
        names = lambda text: {f for _, f, _, _ in string.Formatter().parse(text) if f}  # noqa: E731
        assert names(en[key]) == names(fr[key]), key
