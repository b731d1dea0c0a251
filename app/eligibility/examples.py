"""Worked example patients beside each trial file, and the check that runs them.

``criteria/NCTxxxxxxxx.examples.yaml`` holds patients written as `PatientFacts` data with
the expected outcome of every criterion and the expected trial status. Reusable facts go
under ``facts:`` and are referred to with YAML aliases. Example::

    trial: NCT06949098
    facts:
      age_60: &age_60 {kind: age, years_min: 60, years_max: 60, birth_date_precision: day}
    examples:
      - name: eligible_ct2n0_rectal_6cm
        patient: {patient: Patient/ex-1, as_of: 2026-11-22, facts: [*age_60, ...]}
        status: eligible
        criteria: {inc-1: pass, inc-6: review, ...}

Expected outcomes: ``pass``, ``fail``, ``unknown`` (unknown for lack of data) and
``review`` (unknown, for a person). Every criterion of the trial must be listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.eligibility.evaluate import CompiledTrial, TrialVerdict, evaluate_trial
from app.eligibility.library import EXAMPLES_SUFFIX, Library
from app.eligibility.trial_file import (
    TrialFileError,
    TrialFileProblem,
    read_yaml,
    validation_problems,
)
from app.eligibility.verdict import CriterionVerdict, TrialStatus
from app.facts.model import PatientFacts

Expected = Literal["pass", "fail", "unknown", "review"]


class Example(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9_]+$", description="The scenario, in snake case.")
    description: str
    patient: PatientFacts
    status: TrialStatus
    criteria: dict[str, Expected]


class ExampleFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    trial: str = Field(pattern=r"^NCT\d{8}$")
    facts: dict[str, Any] = Field(
        default_factory=dict, description="Reusable facts, referred to with YAML aliases."
    )
    examples: list[Example] = Field(min_length=1)


def observed(verdict: CriterionVerdict) -> Expected:
    if verdict.outcome == "unknown":
        return "review" if verdict.needs == "review" else "unknown"
    return verdict.outcome


@dataclass(frozen=True)
class ExampleResult:
    trial: str
    example: Example
    verdict: TrialVerdict
    mismatches: list[str]

    @property
    def ok(self) -> bool:
        return not self.mismatches


def run_example(compiled: CompiledTrial, example: Example) -> ExampleResult:
    verdict = evaluate_trial(compiled, example.patient)
    got = {v.id: observed(v) for v in verdict.verdicts}
    mismatches = [
        f"{cid}: expected {want}, got {got.get(cid, 'no such criterion')}"
        for cid, want in example.criteria.items()
        if got.get(cid) != want
    ]
    mismatches += [
        f"{cid}: not in the example's expectations" for cid in got if cid not in example.criteria
    ]
    if verdict.status != example.status:
        mismatches.append(f"status: expected {example.status}, got {verdict.status}")
    return ExampleResult(compiled.trial.nct_id, example, verdict, mismatches)


def load_example_file(path: Path) -> ExampleFile:
    data, root = read_yaml(path)
    try:
        return ExampleFile.model_validate(data)
    except ValidationError as exc:
        raise TrialFileError(validation_problems(path, root, exc)) from None


def example_files(directory: Path) -> list[Path]:
    return sorted(directory.glob(f"NCT*{EXAMPLES_SUFFIX}"))


def run_examples(directory: Path, library: Library) -> list[ExampleResult]:
    """Run every worked example of every trial; a trial without examples is a problem."""
    results, problems = [], []
    covered = set()
    for path in example_files(directory):
        try:
            file = load_example_file(path)
        except TrialFileError as exc:
            problems.extend(exc.problems)
            covered.add(path.name.removesuffix(EXAMPLES_SUFFIX))
            continue
        if file.trial not in library.trials:
            problems.append(
                TrialFileProblem(
                    path, 1, "examples.unknown_trial", f"No trial {file.trial} in the library."
                )
            )
            continue
        covered.add(file.trial)
        results += [run_example(library.trials[file.trial], e) for e in file.examples]
    problems += [
        TrialFileProblem(
            directory / f"{nct}{EXAMPLES_SUFFIX}", None, "examples.missing", "No worked examples."
        )
        for nct in sorted(set(library.trials) - covered)
    ]
    if problems:
        raise TrialFileError(problems)
    return results
