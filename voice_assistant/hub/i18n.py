"""The dashboard's words, in French and English (plain words, no abbreviations the clinician must decode)."""

from __future__ import annotations

from datetime import datetime

LANGUAGES = ("fr", "en")

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "app": "Clinician hub",
        "skip": "Skip to main content",
        "signin_title": "Sign in",
        "signin_intro": "Paste the clinician access token you were given once. "
                        "The dashboard remembers it for 12 hours on this browser.",
        "token_label": "Clinician access token",
        "token_hint": "It starts with vah_. Ask the person who set up the hub if you do not have one.",
        "signin": "Sign in",
        "signin_bad": "This token is not valid or has been revoked.",
        "signin_device": "This is a device token: only a clinician token opens the dashboard.",
        "signed_in_as": "Signed in as {name}",
        "signout": "Sign out",
        "patients_title": "Patients, most urgent first",
        "patients_intro": "Last {days} days. Counts show what arrived since the patient was last marked as "
                          "reviewed: severe lows first, then lows, missed doses and readings whose voice "
                          "recognition was uncertain.",
        "no_patients": "No patient data has arrived yet.",
        "col_patient": "Patient",
        "col_attention": "Needs attention",
        "col_last": "Last reading",
        "col_devices": "Devices",
        "nothing_new": "Nothing new to review",
        "n_severe": "Severe hypoglycaemia or emergency: {n}",
        "n_hypo": "Hypoglycaemia: {n}",
        "n_missed": "Missed doses: {n}",
        "n_lowconf": "Readings to check (uncertain recognition): {n}",
        "n_other": "Other alerts: {n}",
        "none": "none",
        "patient_title": "Patient {patient}",
        "all_patients": "All patients",
        "reviewed_never": "Not yet marked as reviewed.",
        "reviewed_at": "Last marked as reviewed on {when} by {who}.",
        "mark_reviewed": "Mark as reviewed",
        "reviewed_hint": "Clears the counts on the patient list until new data arrives.",
        "summary_title": "What needs attention",
        "alerts_title": "Alerts, last {days} days",
        "no_alerts": "No alert in the last {days} days.",
        "new": "new",
        "chart_title": "Glucose, last {days} days",
        "chart_name": "Glucose chart, {days} days, mg/dL, target band {lo} to {hi}",
        "chart_desc": "{n} readings: {inr} in target ({lo} to {hi}), {low} low ({sev} to {lo_1}), "
                      "{severe} very low (below {sev}), {high} above {hi}.",
        "chart_minmax": "Lowest {min} mg/dL, highest {max} mg/dL.",
        "chart_none": "No reading in the last {days} days.",
        "legend_band": "Shaded band: target {lo} to {hi} mg/dL",
        "legend_in": "circle: in target",
        "legend_low": "triangle pointing down: below {lo}",
        "legend_high": "triangle pointing up: above {hi}",
        "readings_title": "Readings and what was said",
        "readings_caption": "Glucose readings of the last {days} days, most recent first",
        "col_when": "Date and time",
        "col_value": "Glucose (mg/dL)",
        "col_level": "Level",
        "col_context": "Meal timing",
        "col_said": "What was said",
        "col_confidence": "Recognition confidence",
        "check": "Check: uncertain recognition",
        "typed": "typed, not spoken",
        "no_confidence": "not given",
        "level_severe": "very low",
        "level_low": "low",
        "level_in": "in target",
        "level_high": "above target",
        "meds_title": "Medication adherence, last {days} days",
        "meds_caption": "Doses recorded by voice in the last {days} days",
        "col_med": "Medication",
        "col_taken": "Taken",
        "col_missed": "Missed",
        "col_percent": "Taken (%)",
        "col_last_missed": "Last missed",
        "col_plan": "Reminder times",
        "no_meds": "No medication recorded in the last {days} days.",
        "not_found": "No data for patient {patient}.",
        "forbidden": "This token cannot open the dashboard.",
        "ctx_fasting": "fasting",
        "ctx_before_meal": "before a meal",
        "ctx_after_meal": "after a meal",
        "ctx_bedtime": "at bedtime",
        "alert_hypoglycaemia": "Hypoglycaemia reported by the patient",
        "alert_severe_hypoglycaemia": "Severe hypoglycaemia reported by the patient",
        "alert_hyperglycaemia": "High glucose reported by the patient",
        "alert_emergency": "The patient asked for help (emergency)",
        "alert_missed_dose": "Missed medication dose",
        "alert_sync_dead_letter": "A reading could not be delivered",
        "at": "{when}",
    },
    "fr": {
        "app": "Espace soignant",
        "skip": "Aller au contenu principal",
        "signin_title": "Connexion",
        "signin_intro": "Collez le jeton d’accès soignant qui vous a été remis. "
                        "Le tableau de bord s’en souvient pendant 12 heures sur ce navigateur.",
        "token_label": "Jeton d’accès soignant",
        "token_hint": "Il commence par vah_. Demandez-le à la personne qui a installé le serveur.",
        "signin": "Se connecter",
        "signin_bad": "Ce jeton n’est pas valide ou a été révoqué.",
        "signin_device": "C’est un jeton d’appareil : seul un jeton soignant ouvre le tableau de bord.",
        "signed_in_as": "Connecté : {name}",
        "signout": "Se déconnecter",
        "patients_title": "Patients, les plus urgents d’abord",
        "patients_intro": "{days} derniers jours. Les nombres comptent ce qui est arrivé depuis la dernière "
                          "relecture du patient : hypoglycémies sévères d’abord, puis hypoglycémies, prises "
                          "oubliées et mesures dont la reconnaissance vocale était incertaine.",
        "no_patients": "Aucune donnée patient n’est encore arrivée.",
        "col_patient": "Patient",
        "col_attention": "À regarder",
        "col_last": "Dernière mesure",
        "col_devices": "Appareils",
        "nothing_new": "Rien de nouveau",
        "n_severe": "Hypoglycémie sévère ou urgence : {n}",
        "n_hypo": "Hypoglycémie : {n}",
        "n_missed": "Prises oubliées : {n}",
        "n_lowconf": "Mesures à vérifier (reconnaissance incertaine) : {n}",
        "n_other": "Autres alertes : {n}",
        "none": "aucun",
        "patient_title": "Patient {patient}",
        "all_patients": "Tous les patients",
        "reviewed_never": "Pas encore marqué comme relu.",
        "reviewed_at": "Marqué comme relu le {when} par {who}.",
        "mark_reviewed": "Marquer comme relu",
        "reviewed_hint": "Remet les nombres de la liste à zéro jusqu’à l’arrivée de nouvelles données.",
        "summary_title": "À regarder",
        "alerts_title": "Alertes, {days} derniers jours",
        "no_alerts": "Aucune alerte ces {days} derniers jours.",
        "new": "nouveau",
        "chart_title": "Glycémie, {days} derniers jours",
        "chart_name": "Courbe de glycémie, {days} jours, mg/dL, zone cible de {lo} à {hi}",
        "chart_desc": "{n} mesures : {inr} dans la cible ({lo} à {hi}), {low} basses ({sev} à {lo_1}), "
                      "{severe} très basses (sous {sev}), {high} au-dessus de {hi}.",
        "chart_minmax": "Plus basse {min} mg/dL, plus haute {max} mg/dL.",
        "chart_none": "Aucune mesure ces {days} derniers jours.",
        "legend_band": "Bande grisée : cible de {lo} à {hi} mg/dL",
        "legend_in": "rond : dans la cible",
        "legend_low": "triangle pointe en bas : sous {lo}",
        "legend_high": "triangle pointe en haut : au-dessus de {hi}",
        "readings_title": "Mesures et paroles du patient",
        "readings_caption": "Glycémies des {days} derniers jours, la plus récente d’abord",
        "col_when": "Date et heure",
        "col_value": "Glycémie (mg/dL)",
        "col_level": "Niveau",
        "col_context": "Moment",
        "col_said": "Ce qui a été dit",
        "col_confidence": "Confiance de la reconnaissance",
        "check": "À vérifier : reconnaissance incertaine",
        "typed": "tapé, pas dit",
        "no_confidence": "non fournie",
        "level_severe": "très basse",
        "level_low": "basse",
        "level_in": "dans la cible",
        "level_high": "au-dessus de la cible",
        "meds_title": "Prise des traitements, {days} derniers jours",
        "meds_caption": "Prises enregistrées à la voix ces {days} derniers jours",
        "col_med": "Traitement",
        "col_taken": "Prises",
        "col_missed": "Oubliées",
        "col_percent": "Prises (%)",
        "col_last_missed": "Dernier oubli",
        "col_plan": "Heures de rappel",
        "no_meds": "Aucune prise enregistrée ces {days} derniers jours.",
        "not_found": "Aucune donnée pour le patient {patient}.",
        "forbidden": "Ce jeton n’ouvre pas le tableau de bord.",
        "ctx_fasting": "à jeun",
        "ctx_before_meal": "avant un repas",
        "ctx_after_meal": "après un repas",
        "ctx_bedtime": "au coucher",
        "alert_hypoglycaemia": "Hypoglycémie signalée par le patient",
        "alert_severe_hypoglycaemia": "Hypoglycémie sévère signalée par le patient",
        "alert_hyperglycaemia": "Glycémie haute signalée par le patient",
        "alert_emergency": "Le patient a demandé de l’aide (urgence)",
        "alert_missed_dose": "Prise de traitement oubliée",
        "alert_sync_dead_letter": "Une mesure n’a pas pu être transmise",
        "at": "{when}",
    },
}

_DAYS = {"en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
         "fr": ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim.")}
_MONTHS = {"en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
           "fr": ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
                  "déc.")}


class Words:
    def __init__(self, lang: str):
        if lang not in LANGUAGES:
            raise ValueError(f"unknown dashboard language '{lang}': use one of {', '.join(LANGUAGES)}")
        self.lang = lang
        self._strings = STRINGS[lang]

    def __call__(self, key: str, **values) -> str:
        return self._strings[key].format(**values)

    def get(self, key: str, default: str) -> str:
        return self._strings.get(key, default)

    def day(self, moment: datetime) -> str:
        """`Tue 24 Nov` / `mar. 24 nov.`"""
        return f"{_DAYS[self.lang][moment.weekday()]} {moment.day} {_MONTHS[self.lang][moment.month - 1]}"

    def when(self, moment: datetime) -> str:
        """`Tue 24 Nov 2026, 07:40` in the moment's own offset."""
        return f"{self.day(moment)} {moment.year}, {moment:%H:%M}"

    def context(self, code: str | None) -> str:
        return self.get(f"ctx_{code}", code or "") if code else ""

    def alert(self, kind: str, fallback: str) -> str:
        return self.get(f"alert_{kind}", fallback)

    def number(self, value: float) -> str:
        text = f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"
        return text.replace(".", ",") if self.lang == "fr" else text
