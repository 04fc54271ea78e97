"""What every dialogue handler works with: the patient, the database, the words to say, the open question."""

from __future__ import annotations

from dataclasses import dataclass, field

from voice_assistant.dialogue.prompts import Prompts
from voice_assistant.dialogue.state import ANYTHING, Pending, Reply
from voice_assistant.health.safety import emergency_numbers
from voice_assistant.profile import Profile, save_profile
from voice_assistant.speech import Speech
from voice_assistant.store import Alert, Store
from voice_assistant.sync.outbox import device_parties, enqueue_alert


@dataclass
class DialogueContext:
    profile: Profile
    store: Store
    prompts: Prompts
    pending: Pending | None = None
    last_reply: Reply | None = None
    misses: int = 0  #: turns in a row that were not understood
    save_profile_changes: bool = True  #: False in tests and demos that must not touch the user's config
    events: list[str] = field(default_factory=list)

    @property
    def speech(self) -> Speech:
        return self.prompts.speech

    @property
    def lang(self) -> str:
        return self.prompts.lang

    def say(self, key: str, **values) -> str:
        return self.prompts.say(key, **values)

    def ask(self, pending: Pending, text: str | None = None) -> Reply:
        """Ask a question and remember it: the next turn is read as its answer."""
        self.pending = pending
        return Reply(text or pending.question, pending.expects)

    def tell(self, text: str, *events: str) -> Reply:
        self.pending = None
        return Reply(text, ANYTHING, tuple(events))

    def medication_name(self, med_id: str) -> str:
        med = self.profile.medication(med_id)
        names = med.names_in(self.lang) if med else ()
        return names[0] if names else med_id.replace("_", " ")

    def human_route(self) -> str:
        """Who the patient can call: « votre fils Marc ou Docteur Martin », else the emergency number."""
        people = []
        for contact in (self.profile.caregiver, self.profile.doctor):
            if contact and contact.name:
                relation = contact.relation.get(self.lang)
                people.append(self.say("speech.contact", relation=relation, name=contact.name) if relation
                              else contact.name)
        if not people:
            people.append(self.emergency_number())
        return self.speech.join_or(people)

    def record_alert(self, alert: Alert) -> None:
        """An alert for the care team, and its outbox row, in one transaction (sent exactly once)."""
        with self.store.transaction():
            self.store.add_alert(alert)
            enqueue_alert(self.store, alert, device_parties(self.store, self.profile))

    def emergency_number(self) -> str:
        """The emergency number of the patient's country, in words: « quinze », "nine one one"."""
        return self.speech.phone(emergency_numbers(self.profile.country).primary)

    def update_profile(self, profile: Profile) -> None:
        self.profile = profile
        if self.save_profile_changes:
            save_profile(profile)
