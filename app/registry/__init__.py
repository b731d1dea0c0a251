"""Importing ClinicalTrials.gov records as draft trials.

One module per concern: `record` (the common form every format is read into),
`api_v2` (API v2 JSON: one study or a page), `classic_json` (the retired classic API's
``FullStudiesResponse``), `legacy_xml` (the ``clinical_study`` XML), `sources` (which
reader a file needs), `splitter` (free-text eligibility into criteria, verbatim, with
stable ids), `terms` (registry words to ours, from app/vocabulary/data/ctgov_terms.yaml),
`dates` (partial registry dates), `draft` (a record to a Trial document), `reimport`
(merging with the stored trial: curated criteria kept, changes flagged) and `importer`
(the whole run: validate with the one trial-file validator, upsert, summarise).

Nothing but the CLI (`trialmatch trials import`) imports this package.
"""
