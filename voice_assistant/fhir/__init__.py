"""The FHIR contract shared by the device (`voice_assistant.sync`) and the clinician hub (`voice_assistant.hub`).

One place for what both sides must agree on:

- `codes`: identifier systems, LOINC / SNOMED / UCUM codes, the ANS « Mesures de santé » glucose binding and
  meal-context extension, units and the mg/dL <-> mmol/L conversion, and the plausible range of each code;
- `identifiers`: how a device mints identifiers that are unique on any server (device id or UUID in them);
- `checks`: what makes a resource acceptable (finite numbers, plausible values, no date in the future beyond
  clock skew, bounded nesting), used by the hub before it stores anything and by `labs import`.
"""

from voice_assistant.fhir import checks, codes, identifiers

__all__ = ["checks", "codes", "identifiers"]
