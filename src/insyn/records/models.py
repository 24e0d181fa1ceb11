"""Records management models: the diarium, gallring decisions and runs, holds.

Invariants:
- A diarienummer is allocated from its ``DiariumSeries`` row, locked for the allocating
  transaction, in the same transaction as the ``Registration`` it numbers: numbers within a
  series are unique and gap-free (a rolled-back registration gives its number back).
- Where sekretess applies, sender/recipient and the description live only in the
  ``protected_*`` fields; ``counterpart`` and ``title`` are what the public register shows
  (OSL 5 kap. 2 § andra stycket). The event chain carries a hash of a registration, never
  its names or subjects.
- Gallring never deletes an archive row: it empties content and records what it emptied
  (``DisposedItem``/``DisposedRaw``/``DisposedMedia``) with hashes, sizes, ids and times.
  It runs only under a recorded, unrevoked ``GallringDecision`` (see gallring.py).
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from insyn.archive.models import Item, Media, RawCapture
from insyn.registry.models import Account, Authority, User

DEFAULT_NUMBER_FORMAT = "{prefix} {year}/{seq}"


# ---------------------------------------------------------------- the diarium


class DiariumSeries(models.Model):
    """One numbering series: an authority's diarienummer for one year."""

    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="diarium_series")
    year = models.PositiveSmallIntegerField(_("år"))
    prefix = models.CharField(_("prefix"), max_length=12)
    number_format = models.CharField(_("format"), max_length=60, default=DEFAULT_NUMBER_FORMAT)
    pad = models.PositiveSmallIntegerField(_("antal siffror i löpnumret"), default=0)
    last_seq = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["authority", "year"], name="diarium_series_unique_year")]
        verbose_name = _("diarieserie")
        verbose_name_plural = _("diarieserier")

    def __str__(self) -> str:
        return f"{self.prefix} {self.year}"


class RegistrationQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> RegistrationQuerySet:
        """The public part of the register: every logged-in person in the organisation."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self
        orgs = {m.unit.authority.organisation_id for m in user.memberships_cached()}
        return self.filter(authority__organisation_id__in=orgs)


class Registration(models.Model):
    """One entry in the diarium (OSL 5 kap. 2 §)."""

    class Direction(models.TextChoices):
        INKOMMEN = "inkommen", _("Inkommen")
        UPPRATTAD = "upprattad", _("Upprättad")

    class Status(models.TextChoices):
        REGISTRERAD = "registrerad", _("Registrerad")
        AVSLUTAD = "avslutad", _("Avslutad")

    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="registrations")
    series = models.ForeignKey(DiariumSeries, on_delete=models.PROTECT, related_name="registrations")
    seq = models.PositiveIntegerField()
    diarienummer = models.CharField(_("diarienummer"), max_length=80)
    registered_at = models.DateTimeField(_("registrerad"))
    document_date = models.DateField(_("datum inkommen/upprättad"))
    direction = models.CharField(_("riktning"), max_length=10, choices=Direction.choices)
    # The public register: on a secret registration these hold the shielded versions.
    counterpart = models.CharField(_("avsändare/mottagare"), max_length=300, blank=True)
    title = models.CharField(_("ärendemening"), max_length=500)
    sekretess = models.BooleanField(_("sekretess"), default=False)
    osl_reference = models.CharField(_("sekretessbestämmelse"), max_length=120, blank=True)
    # Kept apart from the public register (OSL 5 kap. 2 § andra stycket).
    protected_counterpart = models.CharField(_("avsändare/mottagare (skyddad)"), max_length=300, blank=True)
    protected_subject = models.TextField(_("vad handlingen rör (skyddad)"), blank=True)
    item = models.ForeignKey(Item, null=True, blank=True, on_delete=models.PROTECT, related_name="registrations")
    handler = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("handläggare"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.REGISTRERAD)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_by_label = models.CharField(max_length=200, blank=True)

    objects = RegistrationQuerySet.as_manager()

    class Meta:
        ordering = ["-registered_at", "-id"]
        verbose_name = _("registrering")
        verbose_name_plural = _("registreringar")
        constraints = [
            models.UniqueConstraint(fields=["series", "seq"], name="registration_unique_seq"),
            models.UniqueConstraint(fields=["authority", "diarienummer"], name="registration_unique_number"),
            # A document is registered once.
            models.UniqueConstraint(fields=["item"], condition=Q(item__isnull=False), name="registration_unique_item"),
            models.CheckConstraint(condition=Q(sekretess=False) | ~Q(osl_reference=""),
                                   name="registration_secret_has_reference"),
            models.CheckConstraint(
                condition=Q(sekretess=True) | (Q(protected_counterpart="") & Q(protected_subject="")),
                name="registration_protected_only_when_secret",
            ),
        ]
        indexes = [models.Index(fields=["authority", "registered_at"])]

    def __str__(self) -> str:
        return self.diarienummer


# ---------------------------------------------------------------- gallring


class GallringDecision(models.Model):
    """A recorded gallring decision (gallringsbeslut): without one, nothing is disposed of.

    ``classes`` maps each record class the decision covers to the period it states (ISO 8601),
    copied from the policy when the decision was recorded.
    """

    reference = models.CharField(_("beslutets referens"), max_length=200,
                                 help_text=_("Diarienummer och paragraf, t.ex. KS 2026/14 § 37."))
    decided_by = models.CharField(_("beslutat av"), max_length=200,
                                  help_text=_("Nämnden eller den som beslutat på delegation."))
    decision_date = models.DateField(_("beslutsdatum"))
    authorities = models.ManyToManyField(Authority, related_name="gallring_decisions", verbose_name=_("myndigheter"))
    classes = models.JSONField(_("handlingsslag"), default=dict)
    note = models.TextField(_("anteckning"), blank=True)
    scheduled = models.BooleanField(_("gallra automatiskt varje dygn"), default=False)
    policy_version = models.CharField(max_length=60, blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    revoked_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-decision_date", "-id"]
        verbose_name = _("gallringsbeslut")
        verbose_name_plural = _("gallringsbeslut")

    def __str__(self) -> str:
        return self.reference

    @property
    def in_force(self) -> bool:
        return self.revoked_at is None


class GallringRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Beställd")
        RUNNING = "running", _("Pågår")
        FINISHED = "finished", _("Klar")
        FAILED = "failed", _("Avbruten av fel")
        ABANDONED = "abandoned", _("Övergiven")

    run_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    decisions = models.ManyToManyField(GallringDecision, related_name="runs")
    classes = models.JSONField(default=list)     # empty: every class the decisions cover
    scheduled = models.BooleanField(default=False)
    started_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    started_by_label = models.CharField(max_length=200, blank=True)
    requested_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    totals = models.JSONField(default=dict)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            # One run at a time: two runs must never race over the same items.
            models.UniqueConstraint(fields=["status"], condition=Q(status="running"), name="gallring_one_running"),
        ]
        verbose_name = _("gallringskörning")
        verbose_name_plural = _("gallringskörningar")

    def __str__(self) -> str:
        return str(self.run_id)


class DisposalLogEntry(models.Model):
    """The disposal log (gallringslogg): what was disposed of, under which decision. Never content."""

    run = models.ForeignKey(GallringRun, on_delete=models.PROTECT, related_name="log_entries")
    record_class = models.CharField(max_length=60)
    class_label = models.CharField(max_length=200)
    decision = models.ForeignKey(GallringDecision, on_delete=models.PROTECT, related_name="log_entries")
    decision_reference = models.CharField(max_length=200)
    period = models.CharField(max_length=30)
    cutoff = models.DateTimeField()
    batch = models.PositiveIntegerField()
    items = models.PositiveIntegerField(default=0)
    versions = models.PositiveIntegerField(default=0)
    media_files = models.PositiveIntegerField(default=0)
    oldest = models.DateTimeField(null=True, blank=True)
    newest = models.DateTimeField(null=True, blank=True)
    ids_sha256 = models.CharField(max_length=64, blank=True)
    at = models.DateTimeField()
    event_seq = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("gallringslogg")
        verbose_name_plural = _("gallringslogg")


class DisposedItem(models.Model):
    """Marks an item whose content gallring has removed. Its hashes, ids and times remain on
    the archive rows."""

    item = models.OneToOneField(Item, on_delete=models.PROTECT, related_name="disposal")
    run = models.ForeignKey(GallringRun, on_delete=models.PROTECT, related_name="+")
    record_class = models.CharField(max_length=60)
    decision = models.ForeignKey(GallringDecision, on_delete=models.PROTECT, related_name="+")
    reference_time = models.DateTimeField()
    disposed_at = models.DateTimeField()


class DisposedRaw(models.Model):
    """A raw capture whose body gallring emptied; the row keeps sha256, url and times, this keeps the size."""

    raw = models.OneToOneField(RawCapture, on_delete=models.PROTECT, related_name="disposal")
    run = models.ForeignKey(GallringRun, on_delete=models.PROTECT, related_name="+")
    size = models.PositiveBigIntegerField()
    disposed_at = models.DateTimeField()


class DisposedMedia(models.Model):
    """A media file gallring deleted from disk; the ``Media`` row (sha256, size, type) remains."""

    media = models.OneToOneField(Media, on_delete=models.PROTECT, related_name="disposal")
    run = models.ForeignKey(GallringRun, on_delete=models.PROTECT, related_name="+")
    disposed_at = models.DateTimeField()


class RawSweepState(models.Model):
    """How far gallring has checked an account's raw captures (so unchanged ones are not re-read)."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="+")
    last_disposed_id = models.BigIntegerField(default=0)   # newest DisposedItem the sweep has seen
    last_raw_id = models.BigIntegerField(default=0)        # newest raw capture the sweep has read


# ---------------------------------------------------------------- holds


class LegalHoldQuerySet(models.QuerySet):
    def active(self) -> LegalHoldQuerySet:
        return self.filter(released_at__isnull=True)


class LegalHold(models.Model):
    """Nothing under a hold is disposed of: one item, a thread, or a whole account."""

    class Scope(models.TextChoices):
        ITEM = "item", _("Post")
        THREAD = "thread", _("Tråd")
        ACCOUNT = "account", _("Konto")

    scope = models.CharField(_("omfattning"), max_length=10, choices=Scope.choices)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="legal_holds")
    item = models.ForeignKey(Item, null=True, blank=True, on_delete=models.PROTECT, related_name="legal_holds")
    thread_platform_id = models.CharField(max_length=200, blank=True)
    reason = models.TextField(_("skäl"))
    placed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    placed_at = models.DateTimeField()
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    release_reason = models.TextField(blank=True)

    objects = LegalHoldQuerySet.as_manager()

    class Meta:
        ordering = ["-placed_at", "-id"]
        verbose_name = _("bevarandespärr")
        verbose_name_plural = _("bevarandespärrar")
        constraints = [
            models.CheckConstraint(
                condition=(Q(scope="item", item__isnull=False)
                           | Q(scope="thread", item__isnull=True) & ~Q(thread_platform_id="")
                           | Q(scope="account", item__isnull=True, thread_platform_id="")),
                name="legal_hold_scope_fields",
            ),
        ]


class OpenRequestItem(models.Model):
    """An item selected for a request for records (begäran om allmän handling) that is not yet
    closed. The utlämnande feature fills this; while ``closed_at`` is empty, gallring leaves the
    item alone. Write rows through ``actions.add_to_open_request`` so a running gallring sees them."""

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="open_requests")
    request_reference = models.CharField(max_length=200)
    added_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "request_reference"], name="open_request_item_unique")]
        indexes = [models.Index(fields=["item", "closed_at"])]


__all__ = [
    "DEFAULT_NUMBER_FORMAT", "DiariumSeries", "DisposalLogEntry", "DisposedItem", "DisposedMedia",
    "DisposedRaw", "GallringDecision", "GallringRun", "LegalHold", "OpenRequestItem", "RawSweepState",
    "Registration",
]
