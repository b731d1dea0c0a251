"""What a rule may assume when nothing is recorded, and how the verdict says so."""

from __future__ import annotations

ABSENT_DIAGNOSIS = "no recorded diagnosis counts as absent"


ABSENT_TREATMENT = "no recorded treatment counts as none"
