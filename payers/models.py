"""Payers and MSP occurrences (SPEC §2): who is primary to Medicare, for what incident or period."""

from django.core.exceptions import ValidationError
from django.db import models
from simple_history.models import HistoricalRecords


class Payer(models.Model):
    class Kind(models.TextChoices):
        LIABILITY = "liability", "Liability insurer"
        SELF_INSURED = "self_insured", "Self-insured entity"
        NO_FAULT = "no_fault", "No-fault insurer"
        WORKERS_COMP = "workers_comp", "Workers' compensation plan"
        EMPLOYER_GHP = "employer_ghp", "Employer group health plan"
        TPA = "tpa", "Third-party administrator"

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    address = models.TextField(blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=30, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class MSPOccurrence(models.Model):
    """The record that another payer is primary to Medicare: for an incident (NGHP) or a period (GHP)."""

    class CoverageType(models.TextChoices):
        LIABILITY = "liability", "Liability (incl. self-insured)"
        NO_FAULT = "no_fault", "No-fault"
        WORKERS_COMP = "workers_comp", "Workers' compensation"
        GHP = "ghp", "Group health plan"

    class InjuryKind(models.TextChoices):
        TRAUMA = "trauma", "Physical trauma"
        INGESTION = "ingestion", "Ingestion"
        IMPLANTATION = "implantation", "Implantation"
        EXPOSURE = "exposure", "Exposure"

    beneficiary = models.ForeignKey("beneficiaries.Beneficiary", on_delete=models.PROTECT, related_name="occurrences")
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="occurrences")
    coverage_type = models.CharField(max_length=20, choices=CoverageType.choices)
    incident_date = models.DateField(
        null=True, blank=True, help_text="NGHP: date of incident, or of first exposure/ingestion"
    )
    injury_kind = models.CharField(max_length=20, choices=InjuryKind.choices, blank=True)
    coverage_start = models.DateField(null=True, blank=True, help_text="GHP: coverage period start")
    coverage_end = models.DateField(null=True, blank=True, help_text="GHP: coverage period end")
    orm = models.BooleanField("ongoing responsibility for medicals", default=False)
    orm_end = models.DateField("ORM termination date", null=True, blank=True)
    posted_on = models.DateField(null=True, blank=True, help_text="When posted to Medicare's records")

    history = HistoricalRecords()

    class Meta:
        verbose_name = "MSP occurrence"

    def __str__(self):
        when = self.incident_date or self.coverage_start
        return f"{self.get_coverage_type_display()} — {self.payer} ({when})"

    @property
    def is_ghp(self) -> bool:
        return self.coverage_type == self.CoverageType.GHP

    def clean(self):
        errors = {}
        if self.is_ghp:
            if not self.coverage_start:
                errors["coverage_start"] = "A group health plan occurrence needs the coverage start date."
            if self.coverage_end and self.coverage_start and self.coverage_end < self.coverage_start:
                errors["coverage_end"] = "Coverage cannot end before it starts."
        else:
            if not self.incident_date:
                errors["incident_date"] = "A liability, no-fault or WC occurrence needs the date of incident."
            if not self.injury_kind:
                errors["injury_kind"] = "Say whether the injury is physical trauma, ingestion, implantation or exposure."
        if self.orm_end and not self.orm:
            errors["orm_end"] = "An ORM termination date needs ongoing responsibility for medicals."
        if errors:
            raise ValidationError(errors)
