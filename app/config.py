"""Settings, read once from the environment (prefix ``TRIALMATCH_``).

Example::

    TRIALMATCH_DATABASE_URL=postgresql+psycopg://tm:secret@127.0.0.1/tm trialmatch serve

No setting has a secret default: credentials come only from the environment.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TRIALMATCH_", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{REPO_ROOT / 'var' / 'trialmatch.db'}",
        description="SQLAlchemy URL of the trial store; SQLite file under the repo by default.",
    )
    criteria_dir: Path = Field(
        default=REPO_ROOT / "criteria",
        description="Folder of trial files loaded into an empty store on first start.",
    )
    host: str = Field(default="127.0.0.1", description="Address `trialmatch serve` listens on.")
    port: int = Field(default=8000, description="Port `trialmatch serve` listens on.")
    log_level: str = Field(default="INFO", description="Application log level.")
    library_refresh_seconds: float = Field(
        default=30.0,
        ge=0,
        description="How often (at most) a request checks the store for changed trials and "
        "recompiles the library; 0: never after start.",
    )

    # How `trialmatch serve` runs uvicorn (app/cli.py, app/slow_clients.py).
    workers: int | None = Field(
        default=None, ge=1, description="Worker processes; unset: one per CPU core."
    )
    keep_alive_seconds: int = Field(
        default=5, ge=1, description="Idle keep-alive connections are closed after this long."
    )
    limit_concurrency: int = Field(
        default=1000,
        ge=1,
        description="Connections and requests one worker holds at once; beyond it, 503.",
    )
    header_timeout_seconds: float = Field(
        default=10.0, gt=0, description="Deadline for a request's headers, from connect."
    )
    body_timeout_seconds: float = Field(
        default=30.0, gt=0, description="Deadline for a request's whole body (then 408)."
    )

    # The EHR's FHIR server that `GET /v1/patients/{id}/matches` pulls from (app.fhir.client).
    fhir_base_url: str | None = Field(
        default=None,
        description="FHIR R4 base URL of the EHR, e.g. https://ehr.example.org/fhir; unset: off.",
    )
    fhir_auth: Literal["none", "bearer", "smart"] = Field(
        default="none",
        description="How to authenticate: none, a static bearer token, or SMART Backend Services.",
    )
    fhir_bearer_token: SecretStr | None = Field(
        default=None, description="Static bearer token (fhir_auth=bearer)."
    )
    fhir_smart_client_id: str | None = Field(
        default=None, description="SMART Backend Services client id (fhir_auth=smart)."
    )
    fhir_smart_private_key_path: Path | None = Field(
        default=None,
        description="PEM private key that signs the client assertion (RSA or EC P-384).",
    )
    fhir_smart_alg: Literal["RS384", "ES384"] = Field(
        default="RS384", description="Signing algorithm of the client assertion."
    )
    fhir_smart_kid: str | None = Field(
        default=None, description="Key id in the assertion header; default: the key's thumbprint."
    )
    fhir_smart_scope: str = Field(
        default=(
            "system/Patient.read system/Condition.read system/Observation.read "
            "system/DiagnosticReport.read system/Procedure.read "
            "system/MedicationRequest.read system/MedicationStatement.read "
            "system/MedicationAdministration.read system/Medication.read"
        ),
        description="Scopes requested from the token endpoint (SMART v1 read scopes by default).",
    )
    fhir_smart_token_url: str | None = Field(
        default=None,
        description="Token endpoint; unset: read from {base}/.well-known/smart-configuration.",
    )
    fhir_connect_timeout: float = Field(default=5.0, gt=0, description="Seconds to connect.")
    fhir_read_timeout: float = Field(default=20.0, gt=0, description="Seconds to wait for a read.")
    fhir_total_timeout: float = Field(
        default=30.0,
        gt=0,
        description="Deadline in seconds for pulling one patient, retries included.",
    )
    fhir_retries: int = Field(
        default=2, ge=0, le=10, description="Retries of a request answered 429/502/503/504."
    )
    fhir_retry_after_max: float = Field(
        default=10.0, ge=0, description="Longest Retry-After (seconds) honoured; longer gives up."
    )
    fhir_page_size: int = Field(default=100, ge=1, le=1000, description="_count of each search.")
    fhir_max_pages: int = Field(
        default=50, ge=1, description="Most pages read per patient, over all searches."
    )
    fhir_max_resources: int = Field(
        default=5000, ge=1, description="Most resources read per patient, over all searches."
    )

    bulk_export_deadline_seconds: float = Field(
        default=3600.0,
        gt=0,
        description="Deadline in seconds for one Bulk Data $export, polling and downloads.",
    )

    @model_validator(mode="after")
    def _fhir_auth_complete(self) -> Settings:
        # Fail at start-up, not on the first patient pulled.
        if self.fhir_auth == "bearer" and self.fhir_bearer_token is None:
            raise ValueError("TRIALMATCH_FHIR_AUTH=bearer needs TRIALMATCH_FHIR_BEARER_TOKEN")
        if self.fhir_auth == "smart" and (
            self.fhir_smart_client_id is None or self.fhir_smart_private_key_path is None
        ):
            raise ValueError(
                "TRIALMATCH_FHIR_AUTH=smart needs TRIALMATCH_FHIR_SMART_CLIENT_ID and "
                "TRIALMATCH_FHIR_SMART_PRIVATE_KEY_PATH"
            )
        return self

    # Authentication (README.md, Security). With none of these set the service runs only on
    # loopback; see app/auth/loopback.py.
    auth_issuer: str | None = Field(
        default=None, description="Expected `iss` of OAuth 2.0 bearer tokens (JWT)."
    )
    auth_audience: str | None = Field(
        default=None, description="Expected `aud` of bearer tokens; required with an issuer."
    )
    auth_jwks_url: str | None = Field(
        default=None, description="HTTPS URL of the issuer's JWKS (http only on loopback)."
    )
    auth_jwks_file: Path | None = Field(
        default=None, description="A JWKS file, instead of a URL, for offline deployments."
    )
    auth_clock_skew_seconds: int = Field(
        default=60, ge=0, le=600, description="Leeway on `exp`/`nbf`/`iat` for clock skew."
    )
    auth_jwks_cache_seconds: int = Field(
        default=3600, ge=60, description="How long fetched JWKS keys are trusted before refetch."
    )
    auth_jwks_min_refresh_seconds: int = Field(
        default=30, ge=0, description="Least time between two JWKS refetches on an unknown kid."
    )
    api_keys: str | None = Field(
        default=None,
        description="API keys, stored hashed: `id:sha256:<hex>:<scopes>` entries split by `;`.",
    )

    # Limits and HTTP hardening (app/limits/, app/security.py).
    max_body_bytes: int = Field(
        default=20 * 1024 * 1024, ge=1024, description="Largest request body accepted (413)."
    )
    max_json_depth: int = Field(
        default=64, ge=8, description="Deepest JSON nesting accepted in a request body (422)."
    )
    match_process_min_bytes: int = Field(
        default=1024 * 1024,
        ge=0,
        description="A posted Bundle this large or larger is parsed and matched in a process "
        "of its own (app/matching/pool.py), so the event loop keeps answering; 0: never.",
    )
    rate_limit_per_minute: int = Field(
        default=300, ge=0, description="Sustained requests per minute per client; 0 turns off."
    )
    rate_limit_burst: int = Field(
        default=60, ge=1, description="Requests a client may send at once before the rate applies."
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Origins allowed by CORS, comma-separated; empty (the default) is CORS off.",
    )
    hsts_seconds: int = Field(
        default=0,
        ge=0,
        description="Strict-Transport-Security max-age; set it when served over HTTPS only.",
    )
    # The coordinator's pages (app/ui/).
    ui_session_seconds: int = Field(
        default=28800,
        ge=60,
        le=7 * 86400,
        description="A browser session of the coordinator's pages ends this long after "
        "sign-in (or when the credential it signed in with expires, if sooner).",
    )
    public_base_url: str | None = Field(
        default=None,
        pattern=r"^https?://[^?#]+$",
        description="The service's URL as clients reach it (e.g. https://match.example.org), "
        "for the canonical URLs of the FHIR interface; unset: each request's own base URL.",
    )
    forwarded_allow_ips: str | None = Field(
        default=None,
        description="Reverse proxies (addresses or networks, comma-separated) whose "
        "X-Forwarded-For `trialmatch serve` trusts; unset: none, the peer address is the client.",
    )

    # CDS Hooks 2.0 (app/cds_hooks/): the EHR's calls to /cds-services.
    cds_card_limit: int = Field(
        default=3, ge=1, le=20, description="Most cards one CDS Hooks call answers with."
    )
    cds_deadline_seconds: float = Field(
        default=5.0,
        gt=0,
        le=60,
        description="A CDS Hooks call answers within this many seconds, or with no cards.",
    )
    cds_issuers: dict[str, str] = Field(
        default_factory=dict,
        description='EHRs allowed to call CDS Hooks, as JSON `{"<iss>": "<JWKS URL>"}`; '
        "empty: no CDS JWT is checked and the hook is served as the other patient routes.",
    )
    cds_base_url: str | None = Field(
        default=None,
        pattern=r"^https?://[^?#]+$",
        description="Base URL the EHR calls; a CDS JWT's `aud` must be "
        "`{base}/cds-services/{id}`. Unset: TRIALMATCH_PUBLIC_BASE_URL.",
    )
    cds_fhir_servers: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="EHR FHIR base URLs a hook's `fhirServer` may name, comma-separated; "
        "any other is refused unread. Empty: no pull from `fhirServer`.",
    )

    # The coordinator's pages (app/ui/).
    ui_report_ttl_seconds: int = Field(
        default=3600,
        ge=60,
        le=7 * 24 * 3600,
        description="How long a match report kept for a CDS Hooks card's link stays readable "
        "at /ui/reports/{id}; expired reports are deleted.",
    )

    @field_validator("cds_fhir_servers", mode="before")
    @classmethod
    def _split_fhir_servers(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @model_validator(mode="after")
    def _cds_audience_known(self) -> Settings:
        if self.cds_issuers and not (self.cds_base_url or self.public_base_url):
            raise ValueError(
                "TRIALMATCH_CDS_ISSUERS needs TRIALMATCH_CDS_BASE_URL (or "
                "TRIALMATCH_PUBLIC_BASE_URL): a CDS JWT's aud is checked against it"
            )
        return self

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value


@lru_cache
def get_settings() -> Settings:
    return Settings()
