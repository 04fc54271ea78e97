"""The clinician hub: a small FHIR R4 service that receives what the devices send (voice_assistant/sync/fhir.py),
stores it in SQLite, and shows it to clinicians on an accessible dashboard.

- `HubServer(db_path, host, port, certfile=None, keyfile=None, lang="fr")`: `.start()` / `.stop()` in a thread,
  or `.serve_forever()`; `.url`, `.fhir_base_url`.
- `TokenStore(HubDatabase(db_path))`: `.add(kind, name, patient=None)` returns a new token (shown once),
  `.list()`, `.revoke(kind, name)`, `.verify(token)`.
- `hub_app`: the typer sub-app (`voice-assistant hub`, `hub token add|list|revoke`).
"""

from voice_assistant.hub.db import HubDatabase, default_hub_db_path
from voice_assistant.hub.server import HubApp, HubServer
from voice_assistant.hub.tokens import CLINICIAN, DEVICE, Principal, TokenError, TokenStore

__all__ = ["CLINICIAN", "DEVICE", "HubApp", "HubDatabase", "HubServer", "Principal", "TokenError", "TokenStore",
           "default_hub_db_path", "hub_app"]


def __getattr__(name: str):
    if name == "hub_app":  # typer is only imported when the command line is used
        from voice_assistant.hub.cli import hub_app

        return hub_app
    raise AttributeError(name)
