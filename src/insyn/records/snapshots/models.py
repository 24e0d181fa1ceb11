"""Snapshots (ögonblicksbilder, R25) and the per-account schedule.

Invariants:
- A snapshot is a draft until a person saves it ("Spara"); generation steps may run again
  while it is a draft. Once saved it never changes: actions refuse, and the files' SHA-256
  and the summary's hash are in the event chain.
- Each file is written under ``DATA_DIR/snapshots/`` atomically (temporary file, rename),
  and its SHA-256 is stored on the row in the same transaction that points the row at it.
- The schedule is visible state: ``next_due_at`` per account, and ``reminded_for`` (the due
  time a reminder was sent for) claimed with a conditional update, so one due period gives
  one draft and one reminder however many workers run.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from insyn.registry.models import Account, User

# The policy's [retention.CLASS] key for snapshots (records/retention.py).
RECORD_CLASS = "ogonblicksbilder"


class SnapshotQuerySet(models.QuerySet):
    def drafts(self) -> SnapshotQuerySet:
        return self.filter(status=Snapshot.Status.DRAFT)

    def saved(self) -> SnapshotQuerySet:
        return self.filter(status=Snapshot.Status.SAVED)


class Snapshot(models.Model):
    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", _("Schemalagd")
        CLOSING = "closing", _("Kontot avslutas")
        MANUAL = "manual", _("Manuell")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Utkast")
        SAVED = "saved", _("Sparad")

    class Generation(models.TextChoices):
        QUEUED = "queued", _("Väntar")
        RUNNING = "running", _("Pågår")
        DONE = "done", _("Klar")
        FAILED = "failed", _("Misslyckades")

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="snapshots")
    period_start = models.DateTimeField(_("från"))
    period_end = models.DateTimeField(_("till"))
    trigger = models.CharField(_("anledning"), max_length=10, choices=Trigger.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    generation = models.CharField(max_length=10, choices=Generation.choices, default=Generation.QUEUED)
    generation_error = models.TextField(blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    record_class = models.CharField(max_length=60, default=RECORD_CLASS)

    # The screenshot of the account's public page, or why it could not be taken.
    screenshot_url = models.CharField(max_length=500, blank=True)
    screenshot_file = models.CharField(max_length=300, blank=True)
    screenshot_sha256 = models.CharField(max_length=64, blank=True)
    screenshot_size = models.PositiveBigIntegerField(null=True, blank=True)
    screenshot_error = models.TextField(blank=True)
    screenshot_at = models.DateTimeField(null=True, blank=True)

    pdf_file = models.CharField(max_length=300, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    pdf_size = models.PositiveBigIntegerField(null=True, blank=True)

    warc_file = models.CharField(max_length=300, blank=True)
    warc_sha256 = models.CharField(max_length=64, blank=True)
    warc_size = models.PositiveBigIntegerField(null=True, blank=True)
    warc_records = models.PositiveIntegerField(null=True, blank=True)

    # The generated figures (counts, topics, most discussed posts, moderation) and the text a
    # person edits from them before saving.
    summary_data = models.JSONField(default=dict)
    summary_text = models.TextField(_("sammanfattning"), blank=True)
    summary_sha256 = models.CharField(max_length=64, blank=True)
    summary_edited_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    created_at = models.DateTimeField()
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    generated_at = models.DateTimeField(null=True, blank=True)
    saved_at = models.DateTimeField(null=True, blank=True)
    saved_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    objects = SnapshotQuerySet.as_manager()

    class Meta:
        ordering = ["-period_end", "-id"]
        verbose_name = _("ögonblicksbild")
        verbose_name_plural = _("ögonblicksbilder")
        indexes = [models.Index(fields=["account", "status"]), models.Index(fields=["generation", "lease_until"])]
        constraints = [
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")), name="snapshot_period_order"),
            models.CheckConstraint(condition=Q(status="draft") | Q(saved_at__isnull=False), name="snapshot_saved_has_time"),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.period_start:%Y-%m-%d}–{self.period_end:%Y-%m-%d}"

    @property
    def is_saved(self) -> bool:
        return self.status == self.Status.SAVED

    @property
    def screenshot_reachable(self) -> bool | None:
        if self.screenshot_sha256:
            return True
        return False if self.screenshot_error else None


class SnapshotSchedule(models.Model):
    """When the account's next snapshot is due, and for which due time a reminder went out."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="snapshot_schedule")
    next_due_at = models.DateTimeField(db_index=True)
    reminded_for = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("schema för ögonblicksbilder")
        verbose_name_plural = _("scheman för ögonblicksbilder")

    @property
    def is_due(self) -> bool:
        from django.utils import timezone

        return self.next_due_at <= timezone.now()
