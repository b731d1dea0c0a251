"""The ranked matches as a table for a person at a terminal (`trialmatch match`)."""

from __future__ import annotations

from rich.table import Table

from app.matching.models import MatchResponse

_STATUS_STYLE = {"eligible": "green", "possibly_eligible": "yellow", "ineligible": "red"}


def render_table(response: MatchResponse) -> Table:
    table = Table(title=f"{response.patient} as of {response.as_of.isoformat()}")
    table.add_column("#", justify="right")
    table.add_column("trial")
    table.add_column("status")
    table.add_column("score", justify="right")
    table.add_column("fails")
    table.add_column("missing data")
    table.add_column("for review")
    for match in response.matches:
        style = _STATUS_STYLE[match.status]
        table.add_row(
            str(match.rank),
            f"{match.trial}\n{match.title}",
            f"[{style}]{match.status}[/{style}]",
            f"{match.score:.2f}",
            ", ".join(match.unmet) or "-",
            ", ".join(match.missing) or "-",
            ", ".join(match.review) or "-",
        )
    library = response.library
    # The library version, so a decision read off the terminal can be traced too.
    caption = (
        f"library: {library.trials} trials, digest {library.digest[:12]}, "
        f"trialmatch {library.software_version}"
    )
    if not response.matches:
        caption = f"No trial matched (try --include-ineligible).\n{caption}"
    table.caption = caption
    return table
