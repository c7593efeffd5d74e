"""The scheduled jobs, as django-celery-beat rows: visible and editable in the admin (Periodic tasks)."""

from django.db import migrations


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    nightly, _ = CrontabSchedule.objects.get_or_create(
        minute="30", hour="0", day_of_week="*", day_of_month="*", month_of_year="*", timezone="America/New_York")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.get_or_create(
        name="Deadline sweep (SPEC §4)", defaults={"task": "recovery.sweep_deadlines", "crontab": nightly,
                                                   "description": "Fires every clock due today; catches up after downtime."})
    PeriodicTask.objects.get_or_create(
        name="Letter outbox relay", defaults={"task": "recovery.relay_outbox", "interval": every_minute,
                                              "description": "Delivers pending letters; retries with backoff."})


class Migration(migrations.Migration):
    dependencies = [("recovery", "0002_seed_policy"), ("django_celery_beat", "0019_alter_periodictasks_options")]
    operations = [migrations.RunPython(schedule, migrations.RunPython.noop)]
