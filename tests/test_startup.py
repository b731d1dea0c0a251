"""Start-up leaves the garbage collector settled: the app's long-lived objects frozen, the
thresholds raised (app/main.py, `settle_gc`). Run in a fresh interpreter, since freezing
is once per process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from app.main import GC_THRESHOLDS, GIL_SWITCH_SECONDS

REPO = Path(__file__).resolve().parent.parent

PROGRAM = """
import gc, json, sys
from fastapi.testclient import TestClient
from app.config import Settings
from app.main import create_app

settings = Settings(database_url="sqlite:///" + sys.argv[1], rate_limit_per_minute=0)
before = gc.get_freeze_count()
with TestClient(create_app(settings), client=("127.0.0.1", 50000)) as client:
    ready = client.get("/readyz").status_code
    print(json.dumps({"before": before, "after": gc.get_freeze_count(),
                      "thresholds": gc.get_threshold(), "ready": ready,
                      "switch": sys.getswitchinterval()}))
"""


def test_after_start_up_the_apps_objects_are_frozen_and_thresholds_raised(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, str(tmp_path / "store.db")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["ready"] == 200
    assert seen["before"] == 0
    assert seen["after"] > 10_000  # fhir.resources, pydantic, the library: all frozen
    assert tuple(seen["thresholds"]) == GC_THRESHOLDS
    # Matches run in threads: the event loop gets the GIL back sooner than the default 5 ms.
    assert seen["switch"] == GIL_SWITCH_SECONDS < 0.005
