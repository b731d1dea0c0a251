"""The patient record as it crosses the FHIR boundary.

A posted Bundle (`app.fhir.bundle`) and a pull from the EHR (`app.fhir.client`) both give
a `PatientRecord`, so both take the same path after the boundary. Resources stay raw JSON
here on purpose: the normalizer parses with `fhir.resources.R4B` only the resources whose
codes matter, so cost follows the resources that matter, not the size of the record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from app.data_quality import DataQualityWarning

# The resource types trialmatch reads; anything else in a Bundle is ignored.
READ_TYPES = (
    "Condition",
    "Observation",
    "DiagnosticReport",
    "Procedure",
    "MedicationRequest",
    "MedicationStatement",
    "MedicationAdministration",
    "Medication",
)
# Read only as what another resource names (a MedicationRequest's medication): no subject.
SUBJECTLESS_TYPES = frozenset({"Medication"})

FhirJson = dict[str, Any]

# The FHIR R4 id datatype, `[A-Za-z0-9\-\.]{1,64}`: a Patient id from a posted Bundle or a
# request path is checked against it before it is used anywhere (an audit row, a URL).
FHIR_ID = re.compile(r"[A-Za-z0-9.\-]{1,64}")


@dataclass
class PatientRecord:
    """One patient's resources, split by type.

    ``patient`` is the Patient resource; ``resources`` maps each of `READ_TYPES` to its
    resources (possibly empty). ``warnings`` are data-quality notes made while reading
    (for example a resource whose subject is not this patient).
    """

    patient: FhirJson
    resources: dict[str, list[FhirJson]] = field(
        default_factory=lambda: {name: [] for name in READ_TYPES}
    )
    warnings: list[DataQualityWarning] = field(default_factory=list)

    @property
    def reference(self) -> str:
        return f"Patient/{self.patient.get('id', 'unknown')}"

    def of_type(self, resource_type: str) -> list[FhirJson]:
        return self.resources.get(resource_type, [])
