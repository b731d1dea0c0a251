"""Time to evaluate one patient against a generated library of 1,000 and 10,000 trials.

The library is made from the three seed trials by varying their thresholds (each number
in a rule moved by up to +/-20 %) and their condition: most generated trials are for
other cancers (colon, esophagus, rectosigmoid, other), so they cannot apply to the
patient, a cT2N0M0 rectal adenocarcinoma. The condition index must keep the cost from
growing with those trials. Run::

    PYTHONPATH=. python bench/evaluate.py            # 1,000 and 10,000 trials
    PYTHONPATH=. python bench/evaluate.py --repeat 9

It prints, per library size: the time to compile the library (once, at load), and the
median time of one `match_facts` call (a) as served (applicable trials only), (b) with
``include_ineligible`` (screened trials cost one criterion each), and (c) with no index
(every trial evaluated in full), for comparison.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

from app.config import REPO_ROOT
from app.eligibility.evaluate import evaluate_trial
from app.eligibility.examples import load_example_file
from app.eligibility.language import Trial
from app.eligibility.library import Library, load_library
from app.facts.model import PatientFacts
from app.matching.service import match_facts

OTHER_SITES = ["colon", "esophagus", "rectosigmoid", "other"]
BOUND_KEYS = {"gte", "gt", "lte", "lt", "depth_um_gt"}


def _vary(node: Any, rng: random.Random, site_from: str, site_to: str) -> Any:
    """Copy a rule tree, moving numeric bounds and re-targeting the cancer site."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key in BOUND_KEYS and isinstance(value, int | float) and value > 3:
                out[key] = round(value * rng.uniform(0.8, 1.2), 1)
            elif key in ("sites", "index_sites") and isinstance(value, list):
                out[key] = [site_to if s == site_from else s for s in value]
            else:
                out[key] = _vary(value, rng, site_from, site_to)
        return out
    if isinstance(node, list):
        return [_vary(v, rng, site_from, site_to) for v in node]
    return node


def generate(seeds: list[Trial], size: int, applicable: int, rng: random.Random) -> list[Trial]:
    """``size`` trials, of which ``applicable`` keep a rectal condition."""
    rectal = [t for t in seeds if t.applies_to and "rectum" in t.applies_to.cancer_sites]
    trials = []
    for i in range(size):
        seed = rectal[i % len(rectal)] if i < applicable else seeds[i % len(seeds)]
        site_from = seed.applies_to.cancer_sites[0] if seed.applies_to else "rectum"
        site_to = site_from if i < applicable else rng.choice(OTHER_SITES)
        if i >= applicable and site_to == "rectum":
            site_to = "colon"
        data = _vary(seed.model_dump(mode="json", exclude_none=True), rng, site_from, site_to)
        data["nct_id"] = f"NCT9{i:07d}"
        data["applies_to"]["cancer_sites"] = [site_to]
        trials.append(Trial.model_validate(data))
    return trials


def median_seconds(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def patient() -> PatientFacts:
    file = load_example_file(REPO_ROOT / "criteria" / "NCT06949098.examples.yaml")
    return next(e.patient for e in file.examples if e.name == "eligible_ct2n0m0_rectal_6cm")


def bench(size: int, applicable: int, repeat: int, facts: PatientFacts) -> dict[str, float]:
    seeds = [t.trial for t in load_library(REPO_ROOT / "criteria").trials.values()]
    trials = generate(seeds, size, applicable, random.Random(size * 7 + applicable))
    start = time.perf_counter()
    library = Library.from_trials(trials)
    compile_s = time.perf_counter() - start
    served = match_facts(facts, library)
    assert all(m.trial.startswith("NCT9") for m in served.matches)
    return {
        "compile": compile_s,
        "served": median_seconds(lambda: match_facts(facts, library), repeat),
        "with_ineligible": median_seconds(
            lambda: match_facts(facts, library, include_ineligible=True), repeat
        ),
        "no_index": median_seconds(
            lambda: [evaluate_trial(t, facts) for t in library.trials.values()], repeat
        ),
        "matches": float(len(served.matches)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    facts = patient()
    rows = [
        ("1,000 trials, 100 rectal", 1_000, 100),
        ("10,000 trials, 100 rectal", 10_000, 100),
        ("10,000 trials, 1,000 rectal", 10_000, 1_000),
    ]
    print(f"patient: {facts.patient} (cT2N0M0 rectal adenocarcinoma); median of {args.repeat}")
    header = f"{'library':<30}{'compile':>10}{'served':>10}{'+inelig.':>10}{'no index':>10}"
    print(header + f"{'matches':>9}")
    for label, size, applicable in rows:
        r = bench(size, applicable, args.repeat, facts)
        print(
            f"{label:<30}{r['compile']:>9.2f}s{r['served'] * 1000:>8.1f}ms"
            f"{r['with_ineligible'] * 1000:>8.1f}ms{r['no_index'] * 1000:>8.1f}ms"
            f"{int(r['matches']):>9}"
        )


if __name__ == "__main__":
    main()
