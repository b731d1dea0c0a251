"""Cards from a match: one per eligible or possibly eligible trial, in `/v1/match` order.

Example::

    cards = cards_for(response, limit=3, source=Source(label="trialmatch", url=base),
                      report_url=f"{base}/ui/reports/{report_id}")
    cards[0].summary      # "Possibly eligible: NCT06949098, Total neoadjuvant therapy ..."
    cards[0].links[0].url # ".../ui/reports/<id>#trial-NCT06949098": this trial in the report

Every card is ``info``: a trial is an option to consider, never an alert. The summary is
one sentence under 140 characters (the title is shortened to fit); the Markdown detail
lists what a person must confirm and the data that is missing, each with the protocol's
words. The first link opens the match report kept for this answer (app/store/match_reports.py)
at the trial's section, when one was kept; the other, the trial's record on ClinicalTrials.gov.
Cards carry the trials' words and the criteria's ids, never a fact from the patient's record
(the report's link carries an opaque id only).
"""

from __future__ import annotations

from app.cds_hooks.models import Card, Link, Source
from app.eligibility.verdict import CriterionVerdict
from app.matching.models import MatchResponse, TrialMatch

CARD_STATUSES = ("eligible", "possibly_eligible")
SUMMARY_MAX = 139  # "under 140 characters"
CTGOV_STUDY = "https://clinicaltrials.gov/study/"
_STATUS_WORDS = {"eligible": "Eligible", "possibly_eligible": "Possibly eligible"}


REPORT_LINK_LABEL = "Open the match report in trialmatch"


def cards_for(
    response: MatchResponse, *, limit: int, source: Source, report_url: str | None = None
) -> list[Card]:
    chosen = [m for m in response.matches if m.status in CARD_STATUSES][:limit]
    return [_card(match, source, report_url) for match in chosen]


def summary(match: TrialMatch) -> str:
    head = f"{_STATUS_WORDS[match.status]}: {match.trial}"
    title = " ".join(match.title.split())
    room = SUMMARY_MAX - len(head) - len(", ") - len(".")
    if not title or room < 10:
        return f"{head}."
    if len(title) > room:
        title = title[: room - 1].rstrip(" ,;:.-") + "…"
    return f"{head}, {title}."


def _markdown_text(text: str) -> str:
    """Protocol words on one line, with Markdown's and HTML's active characters escaped."""
    flat = " ".join(text.split())
    for char in "\\`*_[]<>#|":
        flat = flat.replace(char, "\\" + char)
    return flat


def _items(verdicts: list[CriterionVerdict]) -> list[str]:
    return [f"- {_markdown_text(v.text)} ({v.type} {v.id})" for v in verdicts]


def detail(match: TrialMatch) -> str:
    by_id = {v.id: v for v in match.criteria}
    review = [by_id[i] for i in match.review if i in by_id]
    missing = [by_id[i] for i in match.missing if i in by_id]
    lines = [
        f"**{_STATUS_WORDS[match.status]}** for {match.trial} (rank {match.rank}, "
        f"score {match.score:.2f}): {_markdown_text(match.title)}",
    ]
    if match.status == "eligible":
        lines.append("")
        lines.append("Every criterion the record can settle passes. A person confirms the match.")
    if review:
        lines += ["", "**For a person to confirm:**", *_items(review)]
    if missing:
        needed = sorted({item for v in missing for item in v.missing_data})
        lines += ["", "**Data missing:**", *_items(missing)]
        if needed:
            lines += ["", "Would decide it: " + ", ".join(_markdown_text(n) for n in needed) + "."]
    return "\n".join(lines)


def _card(match: TrialMatch, source: Source, report_url: str | None) -> Card:
    links = [
        Link(
            label=f"{match.trial} on ClinicalTrials.gov",
            url=f"{CTGOV_STUDY}{match.trial}",
            type="absolute",
        )
    ]
    if report_url is not None:
        # The report page's anchor of this trial (app/ui/templates/match_report.html).
        report = Link(
            label=REPORT_LINK_LABEL, url=f"{report_url}#trial-{match.trial}", type="absolute"
        )
        links.insert(0, report)
    return Card(
        summary=summary(match),
        detail=detail(match),
        indicator="info",
        source=source,
        links=links,
    )
