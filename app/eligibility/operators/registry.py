"""The operator registry: each rule model bound to the function that compiles it.

A family module registers its operators with `operator`; `compile_rule` looks a rule up by
its model. The package imports every family module, so importing `app.eligibility.operators`
gives a complete registry (a test checks that every rule model of the language has one).
Example::

    @operator(AgeRule)
    def _age(rule: AgeRule) -> Evaluator:
        ...

    evaluate = compile_rule(AgeRule(op="age", gte=18))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, get_args

from pydantic import BaseModel

from app.eligibility.language import Rule
from app.eligibility.logic import Finding
from app.eligibility.view import PatientView

Evaluator = Callable[[PatientView], Finding]
R = TypeVar("R", bound=BaseModel)

_COMPILERS: dict[type[BaseModel], Callable[[Any], Evaluator]] = {}


def operator(model: type[R]) -> Callable[[Callable[[R], Evaluator]], Callable[[R], Evaluator]]:
    """Register the compiler of one rule model (one per model)."""

    def register(compiler: Callable[[R], Evaluator]) -> Callable[[R], Evaluator]:
        if model in _COMPILERS:
            raise RuntimeError(f"two compilers registered for {model.__name__}")
        _COMPILERS[model] = compiler
        return compiler

    return register


def rule_models() -> tuple[type[BaseModel], ...]:
    """Every rule model of the language, in the order of the `Rule` union."""
    return tuple(get_args(get_args(Rule)[0]))


def registered() -> frozenset[type[BaseModel]]:
    return frozenset(_COMPILERS)


def compile_rule(rule: Rule) -> Evaluator:
    """Compile a rule into an evaluator; raises UnitMismatch for an unconvertible lab unit."""
    compiler = _COMPILERS.get(type(rule))
    if compiler is None:
        raise TypeError(f"no operator is registered for {type(rule).__name__}")
    return compiler(rule)


def operator_docs() -> dict[str, str]:
    """Each operator's name and the first paragraph of its docstring (for VOCABULARY.md)."""
    docs = {}
    for model in rule_models():
        op = get_args(model.model_fields["op"].annotation)[0]
        docs[op] = " ".join((model.__doc__ or "").split())
    return docs
