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
    TRIALS_CURATE = "trialmatch/trials.curate"  # accept, edit or reject a suggested criterion
    WORKFLOW_WRITE = "trialmatch/workflow.write"  # record what happened to a match


# "session": a browser signed in to the coordinator's pages with one of the others (app/ui).
AuthMethod = Literal["jwt", "api_key", "loopback", "session"]


@dataclass(frozen=True, slots=True)
class Principal:
    client_id: str
    scopes: frozenset[str]
    method: AuthMethod
    # When the credential stops being good (a JWT's exp, POSIX seconds); None: no end of its
    # own. A browser session made with it ends no later.
    expires_at: float | None = None

    def has(self, scope: str) -> bool:
        return scope in self.scopes


def loopback_principal() -> Principal:
    """The local caller when no authentication is configured: every scope, on loopback only."""
    return Principal(
        client_id="loopback", scopes=frozenset(scope.value for scope in Scope), method="loopback"
    )
