"""How Insyn reaches each account: encrypted token, API base, and the polling schedule.

The schedule is visible state on the row (``next_poll_at``, ``lease_until``): a worker claims
a due connection with a conditional update and proceeds only if it won, so several workers
on several machines never poll the same account at once.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from insyn.lib import crypto
from insyn.registry.models import Account


def _fernet():
    return crypto.make_fernet(settings.TOKEN_KEYS)


class Connection(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Aktiv")
        PAUSED = "paused", _("Pausad")
        TOKEN_INVALID = "token_invalid", _("Ogiltig åtkomstnyckel")
        FAILING = "failing", _("Fel vid hämtning")

    account = models.OneToOneField(Account, on_delete=models.PROTECT, related_name="connection")
    base_url = models.URLField(_("API-adress"), max_length=500, blank=True)
    token_encrypted = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE, db_index=True)
    error = models.TextField(blank=True)
    poll_interval = models.PositiveIntegerField(default=60, help_text=_("sekunder"))
    full_pass_interval = models.PositiveIntegerField(default=6 * 3600, help_text=_("sekunder"))
    next_poll_at = models.DateTimeField(null=True, blank=True, db_index=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(max_length=100, blank=True)
    last_poll_at = models.DateTimeField(null=True, blank=True)
    last_full_pass_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    cursor = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("anslutning")
        verbose_name_plural = _("anslutningar")

    def __str__(self) -> str:
        return f"{self.account} ({self.get_status_display()})"

    def set_token(self, token: str) -> None:
        self.token_encrypted = crypto.encrypt(_fernet(), token)

    def get_token(self) -> str:
        return crypto.decrypt(_fernet(), self.token_encrypted) if self.token_encrypted else ""


class ImportRun(models.Model):
    """One import of a platform's export file (``insyn import``), with its resume position.

    ``position`` is the number of records of the export (in the reader's fixed order) whose
    raw captures are committed; it is saved in the same transaction as each batch, so an
    interrupted import resumes exactly there: no record twice, none skipped. ``fingerprint``
    identifies the file's content, so a changed file never resumes another file's position.
    """

    class Status(models.TextChoices):
        RUNNING = "running", _("Pågår")
        INTERRUPTED = "interrupted", _("Avbruten")
        FINISHED = "finished", _("Klar")

    # Errors kept per run; the total counts them all.
    MAX_ERRORS = 100

    kind = models.CharField(_("typ"), max_length=30)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="import_runs")
    path = models.CharField(_("fil"), max_length=1000)
    fingerprint = models.CharField(max_length=64, db_index=True)
    file_size = models.PositiveBigIntegerField(default=0)
    position = models.PositiveBigIntegerField(default=0)
    records_read = models.PositiveBigIntegerField(_("lästa"), default=0)
    items_stored = models.PositiveBigIntegerField(_("nya"), default=0)
    duplicates = models.PositiveBigIntegerField(_("dubbletter"), default=0)
    malformed = models.PositiveBigIntegerField(_("felaktiga"), default=0)
    media_stored = models.PositiveBigIntegerField(default=0)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.RUNNING)
    errors = models.JSONField(default=list)   # [{"file", "record", "message"}], at most MAX_ERRORS
    error_total = models.PositiveIntegerField(default=0)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    started_at = models.DateTimeField(_("startad"))
    updated_at = models.DateTimeField()
    finished_at = models.DateTimeField(_("klar"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("importer")
        indexes = [models.Index(fields=["account", "kind", "status"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.path} ({self.get_status_display()})"

    def add_error(self, file: str, record: int, message: str) -> None:
        self.error_total += 1
        if len(self.errors) < self.MAX_ERRORS:
            self.errors.append({"file": file, "record": record, "message": message[:500]})
