"""The outbox with a hung SMTP server (issue 9, finding 12): the relay claims the delivery and commits,
sends outside any transaction — EMAIL_TIMEOUT bounds the wait — and records the outcome in a new
transaction, so a server that accepts the connection and never answers holds no database lock.

The SMTP server here is a real socket that accepts and then says nothing."""

import socket
import threading
import time

import pytest
from django.db import connection, connections, transaction

from recovery.letters import outbox
from recovery.models import LetterDelivery
from recovery.cases.tracks import Track
from tests.recovery.test_tracks_beneficiary import Walk


class HungSMTPServer:
    """Accepts connections and never sends the greeting. `on_accept(conn)` runs while a client waits."""

    def __init__(self, on_accept):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.port = self.sock.getsockname()[1]
        self.on_accept, self.seen, self.held = on_accept, [], []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        try:
            peer, _ = self.sock.accept()
        except OSError:
            return
        self.held.append(peer)
        try:
            self.seen.append(self.on_accept())
        finally:
            connections.close_all()

    def close(self):
        for peer in self.held:
            peer.close()
        self.sock.close()
        self.thread.join(5)


@pytest.fixture
def print_queue(tmp_path, settings):
    settings.PRINT_QUEUE_DIR = str(tmp_path / "print-queue")


def test_a_claimed_delivery_is_not_taken_by_another_relay_while_it_is_sent(db, settings, print_queue, monkeypatch):
    """The claim is a lease: a second relay running during the send skips the delivery."""
    w = Walk(Track.PLAN)
    w.act("issue_cpn")
    print_d = w.case.letters.get().deliveries.get(channel="print")
    LetterDelivery.objects.filter(pk=print_d.pk).update(status="pending", attempts=0, sent_at=None)
    real_send, during = outbox._send, []

    def send_and_look(delivery, data):
        during.append((delivery.pk in outbox.pending_ids(), outbox.deliver(delivery.pk)))  # a second relay
        return real_send(delivery, data)

    monkeypatch.setattr(outbox, "_send", send_and_look)
    assert outbox.deliver(print_d.pk) is True
    assert during == [(False, False)]
    print_d.refresh_from_db()
    assert (print_d.status, print_d.attempts) == ("sent", 1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_hung_smtp_server_holds_no_database_lock_and_the_timeout_ends_the_wait(settings, print_queue):
    """A real socket that accepts and never greets: while the relay waits on it, another connection can
    lock the delivery row at once (NOWAIT) — the claim was committed before the send. EMAIL_TIMEOUT ends
    the wait; the failure is recorded and the delivery waits for its retry. (Before issue 9 the row was
    locked for the whole send.)"""
    w = Walk(Track.PLAN)
    w.act("issue_cpn")
    letter = w.case.letters.get()
    delivery = LetterDelivery.objects.create(letter=letter, recipient="Plan", role="debtor", channel="email",
                                             address="claims@plan.example")

    def try_lock():
        try:
            with transaction.atomic():
                LetterDelivery.objects.select_for_update(nowait=True).get(pk=delivery.pk)
            return "free"
        except Exception as exc:  # noqa: BLE001 — the lock is held: what the test must not see
            return f"locked: {type(exc).__name__}"

    server = HungSMTPServer(try_lock)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", server.port, 3
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    try:
        started = time.monotonic()
        assert outbox.deliver(delivery.pk) is False
        waited = time.monotonic() - started
    finally:
        server.close()
    assert server.seen == ["free"]
    assert waited < 30  # bounded by EMAIL_TIMEOUT, not by Celery's hard limit
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert "timed out" in delivery.last_error.lower() or "timeout" in delivery.last_error.lower()
    assert delivery.next_attempt_at is not None
