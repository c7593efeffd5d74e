"""The sweeps and the letter outbox on a real Celery worker and a real Redis broker (SPEC §3.4, §4, §10).

Each test starts `celery -A config worker` as a subprocess against the test PostgreSQL database and a
flushed Redis test database, publishes tasks from this process to Redis, and checks the database the
worker wrote: every due step happens exactly once (a sweep run twice, overlapping chunks, a worker
SIGKILLed mid-sweep), and a web step succeeds quickly with Redis down, its letters waiting in the
outbox until a worker relays them.

Cases are built through the real services (tests/recovery's walker) in 2023 and swept as of dates in
2023-2024: steps cannot be dated in the future, and a sweep cannot act for a day that has not come.
"""

import base64
import json
import logging
import signal
import socket
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.db.models import Count
from django.urls import reverse
from kombu import Connection

from recovery.cases import services
from recovery.clocks import tasks
from recovery.models import CaseEvent, LedgerEntry, Letter, LetterDelivery, RecoveryCase
from recovery.cases.tracks import State as S
from recovery.cases.tracks import Track
from tests import factories
from tests.celery.conftest import REDIS_TEST_URL, queued_and_unacked, wait_idle, wait_until
from tests.formscrape import form_data
from tests.recovery.test_tracks_beneficiary import earliest, reach

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

K = Letter.Kind
SYSTEM = services.SYSTEM_USERNAME
# The letter each automatic step issues.
LETTER_OF = {"issue_demand": K.DEMAND, "issue_itr": K.ITR, "refer_to_treasury": K.TREASURY_REFERRAL}


def days(n):
    return timedelta(days=n)


def cpn_unanswered_case():
    """A beneficiary-track case whose CPN (dated 2023-08-02) is unanswered: demand due on day 31."""
    return reach(Track.BENEFICIARY, S.CPN_ISSUED).case


def demand_case():
    """A beneficiary-track case with a demand (dated 2023-08-06), unpaid: ITR due on day 90."""
    return reach(Track.BENEFICIARY, S.DEMAND_ISSUED).case


def sweep_events(ids):
    """(case id, action) -> number of history rows written by the sweeps' system user."""
    rows = (CaseEvent.objects.filter(case_id__in=ids, actor_name=SYSTEM)
            .values_list("case_id", "action").annotate(n=Count("id")))
    return {(case_id, action): n for case_id, action, n in rows}


def cases_touched(ids) -> int:
    return CaseEvent.objects.filter(case_id__in=ids, actor_name=SYSTEM).values("case_id").distinct().count()


def snapshot(ids):
    """Everything a sweep could change on these cases."""
    return {
        "cases": list(RecoveryCase.objects.filter(pk__in=ids).order_by("pk")
                      .values_list("pk", "state", "updated_at", "next_due_date")),
        "events": CaseEvent.objects.filter(case_id__in=ids).count(),
        "letters": Letter.objects.filter(case_id__in=ids).count(),
        "deliveries": LetterDelivery.objects.filter(letter__case_id__in=ids).count(),
        "ledger": LedgerEntry.objects.filter(case_id__in=ids).count(),
    }


def assert_step_done_once(case_id, action, on):
    """Exactly one history row for `action` on `case_id`, dated `on` by the rule, and exactly one
    letter of its kind, issued by that step, with its deliveries."""
    events = list(CaseEvent.objects.filter(case_id=case_id, action=action))
    assert len(events) == 1, f"case {case_id}: {len(events)} '{action}' events"
    event = events[0]
    assert (event.actor_name, event.effective_date) == (SYSTEM, on), (case_id, action)
    letters = list(Letter.objects.filter(case_id=case_id, kind=LETTER_OF[action]))
    assert len(letters) == 1, f"case {case_id}: {len(letters)} {LETTER_OF[action]} letters"
    letter = letters[0]
    assert letter.event_id == event.pk and letter.letter_date == on
    assert letter.content.get("dated_by") == "rule"
    assert letter.deliveries.count() == len(letter.recipients) >= 1


def publish(signature):
    """Publish to the broker this process points at; returns the task id."""
    return signature.apply_async().id


def wait_task(worker, task_id, what):
    wait_until(lambda: worker.task_results(task_id), what, worker=worker)
    return worker.task_results(task_id)[0]


def task_args(message) -> list:
    """The positional arguments of a Celery message as kombu stores it in Redis."""
    body = message["body"]
    if message.get("properties", {}).get("body_encoding") == "base64":
        body = base64.b64decode(body)
    args, _kwargs, _embed = json.loads(body)
    return args


def free_port() -> int:
    """A local TCP port nothing listens on (bound and released: connecting to it is refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- 1. a sweep's work is done exactly once --------------------------------------------------------


def test_a_sweep_on_a_real_worker_does_each_due_step_once_and_a_second_sweep_changes_nothing(
        broker, redis_db, start_worker):
    cpn = [cpn_unanswered_case() for _ in range(3)]
    dem = [demand_case() for _ in range(3)]
    ids = [c.pk for c in cpn + dem]
    demand_on = {c.pk: earliest(c, "issue_demand") for c in cpn}  # CPN date + 31
    itr_on = {c.pk: earliest(c, "issue_itr") for c in dem}  # demand date + 90
    as_of = date(2023, 11, 10)
    assert max([*demand_on.values(), *itr_on.values()]) <= as_of
    # ... and nothing further is due by then: one step per case.
    assert all(d + days(90) > as_of for d in demand_on.values())
    assert all(d + days(61) > as_of for d in itr_on.values())
    assert not sweep_events(ids)

    worker = start_worker(concurrency=2)
    sweep_id = publish(tasks.sweep_deadlines.s(as_of=as_of.isoformat(), chunk_size=2))
    assert wait_task(worker, sweep_id, "the sweep") == str(len(ids))  # 6 due ids, shared in 3 chunks
    wait_idle(redis_db)  # the chunks (published by the sweep before it acked) and their outbox kicks ran
    assert not worker.problems(), "\n".join(worker.problems())
    assert sweep_events(ids) == {**{(pk, "issue_demand"): 1 for pk in demand_on},
                                 **{(pk, "issue_itr"): 1 for pk in itr_on}}
    for pk, on in demand_on.items():
        assert_step_done_once(pk, "issue_demand", on)
        case = RecoveryCase.objects.get(pk=pk)
        assert (case.state, case.demand_date) == (S.DEMAND_ISSUED, on)
    for pk, on in itr_on.items():
        assert_step_done_once(pk, "issue_itr", on)
        case = RecoveryCase.objects.get(pk=pk)
        assert (case.state, case.itr_date) == (S.INTENT_TO_REFER_ISSUED, on)
    # The chunks kicked the relay: the worker delivered the sweep's letters (to the print queue).
    assert not LetterDelivery.objects.filter(letter__case_id__in=ids).exclude(status="sent").exists()

    # The same sweep again: nothing is due, nothing changes.
    before = snapshot(ids)
    again_id = publish(tasks.sweep_deadlines.s(as_of=as_of.isoformat(), chunk_size=2))
    assert wait_task(worker, again_id, "the second sweep") == "0"  # no case due
    wait_idle(redis_db)
    assert snapshot(ids) == before

    # Two overlapping chunks with the same ids, published at once (the worker has two processes):
    # the ITR that has come due on the CPN cases happens once; together the chunks report one step each.
    as_of_2 = date(2023, 12, 5)
    itr_2 = {pk: on + days(90) for pk, on in demand_on.items()}
    assert max(itr_2.values()) <= as_of_2 < min(on + days(61) for on in itr_on.values())
    cpn_ids = sorted(demand_on)
    chunk_ids = [publish(tasks.sweep_chunk.s(cpn_ids, as_of_2.isoformat())) for _ in range(2)]
    steps = [int(wait_task(worker, tid, "an overlapping chunk")) for tid in chunk_ids]
    wait_idle(redis_db)
    assert sum(steps) == len(cpn_ids), steps
    for pk, on in itr_2.items():
        assert_step_done_once(pk, "issue_itr", on)
        assert RecoveryCase.objects.get(pk=pk).state == S.INTENT_TO_REFER_ISSUED
    assert sweep_events(ids) == {**{(pk, "issue_demand"): 1 for pk in demand_on},
                                 **{(pk, "issue_itr"): 1 for pk in ids}}
    assert not worker.problems(), "\n".join(worker.problems())


# --- 2. Redis down: the web step succeeds, the letter waits in the outbox -------------------------


def test_with_redis_down_an_admin_step_succeeds_fast_and_the_outbox_drains_once_a_worker_runs(
        broker, redis_db, start_worker, client, caplog, worker_env):
    dead = broker(f"redis://127.0.0.1:{free_port()}/0")
    emailed = reach(Track.BENEFICIARY, S.OCCURRENCE_POSTED)  # this beneficiary has an email address
    emailed.case.beneficiary.email = "zoe.nowak@example.org"
    emailed.case.beneficiary.save()
    posted = reach(Track.BENEFICIARY, S.OCCURRENCE_POSTED)  # this one gets paper
    user = factories.caseworker()
    client.force_login(user)

    for walk in (emailed, posted):
        case = walk.case
        url = reverse("admin:recovery_recoverycase_act", args=[case.pk, "issue_rar"])
        data = form_data(client.get(url).content.decode())
        data.update(on=(walk.on + days(1)).isoformat(), reason="RAR after the occurrence was posted",
                    expected_state=S.OCCURRENCE_POSTED)
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="recovery.clocks.tasks"):
            started = time.monotonic()
            response = client.post(url, data)
            elapsed = time.monotonic() - started
        assert response.status_code == 302, response.content.decode()[:2000]
        print(f"\nissue_rar with the broker down: {elapsed:.2f} s")
        assert elapsed < 10, f"the step took {elapsed:.1f} s with the broker at {dead} down"
        # The after-commit kick really tried the dead broker, and gave up without failing the step.
        assert "outbox relay not queued" in caplog.text, caplog.text
        case.refresh_from_db()
        assert case.state == S.RAR_ISSUED
        letter = Letter.objects.get(case=case, kind=K.RAR)
        assert letter.event.actor_id == user.pk
        deliveries = list(letter.deliveries.all())
        assert deliveries and all(d.status == "pending" and d.attempts == 0 for d in deliveries)

    rar = Letter.objects.filter(case__in=[emailed.case, posted.case], kind=K.RAR)
    by_channel = {d.channel: d for d in LetterDelivery.objects.filter(letter__in=rar)}
    assert sorted(by_channel) == ["email", "print"]

    # Redis back, a worker up, the relay published (as the periodic relay would): everything is sent, once.
    broker(REDIS_TEST_URL)
    worker = start_worker()
    relay_id = publish(tasks.relay_outbox.s())
    sent = int(wait_task(worker, relay_id, "the relay"))
    wait_idle(redis_db)
    pending = LetterDelivery.objects.exclude(status="sent")
    assert not pending.exists(), list(pending.values("letter__kind", "status", "last_error"))
    assert sent == LetterDelivery.objects.count()  # what was waiting: the two RARs (the walks issued no other letter)
    for d in LetterDelivery.objects.filter(letter__in=rar):
        assert d.attempts == 1 and d.sent_at is not None

    var = Path(worker_env["VAR_DIR"])
    key = by_channel["print"].idempotency_key
    print_dir = Path(worker_env["PRINT_QUEUE_DIR"])
    assert (print_dir / f"{key}.pdf").read_bytes().startswith(b"%PDF")
    assert posted.case.beneficiary.full_name in (print_dir / f"{key}.address.txt").read_text()
    mails = list((var / "sent-email").glob("*"))
    assert len(mails) == 1, mails
    mail = mails[0].read_text(errors="replace")
    assert f"<{by_channel['email'].idempotency_key}@msp-recovery>" in mail
    assert "zoe.nowak@example.org" in mail
    assert not worker.problems(), "\n".join(worker.problems())


def test_with_redis_hung_an_admin_step_still_returns_within_the_bound(broker, client, caplog):
    """A broker that accepts connections but never answers (a stalled server, a half-open network)
    is the slow case: the publish waits for the socket timeout of the Redis transport options."""
    with socket.socket() as hung:
        hung.bind(("127.0.0.1", 0))
        hung.listen(16)  # the kernel completes the handshake; nobody ever reads or answers
        broker(f"redis://127.0.0.1:{hung.getsockname()[1]}/0")
        walk = reach(Track.BENEFICIARY, S.OCCURRENCE_POSTED)
        client.force_login(factories.caseworker())
        url = reverse("admin:recovery_recoverycase_act", args=[walk.case.pk, "issue_rar"])
        data = form_data(client.get(url).content.decode())
        data.update(on=(walk.on + days(1)).isoformat(), reason="RAR", expected_state=S.OCCURRENCE_POSTED)
        with caplog.at_level(logging.WARNING, logger="recovery.clocks.tasks"):
            started = time.monotonic()
            response = client.post(url, data)
            elapsed = time.monotonic() - started
    print(f"\nissue_rar with the broker hung: {elapsed:.2f} s")
    assert response.status_code == 302, response.content.decode()[:2000]
    assert elapsed < 10, f"the step took {elapsed:.1f} s with the broker hung"
    assert "outbox relay not queued" in caplog.text, caplog.text
    walk.reload()
    assert walk.case.state == S.RAR_ISSUED
    assert set(LetterDelivery.objects.filter(letter__case=walk.case).values_list("status", flat=True)) == {"pending"}


# --- 3. a worker SIGKILLed in the middle of a sweep ------------------------------------------------


N_CASES = 16
CHUNK = 3


def test_a_worker_killed_mid_sweep_loses_nothing_and_the_next_sweep_doubles_nothing(broker, redis_db, start_worker):
    cases = [cpn_unanswered_case() for _ in range(N_CASES)]
    ids = [c.pk for c in cases]
    # Each case has three steps due: demand (CPN + 31), ITR (demand + 90), Treasury referral (ITR + 61).
    expected = {}
    for c in cases:
        demand = earliest(c, "issue_demand")
        expected[c.pk] = {"issue_demand": demand, "issue_itr": demand + days(90),
                          "refer_to_treasury": demand + days(90) + days(61)}
    as_of = date(2024, 3, 1)
    assert max(d["refer_to_treasury"] for d in expected.values()) <= as_of

    first = start_worker(concurrency=1)
    publish(tasks.sweep_deadlines.s(as_of=as_of.isoformat(), chunk_size=CHUNK))
    # Kill once the worker is past its first chunk but well short of the end.
    wait_until(lambda: cases_touched(ids) > CHUNK, "the sweep under way", interval=0.02, worker=first)
    first.kill(signal.SIGKILL)
    done_at_kill = cases_touched(ids)
    assert CHUNK < done_at_kill < N_CASES, (
        f"the worker finished {done_at_kill} of {N_CASES} cases before it was killed; "
        "the test needs it killed mid-sweep (more cases or smaller chunks)")
    # Each case is one transaction: the killed worker left every case all done or untouched.
    per_case = CaseEvent.objects.filter(case_id__in=ids, actor_name=SYSTEM).values("case_id").annotate(n=Count("id"))
    assert {row["n"] for row in per_case} == {3}
    # The message the killed worker held stays unacknowledged (Redis gives it back only after the
    # visibility timeout, an hour); the chunks it had not reached stay queued.
    touched_at_kill = set(CaseEvent.objects.filter(case_id__in=ids, actor_name=SYSTEM)
                          .values_list("case_id", flat=True))
    stale = set(redis_db.hkeys("unacked"))
    held = [json.loads(redis_db.hget("unacked", tag))[0] for tag in stale]
    lost = {pk for message in held if message["headers"]["task"] == "recovery.sweep_chunk"
            for pk in task_args(message)[0]} - touched_at_kill
    queued, _ = queued_and_unacked(redis_db)
    print(f"\nkilled the worker with {done_at_kill}/{N_CASES} cases done, {len(stale)} message(s) unacked "
          f"({len(lost)} of its cases not done), {queued} queued")

    # A new worker (two processes) takes the queued chunks, then the next sweep: it finds the cases
    # of the killed chunk still due — nothing else will bring them (their message is held) — and
    # whatever the queued chunks have not finished yet; each case locks its row, so none is doubled.
    second = start_worker(concurrency=2)
    next_sweep = publish(tasks.sweep_deadlines.s(as_of=as_of.isoformat(), chunk_size=CHUNK))
    assert int(wait_task(second, next_sweep, "the next sweep")) >= len(lost)
    wait_until(lambda: cases_touched(ids) == N_CASES, "every case swept", worker=second)
    wait_idle(redis_db, ignore_tags=stale)
    assert not second.problems(), "\n".join(second.problems())

    def assert_all_done_once():
        events = sweep_events(ids)
        assert events == {(pk, action): 1 for pk in ids for action in LETTER_OF}, {
            k: n for k, n in events.items() if n != 1}
        for pk, steps in expected.items():
            for action, on in steps.items():
                assert_step_done_once(pk, action, on)
        assert set(RecoveryCase.objects.filter(pk__in=ids).values_list("state", flat=True)) == {
            S.REFERRED_TO_TREASURY}

    assert_all_done_once()

    # The visibility timeout passing (simulated): Redis gives back what the killed worker held; the
    # new worker runs it again, and a chunk finds its cases' steps done and changes nothing.
    before = snapshot(ids)
    with Connection(REDIS_TEST_URL, transport_options={"visibility_timeout": 0}) as conn:
        conn.default_channel.qos.restore_visible(num=100)
    for message in held:
        headers = message["headers"]
        result = wait_task(second, headers["id"], f"the redelivered {headers['task']}")
        if headers["task"] == "recovery.sweep_chunk":
            assert result == "0"
    wait_idle(redis_db)
    assert snapshot(ids) == before
    assert_all_done_once()
    # The outbox recovered too: every letter (the CPNs and the sweep's) was delivered.
    assert not LetterDelivery.objects.filter(letter__case_id__in=ids).exclude(status="sent").exists()
    assert not second.problems(), "\n".join(second.problems())
