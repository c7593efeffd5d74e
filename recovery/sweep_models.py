"""A record of each deadline sweep (SPEC §4): when, for which day, how many cases, steps and failures."""

from django.db import models


class SweepRun(models.Model):
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    as_of = models.DateField()
    cases = models.PositiveIntegerField(default=0)
    steps = models.PositiveIntegerField(default=0)
    failures = models.PositiveIntegerField(default=0)
    dry_run = models.BooleanField(default=False)

    class Meta:
        app_label = "recovery"
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["-started_at"], name="sweeprun_started")]
        permissions = [("dashboard_sweeprun", "Can see the supervisor dashboard")]

    def __str__(self):
        return f"Sweep as of {self.as_of:%Y-%m-%d}: {self.cases} case(s), {self.steps} step(s)"

    @property
    def duration_seconds(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()
