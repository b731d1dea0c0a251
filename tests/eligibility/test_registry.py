"""The operator registry covers the whole rule language, once."""

import pytest

from app.eligibility import operators  # noqa: F401  (fills the registry)
from app.eligibility.language import AgeRule
from app.eligibility.operators.registry import operator, registered, rule_models


def test_every_rule_model_has_an_operator() -> None:
    missing = [m.__name__ for m in rule_models() if m not in registered()]
    assert missing == []


def test_registering_a_second_compiler_for_a_model_is_refused() -> None:
    with pytest.raises(RuntimeError, match="two compilers"):
        operator(AgeRule)(lambda rule: lambda facts: None)  # type: ignore[arg-type,return-value]
