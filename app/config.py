"""Settings, read once from the environment (prefix ``TRIALMATCH_``).

Example::

    TRIALMATCH_DATABASE_URL=postgresql+psycopg://tm:secret@127.0.0.1/tm trialmatch serve

No setting has a secret default: credentials come only from the environment.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

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


@lru_cache
def get_settings() -> Settings:
    return Settings()
