"""Population pre-screening: which of our patients could join this trial?

The path, module by module: `patient_key` (the patient of one NDJSON line), `core` (one
patient's resources -> one row per trial, exactly as ``/v1/match``), `result` (one
patient's lines -> rows, or a stable error), `pool` (bounded worker processes),
`duckdb_engine` (NDJSON files grouped by patient), `summary` and `output` (counts and the
results file), `cli` (``trialmatch screen``). Other engines (Spark, Bulk ``$export``) are
adapters that feed `result.screen_lines` the same way.
"""
