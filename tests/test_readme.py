"""The README documents every setting."""

from __future__ import annotations

import re

from app.config import REPO_ROOT, Settings


def test_every_setting_is_in_the_configuration_table() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `(TRIALMATCH_[A-Z_]+)` \|", readme, flags=re.MULTILINE))
    settings = {f"TRIALMATCH_{name.upper()}" for name in Settings.model_fields}
    assert settings - documented == set(), "add these settings to the README's table"
    assert documented - settings == set(), "the README documents settings that do not exist"
