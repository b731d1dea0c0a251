"""Load a folder of trial files into the store, idempotently.

Every ``*.yaml`` file in the folder is one trial (``*.examples.yaml`` files are worked
example patients, not trials, and are skipped). Each file is parsed and validated against
`app.eligibility.language.Trial` in full before anything is written, then written in its
own transaction: a bad file is reported and leaves no trace, and does not stop the good
files beside it. Loading the same folder twice writes nothing the second time; a changed
file replaces its trial. Example::

    report = load_directory(sessions, Path("criteria"))
    report.created, report.updated, report.unchanged      # NCT ids
    for problem in report.problems:
        print(problem)
        # criteria/NCT01234567.yaml:14: trial.missing: Field required (criteria.2.text)

Problems carry the file's path and the line of the failing field, found by walking
PyYAML's node tree (which keeps each node's position) along the validation error's loc.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from app.eligibility.language import Trial
from app.store.repository import upsert_trial

EXAMPLES_SUFFIX = ".examples.yaml"


@dataclass(frozen=True)
class LoadProblem:
    """Why one trial file was not loaded: a stable type, a message, and where."""

    path: Path
    line: int | None
    type: str
    msg: str
    loc: tuple[str | int, ...] = ()

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else str(self.path)
        at = f" ({'.'.join(str(part) for part in self.loc)})" if self.loc else ""
        return f"{where}: {self.type}: {self.msg}{at}"


class TrialFileError(Exception):
    """A trial file that cannot be loaded; `problems` says why and where."""

    def __init__(self, problems: Sequence[LoadProblem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = list(problems)


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    problems: list[LoadProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def trial_files(folder: Path) -> list[Path]:
    """The trial files of `folder`, by name; worked-example files are left out."""
    return sorted(
        path
        for path in folder.glob("*.yaml")
        if path.is_file() and not path.name.endswith(EXAMPLES_SUFFIX)
    )


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _node_at(root: yaml.Node, loc: Sequence[str | int]) -> yaml.Node:
    """The deepest node of `root` along `loc`.

    Parts that name no node (a union member's tag, or a field that is missing) are
    stepped over, so the answer is the closest node the file has.
    """
    node = root
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                    node = value
                    break
        elif (
            isinstance(node, yaml.SequenceNode)
            and isinstance(part, int)
            and 0 <= part < len(node.value)
        ):
            node = node.value[part]
    return node


def _key_node(root: yaml.Node, loc: Sequence[str | int]) -> yaml.Node:
    """The key node of the last part of `loc` (for fields that should not be there)."""
    parent = _node_at(root, loc[:-1])
    if isinstance(parent, yaml.MappingNode):
        for key, _ in parent.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(loc[-1]):
                return key
    return parent


def _duplicate_keys(path: Path, node: yaml.Node, loc: tuple[str | int, ...]) -> list[LoadProblem]:
    # PyYAML keeps the last of two equal keys without a word; in a trial file that would
    # silently drop a criterion's text or rule, so it is an error.
    problems: list[LoadProblem] = []
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = str(key.value) if isinstance(key, yaml.ScalarNode) else ""
            if name in seen:
                problems.append(
                    LoadProblem(
                        path, _line(key), "trial.duplicate_key", "Key given twice.", (*loc, name)
                    )
                )
            seen.add(name)
            problems += _duplicate_keys(path, value, (*loc, name))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            problems += _duplicate_keys(path, item, (*loc, index))
    return problems


def read_trial_file(path: Path) -> Trial:
    """Parse and validate one trial file; raises TrialFileError with every problem found."""
    return _read(path)[0]


def _read(path: Path) -> tuple[Trial, yaml.Node]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise TrialFileError(
            [LoadProblem(path, None, "trial.unreadable", "Not a readable UTF-8 file.")]
        ) from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data: Any = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = int(mark.line) + 1 if mark is not None else None
        raise TrialFileError(
            [LoadProblem(path, line, "trial.yaml_syntax", f"Not valid YAML: {exc.problem}.")]
        ) from None
    except yaml.YAMLError:
        raise TrialFileError(
            [LoadProblem(path, None, "trial.yaml_syntax", "Not valid YAML.")]
        ) from None
    if root is None:
        raise TrialFileError([LoadProblem(path, 1, "trial.empty", "The file holds no trial.")])
    problems = _duplicate_keys(path, root, ())
    if problems:
        raise TrialFileError(problems)
    try:
        trial = Trial.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors(include_input=False, include_url=False):
            loc = tuple(error["loc"])
            node = _key_node(root, loc) if error["type"] == "extra_forbidden" and loc else None
            node = node or _node_at(root, loc)
            problems.append(
                LoadProblem(path, _line(node), f"trial.{error['type']}", error["msg"], loc)
            )
        raise TrialFileError(problems) from None
    seen: set[str] = set()
    for index, criterion in enumerate(trial.criteria):
        if criterion.id in seen:
            loc = ("criteria", index, "id")
            problems.append(
                LoadProblem(
                    path,
                    _line(_node_at(root, loc)),
                    "trial.duplicate_criterion_id",
                    f"Criterion id {criterion.id} is used twice in this trial.",
                    loc,
                )
            )
        seen.add(criterion.id)
    if problems:
        raise TrialFileError(problems)
    return trial, root


def load_directory(sessions: sessionmaker[Session], folder: Path) -> LoadReport:
    """Load every trial file of `folder`, each in its own transaction."""
    report = LoadReport()
    loaded_from: dict[str, Path] = {}
    for path in trial_files(folder):
        try:
            trial, root = _read(path)
        except TrialFileError as exc:
            report.problems += exc.problems
            continue
        if trial.nct_id in loaded_from:
            report.problems.append(
                LoadProblem(
                    path,
                    _line(_node_at(root, ("nct_id",))),
                    "trial.duplicate_nct_id",
                    f"{trial.nct_id} is already loaded from {loaded_from[trial.nct_id].name}.",
                    ("nct_id",),
                )
            )
            continue
        loaded_from[trial.nct_id] = path
        with sessions.begin() as session:
            outcome = upsert_trial(session, trial, source=path.name)
        getattr(report, outcome).append(trial.nct_id)
    return report
