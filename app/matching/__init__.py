"""Matching: one patient against the library, ranked (rank) into the /v1/match response
(service.match_facts)."""
