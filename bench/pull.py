"""End-to-end latency of pulling one patient from a local FHIR server.

Starts sekmet-fhir with scripts/fhir-server.sh, or Medplum's FHIR engine with
scripts/medplum-server.sh (``--server medplum``), or uses ``--url``; loads
tests/fixtures/ehr/, then times `FhirClient.fetch_record` for one patient over 50 runs on
one shared ``httpx.AsyncClient``, beside the slowest single FHIR search of each run (a
search with all its pages). Example::

    PYTHONPATH=. /work/devvenv/bin/python bench/pull.py --runs 50 --page-size 20
    PYTHONPATH=. /work/devvenv/bin/python bench/pull.py --server medplum --by-code

Prints median and p95 of both, plus the number of searches, pages and resources per pull.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import tempfile
import time
from datetime import date
from pathlib import Path

import httpx

from app.eligibility.library import load_library
from app.fhir.client import ClientOptions, FhirClient, SearchTiming
from app.matching.data_needs import observation_codes
from app.matching.service import MatchOptions, match_record

REPO = Path(__file__).resolve().parent.parent
# The server script, and the variable naming its scratch folder.
SERVERS = {
    "sekmet": (REPO / "scripts" / "fhir-server.sh", "TRIALMATCH_FHIR_SERVER_DIR"),
    "medplum": (REPO / "scripts" / "medplum-server.sh", "TRIALMATCH_MEDPLUM_SERVER_DIR"),
}
FIXTURES = sorted((REPO / "tests" / "fixtures" / "ehr").glob("*.json"))
PATIENT = "tm-rectal-paging-1"
# The bundled library, and the Observation codes its criteria read (what the route asks).
LIBRARY = load_library(REPO / "criteria")
CODES = observation_codes(LIBRARY)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def measure(url: str, runs: int, page_size: int, by_code: bool) -> None:
    options = ClientOptions(page_size=page_size)
    async with httpx.AsyncClient() as http:
        client = FhirClient(http, url, options=options)
        codes: list[str] = CODES if by_code else []
        categories: list[str] = []
        match_options = MatchOptions(as_of=date.today(), include_ineligible=True)
        # warm the connections
        record = await client.fetch_record(
            PATIENT, observation_codes=codes, observation_categories=categories
        )
        totals: list[float] = []
        whole: list[float] = []
        slowest: list[float] = []
        last: list[SearchTiming] = []
        for _ in range(runs):
            timings: list[SearchTiming] = []
            started = time.perf_counter()
            record = await client.fetch_record(
                PATIENT, observation_codes=codes, observation_categories=categories, timings=timings
            )
            totals.append(time.perf_counter() - started)
            match_record(record, LIBRARY, match_options)
            whole.append(time.perf_counter() - started)
            slowest.append(max(t.seconds for t in timings))
            last = timings
    resources = sum(len(record.of_type(t)) for t in record.resources)
    pages = sum(t.pages for t in last)
    print(
        f"patient {PATIENT}: Patient read + {len(last) - 1} searches,"
        f" {pages} pages, {resources} resources, _count={page_size},"
        f" observations {'by the codes the library reads' if by_code else 'unrestricted'}"
    )
    print(f"{'':24}{'median':>10}{'p95':>10}   over {runs} runs")
    rows = (
        ("pull + normalize + match", whole),
        ("fetch_record (the pull)", totals),
        ("slowest single search", slowest),
    )
    for name, values in rows:
        print(
            f"{name:24}{statistics.median(values) * 1000:>8.1f}ms"
            f"{percentile(values, 0.95) * 1000:>8.1f}ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running FHIR server holding tests/fixtures/ehr/")
    parser.add_argument("--server", choices=sorted(SERVERS), default="sekmet")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--by-code", action="store_true", help="name Observation codes")
    args = parser.parse_args()
    if args.url:
        asyncio.run(measure(args.url, args.runs, args.page_size, args.by_code))
        return
    script, folder_variable = SERVERS[args.server]
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, folder_variable: folder}
        url = subprocess.run(
            [str(script), "start"], env=env, check=True, capture_output=True, text=True
        ).stdout.split()[-1]
        try:
            subprocess.run(
                [str(script), "load", *map(str, FIXTURES)], env=env, check=True, capture_output=True
            )
            asyncio.run(measure(url, args.runs, args.page_size, args.by_code))
        finally:
            subprocess.run([str(script), "stop"], env=env, check=True)


if __name__ == "__main__":
    main()
