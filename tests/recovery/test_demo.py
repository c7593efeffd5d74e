import pytest
from django.apps import apps
from django.core.management import call_command

from recovery import tracks
from recovery.models import RecoveryCase

pytestmark = pytest.mark.django_db


def _row_counts():
    return {m._meta.label: m.objects.count() for m in apps.get_models()
            if m._meta.app_label in {"beneficiaries", "payers", "recovery", "auth"}}


def test_demo_data_covers_every_state_of_every_track_and_loading_twice_changes_nothing():
    call_command("load_demo")
    first = _row_counts()
    call_command("load_demo")
    assert _row_counts() == first
    seen = set(RecoveryCase.objects.values_list("track", "state"))
    for track in tracks.Track.values:
        missing = set(tracks.states_of(track)) - {s for t, s in seen if t == track}
        assert not missing, (track, missing)
    assert 30 <= RecoveryCase.objects.count() <= 60
