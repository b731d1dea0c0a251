"""The bundled example patients are what examples/build.py builds: no hand edits drift."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("examples_build", ROOT / "examples" / "build.py")
assert spec and spec.loader
build = importlib.util.module_from_spec(spec)
spec.loader.exec_module(build)


@pytest.mark.parametrize("name", sorted(build.SCENARIOS))
def test_example_file_matches_its_builder(name: str) -> None:
    on_disk = (ROOT / "examples" / "patients" / f"{name}.json").read_text()
    assert on_disk == build.render(name), f"run python examples/build.py to refresh {name}"
