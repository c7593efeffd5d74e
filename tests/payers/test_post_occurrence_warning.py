"""The who-pays-first warning (SPEC §7) also fires when an occurrence is posted through the case step
post_occurrence (recovery.cases.services), not only on the occurrence admin's save: it is written in
the step's history row and left on the case for the caller to show."""

from datetime import date

import pytest

from recovery.cases.services import case_act
from recovery.cases.tracks import State
from tests import factories as f

pytestmark = pytest.mark.django_db


def _posted(case, actor):
    case_act(case=case, action="post_occurrence", actor=actor, on=case.opened_on)
    return case, case.events.get(action="post_occurrence")


def test_posting_an_occurrence_the_check_cannot_support_warns_in_the_history():
    """Post MSP occurrence exists on the NGHP tracks, where the liability / no-fault / WC plan pays first
    for the related care; the check still warns, as the admin's save does, when its answer is that the
    beneficiary was not entitled to Medicare on the date of incident (under 65, not disabled, no ESRD)."""
    actor = f.user(superuser=True)
    bene = f.beneficiary(date_of_birth=date(1990, 5, 1), entitlement_basis="age", entitlement_start=date(2015, 1, 1))
    occ = f.occurrence(bene, incident_date=date(2023, 1, 5))
    case, event = _posted(f.case(actor=actor, occurrence=occ), actor)
    assert case.state == State.OCCURRENCE_POSTED
    assert case.coordination_warning.startswith("Who pays first could not be decided")
    assert "not entitled to Medicare" in event.reason and case.coordination_warning in event.reason


def test_posting_a_liability_occurrence_does_not_warn():
    actor = f.user(superuser=True)
    case, event = _posted(f.case(actor=actor), actor)
    assert case.coordination_warning is None and "Medicare pays first" not in event.reason
