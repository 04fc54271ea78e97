"""The `voice-assistant` command."""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime
from pathlib import Path
from typing import Optional

import typer

from voice_assistant import app as app_root
from voice_assistant.asr.base import transcribe
from voice_assistant.asr.select import RecognizerUnavailable, recognizer_for
from voice_assistant.audio.errors import AudioError
from voice_assistant.audio.files import read_audio
from voice_assistant.check import check_command
from voice_assistant.command import fail, language_or_exit, profile_or_exit, store_or_exit
from voice_assistant.demo import run_demo
from voice_assistant.errors import (LanguageDataError, VoiceAssistantError,
                                    sentence)
from voice_assistant.evaluation import CorpusError, load_corpus
from voice_assistant.evaluation import evaluate as run_evaluation
from voice_assistant.hub import hub_app
from voice_assistant.labs import LabImportError, import_fhir
from voice_assistant.language import LANGUAGES
from voice_assistant.listening import run_listen
from voice_assistant.models import models_app
from voice_assistant.nlu import PackError, Understander, Understanding
from voice_assistant.reminders import ReminderEngine
from voice_assistant.store import StoreError
from voice_assistant.store.cli import storage_app
from voice_assistant.sync.cli import sync_app
from voice_assistant.tablet.cli import tablet_app

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Offline voice assistant for people living with diabetes (French and English).")


@app.command()
def understand(
    text: str = typer.Argument(..., help="What the patient said, as text."),
    lang: Optional[str] = typer.Option(None, "--lang", help="fr or en (default: the profile's language)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Show what the assistant understands from one sentence."""
    profile = profile_or_exit()
    try:
        result = Understander(language_or_exit(lang, profile), profile).understand(text)
    except PackError as exc:
        fail(str(exc))
    if as_json:
        typer.echo(json.dumps(result.to_json(), ensure_ascii=False))
        return
    slots = ", ".join(f"{k}={v}" for k, v in result.slots.items()) or "no slots"
    typer.echo(f"{result.intent} ({slots}) confidence {result.confidence:.2f}")


@app.command("eval")
def evaluate(
    corpus: Path = typer.Argument(..., help="Corpus YAML in the contract's format (text or audio cases)."),
    as_json: bool = typer.Option(False, "--json", help="Print the full JSON report."),
) -> None:
    """Score understanding on a corpus: intent and slot accuracy, per-case results."""
    profile = profile_or_exit()
    try:
        lang, cases = load_corpus(corpus)
        understander = Understander(language_or_exit(lang, profile), profile)
        audio_runner = _audio_runner(lang, profile, understander) if any(c.audio for c in cases) else None
        report = run_evaluation(corpus, understander, audio_runner)
    except (CorpusError, PackError) as exc:
        fail(str(exc))
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False))
        return
    for r in report["results"]:
        if not r["passed"]:
            typer.echo(f"FAIL {r.get('text') or r.get('audio')!r}: expected {r['expected_intent']} "
                       f"{r['expected_slots']}, got {r['predicted_intent']} {r['predicted_slots']}")
    typer.echo(f"{report['language']}: {report['cases']} cases, intent accuracy {report['intent_accuracy']:.1%}, "
               f"slot accuracy {report['slot_accuracy']:.1%}")


def _audio_runner(lang: str, profile, understander):
    """Audio cases go through the live loop's path: file -> 16 kHz -> recogniser -> understanding."""
    try:
        recognizer = recognizer_for(lang, profile)
    except RecognizerUnavailable as exc:
        fail(str(exc))

    def run(path: Path):
        try:
            clip = read_audio(path)
        except AudioError as exc:
            return "", Understanding("none", {}, 0.0, "", matched=str(exc))
        transcript = transcribe(recognizer, clip.pcm())
        details = {key: transcript.info[key] for key in ("engines", "choices") if key in transcript.info}
        return transcript.text, understander.understand(transcript.text), details

    return run


@app.command()
def listen(
    lang: Optional[str] = typer.Option(None, "--lang", help="fr or en (default: the profile's language)."),
    hands_free: bool = typer.Option(False, "--hands-free", help="Listen all the time; speak after the wake word."),
    quiet: bool = typer.Option(False, "--quiet", help="Print nothing but errors (a patient's own device)."),
    echo_cancel: bool = typer.Option(False, "--echo-cancel", help="Use PulseAudio/PipeWire's echo canceller, so "
                                     "any words can interrupt the assistant."),
) -> None:
    """Talk with the assistant through the microphone and the speaker (Enter = talk, or hands-free)."""
    run_listen(lang, hands_free=hands_free, quiet=quiet, echo_cancel=echo_cancel)


@app.command()
def demo(
    lang: str = typer.Option("en", "--lang", help="en (works out of the box) or fr."),
    out: Path = typer.Option(Path("demo-output"), "--out", help="Folder for each turn's WAV and transcript.json."),
) -> None:
    """A whole spoken conversation with no microphone: a synthetic patient talks to the assistant."""
    if lang not in LANGUAGES:
        fail(f"unknown language '{lang}': use one of {', '.join(LANGUAGES)}")
    turns = run_demo(lang, out, typer.echo)
    typer.echo(f"{len(turns)} turns; audio and transcript.json written to {out}/")


@app.command()
def chat(
    lang: Optional[str] = typer.Option(None, "--lang", help="fr or en (default: the profile's language)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per turn: heard, intent, slots, reply."),
) -> None:
    """Talk with the assistant by text. Reads one utterance per line when stdin is not a terminal."""
    profile = profile_or_exit()
    language = language_or_exit(lang, profile)
    store = store_or_exit()
    try:
        manager = app_root.build_dialogue(profile, language, store)
    except LanguageDataError as exc:
        store.close()
        fail(str(exc))
        raise
    interactive = sys.stdin.isatty()
    if interactive and not as_json:
        typer.echo(manager.greeting(datetime.now(profile.zone)).text)
    try:
        while True:
            if interactive and not as_json:
                typer.echo("> ", nl=False)
            raw = sys.stdin.buffer.readline() if hasattr(sys.stdin, "buffer") else sys.stdin.readline()
            if not raw:
                break
            # bytes that are not UTF-8 become U+FFFD here; the manager cleans the rest and guards the turn
            text = (raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw).strip()
            if not text:
                continue
            turn = manager.handle(text, datetime.now(profile.zone))  # never raises: a failed turn is a sentence
            if as_json:
                typer.echo(json.dumps(turn.to_json(), ensure_ascii=False))
            else:
                typer.echo(turn.reply.text)
            sys.stdout.flush()
    finally:
        store.close()


@app.command()
def readings(as_json: bool = typer.Option(False, "--json", help="Print a JSON list.")) -> None:
    """List the stored glucose readings, newest first."""
    store = store_or_exit()
    try:
        rows = store.readings()
    finally:
        store.close()
    if as_json:
        typer.echo(json.dumps([{
            "uuid": r.uuid, "glucose_mg_dl": r.glucose_mg_dl, "unit_said": r.unit_said.value,
            "value_said": r.value_said, "words_said": r.words_said, "context": r.context,
            "measured_at": r.measured_at.isoformat(), "transcript": r.transcript,
            "asr_confidence": r.asr_confidence, "nlu_confidence": r.nlu_confidence,
        } for r in rows], ensure_ascii=False))
        return
    if not rows:
        typer.echo("No readings yet.")
    for r in rows:
        typer.echo(f"{r.measured_at:%Y-%m-%d %H:%M %z}  {r.glucose_mg_dl:g} mg/dL  {r.context or '-':<11}  "
                   f"\"{r.transcript}\"")


labs_app = typer.Typer(help="Laboratory results: import FHIR files; only released results are ever read.",
                       no_args_is_help=True)


@labs_app.command("import")
def labs_import(
    file: Path = typer.Argument(..., help="FHIR R4 JSON: a Bundle (DiagnosticReport + Observations) or Observations."),
    as_json: bool = typer.Option(False, "--json", help="Print the import report as JSON."),
) -> None:
    """Import lab results; importing the same file twice changes nothing."""
    store = store_or_exit()
    try:
        report = import_fhir(file, store)
    except (LabImportError, StoreError) as exc:
        fail(str(exc), 1)
    finally:
        store.close()
    typer.echo(json.dumps(report.as_dict(), ensure_ascii=False) if as_json else report.describe())
    for warning in report.warnings:
        typer.echo(f"warning: {warning}", err=True)


reminders_app = typer.Typer(help="Medication reminders: what is set, and what would be said when.",
                            no_args_is_help=True)


@reminders_app.command("list")
def reminders_list(as_json: bool = typer.Option(False, "--json", help="Print a JSON list.")) -> None:
    """The active reminders, each with its next time."""
    profile = profile_or_exit()
    store = store_or_exit()
    try:
        rows = ReminderEngine(store, profile).listing(datetime.now(profile.zone))
    finally:
        store.close()
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    if not rows:
        typer.echo("No reminders.")
    for row in rows:
        nxt = (row.get("next") or {}).get("at", "-")
        typer.echo(f"{row['time_of_day']}  {row['medication_id']:<18} {row['days']:<10} next: {nxt}")


@reminders_app.command("due")
def reminders_due(
    at: str = typer.Option(..., "--at", help="An instant with its UTC offset, e.g. 2026-03-29T08:00:00+02:00."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list."),
) -> None:
    """What the assistant would announce at that instant (the live loop's own code; nothing is written)."""
    try:
        instant = datetime.fromisoformat(at)
    except ValueError:
        fail(f"'{at}' is not a date and time; write it like 2026-03-29T08:00:00+02:00")
    if instant.tzinfo is None:
        fail(f"'{at}' has no UTC offset; add one, like +02:00 (the reminders follow the profile's time zone)")
    profile = profile_or_exit()
    store = store_or_exit()
    try:
        items = ReminderEngine(store, profile).due(instant, record=False)
    finally:
        store.close()
    if as_json:
        typer.echo(json.dumps([item.to_json() for item in items], ensure_ascii=False))
        return
    if not items:
        typer.echo("Nothing to announce at that time.")
    for item in items:
        typer.echo(f"{item.local_time}  {item.kind:<9} {item.medication_id or 'glucose recheck'}")


app.add_typer(models_app, name="models", help="List, install and remove speech models.")
app.add_typer(labs_app, name="labs")
app.add_typer(reminders_app, name="reminders")
app.add_typer(hub_app, name="hub", help="The clinician hub: a FHIR receiver and a dashboard.")
app.add_typer(sync_app, name="sync")
app.add_typer(tablet_app, name="tablet")
app.add_typer(storage_app, name="storage")
app.command("check")(check_command)


def main() -> None:
    """The command: every failure ends as one plain sentence on stderr and an exit code, never a traceback
    (2: fix what was typed or configured; 1: something failed while running; 130: Ctrl+C)."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
    except VoiceAssistantError as exc:
        typer.echo(f"voice-assistant: {sentence(exc)}", err=True)
        sys.exit(exc.exit_code)
    except Exception as exc:  # a bug: still a sentence for the person, the details for whoever looks after it
        logging.getLogger("voice_assistant").debug("unexpected error", exc_info=True)
        typer.echo(f"voice-assistant: {sentence(exc)}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
