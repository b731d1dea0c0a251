"""A running service sees trials loaded into the store after it started."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from app.config import REPO_ROOT
from app.store.live_library import LiveLibrary, store_fingerprint
from app.store.loader import load_directory
from app.store.migrate import upgrade
from app.store.session import make_engine, make_session_factory

CRITERIA = REPO_ROOT / "criteria"


def test_trials_loaded_after_start_are_compiled_on_a_later_request(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    sessions = make_session_factory(engine)
    first = tmp_path / "first"
    first.mkdir()
    shutil.copy(CRITERIA / "NCT06949098.yaml", first)
    load_directory(sessions, first)

    live = LiveLibrary(sessions, refresh_seconds=0.01)
    assert live.refresh() is True
    assert set(live.library.trials) == {"NCT06949098"}  # type: ignore[union-attr]
    assert live.refresh() is False  # nothing changed: nothing recompiled

    load_directory(sessions, CRITERIA)  # e.g. `trialmatch trials load` from another shell
    asyncio.run(asyncio.sleep(0.02))
    library = asyncio.run(live.current())
    assert library is not None
    assert set(library.trials) == {"NCT06043999", "NCT06949098", "NCT06122493"}
    engine.dispose()


def test_refresh_zero_never_rechecks(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    sessions = make_session_factory(engine)
    live = LiveLibrary(sessions, refresh_seconds=0)
    live.refresh()
    load_directory(sessions, CRITERIA)
    library = asyncio.run(live.current())
    assert library is not None and len(library) == 0
    with sessions() as session:
        assert store_fingerprint(session) != ""
    engine.dispose()
