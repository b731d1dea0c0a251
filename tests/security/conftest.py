"""The real FHIR server of tests/fhir/, for the leak tests' EHR cases."""

from tests.fhir.conftest import fhir_server

__all__ = ["fhir_server"]
