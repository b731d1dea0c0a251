"""Medications: what the patient was given or took, by drug class, with its dates.

Reads MedicationAdministration, MedicationStatement and MedicationRequest (FHIR R4), each
naming its drug by ``medicationCodeableConcept`` or by ``medicationReference`` to a
Medication: contained (``#id``) or elsewhere in the record (``Medication/id``, an absolute
URL ending so, or ``urn:uuid:<id>``). A Medication with ingredients (a combination product)
gives one fact per ingredient. Each drug is put into the classes of
app/vocabulary/data/medications.yaml by RxNorm ingredient CUI, then ATC code, then its name
(ingredient, synonym, brand or regimen name such as FOLFOX; ``read_from: text``). A drug
found by none of them stays a fact with no class, with a ``medication.unclassified``
warning naming the resource: never silently dropped. Example::

    read_exposure(statement, catalog)
    # "Keytruda" taken 2026-03 to 2026-09 -> MedicationFact(ingredient="pembrolizumab",
    #     drug_classes=["anti_pd1_pdl1"], started=2026-03-01, started_precision="month", ...)

Only what was actually given or taken is exposure:

- MedicationAdministration: completed, in-progress, on-hold and stopped (a dose was being
  given); not-done and entered-in-error are not; unknown is an ``uncertain`` exposure.
- MedicationStatement: active, completed, stopped and on-hold (each says the drug was
  taken); intended (only planned) and not-taken are not, nor entered-in-error; unknown is
  uncertain.
- MedicationRequest, an order (intent order, original-order, reflex-order, filler-order or
  instance-order): active or completed is exposure, the order being how the drug reached
  the patient. A stopped or on-hold order may have been halted before its first dose, so it
  is ``uncertain`` (a person decides), as is unknown. Draft, cancelled and entered-in-error
  are not exposure, nor is any intent that is not an order (plan, proposal, directive,
  option): nothing was given on it.

Dates keep their precision: "2026-05" is any day of May (``started_precision: month``).
Administration and statement dates are ``effective[x]`` (a dateTime is the day it was
given: start and end); an order's period is its dosage ``timing.repeat.boundsPeriod``, else
``dispenseRequest.validityPeriod``, its start else ``authoredOn``. Active (and in-progress)
with no end is ``ongoing``. ``dateAsserted`` says when it was recorded, not when it was
taken: never read as an exposure date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from fhir.resources.R4B.medication import Medication
from fhir.resources.R4B.medicationadministration import MedicationAdministration
from fhir.resources.R4B.medicationrequest import MedicationRequest
from fhir.resources.R4B.medicationstatement import MedicationStatement

from app.facts.model import DatePrecision, MedicationFact, MedicationResource, ReadFrom
from app.facts.reading import Reading, codings, displays, reference
from app.facts.validation import validate
from app.fhir.record import FhirJson
from app.vocabulary.medications import OTHER, DrugClass, drug_vocabulary

Exposure = Literal["recorded", "uncertain"]
MedicationResourceModel = MedicationAdministration | MedicationStatement | MedicationRequest

MODELS: dict[MedicationResource, type[MedicationResourceModel]] = {
    "MedicationAdministration": MedicationAdministration,
    "MedicationStatement": MedicationStatement,
    "MedicationRequest": MedicationRequest,
}

_EXPOSURE: dict[str, dict[str, Exposure]] = {
    "MedicationAdministration": {
        "completed": "recorded",
        "in-progress": "recorded",
        "on-hold": "recorded",
        "stopped": "recorded",
        "unknown": "uncertain",
    },
    "MedicationStatement": {
        "active": "recorded",
        "completed": "recorded",
        "stopped": "recorded",
        "on-hold": "recorded",
        "unknown": "uncertain",
    },
    "MedicationRequest": {
        "active": "recorded",
        "completed": "recorded",
        "stopped": "uncertain",
        "on-hold": "uncertain",
        "unknown": "uncertain",
    },
}
_ORDER_INTENTS = frozenset(
    {"order", "original-order", "reflex-order", "filler-order", "instance-order"}
)
_ONGOING = frozenset({"active", "in-progress"})
_TEXT_NOTE = "Classified by the drug's name as recorded."
_UNCLASSIFIED = "A medication could not be put into any drug class by its codes or name; kept."
_UNRESOLVED = "The Medication this resource names is not in the record; kept without a class."


def exposure(resource: MedicationResourceModel) -> Exposure | None:
    """Whether a resource records a drug given or taken (None: it does not)."""
    kind = resource.get_resource_type()
    if isinstance(resource, MedicationRequest) and resource.intent not in _ORDER_INTENTS:
        return None
    return _EXPOSURE[kind].get(str(resource.status))


def raw_is_exposure(raw: FhirJson) -> bool:
    """The same test on raw JSON, so that non-exposures are never validated."""
    kind = raw.get("resourceType")
    if kind == "MedicationRequest" and raw.get("intent") not in _ORDER_INTENTS:
        return False
    return isinstance(kind, str) and str(raw.get("status")) in _EXPOSURE.get(kind, {})


class Catalog:
    """The record's Medication resources by every way a reference may name them; each is
    validated the first time something names it."""

    def __init__(self, raws: list[FhirJson], reading: Reading) -> None:
        self._raw: dict[str, FhirJson] = {}
        for raw in raws:
            rid = raw.get("id")
            if isinstance(rid, str) and rid:
                self._raw[rid] = raw
        self._models: dict[str, Medication | None] = {}
        self._reading = reading

    def find(self, ref: str) -> tuple[Medication | None, str | None]:
        """(Medication, its reference) named by a reference, or (None, None)."""
        ref = ref.split("/_history/", 1)[0]
        if ref.startswith("urn:uuid:"):
            rid = ref.removeprefix("urn:uuid:")
        elif "Medication/" in ref:
            rid = ref.rsplit("Medication/", 1)[1]
        else:
            return None, None
        if rid not in self._models:
            raw = self._raw.get(rid)
            self._models[rid] = validate(Medication, raw, self._reading) if raw else None
        model = self._models[rid]
        return (model, f"Medication/{rid}") if model is not None else (None, None)


@dataclass(frozen=True)
class _Drug:
    ingredient: str | None
    classes: tuple[DrugClass, ...]
    rxnorm: tuple[str, ...]
    atc: tuple[str, ...]
    read_from: ReadFrom
    display: str | None

    @property
    def classified(self) -> bool:
        return bool(self.classes)


def classify(concept: Any) -> list[_Drug]:
    """The drugs a CodeableConcept names: by RxNorm, then ATC, then by name; one
    unclassified drug when none of them is known."""
    vocab = drug_vocabulary()
    pairs = codings(concept)
    rxnorm = tuple(c for s, c in pairs if s == vocab.rxnorm_system)
    atc = tuple(c for s, c in pairs if s == vocab.atc_system)
    shown = next(iter(displays(concept)), None)
    by_code: dict[str, tuple[DrugClass, ...]] = {}
    group: list[DrugClass] = []
    for code in rxnorm:
        ingredient = vocab.by_rxnorm(code)
        if ingredient is not None:
            by_code[ingredient] = vocab.classes_of(ingredient)
    for code in atc:
        ingredient, classes = vocab.by_atc(code)
        if ingredient is not None:
            by_code[ingredient] = classes
        else:
            group.extend(c for c in classes if c not in group)
    if by_code:
        return [_Drug(i, c, rxnorm, atc, "code", shown) for i, c in by_code.items()]
    if group:
        if len(group) > 1 and OTHER in group:
            group.remove(OTHER)  # another of its codes says more
        return [_Drug(None, tuple(group), rxnorm, atc, "code", shown)]
    named: list[str] = []
    for text in displays(concept):
        named.extend(i for i in vocab.by_name(text) if i not in named)
    if named:
        return [_Drug(i, vocab.classes_of(i), rxnorm, atc, "text", shown) for i in named]
    return [_Drug(None, (), rxnorm, atc, "code" if pairs else "text", shown)]


def _contained(resource: MedicationResourceModel, ref: str) -> Medication | None:
    for item in resource.contained or []:
        if isinstance(item, Medication) and f"#{item.id}" == ref:
            return item
    return None


def _medication_drugs(
    medication: Medication, resource: MedicationResourceModel, catalog: Catalog
) -> tuple[list[_Drug], list[str]]:
    """Drugs of a Medication (one per ingredient of a combination) and extra sources."""
    drugs: list[_Drug] = []
    sources: list[str] = []
    for item in medication.ingredient or []:
        if item.itemCodeableConcept is not None:
            drugs.extend(classify(item.itemCodeableConcept))
            continue
        ref = item.itemReference.reference if item.itemReference is not None else None
        part, source = (None, None)
        if ref:
            part = _contained(resource, ref)
            if part is None:
                part, source = catalog.find(ref)
        if part is not None and part.code is not None:
            drugs.extend(classify(part.code))
            sources.extend([source] if source else [])
        else:
            drugs.append(_Drug(None, (), (), (), "text", None))  # e.g. a Substance
    if drugs and any(d.classified for d in drugs):
        return drugs, sources
    if medication.code is not None:
        return classify(medication.code), []
    return drugs or [_Drug(None, (), (), (), "text", None)], sources


def _drugs(
    resource: MedicationResourceModel, catalog: Catalog
) -> tuple[list[_Drug], list[str], bool]:
    """(drugs, extra sources, whether a referenced Medication was found)."""
    if resource.medicationCodeableConcept is not None:
        return classify(resource.medicationCodeableConcept), [], True
    ref = resource.medicationReference.reference if resource.medicationReference else None
    medication, source = (None, None)
    if ref:
        medication = _contained(resource, ref)
        if medication is None:
            medication, source = catalog.find(ref)
    if medication is None:
        shown = resource.medicationReference.display if resource.medicationReference else None
        return [_Drug(None, (), (), (), "text", shown)], [], False
    drugs, sources = _medication_drugs(medication, resource, catalog)
    return drugs, ([source] if source else []) + sources, True


def partial_date(value: Any) -> tuple[date, DatePrecision] | None:
    """A FHIR date/dateTime as (first day, precision): '2026-05' -> (2026-05-01, 'month')."""
    if isinstance(value, datetime):
        return value.date(), "day"
    if isinstance(value, date):
        return value, "day"
    if not isinstance(value, str):
        return None
    parts = value[:10].split("-")
    try:
        if len(parts) == 1:
            return date(int(parts[0]), 1, 1), "year"
        if len(parts) == 2:
            return date(int(parts[0]), int(parts[1]), 1), "month"
        return date(int(parts[0]), int(parts[1]), int(parts[2])), "day"
    except ValueError:
        return None


Dated = tuple[date, DatePrecision] | None


def _period(period: Any) -> tuple[Dated, Dated]:
    if period is None:
        return None, None
    return partial_date(period.start), partial_date(period.end)


def _dates(resource: MedicationResourceModel) -> tuple[Dated, Dated]:
    """(start, end) of the exposure, each with its precision."""
    if isinstance(resource, MedicationRequest):
        bounds = next(
            (
                d.timing.repeat.boundsPeriod
                for d in resource.dosageInstruction or []
                if d.timing and d.timing.repeat and d.timing.repeat.boundsPeriod
            ),
            None,
        )
        dispense = resource.dispenseRequest
        start, end = _period(bounds or (dispense.validityPeriod if dispense else None))
        return start or partial_date(resource.authoredOn), end
    if resource.effectivePeriod is not None:
        return _period(resource.effectivePeriod)
    when = partial_date(resource.effectiveDateTime)
    if when is not None and str(resource.status) in _ONGOING:
        return when, None
    return when, when


def read_exposure(resource: MedicationResourceModel, catalog: Catalog) -> Reading:
    """The medication facts of one resource: none unless it records exposure."""
    reading = Reading()
    found = exposure(resource)
    if found is None:
        return reading
    source = reference(resource)
    drugs, extra, resolved = _drugs(resource, catalog)
    start, end = _dates(resource)
    status = str(resource.status)
    ongoing = status in _ONGOING and end is None
    for drug in drugs:
        if not drug.classified:
            message = _UNCLASSIFIED if resolved else _UNRESOLVED
            reading.warn("medication.unclassified", message, source)
        reading.facts.append(
            MedicationFact(
                ingredient=drug.ingredient,
                display=drug.display,
                drug_classes=list(drug.classes),
                rxnorm=list(drug.rxnorm),
                atc=list(drug.atc),
                resource_type=resource.get_resource_type(),
                status=status,
                exposure=found,
                started=start[0] if start else None,
                started_precision=start[1] if start else None,
                ended=end[0] if end else None,
                ended_precision=end[1] if end else None,
                ongoing=ongoing,
                sources=[source, *extra],
                effective=start[0] if start else None,
                read_from=drug.read_from,
                note=_TEXT_NOTE if drug.read_from == "text" and drug.classified else None,
            )
        )
    return reading
