"""The CDS Hooks 2.0 wire format, as pydantic models (requests read, responses written).

Example::

    call = HookRequest.model_validate(body)
    call.context.patientId                       # "123"
    CardsResponse(cards=[]).model_dump(exclude_none=True)   # {"cards": []}

Requests are read leniently (unknown fields ignored), responses strictly: the spec allows
no ``null``, ``""``, ``[]`` or ``{}`` in a response, so optional fields are None and left
out with ``exclude_none``. The EHR's access token is a `SecretStr`: it never appears in a
repr, a log line or an error.
"""

from __future__ import annotations

from typing import Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, JsonValue, SecretStr


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


class FhirAuthorization(_Lenient):
    """The EHR's OAuth token for `fhirServer` (SPEC 2.0 names the fields in snake_case)."""

    access_token: SecretStr = Field(description="Used only against fhirServer; never kept.")
    token_type: Literal["Bearer", "bearer"] = "Bearer"  # noqa: S105 (a scheme, not a secret)
    expires_in: int | None = None
    scope: str | None = None
    subject: str | None = None
    patient: str | None = None


class PatientViewContext(_Lenient):
    patientId: str = Field(min_length=1, max_length=64, examples=["123"])
    userId: str | None = Field(default=None, examples=["Practitioner/456"])
    encounterId: str | None = None


_CALL_EXAMPLE: dict[str, Any] = {
    "hook": "patient-view",
    "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
    "fhirServer": "https://ehr.example.org/fhir",
    "fhirAuthorization": {
        "access_token": "<the EHR's token>",
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "patient/*.read",
        "subject": "trialmatch",
    },
    "context": {"patientId": "123", "userId": "Practitioner/456"},
    "prefetch": {"patient": {"resourceType": "Patient", "id": "123"}},
}
_CARDS_EXAMPLE: dict[str, Any] = {
    "cards": [
        {
            "summary": "Eligible: NCT06949098, Total Neoadjuvant Therapy for Early Low Rectal "
            "Cancer.",
            "detail": "**Eligible** for NCT06949098 (rank 1, score 1.00): ...",
            "indicator": "info",
            "source": {"label": "trialmatch", "url": "https://match.example.org"},
            "links": [
                {
                    "label": "NCT06949098 on ClinicalTrials.gov",
                    "url": "https://clinicaltrials.gov/study/NCT06949098",
                    "type": "absolute",
                }
            ],
        }
    ]
}


class HookRequest(_Lenient):
    model_config = ConfigDict(
        extra="ignore", json_schema_extra={"examples": cast(list[JsonValue], [_CALL_EXAMPLE])}
    )

    hook: str = Field(examples=["patient-view"])
    hookInstance: str = Field(min_length=1, max_length=128)
    fhirServer: str | None = Field(default=None, max_length=2048)
    fhirAuthorization: FhirAuthorization | None = None
    context: PatientViewContext
    prefetch: dict[str, Any] | None = Field(
        default=None,
        description="Keyed by the discovery prefetch keys. A missing key is fetched from "
        "fhirServer; `null` means the EHR holds no such data.",
    )


class Source(BaseModel):
    label: str
    url: str | None = None


class Link(BaseModel):
    label: str
    url: str
    type: Literal["absolute", "smart"] = "absolute"


class Card(BaseModel):
    summary: str = Field(max_length=139, description="One sentence, under 140 characters.")
    detail: str | None = Field(default=None, description="GitHub-flavoured Markdown.")
    indicator: Literal["info", "warning", "critical"] = "info"
    source: Source
    links: list[Link] | None = None


class CardsResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": cast(list[JsonValue], [_CARDS_EXAMPLE])}
    )

    cards: list[Card]


class ServiceDefinition(BaseModel):
    hook: str
    title: str | None = None
    description: str
    id: str
    prefetch: dict[str, str] | None = None
    usageRequirements: str | None = None


class DiscoveryResponse(BaseModel):
    services: list[ServiceDefinition]
