"""The letter outbox (SPEC §3.4, §6): a step writes its letters and their deliveries in its own transaction
(a crash loses nothing, a failed step leaves nothing); the relay delivers each one exactly once — email
with the PDF attached, or a PDF in the print queue — retries failures with capped backoff, and never
lets a broker outage fail a step. The stored PDF is rendered once and checked against its SHA-256.
"""

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from recovery.letters import compose as letters, outbox
from recovery.cases import services
from recovery.clocks import batch, sweeps, tasks
from recovery.models import (CaseEvent, Debt, Dispute, LedgerEntry, Letter, LetterDelivery, LetterDocument,
                             RecoveryCase)
from recovery.letters.pdf import letter_filename
from recovery.cases.tracks import State as S
from recovery.cases.tracks import Track
from tests import factories
from tests.recovery.test_tracks_beneficiary import Walk, days

pytestmark = pytest.mark.django_db

K = Letter.Kind
PENDING, SENT, FAILED = LetterDelivery.Status.PENDING, LetterDelivery.Status.SENT, LetterDelivery.Status.FAILED


@pytest.fixture
def print_queue(tmp_path, settings):
    folder = tmp_path / "print-queue"
    settings.PRINT_QUEUE_DIR = str(folder)
    return folder


@pytest.fixture(autouse=True)
def _print_queue(print_queue):
    """Every test prints into its own folder (a relay may run eagerly after a step)."""


def plan_cpn() -> Walk:
    """A plan-track case with its CPN issued: one letter, to the plan (it has an email address) and a copy to
    the beneficiary (no email: the print queue)."""
    w = Walk(Track.PLAN)
    w.act("issue_cpn")
    return w


def the_letter(w, kind=K.CPN) -> Letter:
    return w.case.letters.get(kind=kind)


def counts(case):
    return {
        "events": CaseEvent.objects.filter(case=case).count(),
        "letters": Letter.objects.filter(case=case).count(),
        "deliveries": LetterDelivery.objects.filter(letter__case=case).count(),
        "ledger": LedgerEntry.objects.filter(case=case).count(),
        "debts": Debt.objects.filter(case=case).count(),
    }


def case_row(case):
    return RecoveryCase.objects.filter(pk=case.pk).values().get()


def fail_after_issue(monkeypatch, *, on_call=1, only_case=None):
    """Make the service crash right after `letters.issue` has written its `on_call`-th letter (and its
    deliveries), still inside the step's transaction."""
    real = letters.issue
    calls = []

    def issue_then_crash(case, *args, **kw):
        letter = real(case, *args, **kw)
        if only_case is None or case.pk == only_case:
            calls.append(letter.pk)
            if len(calls) == on_call:
                raise RuntimeError("crash after the letter was written")
        return letter

    monkeypatch.setattr(services.letters, "issue", issue_then_crash)
    return calls


# --- the letter is written with the step ----------------------------------------------------------------


def test_a_step_writes_its_letter_and_one_pending_delivery_per_recipient(django_capture_on_commit_callbacks):
    w = Walk(Track.PLAN)
    with django_capture_on_commit_callbacks() as callbacks:
        w.act("issue_cpn")
    letter = the_letter(w)
    event = w.case.events.get(action="issue_cpn")
    assert letter.event_id == event.pk and letter.letter_date == event.effective_date
    rows = list(letter.deliveries.order_by("id").values_list("role", "channel", "address", "status", "attempts"))
    assert rows == [
        ("debtor", "email", w.case.debtor_payer.email, PENDING, 0),
        ("beneficiary", "print", w.case.beneficiary.mailing_address, PENDING, 0),
    ]
    assert len({d.idempotency_key for d in letter.deliveries.all()}) == 2
    assert tasks.outbox_kick in callbacks  # the relay is asked for after commit, not before
    assert mail.outbox == []  # nothing is sent inside the step


def test_a_step_that_fails_after_its_letter_was_written_leaves_neither(monkeypatch,
                                                                       django_capture_on_commit_callbacks):
    w = plan_cpn()
    case = w.case
    before, row = counts(case), case_row(case)
    written = fail_after_issue(monkeypatch)
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError):
        services.case_act(case=w.reload(), action="issue_demand", actor=w.worker, on=case.cpn_date + days(31),
                          reason="CPN unanswered")
    assert len(written) == 1  # the demand letter and its deliveries were written...
    assert not Letter.objects.filter(pk=written[0]).exists()  # ...and rolled back with the step
    assert not LetterDelivery.objects.filter(letter_id=written[0]).exists()
    assert counts(case) == before  # no history row, no letter, no delivery, no debt, no ledger row
    assert case_row(case) == row
    assert callbacks == []  # no relay asked for a letter that does not exist


def test_a_step_with_two_letters_that_fails_on_the_second_leaves_neither(monkeypatch):
    """A dispute decided back into cpl_issued issues the decision and an updated CPL in one step."""
    w = Walk(Track.BENEFICIARY).run(("post_occurrence", "issue_rar", "issue_cpl", "open_dispute"))
    dispute = Dispute.objects.get(case=w.case)
    before, row = counts(w.case), case_row(w.case)
    claims = list(w.case.claims.order_by("pk").values_list("pk", "status"))
    written = fail_after_issue(monkeypatch, on_call=2)
    with pytest.raises(RuntimeError):
        w.act("decide_dispute", outcome="granted", removed_claims=[w.claims[0]], reason="Not related")
    assert len(written) == 2
    assert not Letter.objects.filter(pk__in=written).exists()
    assert counts(w.case) == before and case_row(w.case) == row
    assert list(w.case.claims.order_by("pk").values_list("pk", "status")) == claims
    dispute.refresh_from_db()
    assert dispute.outcome == Dispute.Outcome.PENDING


def test_in_a_sweep_a_case_that_fails_leaves_nothing_and_the_others_go_on(monkeypatch):
    first, second = (Walk(Track.PLAN) for _ in range(2))
    for w in (first, second):
        w.act("issue_cpn", on=w.on + days(1))
    as_of = first.case.cpn_date + days(31)
    assert sweeps.due_case_ids(as_of=as_of) == sorted([first.case.pk, second.case.pk])
    before, row = counts(first.case), case_row(first.case)
    # The sweep's batch engine writes the chunk's demands, their letters and deliveries in one go, then
    # crashes still inside the chunk's transaction; the chunk is taken case by case, where the first case
    # crashes again right after its demand letter was written (letters.issue).
    real_write, wrote = batch._write, []

    def write_then_crash(cases_out, debts):
        real_write(cases_out, debts)
        wrote.extend(c.pk for c, _ in cases_out)
        raise RuntimeError("crash after the chunk's letters were written")

    monkeypatch.setattr(batch, "_write", write_then_crash)
    fail_after_issue(monkeypatch, only_case=first.case.pk)
    sweeps.sweep(as_of=as_of)
    assert first.case.pk in wrote  # the batch engine did write the failing case's demand before the crash
    assert counts(first.case) == before and case_row(first.case) == row
    assert RecoveryCase.objects.get(pk=second.case.pk).state == S.DEMAND_ISSUED


# --- the relay --------------------------------------------------------------------------------------------


def test_the_relay_emails_or_prints_each_letter_once(print_queue):
    w = plan_cpn()
    letter = the_letter(w)
    email_d = letter.deliveries.get(channel="email")
    print_d = letter.deliveries.get(channel="print")
    assert outbox.pending_ids() == sorted([email_d.pk, print_d.pk])
    started = timezone.now()

    assert outbox.relay() == 2

    stored = outbox.letter_pdf_bytes(letter)
    assert stored.startswith(b"%PDF")
    [message] = mail.outbox
    assert message.to == [w.case.debtor_payer.email]
    assert w.case.number in message.subject
    assert str(email_d.idempotency_key) in message.extra_headers["Message-ID"]
    assert str(email_d.idempotency_key) in message.message()["Message-ID"]
    [attachment] = message.attachments
    filename, content, mimetype = attachment
    assert (filename, mimetype) == (letter_filename(letter), "application/pdf")
    assert content.startswith(b"%PDF") and content == stored

    printed = print_queue / f"{print_d.idempotency_key}.pdf"
    assert printed.read_bytes() == stored
    assert w.case.beneficiary.full_name in (print_queue / f"{print_d.idempotency_key}.address.txt").read_text()
    assert sorted(p.name for p in print_queue.glob("*.pdf")) == [printed.name]

    for d in (email_d, print_d):
        d.refresh_from_db()
        assert d.status == SENT and d.attempts == 1 and d.last_error == ""
        assert started <= d.sent_at <= timezone.now()
    assert LetterDocument.objects.filter(letter=letter).count() == 1  # rendered once for both recipients

    # Exactly once: relaying again (or delivering the same row again) sends nothing more.
    assert outbox.pending_ids() == []
    assert outbox.relay() == 0
    assert outbox.deliver(email_d.pk) is True and outbox.deliver(print_d.pk) is True
    assert len(mail.outbox) == 1
    email_d.refresh_from_db()
    assert email_d.attempts == 1


def test_after_a_crash_between_sending_and_marking_the_resend_is_recognisable(monkeypatch, print_queue):
    """At-least-once: the resend carries the same Message-ID and overwrites the same print file."""
    w = plan_cpn()
    real_save = LetterDelivery.save

    def crash(self, *args, **kwargs):
        if self.status == SENT:
            raise ConnectionError("database went away after the send")
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(LetterDelivery, "save", crash)
    with pytest.raises(ConnectionError):
        outbox.relay()
    monkeypatch.setattr(LetterDelivery, "save", real_save)
    # The crashed relay's claim holds its delivery until the lease runs out; then it is sent again.
    [crashed] = the_letter(w).deliveries.filter(attempts=1)
    assert crashed.pk not in outbox.pending_ids()
    assert outbox.relay() == 1  # the other one, which the crashed relay had not reached
    make_due(crashed)
    assert outbox.relay() == 1
    ids = [m.extra_headers["Message-ID"] for m in mail.outbox]
    assert len(ids) == 2 and len(set(ids)) == 1
    assert len(list(print_queue.glob("*.pdf"))) == 1
    assert set(the_letter(w).deliveries.values_list("status", flat=True)) == {SENT}


# --- failures and retries -----------------------------------------------------------------------------------


class FlakySend:
    def __init__(self, monkeypatch):
        self.real, self.failing, self.calls = outbox._send, True, 0
        monkeypatch.setattr(outbox, "_send", self)

    def __call__(self, delivery, data):
        self.calls += 1
        if self.failing:
            raise OSError("SMTP server unreachable")
        return self.real(delivery, data)


def make_due(delivery):
    LetterDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_a_failed_delivery_is_retried_after_its_backoff_and_then_sent(monkeypatch):
    w = plan_cpn()
    email_d = the_letter(w).deliveries.get(channel="email")
    LetterDelivery.objects.exclude(pk=email_d.pk).update(status=SENT)  # look at one delivery
    send = FlakySend(monkeypatch)

    started = timezone.now()
    assert outbox.relay() == 0
    ended = timezone.now()
    email_d.refresh_from_db()
    assert (email_d.status, email_d.attempts) == (PENDING, 1)
    assert email_d.last_error == "OSError: SMTP server unreachable"
    assert started + outbox.backoff(1) <= email_d.next_attempt_at <= ended + outbox.backoff(1)
    assert outbox.backoff(1) == timedelta(minutes=1)

    # Not retried before its time.
    assert outbox.pending_ids() == []
    assert outbox.relay() == 0
    assert send.calls == 1

    # Retried once its time has come; this time the server answers.
    make_due(email_d)
    assert outbox.pending_ids() == [email_d.pk]
    send.failing = False
    assert outbox.relay() == 1
    email_d.refresh_from_db()
    assert (email_d.status, email_d.attempts, send.calls) == (SENT, 2, 2)
    assert email_d.sent_at is not None
    assert len(mail.outbox) == 1


def test_after_max_attempts_a_delivery_is_failed_and_no_longer_retried(monkeypatch):
    w = plan_cpn()
    email_d = the_letter(w).deliveries.get(channel="email")
    LetterDelivery.objects.exclude(pk=email_d.pk).update(status=SENT)
    send = FlakySend(monkeypatch)
    waits = []
    for attempt in range(1, outbox.MAX_ATTEMPTS + 1):
        make_due(email_d)
        before = timezone.now()
        outbox.relay()
        email_d.refresh_from_db()
        assert email_d.attempts == attempt
        assert email_d.status == (FAILED if attempt == outbox.MAX_ATTEMPTS else PENDING)
        waits.append(email_d.next_attempt_at - before)
    assert send.calls == outbox.MAX_ATTEMPTS
    assert all(w <= timedelta(hours=1, seconds=5) for w in waits)
    make_due(email_d)
    assert outbox.pending_ids() == []
    assert outbox.relay() == 0
    assert send.calls == outbox.MAX_ATTEMPTS
    assert mail.outbox == []


def test_backoff_doubles_and_is_capped_at_one_hour():
    assert [outbox.backoff(n) for n in range(1, 8)] == [timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 32, 60)]
    waits = [outbox.backoff(n) for n in range(0, outbox.MAX_ATTEMPTS + 5)]
    assert waits == sorted(waits)
    assert max(waits) == outbox.MAX_BACKOFF == timedelta(hours=1)


def test_backoff_stays_capped_however_many_attempts():
    assert outbox.backoff(100) == timedelta(hours=1)


# --- the stored PDF -----------------------------------------------------------------------------------------


def test_the_letter_pdf_is_rendered_once_and_kept_with_its_sha256(monkeypatch):
    w = plan_cpn()
    letter = the_letter(w)
    real, renders = outbox.render_letter_pdf, []
    monkeypatch.setattr(outbox, "render_letter_pdf", lambda letter_: renders.append(letter_.pk) or real(letter_))
    first = outbox.letter_pdf_bytes(letter)
    second = outbox.letter_pdf_bytes(Letter.objects.get(pk=letter.pk))
    outbox.relay()
    assert renders == [letter.pk]
    assert first == second and first.startswith(b"%PDF")
    doc = LetterDocument.objects.get(letter=letter)
    assert doc.sha256 == hashlib.sha256(first).hexdigest()
    assert Path(doc.pdf.path).read_bytes() == first


def test_a_tampered_stored_pdf_is_refused_and_not_sent():
    w = plan_cpn()
    letter = the_letter(w)
    doc = outbox.letter_document(letter)
    Path(doc.pdf.path).write_bytes(b"%PDF-1.4\n% someone edited the amount\n%%EOF\n")
    with pytest.raises(ValueError, match="SHA-256"):
        outbox.letter_pdf_bytes(Letter.objects.get(pk=letter.pk))
    assert outbox.relay() == 0
    assert mail.outbox == []
    for d in letter.deliveries.all():
        assert (d.status, d.attempts) == (PENDING, 1) and "SHA-256" in d.last_error


def test_the_admin_downloads_the_stored_pdf_as_an_attachment(client):
    w = plan_cpn()
    letter = the_letter(w)
    stored = outbox.letter_pdf_bytes(letter)
    client.force_login(factories.user(superuser=True))
    response = client.get(reverse("admin:recovery_letter_pdf", args=[letter.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{letter_filename(letter)}"'
    assert response.content == stored
    assert LetterDocument.objects.filter(letter=letter).count() == 1


# --- a broker outage never fails a step -----------------------------------------------------------------------


@pytest.fixture
def broker_down(monkeypatch):
    calls = []

    def publish(*args, **kwargs):
        calls.append(kwargs)
        raise ConnectionRefusedError("broker unreachable")

    monkeypatch.setattr(tasks.relay_outbox, "apply_async", publish)
    return calls


def test_outbox_kick_never_raises_when_the_broker_is_down(broker_down, caplog):
    assert tasks.outbox_kick() is None
    assert len(broker_down) == 1
    assert "outbox relay not queued" in caplog.text


def test_a_step_succeeds_when_the_broker_is_down_and_its_letter_waits_for_the_relay(
        broker_down, django_capture_on_commit_callbacks):
    w = Walk(Track.PLAN)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        w.act("issue_cpn")
    assert callbacks and broker_down  # the kick ran after commit and failed quietly
    assert w.case.state == S.CPN_ISSUED
    letter = the_letter(w)
    assert set(letter.deliveries.values_list("status", flat=True)) == {PENDING}
    assert outbox.relay() == 2  # the periodic relay delivers it later
    assert len(mail.outbox) == 1


def test_with_the_broker_up_the_kick_after_commit_relays_the_letter(django_capture_on_commit_callbacks):
    w = Walk(Track.PLAN)
    with django_capture_on_commit_callbacks(execute=True):
        w.act("issue_cpn")
    assert set(the_letter(w).deliveries.values_list("status", flat=True)) == {SENT}
    assert len(mail.outbox) == 1


def test_a_sweep_chunk_succeeds_when_the_broker_is_down(broker_down):
    w = plan_cpn()
    as_of = w.case.cpn_date + days(31)
    assert tasks.sweep_chunk([w.case.pk], as_of.isoformat()) == 1
    assert broker_down
    assert RecoveryCase.objects.get(pk=w.case.pk).state == S.DEMAND_ISSUED
    assert the_letter(w, K.DEMAND).deliveries.filter(status=PENDING).count() == 2
