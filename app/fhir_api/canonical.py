"""The URLs the FHIR interface names: its base, and the canonical URLs of what it defines.

Our StructureDefinitions live under the service's own FHIR base, so their canonical URL is
where they are served (``GET /fhir/StructureDefinition/{id}``). The base is
``TRIALMATCH_PUBLIC_BASE_URL`` when set (what clients reach through a proxy), else the
request's own base URL. Example::

    fhir_base(request)                      # -> "https://match.example.org/fhir"
    extension_url(request, VERDICT)         # -> ".../fhir/StructureDefinition/criterion-verdict"

Error types and warning codes travel in OperationOutcome under `ERROR_SYSTEM`, a URN
that does not change between deployments, so a client can match on it anywhere.
"""

from __future__ import annotations

from starlette.requests import HTTPConnection

from app.config import Settings

FHIR_PATH = "/fhir"
ERROR_SYSTEM = "urn:trialmatch:issue-type"
CTGOV_SYSTEM = "https://clinicaltrials.gov"
FHIR_VERSION = "4.0.1"
FHIR_JSON = "application/fhir+json"

# Our StructureDefinitions, by id.
VERDICT = "criterion-verdict"
MATCH_STATUS = "match-status"
NEAREST_SITE = "nearest-site"


def service_base(connection: HTTPConnection) -> str:
    settings: Settings = connection.app.state.settings
    base = settings.public_base_url or str(connection.base_url)
    return base.rstrip("/")


def fhir_base(connection: HTTPConnection) -> str:
    return service_base(connection) + FHIR_PATH


def extension_url(connection: HTTPConnection, definition_id: str) -> str:
    return f"{fhir_base(connection)}/StructureDefinition/{definition_id}"
