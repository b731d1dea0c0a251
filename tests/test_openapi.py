"""openapi/openapi.json is the app's document: rewrite it with `trialmatch openapi export`."""

from __future__ import annotations

import json
from typing import Any

from app.cli import OPENAPI_FILE
from app.main import create_app


def test_exported_document_matches_the_app() -> None:
    exported = json.loads(OPENAPI_FILE.read_text(encoding="utf-8"))
    assert exported == create_app().openapi(), (
        "openapi/openapi.json is stale: run `trialmatch openapi export`"
    )


def test_every_operation_documents_its_errors_with_the_one_body() -> None:
    """The FHIR paths answer errors as OperationOutcome (app/fhir_api/outcome.py); their
    500 is documented by the app-wide entry, which FastAPI 0.163 keeps over a route's."""
    document: dict[str, Any] = create_app().openapi()
    for path, item in document["paths"].items():
        fhir = path.startswith(("/fhir/", "/getClinicalTrial"))
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if fhir and status.startswith("4"):
                    example = response["content"]["application/fhir+json"]["example"]
                    assert example["resourceType"] == "OperationOutcome", (method, path)
                elif status.startswith(("4", "5")) and not fhir:
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (method, path)
            assert "500" in operation["responses"], (method, path)


def test_trial_routes_have_examples() -> None:
    paths = create_app().openapi()["paths"]
    for path, status in [
        ("/v1/trials", "200"),
        ("/v1/trials/{trial_id}", "200"),
        ("/v1/trials/{trial_id}", "404"),
        ("/readyz", "503"),
    ]:
        content = paths[path]["get"]["responses"][status]["content"]["application/json"]
        assert "example" in content, (path, status)
