"""Demographics: age at the evaluation date, sex, pregnancy.

A year-only birthDate ("1953") gives an age range: the youngest and oldest the patient
can be on ``as_of``. Example::

    read_patient(Patient(birthDate="1953", gender="female"), date(2026, 11, 22))
    # -> AgeFact(years_min=72, years_max=73, birth_date_precision="year"), SexFact("female")
"""

from __future__ import annotations

import calendar
from datetime import date

from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient

from app.facts import codes
from app.facts.model import AgeFact, DeceasedFact, LactationFact, PregnancyFact, SexFact
from app.facts.reading import Reading, codings, effective_date, reference, to_date


def read_patient(patient: Patient, as_of: date) -> Reading:
    reading = Reading()
    source = reference(patient)
    if patient.gender:
        reading.facts.append(SexFact(value=patient.gender, sources=[source]))
    died = to_date(patient.deceasedDateTime)
    if patient.deceasedBoolean or died is not None:
        reading.facts.append(DeceasedFact(died=died, sources=[source], effective=died))
    birth = patient.birthDate
    if birth is None:
        reading.warn("patient.no_birth_date", "The Patient has no birthDate; age unknown.", source)
        return reading
    earliest, latest, precision = _birth_range(birth)
    if latest > as_of:
        reading.warn("patient.birth_after_as_of", "birthDate is after the evaluation date.", source)
        return reading
    reading.facts.append(
        AgeFact(
            years_min=_age(latest, as_of),
            years_max=_age(earliest, as_of),
            birth_date_precision=precision,
            sources=[source],
            effective=as_of,
        )
    )
    return reading


def _birth_range(birth: object) -> tuple[date, date, str]:
    """Earliest and latest possible birth dates, and the precision recorded."""
    if isinstance(birth, date):
        return birth, birth, "day"
    text = str(birth)
    year = int(text[:4])
    if len(text) == 4:
        return date(year, 1, 1), date(year, 12, 31), "year"
    month = int(text[5:7])
    last = calendar.monthrange(year, month)[1]
    return date(year, month, 1), date(year, month, last), "month"


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def read_pregnancy_observation(observation: Observation) -> Reading:
    if (codes.LOINC, codes.LACTATION_CODE) in codings(observation.code):
        return _read_lactation(observation)
    reading = Reading()
    source = reference(observation)
    for system, code in codings(observation.valueCodeableConcept):
        if system == codes.SNOMED and code in codes.PREGNANT_ANSWERS:
            reading.facts.append(
                PregnancyFact(
                    pregnant=codes.PREGNANT_ANSWERS[code],
                    sources=[source],
                    effective=effective_date(observation),
                )
            )
            return reading
    reading.warn("pregnancy.unknown_value", "Pregnancy status has no known answer code.", source)
    return reading


def _read_lactation(observation: Observation) -> Reading:
    reading = Reading()
    source = reference(observation)
    lactating = observation.valueBoolean
    if lactating is None:
        lactating = next(
            (
                codes.LACTATING_ANSWERS[pair]
                for pair in codings(observation.valueCodeableConcept)
                if pair in codes.LACTATING_ANSWERS
            ),
            None,
        )
    if lactating is None:
        reading.warn(
            "lactation.unknown_value", "Breastfeeding status has no known answer code.", source
        )
        return reading
    reading.facts.append(
        LactationFact(lactating=lactating, sources=[source], effective=effective_date(observation))
    )
    return reading


def read_pregnancy_condition(condition: Condition) -> Reading:
    """A pregnancy Condition: pregnant from its onset; not pregnant once it has ended."""
    reading = Reading()
    source = reference(condition)
    onset = to_date(condition.onsetDateTime) or to_date(condition.recordedDate)
    statuses = {code for _, code in codings(condition.clinicalStatus)}
    ended = to_date(condition.abatementDateTime)
    if ended is not None or statuses & {"inactive", "resolved", "remission"}:
        reading.facts.append(
            PregnancyFact(pregnant=False, sources=[source], effective=ended or onset)
        )
        if ended is None or onset is None or onset >= ended:
            return reading
    reading.facts.append(PregnancyFact(pregnant=True, sources=[source], effective=onset))
    return reading
