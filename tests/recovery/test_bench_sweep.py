"""Smoke run of `manage.py bench_sweep` (SPEC §10 benchmark): on a few dozen cases the sweep, the naive
loop and the set-based SQL must make exactly the same changes (states, dates, history, letters,
deliveries, interest rows, debts), and nothing must be left behind."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from recovery.management.commands.bench_sweep import Command
from recovery.models import Letter, RecoveryCase

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.mark.parametrize("interest", ["due", "posted"])
def test_the_three_variants_make_the_same_changes(interest):
    out, cmd = StringIO(), Command()
    call_command(cmd, cases=60, interest=interest, stdout=out, stderr=StringIO())
    results = cmd.results
    assert set(results) == {"A", "B", "C"}, out.getvalue()
    a = results["A"]
    assert a["steps"] > 0 and a["check"]["letters"][0] == a["steps"], out.getvalue()
    for v in "BC":
        assert results[v]["steps"] == a["steps"], out.getvalue()
        assert results[v]["check"] == a["check"], (v, out.getvalue())
    if interest == "due":
        assert a["check"]["ledger rows"][0] > 0
    else:  # only the debts the sweep's demand steps open get rows (their principal, interest due since)
        assert a["check"]["ledger rows of the built debts"] == 0
    assert "ratio A/C" in out.getvalue()
    last = out.getvalue().strip().splitlines()[-1]
    assert last.startswith("RESULT ")
    result = json.loads(last[len("RESULT "):])
    assert {"cases", "due", "a_s", "c_s", "ratio_a_c", "agree", "peak_rss_mb"} <= set(result)
    assert result["cases"] == 60 and result["due"] == a["due"] and result["agree"] is True
    assert result["peak_rss_mb"] > 0
    assert not RecoveryCase.objects.filter(number__startswith="29").exists()  # rolled back
    assert not Letter.objects.exists()
