"""The audit log (SPEC §8): every read of a beneficiary's data by a person, and every write.
Append-only; it names objects by type and id and never holds personal data."""

from django.conf import settings
from django.db import models

from .models_base import AppendOnlyModel


class AuditEvent(AppendOnlyModel):
    class Action(models.TextChoices):
        VIEW = "view", "Viewed"
        LIST = "list", "Listed"
        DOWNLOAD = "download", "Downloaded"
        EXPORT = "export", "Exported"
        CREATE = "create", "Created"
        UPDATE = "update", "Changed"
        ACT = "act", "Took a step"
        LOGIN_FAILED = "login_failed", "Failed login"

    class Outcome(models.TextChoices):
        OK = "ok", "Allowed"
        DENIED = "denied", "Denied"
        REFUSED = "refused", "Refused (bad input or rule)"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=40, blank=True)
    object_ids = models.JSONField(default=list, blank=True, help_text="Lists: the ids shown")
    detail = models.CharField(max_length=100, blank=True, help_text="Which step or view — never personal data")
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.OK)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    channel = models.CharField(max_length=10, help_text="admin, portal, api, download")

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"]), models.Index(fields=["user", "at"]),
                   models.Index(fields=["-at", "-id"], name="audit_at_desc_idx")]  # the list's order

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action} {self.object_type} {self.object_id}"
