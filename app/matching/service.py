"""Match one patient's facts against the trial library: the body of `/v1/match`.

Example::

    >>> response = match_facts(facts, load_library(Path("criteria")), include_ineligible=True)
    >>> [(m.trial, m.status) for m in response.matches]
    [('NCT06949098', 'eligible'), ('NCT06043999', 'ineligible'), ('NCT06122493', 'ineligible')]

Trials that cannot apply to the patient's cancer (by the library's index) are not
evaluated; with ``include_ineligible`` they are listed as ineligible with the one criterion
that decides it. Cost therefore follows the trials that may apply, not the library's size.

Every response names the library it used (``library``: the software version, the number
of trials and the library's digest) and each match its trial's ``content_hash``
(app/eligibility/fingerprint.py), so a decision can be traced and reproduced later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.eligibility.evaluate import TrialVerdict, evaluate_trial, screen_out
from app.eligibility.language import OPEN_STATUSES
from app.eligibility.library import Library
from app.eligibility.view import PatientView
from app.errors import NotFound
from app.facts.codes import site_relatives
from app.facts.model import PatientFacts, PrimaryCancerFact
from app.facts.normalize import normalize
from app.fhir.record import PatientRecord
from app.matching.facts_shown import FactsView, facts_shown
from app.matching.models import LibraryVersion, MatchResponse
from app.matching.rank import rank
from app.version import software_version


def cancer_sites(facts: PatientFacts) -> set[str] | None:
    """Sites of the patient's recorded primary cancers, with the sites they lie in or that
    lie in them (colon: colorectal, appendix); None when none is recorded, or when one is
    at a site the vocabulary could not place (then every trial may apply)."""
    current = [
        c
        for c in facts.of_kind(PrimaryCancerFact)
        if c.effective is None or c.effective <= facts.as_of
    ]
    if any(c.site is None for c in current):
        return None
    sites: set[str] = {s for c in current if c.site is not None for s in site_relatives(c.site)}
    return sites or None


def match_facts(
    facts: PatientFacts,
    library: Library,
    *,
    include_ineligible: bool = False,
    include_closed: bool = False,
    trials: list[str] | None = None,
    limit: int | None = None,
    facts_view: FactsView = "latest",
) -> MatchResponse:
    """Evaluate, rank and trim; show the facts `facts_view` asks for (facts_shown.py).
    Raises NotFound for a requested trial not in the library."""
    if trials is not None:
        unknown = sorted(set(trials) - set(library.trials))
        if unknown:
            raise NotFound(
                "trial.not_found",
                f"No trial {', '.join(unknown)} in the library.",
                loc=["query", "trial"],
            )
    wanted = set(trials) if trials is not None else None

    def chosen(nct_id: str, status: str) -> bool:
        return (wanted is None or nct_id in wanted) and (include_closed or status in OPEN_STATUSES)

    sites = cancer_sites(facts)
    view = PatientView(facts)  # the facts sorted once, for every trial
    verdicts: list[TrialVerdict] = [
        evaluate_trial(t, view)
        for t in library.applicable(sites)
        if chosen(t.trial.nct_id, t.trial.status)
    ]
    if include_ineligible:
        verdicts += [
            screen_out(t, view)
            for t in library.not_applicable(sites)
            if chosen(t.trial.nct_id, t.trial.status)
        ]
    else:
        verdicts = [v for v in verdicts if v.status != "ineligible"]
    matches = rank(verdicts, facts.as_of, content_hashes=library.content_hashes)
    if limit is not None:
        matches = matches[: max(limit, 0)]
    shown, omitted = facts_shown(facts, matches, everything=facts_view == "all")
    return MatchResponse(
        patient=facts.patient,
        as_of=facts.as_of,
        library=LibraryVersion(
            software_version=software_version(), trials=len(library), digest=library.digest
        ),
        facts=shown,
        facts_omitted=omitted,
        warnings=facts.warnings,
        matches=matches,
    )


@dataclass(frozen=True)
class MatchOptions:
    """What a caller asks of one match (the query of `/v1/match`)."""

    as_of: date
    include_ineligible: bool = False
    include_closed: bool = False
    trials: list[str] | None = None
    limit: int | None = None
    facts_view: FactsView = "latest"


def match_record(record: PatientRecord, library: Library, options: MatchOptions) -> MatchResponse:
    """The whole path after the FHIR boundary: record -> facts -> ranked matches.

    A posted Bundle and a patient pulled from the EHR both come through here, so the same
    data gives the same answer whichever way it arrived.
    """
    # The default view shows no lab history, so none is read (normalize's lab_history).
    facts = normalize(record, options.as_of, lab_history=options.facts_view == "all")
    return match_facts(
        facts,
        library,
        include_ineligible=options.include_ineligible,
        include_closed=options.include_closed,
        trials=options.trials,
        limit=options.limit,
        facts_view=options.facts_view,
    )
