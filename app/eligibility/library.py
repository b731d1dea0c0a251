"""The trial library: trial files loaded, validated, compiled once, indexed by cancer site.

Example::

    >>> library = load_library(Path("criteria"))
    >>> [t.trial.nct_id for t in library.applicable({"rectum"})]
    ['NCT06043999', 'NCT06949098']

A file that does not validate raises `LibraryError`; each of its problems names the file
and the line (``criteria/NCT06949098.yaml:42: criteria.3.rule.lab.gte: ...``).

The index: a trial with ``applies_to`` is filed under its cancer sites. For a patient whose
recorded primary cancers are all at other sites, the trial cannot apply: the matcher does
not evaluate it (or, when ineligible trials are asked for, evaluates only the decisive
criterion). A trial without ``applies_to``, or a patient with no primary cancer recorded,
is always evaluated in full, so the index never hides a trial that might apply.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from app.eligibility.evaluate import CompiledTrial, compile_trial
from app.eligibility.language import Trial
from app.eligibility.units import UnitMismatch

TRIAL_GLOB = "NCT*.yaml"
EXAMPLES_SUFFIX = ".examples.yaml"


@dataclass(frozen=True)
class Problem:
    path: str
    line: int | None
    where: str
    message: str

    def __str__(self) -> str:
        at = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{at}: {self.where}: {self.message}" if self.where else f"{at}: {self.message}"


class LibraryError(ValueError):
    """One or more trial files are invalid; ``problems`` says where and why."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = list(problems)


def node_line(root: yaml.Node | None, loc: Sequence[str | int]) -> int | None:
    """The 1-based line of the YAML node at a pydantic error location (or its nearest parent).

    Parts of ``loc`` that name no key (a union member's tag such as ``lab``) are skipped.
    """
    node = root
    line = None if node is None else node.start_mark.line + 1
    for part in loc:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if k.value == part), None)
            if child is None and any(k.value == part for k, _ in node.value):
                child = node
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            child = node.value[part] if 0 <= part < len(node.value) else None
        if child is None:
            continue
        node = child
        line = node.start_mark.line + 1
    return line


def read_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    """Data and node tree of a YAML file; raises LibraryError on a syntax error."""
    try:
        text = path.read_text(encoding="utf-8")
        return yaml.safe_load(text), yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise LibraryError(
            [Problem(str(path), mark.line + 1 if mark else None, "", f"YAML: {exc.problem}")]
        ) from None
    except (OSError, yaml.YAMLError) as exc:
        raise LibraryError([Problem(str(path), None, "", type(exc).__name__)]) from None


def validation_problems(path: Path, root: yaml.Node | None, exc: ValidationError) -> list[Problem]:
    return [
        Problem(
            str(path),
            node_line(root, err["loc"]),
            ".".join(str(p) for p in err["loc"]),
            err["msg"],
        )
        for err in exc.errors(include_url=False)
    ]


def _check_trial(path: Path, root: yaml.Node | None, trial: Trial) -> list[Problem]:
    """What the schema cannot say: unique ids in protocol order, a real decisive criterion."""
    problems = []

    def at(index: int, message: str) -> None:
        problems.append(
            Problem(str(path), node_line(root, ["criteria", index]), f"criteria.{index}", message)
        )

    seen: set[str] = set()
    last: dict[str, tuple[int, str]] = {}
    for i, c in enumerate(trial.criteria):
        if c.id in seen:
            at(i, f"duplicate id {c.id}")
        seen.add(c.id)
        prefix, _, rest = c.id.partition("-")
        number, _, part = rest.partition(".")
        key = (int(number), part)
        if prefix in last and key <= last[prefix]:
            at(i, f"{c.id} is out of protocol order")
        last[prefix] = key
    if path.name.endswith(".yaml") and path.name != f"{trial.nct_id}.yaml":
        problems.append(Problem(str(path), 1, "nct_id", f"file should be {trial.nct_id}.yaml"))
    if trial.applies_to is not None and trial.applies_to.criterion not in seen:
        problems.append(
            Problem(
                str(path),
                node_line(root, ["applies_to", "criterion"]),
                "applies_to.criterion",
                f"no criterion {trial.applies_to.criterion}",
            )
        )
    for i, c in enumerate(trial.criteria):
        if c.rule is None:
            continue
        try:
            compile_trial(trial.model_copy(update={"criteria": [c]}))
        except UnitMismatch as exc:
            at(i, str(exc))
    return problems


def load_trial_file(path: Path) -> Trial:
    """Read and validate one trial file; raises LibraryError naming file and line."""
    data, root = read_yaml(path)
    try:
        trial = Trial.model_validate(data)
    except ValidationError as exc:
        raise LibraryError(validation_problems(path, root, exc)) from None
    problems = _check_trial(path, root, trial)
    if problems:
        raise LibraryError(problems)
    return trial


@dataclass
class Library:
    """Compiled trials by NCT id, and the index of trials by cancer site."""

    trials: dict[str, CompiledTrial] = field(default_factory=dict)
    by_site: dict[str, list[str]] = field(default_factory=dict)
    unindexed: list[str] = field(default_factory=list)

    @classmethod
    def from_trials(cls, trials: Iterable[Trial]) -> Library:
        library = cls()
        for trial in trials:
            if trial.nct_id in library.trials:
                raise ValueError(f"{trial.nct_id} appears twice")
            library.trials[trial.nct_id] = compile_trial(trial)
            if trial.applies_to is None:
                library.unindexed.append(trial.nct_id)
            else:
                for site in trial.applies_to.cancer_sites:
                    library.by_site.setdefault(site, []).append(trial.nct_id)
        return library

    def __len__(self) -> int:
        return len(self.trials)

    def applicable_ids(self, sites: set[str] | None) -> set[str]:
        """Ids of trials that may apply to a patient with primary cancers at ``sites``
        (None: no primary cancer recorded, so every trial may apply)."""
        if sites is None:
            return set(self.trials)
        found = set(self.unindexed)
        for site in sites:
            found.update(self.by_site.get(site, ()))
        return found

    def applicable(self, sites: set[str] | None) -> list[CompiledTrial]:
        """Trials that may apply, in id order; the cost follows their number only."""
        return [self.trials[i] for i in sorted(self.applicable_ids(sites))]

    def not_applicable(self, sites: set[str] | None) -> list[CompiledTrial]:
        """Trials that cannot apply, in id order (walks the whole library)."""
        ids = self.applicable_ids(sites)
        return [t for i, t in sorted(self.trials.items()) if i not in ids]


def trial_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob(TRIAL_GLOB) if not p.name.endswith(EXAMPLES_SUFFIX))


def load_library(directory: Path) -> Library:
    """Load every trial file of a folder; all problems of all files are raised together."""
    trials, problems = [], []
    for path in trial_files(directory):
        try:
            trials.append(load_trial_file(path))
        except LibraryError as exc:
            problems.extend(exc.problems)
    if problems:
        raise LibraryError(problems)
    return Library.from_trials(trials)
