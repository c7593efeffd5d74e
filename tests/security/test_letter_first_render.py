"""A letter's first PDF view under concurrency (issue 9, finding 11): three people opening a
never-rendered letter at once, through real HTTP on PostgreSQL, each get the same PDF — no 500 from the
one-to-one's IntegrityError — and one document row and one file stay, no orphan."""

import http.client
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from recovery.letters import outbox
from recovery.models import LetterDocument
from recovery.cases.tracks import Track
from tests import factories as f
from tests.recovery.test_tracks_beneficiary import Walk

pytestmark = pytest.mark.postgres


def get(live_server, path, cookie):
    url = urlsplit(live_server.url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    try:
        conn.request("GET", path, headers={"Cookie": cookie})
        response = conn.getresponse()
        return response.status, response.read(), response.getheader("Cache-Control")
    finally:
        conn.close()


def test_three_first_views_at_once_give_one_document_and_everyone_gets_it(
        live_server, transactional_db, settings, monkeypatch):
    w = Walk(Track.PLAN)
    w.act("issue_cpn")
    letter = w.case.letters.get()
    LetterDocument.objects.filter(letter=letter).delete()  # the eager relay rendered it: start unrendered
    for stored in Path(settings.MEDIA_ROOT).rglob("*.pdf"):
        stored.unlink()

    real, renders = outbox.render_letter_pdf, []

    def slow_render(letter_):
        renders.append(letter_.pk)
        time.sleep(0.5)  # a real render, made slow enough that the three requests overlap in it
        return real(letter_)

    monkeypatch.setattr(outbox, "render_letter_pdf", slow_render)
    people = [f.user(f"reader{i}", superuser=True) for i in range(3)]
    cookies = []
    for person in people:
        client = Client()
        client.force_login(person)
        cookies.append(f"sessionid={client.cookies['sessionid'].value}")
    path = reverse("admin:recovery_letter_pdf", args=[letter.pk])
    start, results = threading.Barrier(3), [None] * 3

    def view(i):
        start.wait()
        results[i] = get(live_server, path, cookies[i])

    threads = [threading.Thread(target=view, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)

    assert [r[0] for r in results] == [200, 200, 200]
    bodies = {r[1] for r in results}
    assert len(bodies) == 1 and next(iter(bodies)).startswith(b"%PDF")
    assert all("no-store" in r[2] for r in results)
    assert renders == [letter.pk]  # one render; the others waited for it
    [doc] = LetterDocument.objects.filter(letter=letter)
    files = sorted(Path(settings.MEDIA_ROOT).rglob("*.pdf"))
    assert files == [Path(doc.pdf.path)]  # no orphan file
    assert files[0].read_bytes() == next(iter(bodies))
