"""The real FHIR servers of tests/fhir/ (sekmet-fhir and Medplum), for the leak tests' EHR cases."""

from tests.fhir.conftest import fhir_server, medplum_server, sekmet_server

__all__ = ["fhir_server", "medplum_server", "sekmet_server"]
