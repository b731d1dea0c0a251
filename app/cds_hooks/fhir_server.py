"""The allow-list of EHR FHIR servers a hook's ``fhirServer`` may name (no SSRF).

A hook call names the server to pull from; trialmatch must never be made to send a request,
with the EHR's token, to a host of the caller's choosing. The URL is compared, normalised
(scheme and host lower-cased, default port dropped, trailing slash dropped), with each base
URL of ``TRIALMATCH_CDS_FHIR_SERVERS``; anything else is refused before any request::

    allowed = FhirServerAllowList(["https://ehr.example.org/fhir/"])
    allowed.check("https://EHR.example.org:443/fhir")   # -> "https://ehr.example.org/fhir"
    allowed.check("http://169.254.169.254/latest")      # raises cds.fhir_server_not_allowed
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from app.errors import ApiError

_DEFAULT_PORTS = {"http": 80, "https": 443}


class FhirServerNotAllowed(ApiError):
    status_code = 403

    def __init__(self) -> None:
        super().__init__(
            "cds.fhir_server_not_allowed",
            "The fhirServer of this call is not on trialmatch's allow-list of EHR FHIR "
            "servers (TRIALMATCH_CDS_FHIR_SERVERS); no request was made to it.",
            loc=["body", "fhirServer"],
        )


def normalise(url: str) -> str | None:
    """The URL in one spelling, or None if it is not a plain http(s) base URL."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in _DEFAULT_PORTS or not host or parts.query or parts.fragment:
        return None
    if parts.username is not None or parts.password is not None:
        return None  # credentials in a URL are never followed
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    if ":" in host:
        netloc = f"[{host}]" if port in (None, _DEFAULT_PORTS[scheme]) else f"[{host}]:{port}"
    return f"{scheme}://{netloc}{parts.path.rstrip('/')}"


class FhirServerAllowList:
    def __init__(self, bases: Iterable[str]) -> None:
        allowed = set()
        for base in bases:
            spelled = normalise(base)
            if spelled is None:
                raise ValueError("TRIALMATCH_CDS_FHIR_SERVERS holds a URL that is not http(s)")
            allowed.add(spelled)
        self._allowed = frozenset(allowed)

    def check(self, url: str) -> str:
        """The allowed base URL `url` names; raises `FhirServerNotAllowed` otherwise."""
        spelled = normalise(url)
        if spelled is None or spelled not in self._allowed:
            raise FhirServerNotAllowed()
        return spelled
