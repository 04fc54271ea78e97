"""What is said about lab results: summary, one result per turn, lookup by test; never a preliminary value."""

from __future__ import annotations

import re
from datetime import date

import pytest
from labkit import EN_BUNDLE, FR_BUNDLE, OBSERVATIONS_ONLY, SINGLE_OBSERVATION, VALID_FILES, pack, speech

from voice_assistant.labs import import_fhir, is_released, present
from voice_assistant.labs.gate import comparator
from voice_assistant.store import LabResult

TEST_IDS = ("hba1c", "fasting_glucose", "cholesterol_total", "ldl", "hdl", "triglycerides", "creatinine", "egfr")
MARCH_2025 = date(2025, 3, 10)


def presentation(store, lang, *, doctor_only=False, today=MARCH_2025):
    return present(store.lab_results(), pack(lang), speech(lang), doctor_only=doctor_only, today=today)


def everything_said(p) -> list[str]:
    """Every sentence the dialogue can get out of a presentation."""
    return [p.summary, *(p.say_item(i) for i in range(len(p.items))), *(p.about(t) for t in TEST_IDS),
            p.previous_hint, p.start_of_list, p.end_of_list, p.next_hint]


def spoken_value(result: LabResult, lang: str) -> str:
    return speech(lang).number(result.value)


def contains_words(text: str, words: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(words)}(?![\w-])", text) is not None


# --- the French bundle --------------------------------------------------------------------------


def test_french_summary(store):
    import_fhir(FR_BUNDLE, store)
    p = presentation(store, "fr")
    assert p.summary == (
        "Vous avez huit résultats du trois mars. Trois sont en dehors des valeurs de référence. "
        "D'autres résultats ne sont pas encore validés par votre médecin. "
        "Dites « suivant » pour les entendre un par un.")
    assert (len(p.items), p.outside, p.pending, p.date) == (8, 3, 2, "2025-03-03")


def test_french_items_in_plain_words_with_value_unit_and_range_status(store):
    import_fhir(FR_BUNDLE, store)
    p = presentation(store, "fr")
    texts = [item.text for item in p.items]
    assert texts == [
        "Hémoglobine glyquée, votre moyenne de sucre sur trois mois : sept virgule quatre pour cent. "
        "C'est au-dessus des valeurs de référence.",
        "Glycémie à jeun, le sucre dans le sang le matin : un virgule vingt-six grammes par litre. "
        "C'est au-dessus des valeurs de référence.",
        "Cholestérol total : un virgule quatre-vingt-cinq grammes par litre. C'est dans les valeurs de référence.",
        "Mauvais cholestérol : un virgule douze grammes par litre. C'est dans les valeurs de référence.",
        "Bon cholestérol : zéro virgule trente-huit grammes par litre. C'est en dessous des valeurs de référence.",
        "Triglycérides, des graisses dans le sang : un virgule trente-cinq grammes par litre. "
        "C'est dans les valeurs de référence.",
        "Créatinine, qui montre le travail des reins : soixante-dix-huit micromoles par litre. "
        "C'est dans les valeurs de référence.",
        # no reference range: the laboratory's "N"
        "Filtration des reins : quatre-vingt-deux millilitres par minute. C'est dans les valeurs de référence.",
    ]
    assert [item.test for item in p.items] == [
        "hba1c", "fasting_glucose", "cholesterol_total", "ldl", "hdl", "triglycerides", "creatinine", "egfr"]


def test_glucose_given_in_two_units_is_read_once(store):
    import_fhir(FR_BUNDLE, store)
    p = presentation(store, "fr")
    assert [i.result.loinc for i in p.items].count("14771-0") == 0
    assert not any("six virgule quatre-vingt-dix-neuf" in text for text in everything_said(p))


def test_navigation(store):
    import_fhir(FR_BUNDLE, store)
    p = presentation(store, "fr")
    assert p.say_item(0).endswith("Dites « suivant » pour le résultat suivant.")
    assert p.say_item(3) == p.items[3].text
    assert p.say_item(7).endswith("C'est le dernier résultat. Dites « répète » pour le réentendre.")
    assert p.start_of_list == "C'est le premier résultat."
    assert p.previous_hint == "Dites « précédent » pour revenir au résultat d'avant."
    with pytest.raises(IndexError):
        p.say_item(8)


@pytest.mark.parametrize("test", TEST_IDS)
def test_going_straight_to_a_test_by_its_nlu_id(store, test):
    import_fhir(FR_BUNDLE, store)
    p = presentation(store, "fr")
    index = p.index_of(test)
    assert index is not None and p.items[index].test == test
    assert p.about(test) == p.items[index].text


# --- never a preliminary value ------------------------------------------------------------------


@pytest.mark.parametrize("doctor_only", [False, True])
def test_no_preliminary_value_is_ever_said(store, lang, doctor_only):
    for path in VALID_FILES:
        import_fhir(path, store)
    pending = [r for r in store.lab_results() if not is_released(r.report_status)]
    assert {r.id for r in pending} == {"obs-tsh-20250303", "obs-k-20250303", "hdl-0612", "tg-0612", "obs-k-20250115"}
    for today in (MARCH_2025, date(2026, 1, 1)):
        said = " ".join(everything_said(presentation(store, lang, doctor_only=doctor_only, today=today)))
        for result in pending:
            assert not contains_words(said, spoken_value(result, lang)), (result.id, said)
            assert str(result.value) not in said


def test_only_the_final_report_of_the_french_bundle_is_read(store):
    import_fhir(FR_BUNDLE, store)
    said = " ".join(everything_said(presentation(store, "fr")))
    for words in ("cinq virgule huit", "cinq virgule neuf", "thyroïde", "potassium", "5,8", "5.8"):
        assert words not in said


def test_pending_results_only(store, tmp_path):
    import_fhir(FR_BUNDLE, store)
    released_only_pending = [r for r in store.lab_results() if r.report_status == "preliminary"]
    p = present(released_only_pending, pack("fr"), speech("fr"))
    assert p.items == ()
    assert p.summary == "Vos résultats ne sont pas encore prêts. Votre médecin doit d'abord les valider."


def test_a_test_still_pending_is_said_pending_without_its_value(store):
    import_fhir(EN_BUNDLE, store)
    p = presentation(store, "en")
    assert p.index_of("hdl") is None
    assert p.about("hdl") == "Good cholesterol: this result is not yet approved by your doctor."


@pytest.mark.parametrize(
    ("lang", "summary", "about"),
    [
        ("fr", "Vous n'avez pas encore de résultat d'analyse.", "Mauvais cholestérol : je n'ai pas de résultat."),
        ("en", "You have no lab results yet.", "Bad cholesterol: I have no result."),
    ],
)
def test_no_results_at_all(store, lang, summary, about):
    p = presentation(store, lang)
    assert (p.items, p.summary, p.about("ldl")) == ((), summary, about)


# --- doctor-only privacy ---------------------------------------------------------------------------


def test_doctor_only_announces_abnormal_results_without_their_value(store):
    import_fhir(FR_BUNDLE, store)
    p = presentation(store, "fr", doctor_only=True)
    notice = "Un résultat est prêt. Votre médecin préfère vous l'expliquer. Appelez-le."
    withheld = {item.test for item in p.items if item.withheld}
    assert withheld == {"hba1c", "fasting_glucose", "hdl"}
    for item in p.items:
        assert (item.text == notice) == item.withheld
    assert p.summary == (
        "Vous avez huit résultats du trois mars. Votre médecin préfère vous expliquer certains résultats. "
        "D'autres résultats ne sont pas encore validés par votre médecin. "
        "Dites « suivant » pour les entendre un par un.")
    said = " ".join(everything_said(p))
    for hidden in ("sept virgule quatre", "un virgule vingt-six", "zéro virgule trente-huit", "au-dessus",
                   "en dessous", "en dehors"):
        assert hidden not in said
    assert p.about("hba1c") == notice
    assert "un virgule douze grammes par litre" in p.about("ldl")  # normal results are still read


def test_doctor_only_in_english(store):
    import_fhir(EN_BUNDLE, store)
    p = presentation(store, "en", doctor_only=True)
    said = " ".join(everything_said(p))
    assert "six point eight" not in said and "eleven point nine" not in said
    assert p.about("hba1c") == "A result is ready. Your doctor prefers to explain it to you. Please call your doctor."


# --- English, bounds, dates, older results ----------------------------------------------------------


def test_english_summary_and_items(store):
    import_fhir(EN_BUNDLE, store)
    p = presentation(store, "en", today=date(2025, 6, 20))
    assert p.summary == (
        "You have ten results from June twelfth. Three are outside the reference range. "
        "Other results are not yet approved by your doctor. Say \"next\" to hear them one by one.")
    assert p.items[0].text == (
        "A1c, your three-month sugar average: six point eight percent. That is above the reference range.")
    egfr = p.items[p.index_of("egfr")]
    assert comparator(egfr.result) == ">"
    assert egfr.text == "Kidney filtration: more than sixty milliliters per minute. That is within the reference range."
    hemoglobin = next(item for item in p.items if item.result.loinc == "718-7")
    assert hemoglobin.text == (
        "Hemoglobin, which carries oxygen in your blood: eleven point nine grams per deciliter. "
        "That is below the reference range.")  # from the interpretation "L" alone


def test_an_older_result_is_said_with_its_date(store):
    import_fhir(SINGLE_OBSERVATION, store)   # HbA1c of 20 November 2024
    import_fhir(OBSERVATIONS_ONLY, store)    # sodium and microalbuminuria of 15 January 2025
    p = presentation(store, "fr", today=date(2025, 2, 1))
    assert p.summary.startswith("Vous avez deux résultats du quinze janvier. Un est en dehors")
    assert p.index_of("hba1c") is None
    assert p.about("hba1c") == (
        "Votre dernier résultat validé date du vingt novembre deux mille vingt-quatre. "
        "Hémoglobine glyquée, votre moyenne de sucre sur trois mois : sept virgule neuf pour cent. "
        "C'est au-dessus des valeurs de référence.")


def test_the_year_is_said_for_another_year_and_the_first_of_the_month_in_french(store):
    result = LabResult(id="x", report_status="final", loinc="2093-3", display="Cholestérol", value=1.8, unit="g/L",
                       ref_high=2.0, effective_at="2025-04-01T09:00:00+02:00")
    fr = present([result], pack("fr"), speech("fr"), today=date(2026, 1, 2))
    assert fr.summary.startswith("Vous avez un résultat du premier avril deux mille vingt-cinq.")
    en = present([result], pack("en"), speech("en"), today=date(2025, 5, 1))
    assert en.summary.startswith("You have one result from April first.")


def test_a_test_the_pack_does_not_know_is_read_with_the_laboratory_name(store):
    result = LabResult(id="crp", report_status="final", loinc="1988-5", display="Protéine C réactive", value=3.0,
                       value_text="<", unit="mg/L", ref_high=5.0, effective_at="2025-03-03")
    (item,) = present([result], pack("fr"), speech("fr")).items
    assert item.text == (
        "Protéine C réactive : moins de trois milligrammes par litre. C'est dans les valeurs de référence.")


def test_text_results_and_results_without_value(store):
    results = [
        LabResult(id="a", report_status="final", loinc="14957-5", display="Microalbuminurie", value_text="négative",
                  interpretation="N", effective_at="2025-03-03"),
        LabResult(id="b", report_status="final", loinc="2951-2", display="Sodium", effective_at="2025-03-03"),
    ]
    texts = [item.text for item in present(results, pack("fr"), speech("fr")).items]
    assert texts == [
        "Sodium, le sel dans le sang : le laboratoire n'a pas donné de chiffre.",
        "Albumine dans les urines : négative. C'est dans les valeurs de référence.",
    ]


def test_one_result_alone(store):
    import_fhir(SINGLE_OBSERVATION, store)
    p = presentation(store, "fr", today=date(2024, 12, 1))
    assert p.summary == "Vous avez un résultat du vingt novembre."
    assert p.say_item(0) == (
        "Hémoglobine glyquée, votre moyenne de sucre sur trois mois : sept virgule neuf pour cent. "
        "C'est au-dessus des valeurs de référence. C'est le dernier résultat. Dites « répète » pour le réentendre.")
