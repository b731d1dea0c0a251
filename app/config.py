"""Settings, read once from the environment (prefix ``TRIALMATCH_``).

Example::

    TRIALMATCH_DATABASE_URL=postgresql+psycopg://tm:secret@127.0.0.1/tm trialmatch serve

No setting has a secret default: credentials come only from the environment.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
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

    # Authentication (docs/SECURITY.md). With none of these set the service runs only on
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

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value


@lru_cache
def get_settings() -> Settings:
    return Settings()
