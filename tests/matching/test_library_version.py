"""The library version a match names: per trial a content hash, for the library a digest.

The hash must be the same whichever process computes it and however the library was
loaded (from the trial files, or from the store), and must change when a criterion does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from app.config import REPO_ROOT
from app.eligibility.fingerprint import library_digest, trial_content_hash
from app.eligibility.library import Library, load_library
from app.eligibility.trial_file import read_trial_file
from app.store.live_library import compile_store, store_fingerprint
from app.store.loader import load_directory
from app.store.repository import get_trial

CRITERIA = REPO_ROOT / "criteria"
TRIAL = "NCT06949098"

_PRINT_HASHES = """
import json, sys
from pathlib import Path
from app.eligibility.library import load_library
library = load_library(Path(sys.argv[1]))
print(json.dumps({"hashes": library.content_hashes, "digest": library.digest}))
"""


def hashes_in_another_process(folder: Path, hash_seed: str) -> dict[str, object]:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}  # str hashing differs between the two
    done = subprocess.run(
        [sys.executable, "-c", _PRINT_HASHES, str(folder)],
        capture_output=True,
        check=True,
        cwd=REPO_ROOT,
        env=env,
        text=True,
        timeout=120,
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_two_processes_compute_the_same_hashes_and_digest() -> None:
    first = hashes_in_another_process(CRITERIA, "1")
    second = hashes_in_another_process(CRITERIA, "2")
    here = load_library(CRITERIA)

    assert first == second
    assert first == {"hashes": here.content_hashes, "digest": here.digest}
    assert set(here.content_hashes) == {"NCT06043999", "NCT06122493", "NCT06949098"}
    assert len(set(here.content_hashes.values())) == 3
    assert all(len(h) == 64 and int(h, 16) >= 0 for h in here.content_hashes.values())


def test_the_library_compiled_from_the_store_names_the_same_hashes_as_the_files(
    sessions: sessionmaker[Session],
) -> None:
    report = load_directory(sessions, CRITERIA)
    assert report.ok and len(report.created) == 3
    from_files = load_library(CRITERIA)
    with sessions() as session:
        from_store = compile_store(session)
        stored = get_trial(session, TRIAL)
        fingerprint = store_fingerprint(session)

    assert from_store.content_hashes == from_files.content_hashes
    assert stored is not None and stored.content_hash == from_files.content_hashes[TRIAL]
    assert from_store.digest == from_files.digest == fingerprint


def changed_copy(tmp_path: Path, old: str, new: str) -> Path:
    folder = tmp_path / "changed"
    folder.mkdir()
    for path in CRITERIA.glob("NCT*.yaml"):
        (folder / path.name).write_bytes(path.read_bytes())
    target = folder / f"{TRIAL}.yaml"
    text = target.read_text(encoding="utf-8")
    assert text.count(old) == 1
    target.write_text(text.replace(old, new), encoding="utf-8")
    return folder


def test_changing_one_criterion_changes_that_trials_hash_and_the_digest(tmp_path: Path) -> None:
    before = load_library(CRITERIA)
    # inc-2: ECOG 0-1 becomes 0-2 (rule only; the text is left as it was).
    folder = changed_copy(
        tmp_path, "{op: performance, scale: ecog, lte: 1}", "{op: performance, scale: ecog, lte: 2}"
    )
    after = load_library(folder)

    changed = {
        i for i in before.content_hashes if before.content_hashes[i] != after.content_hashes[i]
    }
    assert changed == {TRIAL}
    assert after.digest != before.digest


def test_changing_a_criterions_text_alone_changes_the_hash(tmp_path: Path) -> None:
    original = read_trial_file(CRITERIA / f"{TRIAL}.yaml")
    folder = changed_copy(tmp_path, "text: ECOG performance status 0-1\n", "text: ECOG 0-1\n")
    edited = read_trial_file(folder / f"{TRIAL}.yaml")
    assert trial_content_hash(edited) != trial_content_hash(original)


def test_a_stored_hash_is_what_the_library_names() -> None:
    """A document stored by another software version may dump differently today; the
    library names the hash the store shows (/v1/trials), not one recomputed."""
    trial = read_trial_file(CRITERIA / f"{TRIAL}.yaml")
    library = Library.from_trials([trial], content_hashes={TRIAL: "ab" * 32})
    assert library.content_hashes == {TRIAL: "ab" * 32}
    assert library.digest == library_digest([(TRIAL, "ab" * 32)])
    assert Library.from_trials([trial]).content_hashes == {TRIAL: trial_content_hash(trial)}


def test_the_digest_does_not_depend_on_the_order_of_the_trials() -> None:
    pairs = [("NCT00000002", "b" * 64), ("NCT00000001", "a" * 64)]
    assert library_digest(pairs) == library_digest(reversed(pairs))
    assert library_digest(pairs) != library_digest([("NCT00000001", "b" * 64)])
