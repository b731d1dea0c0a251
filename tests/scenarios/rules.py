"""The xfail reasons, one per rule of issue 10, so the engineer fixing it can grep them.

A scenario marked with one of these fails today and must XPASS once the rule holds
(``strict=True``): then its mark is removed.
"""

ABSENCE = "issue 10: absence needs a complete reading"
TRIGGERED = "issue 10: a triggered review caps the trial"
EXCEPTIONS = "issue 10: exceptions may be considered is a judgement"
FRESH = "issue 10: fresh enough to decide"
PARTIAL = "issue 10: partial dates are ranges"
DONE = "issue 10: done means done"
UNMAPPED = "issue 10: unmapped is unknown"
STAGE_GROUPS = "issue 10: stage groups are site-specific"
INITIAL = "issue 10: initial clinical stage is the pre-treatment work-up"
PROOF = "issue 10: proof belongs to its cancer"
LIVING = "issue 10: the living only"
SEEDS = "issue 10: seed trials re-read"
