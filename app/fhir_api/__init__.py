"""The FHIR R4 interface: the CodeX ``ResearchStudy/$match`` operation, MITRE's
``/getClinicalTrial``, trials as ResearchStudy, and errors as OperationOutcome.

The routes (`routes`) read a posted ``Parameters`` or ``Bundle`` (`request`), run the one
matching path (`app.matching.service.match_record`) and write FHIR resources
(`research_study`, `searchset`, `definitions`); `outcome` turns the service's one error
body into an OperationOutcome on these paths. Example::

    curl -s -X POST 'http://127.0.0.1:8000/fhir/ResearchStudy/$match' \\
         -H 'Content-Type: application/fhir+json' --data-binary @parameters.json
"""
