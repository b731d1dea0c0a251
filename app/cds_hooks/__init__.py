"""CDS Hooks 2.0: trialmatch as a `patient-view` service an EHR calls when a chart opens.

    GET  /cds-services                          discovery (app/cds_hooks/discovery.py)
    POST /cds-services/trialmatch-patient-view  cards for the trials that may fit

One concept per module: the wire models (models.py), the prefetch and the pull
(prefetch.py), the fhirServer allow-list (fhir_server.py), the EHR's JWT (ehr_jwt.py) and its
replay cache (replay.py), cards from a match (cards.py), and the routes (routes.py).
"""
