"""`manage.py bench_letters` (not timed here: it is a benchmark): it renders with both renderers, the
relay drains every delivery it made, it ends with one RESULT line holding the figures the issue lists,
and it leaves nothing behind (its transaction is rolled back, its files removed)."""

import io
import json

import pytest
from django.core.management import call_command

from recovery.models import Letter, LetterDelivery, LetterDocument

pytestmark = pytest.mark.django_db(transaction=True)


def test_bench_letters_reports_both_renderers_and_the_relay_and_leaves_nothing(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    out = io.StringIO()
    call_command("bench_letters", "--repeat", "1", "--deliveries", "6", "--letters", "3", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert lines[-1].startswith("RESULT ")
    result = json.loads(lines[-1][len("RESULT "):])
    for key in ("median_ms", "p95_ms", "cpu_median_ms", "baseline_median_ms", "speedup", "relay_s",
                "relay_per_s", "hours_for_100k", "peak_rss_mb"):
        assert result[key] > 0, key
    assert len(result["load_avg"]) == 2 and all(load >= 0 for load in result["load_avg"])
    assert result["deliveries"] == 6 and result["left"] == 0
    assert result["renders"] == result["letters"] == 3
    assert Letter.objects.count() == 0 and LetterDelivery.objects.count() == 0
    assert LetterDocument.objects.count() == 0
    assert not (tmp_path / "media").exists() or not any((tmp_path / "media").rglob("*.pdf"))
