"""An intake batch (a cases file and, optionally, its claims file) and its row errors. Registered with
the recovery app from recovery/models.py."""

from django.conf import settings
from django.db import models


class IntakeBatch(models.Model):
    class Status(models.TextChoices):
        PREVIEWING = "previewing", "Previewing"  # a big file's preview runs as a task (intake.tasks)
        PREVIEWED = "previewed", "Previewed, awaiting confirmation"
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Importing"
        DONE = "done", "Imported"
        FAILED = "failed", "Failed"

    cases_name = models.CharField("cases file", max_length=200)
    cases_csv = models.TextField(help_text="The cases file as uploaded")
    claims_name = models.CharField("claims file", max_length=200, blank=True)
    claims_csv = models.TextField(blank=True, help_text="The claims file as uploaded")
    layout_version = models.CharField(max_length=5)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREVIEWED)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # What the preview found (to_create, to_update, unchanged, rejected records) and then what the
    # import did; progress counts records done out of total.
    preview = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    failure = models.TextField(blank=True)

    class Meta:
        app_label = "recovery"
        ordering = ["-uploaded_at", "-id"]
        verbose_name = "intake batch"
        verbose_name_plural = "intake batches"

    def __str__(self):
        return f"Intake {self.cases_name} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else (100 if self.status == self.Status.DONE else 0)


class IntakeRowError(models.Model):
    """One bad row: file, line, field and reason (SPEC §9). `phase` says whether the preview or the
    import found it."""

    batch = models.ForeignKey(IntakeBatch, on_delete=models.CASCADE, related_name="errors")
    phase = models.CharField(max_length=10, choices=[("preview", "Preview"), ("import", "Import")])
    file = models.CharField(max_length=10)
    line = models.PositiveIntegerField()
    field = models.CharField(max_length=40, blank=True)
    reason = models.TextField()
    key = models.CharField("record", max_length=120, blank=True)

    class Meta:
        app_label = "recovery"
        ordering = ["phase", "file", "line", "id"]

    def __str__(self):
        return f"{self.file} line {self.line} {self.field}: {self.reason}"
