"""Laboratory results: import from FHIR R4 files, the disclosure gate, and what is said about them.

- `importer`: `import_fhir(path, store)` validates a FHIR R4 JSON file (fhir.resources R4B models) and saves
  its results; the same file imported twice changes nothing.
- `gate`: pure rules for what may be read (released reports only; abnormal values held back when the patient
  hears them with their doctor) and whether a result is within, above or below its reference values.
- `present`: pure functions turning released results into sentences, from `prompts/labs/<lang>.yaml`.
"""

from .gate import Disclosed, GateOutcome, RangeStatus, gate, is_abnormal, is_pending, is_released, range_status
from .importer import ImportReport, LabImportError, import_fhir, parse_fhir
from .present import (
    LabItem,
    LabPack,
    LabPackError,
    LabPresentation,
    LabTest,
    item_text,
    load_lab_pack,
    loincs_for_test,
    present,
)

__all__ = [
    "Disclosed",
    "GateOutcome",
    "ImportReport",
    "LabImportError",
    "LabItem",
    "LabPack",
    "LabPackError",
    "LabPresentation",
    "LabTest",
    "RangeStatus",
    "gate",
    "import_fhir",
    "is_abnormal",
    "is_pending",
    "is_released",
    "item_text",
    "load_lab_pack",
    "loincs_for_test",
    "parse_fhir",
    "present",
    "range_status",
]
