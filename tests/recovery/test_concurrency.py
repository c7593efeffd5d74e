"""Two actors on the same case at once: exactly one step succeeds (SPEC §3.4)."""

import threading
from datetime import date

import pytest
from django.db import connection

from recovery.cases import services
from recovery.errors import StaleCaseError
from recovery.models import CaseEvent, Letter, RecoveryCase
from recovery.cases.tracks import State
from tests import factories as f


def _race(case_pk, attempts):
    """Each attempt runs in its own thread — its own database connection — from the same stale view."""
    copies = [RecoveryCase.objects.get(pk=case_pk) for _ in attempts]
    barrier = threading.Barrier(len(attempts))
    results = [None] * len(attempts)

    def run(i, action, actor):
        try:
            barrier.wait(timeout=10)
            services.case_act(case=copies[i], action=action, actor=actor, on=date(2023, 2, 5),
                              reason="concurrent test")
            results[i] = "ok"
        except Exception as exc:  # noqa: BLE001 — the test asserts which
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, a, u)) for i, (a, u) in enumerate(attempts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_two_connections_taking_the_same_step_at_once_succeed_exactly_once(round_):
    actor_a, actor_b = f.caseworker(), f.caseworker()
    case = f.case()
    f.claim(case)
    services.case_act(case=case, action="post_occurrence", actor=actor_a, on=date(2023, 2, 2))
    results = _race(case.pk, [("issue_rar", actor_a), ("issue_rar", actor_b)])
    assert sorted(r == "ok" for r in results) == [False, True], results
    assert sum(isinstance(r, StaleCaseError) for r in results) == 1, results
    loser = next(r for r in results if r != "ok")
    assert "reload" in loser.message
    assert CaseEvent.objects.filter(case_id=case.pk, action="issue_rar").count() == 1
    assert Letter.objects.filter(case_id=case.pk, kind=Letter.Kind.RAR).count() == 1
    assert RecoveryCase.objects.get(pk=case.pk).state == State.RAR_ISSUED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_person_and_a_job_taking_different_steps_from_the_same_state_do_not_both_succeed():
    person = f.caseworker()
    case = f.case()
    results = _race(case.pk, [("post_occurrence", person), ("close_no_recovery", services.system_user())])
    assert sorted(r == "ok" for r in results) == [False, True], results
    assert sum(isinstance(r, StaleCaseError) for r in results) == 1, results
    case.refresh_from_db()
    assert CaseEvent.objects.filter(case_id=case.pk).exclude(action="open").count() == 1
    assert case.state in (State.OCCURRENCE_POSTED, State.CLOSED_NO_RECOVERY)


@pytest.mark.django_db
def test_a_stale_in_memory_copy_cannot_overwrite_a_newer_state():
    actor = f.caseworker()
    case = f.case()
    stale = RecoveryCase.objects.get(pk=case.pk)
    services.case_act(case=case, action="post_occurrence", actor=actor, on=date(2023, 2, 2))
    with pytest.raises(StaleCaseError):
        services.case_act(case=stale, action="close_no_recovery", actor=actor, on=date(2023, 2, 3), reason="x")
    assert RecoveryCase.objects.get(pk=case.pk).state == State.OCCURRENCE_POSTED
    assert not CaseEvent.objects.filter(action="close_no_recovery").exists()
