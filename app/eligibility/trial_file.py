"""One validator for every way a trial enters trialmatch: a trial file read in full.

`read_trial` parses a YAML trial file and checks it against `app.eligibility.language.Trial`
and against what the schema cannot say: no key given twice, criterion ids unique and in
protocol order, the file named after its NCT id, ``applies_to`` naming a real criterion,
and every rule compiling (a lab unit that cannot be converted is refused here, not at the
first match). The folder loader of the store (`trialmatch trials load`) and the library
loader (`trialmatch criteria check`, the bundled library) both use it, so a file one accepts
the other accepts. Example::

    trial, root = read_trial(Path("criteria/NCT06949098.yaml"))
    # or, for a bad file:
    # TrialFileError: criteria/NCT01234567.yaml:14: trial.string_pattern_mismatch: String
    #   should match pattern '^(inc|exc)-\\d+(\\.[a-z])?$' (criteria.2.id)

Every problem carries the file, the line (found by walking PyYAML's node tree, which keeps
each node's position, along the error's location), a stable type and the location.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError

from app.eligibility.language import Rule, Trial
from app.eligibility.operators import compile_rule
from app.eligibility.units import UnitMismatch

RULE: TypeAdapter[Rule] = TypeAdapter(Rule)


@dataclass(frozen=True)
class TrialFileProblem:
    """Why one trial file was refused: a stable type, a message, and where."""

    path: Path
    line: int | None
    type: str
    message: str
    loc: tuple[str | int, ...] = ()

    @property
    def where(self) -> str:
        return ".".join(str(part) for part in self.loc)

    def __str__(self) -> str:
        place = f"{self.path}:{self.line}" if self.line is not None else str(self.path)
        at = f" ({self.where})" if self.loc else ""
        return f"{place}: {self.type}: {self.message}{at}"


class TrialFileError(ValueError):
    """One or more trial files are invalid; ``problems`` says where and why."""

    def __init__(self, problems: Sequence[TrialFileProblem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = list(problems)


def line_of(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def node_at(root: yaml.Node, loc: Sequence[str | int]) -> yaml.Node:
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
    parent = node_at(root, loc[:-1])
    if isinstance(parent, yaml.MappingNode):
        for key, _ in parent.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(loc[-1]):
                return key
    return parent


def _duplicate_keys(
    path: Path, node: yaml.Node, loc: tuple[str | int, ...]
) -> list[TrialFileProblem]:
    # PyYAML keeps the last of two equal keys without a word; in a trial file that would
    # silently drop a criterion's text or rule, so it is an error.
    problems: list[TrialFileProblem] = []
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = str(key.value) if isinstance(key, yaml.ScalarNode) else ""
            if name in seen:
                problems.append(
                    TrialFileProblem(
                        path, line_of(key), "trial.duplicate_key", "Key given twice.", (*loc, name)
                    )
                )
            seen.add(name)
            problems += _duplicate_keys(path, value, (*loc, name))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            problems += _duplicate_keys(path, item, (*loc, index))
    return problems


def read_yaml(path: Path) -> tuple[Any, yaml.Node]:
    """Data and node tree of a YAML file; raises TrialFileError if it is not readable YAML
    or holds nothing."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise TrialFileError(
            [TrialFileProblem(path, None, "trial.unreadable", "Not a readable UTF-8 file.")]
        ) from None
    return parse_yaml(text, path)


# libyaml's loader when PyYAML has it (its wheels do): the pure-Python one took ~0.3 s per
# imported trial file. Same safe constructors, same node marks for line numbers.
SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(text: str, path: Path) -> tuple[Any, yaml.Node]:
    """Data and node tree of YAML `text` read from `path` (named in problems)."""
    try:
        root = yaml.compose(text, Loader=SAFE_LOADER)
        data: Any = yaml.load(text, Loader=SAFE_LOADER)  # noqa: S506 - a safe loader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = int(mark.line) + 1 if mark is not None else None
        raise TrialFileError(
            [TrialFileProblem(path, line, "trial.yaml_syntax", f"Not valid YAML: {exc.problem}.")]
        ) from None
    except yaml.YAMLError:
        raise TrialFileError(
            [TrialFileProblem(path, None, "trial.yaml_syntax", "Not valid YAML.")]
        ) from None
    if root is None:
        raise TrialFileError([TrialFileProblem(path, 1, "trial.empty", "The file holds nothing.")])
    return data, root


def validation_problems(
    path: Path, root: yaml.Node, exc: ValidationError
) -> list[TrialFileProblem]:
    problems = []
    for error in exc.errors(include_input=False, include_url=False):
        loc = tuple(error["loc"])
        node = _key_node(root, loc) if error["type"] == "extra_forbidden" and loc else None
        node = node or node_at(root, loc)
        problems.append(
            TrialFileProblem(path, line_of(node), f"trial.{error['type']}", error["msg"], loc)
        )
    return problems


def _checks(path: Path, root: yaml.Node, trial: Trial) -> list[TrialFileProblem]:
    """What the schema cannot say."""
    problems: list[TrialFileProblem] = []

    def at(loc: tuple[str | int, ...], kind: str, message: str) -> None:
        problems.append(TrialFileProblem(path, line_of(node_at(root, loc)), kind, message, loc))

    seen: set[str] = set()
    last: dict[str, tuple[int, str]] = {}
    for i, c in enumerate(trial.criteria):
        if c.id in seen:
            at(
                ("criteria", i, "id"),
                "trial.duplicate_criterion_id",
                f"Criterion id {c.id} is used twice in this trial.",
            )
            continue
        seen.add(c.id)
        prefix, _, rest = c.id.partition("-")
        number, _, part = rest.partition(".")
        key = (int(number), part)
        if prefix in last and key <= last[prefix]:
            at(("criteria", i, "id"), "trial.criterion_order", f"{c.id} is out of protocol order.")
        last[prefix] = key
    if path.name != f"{trial.nct_id}.yaml":
        at(("nct_id",), "trial.file_name", f"The file should be named {trial.nct_id}.yaml.")
    if trial.applies_to is not None and trial.applies_to.criterion not in seen:
        at(
            ("applies_to", "criterion"),
            "trial.applies_to_criterion",
            f"No criterion {trial.applies_to.criterion} in this trial.",
        )
    for i, c in enumerate(trial.criteria):
        problem = None if c.rule is None else compile_problem(c.rule)
        if problem is not None:
            at(("criteria", i), "trial.unit_mismatch", problem)
    return problems


def compile_problem(rule: Rule) -> str | None:
    """Why `rule` does not compile (a lab unit that cannot be converted), or None."""
    try:
        compile_rule(rule)
    except UnitMismatch as exc:
        return str(exc)
    return None


def read_trial(path: Path) -> tuple[Trial, yaml.Node]:
    """Parse and validate one trial file; raises TrialFileError with every problem found."""
    return _validated(*read_yaml(path), path)


def validate_trial(trial: Trial) -> Trial:
    """`trial` checked as if it were its own trial file (written as YAML and read back),
    for a trial made in code: the same checks, the same problems."""
    document = trial.model_dump(mode="json", exclude_defaults=True)
    path = Path(f"{trial.nct_id}.yaml")
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    return _validated(*parse_yaml(text, path), path)[0]


def read_rule_file(path: Path) -> Rule:
    """One rule in a YAML file (what ``trialmatch trials curate --edit`` reads), checked as a
    criterion's rule in a trial file is: the Rule model, no key twice, compiling. Raises
    TrialFileError naming the file and line."""
    return _rule(*read_yaml(path), path)


def parse_rule(text: str, path: Path) -> Rule:
    """One rule in YAML `text` (what the curation page's form sends), checked as
    `read_rule_file` checks a file; `path` names it in problems."""
    return _rule(*parse_yaml(text, path), path)


def _rule(data: Any, root: yaml.Node, path: Path) -> Rule:
    problems = _duplicate_keys(path, root, ())
    if problems:
        raise TrialFileError(problems)
    try:
        rule = RULE.validate_python(data)
    except ValidationError as exc:
        raise TrialFileError(validation_problems(path, root, exc)) from None
    problem = compile_problem(rule)
    if problem is not None:
        raise TrialFileError(
            [TrialFileProblem(path, line_of(root), "trial.unit_mismatch", problem)]
        )
    return rule


def _validated(data: Any, root: yaml.Node, path: Path) -> tuple[Trial, yaml.Node]:
    problems = _duplicate_keys(path, root, ())
    if problems:
        raise TrialFileError(problems)
    try:
        trial = Trial.model_validate(data)
    except ValidationError as exc:
        raise TrialFileError(validation_problems(path, root, exc)) from None
    problems = _checks(path, root, trial)
    if problems:
        raise TrialFileError(problems)
    return trial, root


def read_trial_file(path: Path) -> Trial:
    return read_trial(path)[0]
