"""Each path of bearer-token authentication, against a real JWKS served over HTTP."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import time

import pytest
from cryptography.hazmat.primitives import serialization
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from app.auth.errors import REALM
from tests.auth.conftest import JwksServer, claims, error_type, guarded_app, jwt_settings, mint

BODY = {"resourceType": "Bundle", "type": "collection", "entry": []}


def _client(jwks: JwksServer, **overrides: object) -> TestClient:
    # A peer address that is not loopback, as a hospital network client would be.
    return TestClient(guarded_app(jwt_settings(jwks, **overrides)), client=("10.1.2.3", 40000))


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_good_token_is_accepted_and_names_the_client(jwks: JwksServer, rsa_key: RSAKey) -> None:
    jwks.publish(rsa_key)
    response = _client(jwks).post("/v1/match", json=BODY, headers=_bearer(mint(rsa_key)))
    assert response.status_code == 200
    assert response.json() == {"client": "tumor-board-app", "method": "jwt", "got": BODY}
    assert jwks.hits == 1


def test_es256_token_and_scp_list_are_accepted(jwks: JwksServer, ec_key: ECKey) -> None:
    jwks.publish(ec_key)
    token = mint(ec_key, alg="ES256", scope=None, client_id=None, scp=["trialmatch/trials.read"])
    response = _client(jwks).get("/v1/trials", headers=_bearer(token))
    assert response.status_code == 200
    assert response.json() == {"client": "svc-42", "method": "jwt"}


def test_no_token_is_401_auth_required(jwks: JwksServer, rsa_key: RSAKey) -> None:
    jwks.publish(rsa_key)
    response = _client(jwks).post("/v1/match", json=BODY)
    assert response.status_code == 401
    assert error_type(response) == "auth.required"
    assert response.headers["WWW-Authenticate"] == f'Bearer realm="{REALM}"'


def test_public_route_needs_no_token(jwks: JwksServer, rsa_key: RSAKey) -> None:
    jwks.publish(rsa_key)
    response = _client(jwks).get("/healthz", headers=_bearer("not-a-token"))
    assert response.status_code == 200


def _assert_refused(response: object, reason: str) -> None:
    assert response.status_code == 401  # type: ignore[attr-defined]
    assert error_type(response) == "auth.invalid_token"
    challenge = response.headers["WWW-Authenticate"]  # type: ignore[attr-defined]
    assert challenge.startswith("Bearer ")
    assert 'error="invalid_token"' in challenge
    assert f'error_description="{reason}"' in challenge


def test_expired_token_is_refused(jwks: JwksServer, rsa_key: RSAKey) -> None:
    jwks.publish(rsa_key)
    long_ago = int(time.time()) - 3600
    token = mint(rsa_key, iat=long_ago - 300, exp=long_ago)
    response = _client(jwks).post("/v1/match", json=BODY, headers=_bearer(token))
    _assert_refused(response, "expired")
    assert token not in response.text


def test_clock_skew_is_tolerated_within_the_leeway(jwks: JwksServer, rsa_key: RSAKey) -> None:
    jwks.publish(rsa_key)
    token = mint(rsa_key, exp=int(time.time()) - 20)
    client = _client(jwks, auth_clock_skew_seconds=60)
    assert client.post("/v1/match", json=BODY, headers=_bearer(token)).status_code == 200
    strict = _client(jwks, auth_clock_skew_seconds=0)
    _assert_refused(strict.post("/v1/match", json=BODY, headers=_bearer(token)), "expired")


def test_wrong_issuer_is_refused(jwks: JwksServer, rsa_key: RSAKey) -> None:
    jwks.publish(rsa_key)
    token = mint(rsa_key, iss="https://evil.example/realms/hospital")
    _assert_refused(
        _client(jwks).post("/v1/match", json=BODY, headers=_bearer(token)), "wrong issuer"
    )


def test_wrong_audience_is_refused(jwks: JwksServer, rsa_key: RSAKey) -> None:
    jwks.publish(rsa_key)
    token = mint(rsa_key, aud=["some-other-api"])
    _assert_refused(
        _client(jwks).post("/v1/match", json=BODY, headers=_bearer(token)), "wrong audience"
    )


def test_missing_audience_is_refused(jwks: JwksServer, rsa_key: RSAKey) -> None:
    jwks.publish(rsa_key)
    token = mint(rsa_key, aud=None)
    _assert_refused(
        _client(jwks).post("/v1/match", json=BODY, headers=_bearer(token)), "missing claim"
    )


def test_unknown_kid_refetches_the_jwks_then_accepts(
    jwks: JwksServer, rsa_key: RSAKey, rsa_key_rotated: RSAKey
) -> None:
    jwks.publish(rsa_key)
    client = _client(jwks)
    assert client.post("/v1/match", json=BODY, headers=_bearer(mint(rsa_key))).status_code == 200
    assert jwks.hits == 1
    # A second request with a known kid is served from the cache.
    assert client.post("/v1/match", json=BODY, headers=_bearer(mint(rsa_key))).status_code == 200
    assert jwks.hits == 1

    jwks.publish(rsa_key, rsa_key_rotated)  # the issuer rotates its keys
    response = client.post("/v1/match", json=BODY, headers=_bearer(mint(rsa_key_rotated)))
    assert response.status_code == 200
    assert jwks.hits == 2


def test_kid_unknown_even_after_refetch_is_refused(
    jwks: JwksServer, rsa_key: RSAKey, rsa_key_rotated: RSAKey
) -> None:
    jwks.publish(rsa_key)
    response = _client(jwks).post("/v1/match", json=BODY, headers=_bearer(mint(rsa_key_rotated)))
    _assert_refused(response, "unknown signing key")
    assert jwks.hits == 2  # the first load, then one refetch for the unknown kid


def test_refetches_on_unknown_kids_are_rate_limited(
    jwks: JwksServer, rsa_key: RSAKey, rsa_key_rotated: RSAKey
) -> None:
    jwks.publish(rsa_key)
    client = _client(jwks, auth_jwks_min_refresh_seconds=300)
    for _ in range(5):
        response = client.post("/v1/match", json=BODY, headers=_bearer(mint(rsa_key_rotated)))
        _assert_refused(response, "unknown signing key")
    assert jwks.hits == 1  # only the first load: no refetch within 300 s


def test_token_signed_by_another_key_with_a_known_kid_is_refused(
    jwks: JwksServer, rsa_key: RSAKey
) -> None:
    jwks.publish(rsa_key)
    impostor = RSAKey.generate_key(2048, parameters={"kid": rsa_key.kid})
    _assert_refused(
        _client(jwks).post("/v1/match", json=BODY, headers=_bearer(mint(impostor))),
        "bad signature",
    )


def _unsigned(header: dict[str, object], signature: bytes = b"") -> str:
    payload = {
        "iss": "https://idp.test.example/realms/hospital",
        "aud": "trialmatch",
        "client_id": "attacker",
        "exp": int(time.time()) + 300,
        "scope": "trialmatch/match",
    }
    head = _b64(json.dumps(header).encode())
    body = _b64(json.dumps(payload).encode())
    return f"{head}.{body}.{_b64(signature)}"


def test_alg_none_is_refused(jwks: JwksServer, rsa_key: RSAKey) -> None:
    jwks.publish(rsa_key)
    for alg in ("none", "None", "NONE"):
        token = _unsigned({"alg": alg, "typ": "JWT", "kid": rsa_key.kid})
        response = _client(jwks).post("/v1/match", json=BODY, headers=_bearer(token))
        _assert_refused(response, "algorithm not allowed")


def test_hmac_signed_with_the_public_key_is_refused(jwks: JwksServer, rsa_key: RSAKey) -> None:
    """The algorithm-confusion attack: HS256 keyed with the issuer's public key."""
    jwks.publish(rsa_key)
    pem = rsa_key.raw_value.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    for alg, digest in (("HS256", hashlib.sha256), ("HS384", hashlib.sha384)):
        unsigned = _unsigned({"alg": alg, "typ": "JWT", "kid": rsa_key.kid})
        signing_input = unsigned.rsplit(".", 1)[0].encode()
        token = f"{signing_input.decode()}.{_b64(hmac.new(pem, signing_input, digest).digest())}"
        response = _client(jwks).post("/v1/match", json=BODY, headers=_bearer(token))
        _assert_refused(response, "algorithm not allowed")


def test_hmac_key_published_in_the_jwks_is_never_used(jwks: JwksServer, rsa_key: RSAKey) -> None:
    jwks.publish(rsa_key)
    jwks.document["keys"].append({"kty": "oct", "kid": "shared", "k": _b64(b"s" * 32)})
    token = _unsigned({"alg": "RS256", "kid": "shared"}, signature=b"x" * 256)
    response = _client(jwks).post("/v1/match", json=BODY, headers=_bearer(token))
    _assert_refused(response, "unknown signing key")


def test_valid_token_without_the_scope_is_403(jwks: JwksServer, rsa_key: RSAKey) -> None:
    jwks.publish(rsa_key)
    token = mint(rsa_key, scope="trialmatch/trials.read")
    client = _client(jwks)
    response = client.get("/v1/patients/p1/matches", headers=_bearer(token))
    assert response.status_code == 403
    assert error_type(response) == "auth.insufficient_scope"
    assert response.headers["WWW-Authenticate"] == (
        f'Bearer realm="{REALM}", error="insufficient_scope", scope="trialmatch/patient.read"'
    )
    assert client.get("/v1/trials", headers=_bearer(token)).status_code == 200


def test_garbage_and_other_schemes_are_refused(jwks: JwksServer, rsa_key: RSAKey) -> None:
    jwks.publish(rsa_key)
    client = _client(jwks)
    _assert_refused(client.get("/v1/trials", headers=_bearer("abc.def")), "malformed token")
    _assert_refused(client.get("/v1/trials", headers=_bearer("a.b.c")), "malformed token")
    basic = {"Authorization": "Basic dXNlcjpwYXNz"}
    _assert_refused(client.get("/v1/trials", headers=basic), "use the Bearer scheme")


def test_issuer_keys_unreachable_is_503_not_a_pass(jwks: JwksServer, rsa_key: RSAKey) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    jwks.url = f"http://127.0.0.1:{closed_port}/jwks"
    response = _client(jwks).post("/v1/match", json=BODY, headers=_bearer(mint(rsa_key)))
    assert response.status_code == 503
    assert error_type(response) == "auth.unavailable"


def test_issuer_answering_an_error_is_503(jwks: JwksServer, rsa_key: RSAKey) -> None:
    jwks.publish(rsa_key)
    jwks.status = 500
    response = _client(jwks).post("/v1/match", json=BODY, headers=_bearer(mint(rsa_key)))
    assert response.status_code == 503


@pytest.mark.parametrize(
    ("member", "reason"),
    [
        ("jku", "unknown signing key"),  # a URL of the attacker's JWKS: never fetched
        ("jwk", "malformed token"),  # the key itself: joserfc refuses a header that large
    ],
)
def test_key_named_in_the_token_header_is_not_trusted(
    jwks: JwksServer, rsa_key: RSAKey, member: str, reason: str
) -> None:
    """Only the issuer's JWKS counts, never a key the token brings along."""
    jwks.publish(rsa_key)
    attacker = RSAKey.generate_key(2048, parameters={"kid": "attacker"})
    value = "http://127.0.0.1:9/evil-jwks" if member == "jku" else attacker.as_dict(private=False)
    header = {"alg": "RS256", "kid": "attacker", member: value}
    token = jwt.encode(header, claims(), attacker, algorithms=["RS256"])
    response = _client(jwks).post("/v1/match", json=BODY, headers=_bearer(token))
    _assert_refused(response, reason)
