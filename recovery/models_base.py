"""Append-only rows: history, letters, the ledger and the audit log are never rewritten or deleted."""

from django.db import models


class AppendOnlyQuerySet(models.QuerySet):
    """History, letters' audit and the ledger are never rewritten: no bulk update or delete."""

    def update(self, **kwargs):
        raise PermissionError(f"{self.model.__name__} rows are append-only.")

    def delete(self):
        raise PermissionError(f"{self.model.__name__} rows are append-only.")


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise PermissionError(f"{type(self).__name__} rows are append-only.")
        kwargs["force_insert"] = True  # a new instance carrying an existing key must not UPDATE that row
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError(f"{type(self).__name__} rows are append-only.")
