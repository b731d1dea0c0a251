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

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr


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


class HookRequest(_Lenient):
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
