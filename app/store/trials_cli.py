"""`trialmatch trials list | show | remove | curate`: the stored library, for the people who
keep it.

$ trialmatch trials list                      # one line per trial; --json for machines
$ trialmatch trials show NCT03377387          # metadata and every criterion with its rule
$ trialmatch trials remove NCT03377387 --yes  # a running service drops it on its next refresh
$ trialmatch trials curate NCT03377387 inc-0.b --accept --by "J. Doe"
$ trialmatch trials curate NCT03377387 inc-4 --edit rule.yaml --by "J. Doe" --note "..."

``list`` shows, per trial, its criteria per encoding and its source, a quarantined trial's
reason (decided by the same functions the service uses: `read_stored` and
`compile_or_quarantine`, so what it prints is what the service leaves out), and the load
warnings of `app.eligibility.trial_warnings`. Stored text comes from registry records and
trial files: it is printed with control and invisible characters as escapes
(`app.store.audit_cli.visible`). Curation is `app.store.curation`: one transaction with its
audit row. Refusals exit 1 with ``error: <type>: <message>``; a store without tables exits 2.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from app.config import get_settings
from app.eligibility.language import Trial
from app.eligibility.library import Quarantine, compile_or_quarantine
from app.eligibility.rule_yaml import rule_yaml
from app.eligibility.trial_file import TrialFileError, read_rule_file
from app.eligibility.trial_warnings import TrialWarning, trial_warnings
from app.store.audit_cli import visible
from app.store.curation import Accept, Action, CurationError, Edit, Reject, curate
from app.store.live_library import read_stored
from app.store.migrate import current_revision
from app.store.models import TrialRow
from app.store.repository import count_trials, get_trial, list_trials, remove_trial
from app.store.session import make_engine, make_session_factory

ENCODINGS = ("curated", "suggested", "text")
CURATOR_MAX = 200
DONE = {"accept": "accepted", "reject": "rejected", "edit": "edited"}


@contextmanager
def store() -> Iterator[sessionmaker[Session]]:
    """Sessions on TRIALMATCH_DATABASE_URL; exits 2 when the database has no tables yet."""
    engine = make_engine(get_settings().database_url)
    try:
        if current_revision(engine) is None:
            typer.echo(
                "error: the database has no tables yet: run `trialmatch db upgrade`", err=True
            )
            raise typer.Exit(2)
        yield make_session_factory(engine)
    finally:
        engine.dispose()


def fail(kind: str, message: str) -> typer.Exit:
    typer.echo(f"error: {kind}: {message}", err=True)
    return typer.Exit(1)


def encoding_counts(document: dict[str, Any]) -> dict[str, int]:
    """Criteria per encoding, from the stored document (curated when it says nothing)."""
    counts = Counter(c.get("encoding", "curated") for c in document.get("criteria", []))
    return {encoding: counts[encoding] for encoding in ENCODINGS}


def assess(document: dict[str, Any]) -> tuple[Quarantine | None, list[TrialWarning]]:
    """Why the service leaves this stored trial out (None: it does not), and its warnings."""
    trial = read_stored(document)
    if isinstance(trial, Quarantine):
        return trial, []
    compiled = compile_or_quarantine(trial)
    return (compiled if isinstance(compiled, Quarantine) else None), trial_warnings(trial)


def _entry(row: TrialRow) -> dict[str, Any]:
    quarantine, warnings = assess(row.document)
    return {
        "nct_id": row.nct_id,
        "status": row.status,
        "phase": row.phase,
        "encodings": encoding_counts(row.document),
        "source": row.source,
        "quarantined": None
        if quarantine is None
        else {"type": quarantine.type, "message": quarantine.message},
        "warnings": [{"type": w.type, "message": w.message} for w in warnings],
    }


def _line(entry: dict[str, Any]) -> str:
    counts = entry["encodings"]
    parts = [
        entry["nct_id"],
        f"{visible(entry['status']):<23}",
        f"{visible(entry['phase'] or '-'):<13}",
        f"curated {counts['curated']:>3}  suggested {counts['suggested']:>3}  "
        f"text {counts['text']:>3}",
        visible(entry["source"] or "-"),
    ]
    if entry["quarantined"] is not None:
        reason = entry["quarantined"]
        parts.append(visible(f"QUARANTINED: {reason['type']}: {reason['message']}"))
    parts += [visible(f"warning: {w['message']}") for w in entry["warnings"]]
    return "  ".join(parts)


def list_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
) -> None:
    """List every stored trial: status, phase, criteria per encoding, source, and why a
    trial is quarantined (left out of matching)."""
    with store() as sessions, sessions() as session:
        rows = list_trials(session, limit=count_trials(session)).items
        entries = [_entry(row) for row in rows]
    if as_json:
        typer.echo(json.dumps(entries, indent=2, ensure_ascii=False))
        return
    for entry in entries:
        typer.echo(_line(entry))
    quarantined = sum(e["quarantined"] is not None for e in entries)
    warned = sum(bool(e["warnings"]) for e in entries)
    typer.echo(f"{len(entries)} trials, {quarantined} quarantined, {warned} with warnings")


def _show_lines(row: TrialRow) -> Iterator[str]:
    doc = row.document
    quarantine, warnings = assess(doc)
    counts = encoding_counts(doc)
    yield f"{row.nct_id}  {doc.get('title')}"
    if doc.get("official_title"):
        yield f"official title: {doc['official_title']}"
    yield f"status: {row.status}  phase: {row.phase or '-'}  sponsor: {doc.get('sponsor') or '-'}"
    yield f"dates: {doc.get('start_date') or '?'} to {doc.get('end_date') or '?'}"
    yield f"conditions: {'; '.join(doc.get('conditions', [])) or '-'}"
    ages = f"{doc.get('minimum_age') or '-'} to {doc.get('maximum_age') or '-'}"
    yield f"ages: {ages}  healthy volunteers: {doc.get('healthy_volunteers', '-')}"
    applies = doc.get("applies_to")
    yield (
        f"applies to: {', '.join(applies['cancer_sites'])} (criterion {applies['criterion']})"
        if applies
        else "applies to: every patient (no applies_to)"
    )
    yield f"sites: {len(doc.get('sites', []))}  arms: {len(doc.get('arms', []))}"
    yield f"source: {row.source or '-'}  stored: {row.updated_at:%Y-%m-%d %H:%M:%S}"
    yield (
        f"criteria: {counts['curated']} curated, {counts['suggested']} suggested, "
        f"{counts['text']} text"
        + ("" if counts["suggested"] + counts["text"] == 0 else ": at most possibly_eligible")
    )
    if quarantine is not None:
        yield f"QUARANTINED: {quarantine}"
    for warning in warnings:
        yield f"warning: {warning.message}"
    for c in doc.get("criteria", []):
        yield ""
        yield f"{c.get('id')}  {c.get('type')}  {c.get('encoding', 'curated')}"
        yield f"  text: {c.get('text')}"
        if c.get("registry_text") is not None:
            yield f"  registry text now (changed since curation): {c['registry_text']}"
        if c.get("rule") is not None:
            yield "  rule:"
            yield from (f"    {line}" for line in rule_yaml(c["rule"]).splitlines())
        else:
            yield "  rule: none (review: for a person to decide)"
        if c.get("note"):
            yield f"  note: {c['note']}"
        if c.get("curated_by") or c.get("curated_at"):
            yield f"  curated by {c.get('curated_by') or '?'} at {c.get('curated_at') or '?'}"


def show_command(
    nct_id: Annotated[str, typer.Argument(help="The trial's NCT id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the stored document.")] = False,
) -> None:
    """Show one stored trial: its metadata and every criterion (id, type, encoding,
    verbatim text, rule as YAML, note); exits 1 when it is not stored."""
    with store() as sessions, sessions() as session:
        row = get_trial(session, nct_id)
        if row is None:
            raise fail("trial.not_found", f"no trial {visible(nct_id)} in the store")
        if as_json:
            typer.echo(json.dumps(row.document, indent=2, ensure_ascii=False))
            return
        lines = list(_show_lines(row))
    for line in lines:
        typer.echo(visible(line))


def remove_command(
    nct_id: Annotated[str, typer.Argument(help="The trial's NCT id.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Remove a trial from the store (a running service drops it on its next library
    refresh); exits 1 when it is not stored."""
    with store() as sessions:
        with sessions() as session:
            row = get_trial(session, nct_id)
            title = None if row is None else str(row.title)
        if title is None:
            raise fail("trial.not_found", f"no trial {visible(nct_id)} in the store")
        if not yes:
            typer.confirm(f"Remove {nct_id} ({visible(title)}) from the store?", abort=True)
        with sessions.begin() as session:
            removed = remove_trial(session, nct_id)
    if not removed:
        raise fail("trial.not_found", f"no trial {nct_id} in the store (removed meanwhile)")
    typer.echo(
        f"removed {nct_id}: a running service drops it at its next library refresh "
        "(TRIALMATCH_LIBRARY_REFRESH_SECONDS); its trial file, if any, would load it again"
    )


def _curator(name: str) -> str:
    name = name.strip()
    if not name or len(name) > CURATOR_MAX:
        raise typer.BadParameter(f"give the curator's name (1 to {CURATOR_MAX} characters)")
    if visible(name) != name:
        raise typer.BadParameter(
            "the curator's name holds a control or invisible character, or a backslash"
        )
    return name


def _action(accept: bool, reject: bool, edit: Path | None) -> Action:
    if accept + reject + (edit is not None) != 1:
        raise typer.BadParameter("give exactly one of --accept, --reject, --edit FILE")
    if accept:
        return Accept()
    if reject:
        return Reject()
    assert edit is not None
    try:
        return Edit(read_rule_file(edit))
    except TrialFileError as exc:
        for problem in exc.problems:
            typer.echo(f"error: {problem}", err=True)
        typer.echo("nothing written", err=True)
        raise typer.Exit(1) from None


def curate_command(
    nct_id: Annotated[str, typer.Argument(help="The trial's NCT id.")],
    criterion_id: Annotated[str, typer.Argument(help="The criterion's id, e.g. inc-3.a.")],
    by: Annotated[str, typer.Option("--by", help="Who curates (recorded on the criterion).")],
    accept: Annotated[
        bool, typer.Option("--accept", help="Accept the suggested rule as it is.")
    ] = False,
    reject: Annotated[
        bool,
        typer.Option("--reject", help="The suggestion is wrong: curated as review-only."),
    ] = False,
    edit: Annotated[
        Path | None,
        typer.Option("--edit", help="A YAML file holding the rule (as in a trial file)."),
    ] = None,
    note: Annotated[
        str | None, typer.Option("--note", help="Why the rule reads the text this way.")
    ] = None,
) -> None:
    """Curate one criterion of a stored trial: accept, reject or edit its rule. The trial
    and one audit row are written in one transaction; a refusal writes nothing (exit 1)."""
    curator = _curator(by)
    action = _action(accept, reject, edit)
    with store() as sessions:
        try:
            with sessions.begin() as session:
                done = curate(session, nct_id, criterion_id, action, by=curator, note=note)
        except CurationError as exc:
            typer.echo("nothing written", err=True)
            raise fail(exc.type, visible(str(exc))) from None
        except SQLAlchemyError as exc:
            # The trial and its audit row are one transaction: neither was written.
            typer.echo("nothing written", err=True)
            raise fail(
                "store.write_failed", f"the store refused the write ({type(exc).__name__})"
            ) from None
    trial: Trial = done.trial
    counts = Counter(c.encoding for c in trial.criteria)
    typer.echo(
        f"{trial.nct_id} {criterion_id}: {done.before.encoding} -> curated "
        f"({DONE[action.name]} by {curator}); audit event {done.audit_id}"
    )
    uncurated = counts["suggested"] + counts["text"]
    typer.echo(
        f"{trial.nct_id}: {counts['curated']} curated, {counts['suggested']} suggested, "
        f"{counts['text']} text: "
        + (
            "every criterion curated: it can be eligible"
            if uncurated == 0
            else f"at most possibly_eligible until the other {uncurated} are curated"
        )
    )
    for warning in trial_warnings(trial):
        typer.echo(f"warning: {warning.message}")
