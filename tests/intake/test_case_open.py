"""recovery.cases.services.case_open itself refuses a caseworker who does not work cases (issue 9), for
every caller (the admin form and the API refuse it first; the intake, the demo and the jobs do not ask)."""

import pytest
from django.core.exceptions import ValidationError

from recovery.cases import services
from recovery.cases.tracks import Track
from recovery.models import CaseEvent, RecoveryCase
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who", ["staff_without_group", "inactive", "system"])
def test_case_open_refuses_a_non_caseworker_naming_the_field(who):
    actor = f.user(superuser=True)
    occ = f.occurrence()
    if who == "system":
        person = services.system_user()
    elif who == "inactive":
        person = f.caseworker()
        person.is_active = False
        person.save(update_fields=["is_active"])
    else:
        person = f.user()  # staff, in no caseworker or supervisor group
    with pytest.raises(ValidationError) as exc:
        services.case_open(beneficiary=occ.beneficiary, track=Track.BENEFICIARY, actor=actor, occurrence=occ,
                           caseworker=person)
    assert list(exc.value.message_dict) == ["caseworker"]
    assert "does not work cases" in exc.value.message_dict["caseworker"][0]
    assert RecoveryCase.objects.count() == 0 and CaseEvent.objects.count() == 0


def test_case_open_takes_a_caseworker():
    worker = f.caseworker()
    occ = f.occurrence()
    case = services.case_open(beneficiary=occ.beneficiary, track=Track.BENEFICIARY, actor=worker, occurrence=occ,
                              caseworker=worker)
    assert case.caseworker == worker
