"""The software version a response names: the installed package's, from its metadata.

Example::

    >>> software_version()
    '0.1.0'

Read once from the installed distribution (pyproject.toml's ``version``), so it is the
version of the code that ran, whichever door (API, CLI) it ran through.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version

DISTRIBUTION = "trialmatch"


@lru_cache(maxsize=1)
def software_version() -> str:
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        # Run from a source tree that was never installed: say so rather than guess.
        return "unknown"
