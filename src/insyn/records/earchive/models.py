"""A delivery to an e-archive: what was asked for, what was built and what the validators said.

Invariants:
- A delivery is offered for download only when ``status == VALID``: the package was built,
  written to disk and passed every validator (``validation.py``). A package that fails is kept
  on disk for inspection, with its report, but never offered.
- ``sha256`` and ``size`` are of the file that was validated. The download refuses a file whose
  size has changed; the page shows the SHA-256 so the receiving archive can check the bytes.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from insyn.registry.models import Account


class Delivery(models.Model):
    class Format(models.TextChoices):
        CSIP = "csip", _("E-ARK SIP (FGS Paketstruktur 2.0)")
        BAGIT = "bagit", _("BagIt")

    class Status(models.TextChoices):
        QUEUED = "queued", _("I kö")
        BUILDING = "building", _("Byggs")
        VALID = "valid", _("Godkänd")
        INVALID = "invalid", _("Underkänd vid validering")
        FAILED = "failed", _("Misslyckades")

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="earchive_deliveries")
    period_from = models.DateField(null=True, blank=True)
    period_to = models.DateField(null=True, blank=True)
    format = models.CharField(max_length=10, choices=Format.choices, default=Format.CSIP)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    objid = models.CharField(max_length=100, unique=True)
    path = models.CharField(max_length=500, blank=True)      # relative to DATA_DIR/earchive
    size = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    item_count = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    requested_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("e-arkivleverans")
        verbose_name_plural = _("e-arkivleveranser")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_from__isnull=True) | models.Q(period_to__isnull=True)
                | models.Q(period_from__lte=models.F("period_to")),
                name="delivery_period_order",
            ),
        ]

    def __str__(self) -> str:
        return self.objid

    @property
    def offered(self) -> bool:
        return self.status == self.Status.VALID and bool(self.path)

    @property
    def filename(self) -> str:
        return f"{self.objid}.zip"
