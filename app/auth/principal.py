"""Who is asking: the authenticated `Principal` and the scopes trialmatch knows.

Every route that touches patient data or the trial library names the scope it needs::

    principal = Principal(client_id="lab-engine", scopes=frozenset({Scope.MATCH}), method="api_key")
    principal.has(Scope.MATCH)   # True

``method`` says how the client proved who it is: a bearer JWT from the configured issuer,
an API key, or ``loopback`` (no authentication configured and the peer is this machine).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal


class Scope(StrEnum):
    """OAuth 2.0 scopes of trialmatch; the same names are granted to API keys."""

    MATCH = "trialmatch/match"  # match a posted Bundle
    PATIENT_READ = "trialmatch/patient.read"  # pull a patient from the EHR and match it
    TRIALS_READ = "trialmatch/trials.read"  # read the trial library


AuthMethod = Literal["jwt", "api_key", "loopback"]


@dataclass(frozen=True, slots=True)
class Principal:
    client_id: str
    scopes: frozenset[str]
    method: AuthMethod

    def has(self, scope: str) -> bool:
        return scope in self.scopes


def loopback_principal() -> Principal:
    """The local caller when no authentication is configured: every scope, on loopback only."""
    return Principal(
        client_id="loopback", scopes=frozenset(scope.value for scope in Scope), method="loopback"
    )
