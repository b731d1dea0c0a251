"""Where a screening worker gets the trial library: a criteria folder or the store.

A worker process loads the library once, from a description it can be sent (a path or a
database URL, never a compiled library: it would be pickled for every process). The store
is what the running service matches against (curation included); a folder is what
``trialmatch match`` reads. Example::

    source = LibrarySource(criteria_dir=Path("criteria"))
    library = source.load()
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.eligibility.library import Library, load_library


@dataclass(frozen=True)
class LibrarySource:
    """Exactly one of ``criteria_dir`` and ``database_url``."""

    criteria_dir: Path | None = None
    database_url: str | None = None

    def __post_init__(self) -> None:
        if (self.criteria_dir is None) == (self.database_url is None):
            raise ValueError("give either a criteria folder or a database URL")

    def load(self) -> Library:
        if self.criteria_dir is not None:
            return load_library(self.criteria_dir)
        # Imported here: a folder-only run needs no database driver.
        from app.store.live_library import compile_store
        from app.store.session import make_engine, make_session_factory

        assert self.database_url is not None
        engine = make_engine(self.database_url)
        try:
            with make_session_factory(engine)() as session:
                return compile_store(session)
        finally:
            engine.dispose()
