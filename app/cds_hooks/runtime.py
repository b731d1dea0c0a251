"""What the CDS Hooks routes hold for the app's lifetime: an HTTP client, the EHR JWT
verifier, the fhirServer allow-list and the settings they need.

Opened by the app's lifespan and closed with it::

    hooks = CdsHooksRuntime.open(settings)        # transport: a test's httpx.MockTransport
    ...
    await hooks.aclose()

The HTTP client carries the JWKS fetches and the pulls from ``fhirServer`` only; it never
follows a redirect (a redirect could take the EHR's token to another host). Tests put an
``httpx`` transport on ``app.state.cds_transport`` before the app starts to stand in for
servers that cannot be run here (a JWKS endpoint, a server that never answers).
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from app.cds_hooks.discovery import SERVICE_ID
from app.cds_hooks.ehr_jwt import EhrJwtVerifier, build_ehr_verifier
from app.cds_hooks.fhir_server import FhirServerAllowList
from app.cds_hooks.replay import ReplayGuard
from app.config import Settings


@dataclass
class CdsHooksRuntime:
    settings: Settings
    http: httpx.AsyncClient
    verifier: EhrJwtVerifier | None
    allow_list: FhirServerAllowList

    @classmethod
    def open(
        cls,
        settings: Settings,
        transport: httpx.AsyncBaseTransport | None = None,
        replay: ReplayGuard | None = None,
    ) -> CdsHooksRuntime:
        """``replay``: the JWT replay guard (the service passes the store's, shared by its
        workers); by default one in memory."""
        http = httpx.AsyncClient(transport=transport, follow_redirects=False)
        return cls(
            settings=settings,
            http=http,
            verifier=build_ehr_verifier(settings, http, replay),
            allow_list=FhirServerAllowList(settings.cds_fhir_servers),
        )

    @property
    def base_url(self) -> str | None:
        base = self.settings.cds_base_url or self.settings.public_base_url
        return base.rstrip("/") if base else None

    def audience(self, service_id: str = SERVICE_ID) -> str:
        """The ``aud`` a CDS JWT must carry: the exact URL of the service called."""
        base = self.base_url
        if base is None:
            raise RuntimeError("no CDS base URL; Settings refuses issuers without one")
        return f"{base}/cds-services/{service_id}"

    async def aclose(self) -> None:
        await self.http.aclose()
