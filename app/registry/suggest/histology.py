"""The cancer an inclusion criterion asks for: site, histology, and how it was proven.

Example::

    read("histologically confirmed adenocarcinoma of the rectum", Context("inclusion")).rule
    # PrimaryCancerRule(sites=["rectum"], histologies=["adenocarcinoma"],
    #                   confirmed_by=["biopsy", "resection"])
    read("histologically or cytologically confirmed small cell lung cancer (sclc)", ...)
    # sites ["lung"], histologies ["small_cell_carcinoma"],
    # confirmed_by ["biopsy", "resection", "cytology"]
    read("patients with rectal adenocarcinoma", ...)   # no proof named: confirmed_by omitted

Only inclusion criteria, and only when the text names one cancer and nothing else: a
stage, a biomarker, "metastatic" or "unresectable" are further conditions, left as text
by the whole-text check of `app.registry.suggest`. A histology with neither an organ nor
a proof ("Adenocarcinoma") is not read: registry texts list such words as alternatives
("one of the following types"), and a rule on one of them would fail the others. A text
that names cytology alone as the proof is not read either (see the data file): a
patient proven by biopsy would fail it. Nor a text naming a part of the trial's own
site (the registry conditions say colorectal, the text "colon"): the two disagree.
"""

from __future__ import annotations

from app.eligibility.language import PrimaryCancerRule
from app.facts.model import CancerSite
from app.registry.suggest.cancer_words import confirmation, mentions
from app.registry.suggest.reading import Context, Reading
from app.vocabulary import sites


def read(text: str, context: Context) -> Reading | None:
    if context.criterion_type != "inclusion":
        return None
    named = mentions(text)
    if not named or len({(m.sites, m.histology) for m in named}) != 1:
        return None  # no cancer named, or two different ones
    cancer = named[0]
    if _narrower_than_the_trial(cancer.sites, context):
        return None
    proof = confirmation(text)
    if proof is not None and "cytology" in proof.methods and len(proof.methods) == 1:
        return None
    if proof is None and not cancer.sites:
        return None
    if not cancer.sites and cancer.histology is None and proof is None:
        return None
    rule = PrimaryCancerRule(
        op="primary_cancer",
        sites=list(cancer.sites) or None,
        histologies=[cancer.histology] if cancer.histology else None,
        confirmed_by=list(proof.methods) if proof else None,
    )
    spans = [m.span for m in named] + ([proof.span] if proof else [])
    return Reading(rule, spans, note=_note(rule))


def _narrower_than_the_trial(named: tuple[CancerSite, ...], context: Context) -> bool:
    """The text names a part of the trial's own site ("cancer of the colon" in a trial for
    colorectal cancer): registrants use "colon" for the bowel, and a rule on the colon
    would fail a rectal cancer the trial is for. Which was meant is for a person."""
    return any(
        sites.within(site, index) and site != index
        for site in named
        for index in context.index_sites
    )


def _note(rule: PrimaryCancerRule) -> str:
    parts = []
    if rule.sites:
        parts.append("of the " + " or ".join(s.replace("_", " ") for s in rule.sites))
    if rule.histologies:
        parts.append(", ".join(h.replace("_", " ") for h in rule.histologies))
    if rule.confirmed_by:
        parts.append("proven by " + " or ".join(rule.confirmed_by))
    return "Read as a primary cancer " + ", ".join(parts) + "."
