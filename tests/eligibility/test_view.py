from datetime import date

from app.eligibility.view import PatientView
from app.facts.model import AgeFact, LabFact, PerformanceFact, StageFact
from tests.eligibility.factories import age, ecog, lab, patient, stage


def test_view_picks_what_the_patient_facts_accessors_pick() -> None:
    facts = patient(
        age(60),
        ecog(2, effective=date(2026, 1, 1)),
        ecog(1, effective=date(2026, 6, 1)),
        ecog(0, effective=date(2026, 6, 1), read_from="text"),
        ecog(3, effective=date(2027, 1, 1)),  # after as_of: ignored
        lab("hemoglobin", 110, "g/L", effective=date(2026, 3, 1)),
        stage("clinical", "N", "N0", date(2026, 2, 1)),
    )
    view = PatientView(facts)
    assert view.first(AgeFact) == facts.age()
    assert view.first(PerformanceFact, lambda f: f.scale == "ecog") == facts.performance("ecog")
    assert view.first(PerformanceFact).value == 1  # type: ignore[union-attr]
    assert view.first(LabFact) == facts.latest_lab("hemoglobin")
    assert view.first(StageFact) == facts.stage("clinical", "N")
    assert [f.value for f in view.current(PerformanceFact)] == [1, 0, 2]
