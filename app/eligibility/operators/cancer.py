"""Operators on the cancer itself: the primary (site, histology, proof), how many, and
other malignancies."""

from __future__ import annotations

from collections.abc import Iterable

from app.eligibility.labels import label_list
from app.eligibility.language import OtherMalignancyRule, PrimaryCancerCountRule, PrimaryCancerRule
from app.eligibility.logic import Finding, Truth, all_of, any_of
from app.eligibility.operators.absence import ABSENT_DIAGNOSIS, not_before, unplaced_review
from app.eligibility.operators.bounds import bounds_hold
from app.eligibility.operators.registry import Evaluator, operator
from app.eligibility.operators.timing import current, dated_hit, months_before
from app.eligibility.view import PatientView
from app.facts.codes import category_within, histology_within, site_within
from app.facts.model import CancerSite, ConditionFact, Histology, PrimaryCancerFact


def _at(site: CancerSite | None, wanted: Iterable[CancerSite]) -> bool:
    """The site is one of ``wanted`` or lies inside one (sigmoid colon is colorectal)."""
    return site is not None and any(site_within(site, w) for w in wanted)


def _site_finding(cancer: PrimaryCancerFact, wanted: list[CancerSite]) -> Finding:
    ev = cancer.sources
    if cancer.site is None:
        return Finding.unknown(
            "primary cancer at a site trialmatch cannot place from its code",
            missing=["primary cancer site"],
            evidence=ev,
        )
    if _at(cancer.site, wanted):
        return Finding.true(f"primary cancer of the {cancer.site}", evidence=ev)
    if any(site_within(w, cancer.site) for w in wanted):
        return Finding.unknown(
            f"primary cancer recorded only as {cancer.site}, not which part",
            missing=["primary cancer site"],
            evidence=ev,
        )
    return Finding.false(
        f"primary cancer of the {cancer.site}, not {label_list(list(wanted))}", evidence=ev
    )


def _histology_finding(cancer: PrimaryCancerFact, wanted: list[Histology]) -> Finding:
    ev, found = cancer.sources, cancer.histology
    if found is None:
        return Finding.unknown(
            f"histology of the {cancer.site or 'primary'} cancer not recorded",
            missing=["histology"],
            evidence=ev,
        )
    if any(histology_within(found, w, cancer.site) for w in wanted):
        return Finding.true(found.replace("_", " "), evidence=ev)
    if any(histology_within(w, found, cancer.site) for w in wanted):
        return Finding.unknown(
            f"histology recorded only as {found.replace('_', ' ')}",
            missing=["histology subtype"],
            evidence=ev,
        )
    return Finding.false(f"{found.replace('_', ' ')}, not {label_list(list(wanted))}", evidence=ev)


@operator(PrimaryCancerRule)
def _primary_cancer(rule: PrimaryCancerRule) -> Evaluator:
    def one(cancer: PrimaryCancerFact) -> Finding:
        ev = cancer.sources
        parts = []
        if rule.sites is not None:
            parts.append(_site_finding(cancer, rule.sites))
        if rule.histologies is not None:
            parts.append(_histology_finding(cancer, rule.histologies))
        if rule.confirmed_by is not None:
            if cancer.confirmed_by is None:
                parts.append(
                    Finding.unknown(
                        "how the diagnosis was confirmed is not recorded",
                        missing=["pathology confirmation"],
                        evidence=ev,
                    )
                )
            elif cancer.confirmed_by in rule.confirmed_by:
                parts.append(Finding.true(f"confirmed by {cancer.confirmed_by}", evidence=ev))
            else:
                parts.append(
                    Finding.false(
                        f"confirmed by {cancer.confirmed_by}, not "
                        f"{label_list(list(rule.confirmed_by))}",
                        evidence=ev,
                    )
                )
        return all_of(parts)

    def evaluate(facts: PatientView) -> Finding:
        cancers = current(facts, PrimaryCancerFact)
        if not cancers:
            return Finding.unknown("no primary cancer recorded", missing=["primary cancer"])
        return any_of([one(c) for c in cancers])

    return evaluate


@operator(PrimaryCancerCountRule)
def _primary_cancer_count(rule: PrimaryCancerCountRule) -> Evaluator:
    where = label_list(list(rule.sites))

    def evaluate(facts: PatientView) -> Finding:
        found = [c for c in current(facts, PrimaryCancerFact) if _at(c.site, rule.sites)]
        ev = [s for c in found for s in c.sources]
        distinct = len({c.site for c in found})
        if bounds_hold(rule, distinct):
            return Finding.true(f"{distinct} primary cancers recorded at {where}", evidence=ev)
        if bounds_hold(rule, len(found)):
            # Several records at one site may be one tumor read twice, or two tumors.
            return Finding.unknown(
                f"{len(found)} records of a primary cancer at the same site: whether they are "
                "separate tumors is not recorded",
                missing=["number of primary tumors"],
                evidence=ev,
            )
        review = unplaced_review(facts, "Condition", f"another primary cancer at {where}")
        if review is not None:
            return review
        return Finding.false(
            f"{distinct} primary cancer recorded at {where}",
            evidence=ev,
            assumptions=["no record of another primary cancer counts as none"],
        )

    return evaluate


@operator(OtherMalignancyRule)
def _other_malignancy(rule: OtherMalignancyRule) -> Evaluator:
    def evaluate(facts: PatientView) -> Finding:
        primaries = current(facts, PrimaryCancerFact)
        index = [p for p in primaries if _at(p.site, rule.index_sites)]
        own_sources = {s for p in index for s in p.sources}
        own_codes = {c for p in index for c in p.codes}
        # A primary the vocabulary could not place is an unknown below, not a malignancy.
        own_sources |= {s for p in primaries if p.site is None for s in p.sources}
        excepted_sources = {
            s
            for cat in rule.except_categories
            for c in current(facts, ConditionFact)
            if category_within(c.category, cat)
            for s in c.sources
        }
        cutoff = months_before(facts.as_of, rule.within_months) if rule.within_months else None
        hits: list[Finding] = []
        for p in primaries:
            if p.site is None:
                hits.append(
                    Finding.unknown(
                        "a primary cancer at a site trialmatch cannot place: whether it is "
                        f"the cancer of the {label_list(list(rule.index_sites))}",
                        missing=["primary cancer site"],
                        evidence=p.sources,
                    )
                )
            elif not _at(p.site, rule.index_sites) and not set(p.sources) & excepted_sources:
                hits.append(
                    dated_hit(
                        f"primary cancer of the {p.site}",
                        p.diagnosed or p.effective,
                        cutoff,
                        p.sources,
                        p.diagnosed_latest,
                    )
                )
        for c in current(facts, ConditionFact):
            # The primary itself, read from the same resource or coded the same, is not "other".
            if c.category != "malignancy" or set(c.sources) & (own_sources | excepted_sources):
                continue
            if set(c.codes) & own_codes:
                continue
            hits.append(
                dated_hit(
                    c.display or "malignancy",
                    c.onset or c.effective,
                    cutoff,
                    c.sources,
                    c.onset_latest,
                )
            )
        own = label_list(list(rule.index_sites))
        review = unplaced_review(
            facts,
            "Condition",
            f"a malignancy other than the cancer of the {own}",
            not_before(cutoff),
        )
        if not hits:
            if review is not None:
                return review
            return Finding.false(
                f"no record of a malignancy other than the cancer of the {own}",
                assumptions=[ABSENT_DIAGNOSIS],
            )
        found = any_of([*hits, *([review] if review else [])])
        if found.truth is Truth.FALSE:
            return Finding.false(found.reason, evidence=found.evidence)
        return found

    return evaluate
