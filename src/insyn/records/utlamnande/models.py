"""Requests for records (begäran om allmän handling) and what was handed out.

Invariants:
- A request's items are marked in ``records.OpenRequestItem`` (through
  ``records.actions.add_to_open_request``) from the moment they are selected until the request
  is closed, so gallring never disposes of a document someone has asked for.
- Masks are character ranges on the text of the reviewed ``ItemVersion``; the handed-out text
  is computed on the server from the stored masks, never taken from the browser.
- What was handed out (``Delivery``) is stored as the exact bytes sent, and its sha256 digests
  are in the event chain. Nothing here is deleted; a request is closed, not removed.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from insyn.archive.models import Item, ItemVersion
from insyn.registry.models import Authority, Role, Unit, User


class RequestQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> RequestQuerySet:
        """Requests of the units the user works in (and below), of the authorities where they
        are registrator, and those they handle. Nothing else: a request names its requester."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        q = Q(handler_id=user.pk)
        for path in user.unit_paths():
            q |= Q(unit__path__startswith=path)
        registrator_of = [m.unit.authority_id for m in user.memberships_cached() if m.role == Role.REGISTRATOR]
        if registrator_of:
            q |= Q(authority_id__in=registrator_of)
        return self.filter(q)

    def open(self) -> RequestQuerySet:
        return self.exclude(status__in=[Request.Status.EXPEDIERAD, Request.Status.AVSLUTAD])


class Request(models.Model):
    """One request for allmänna handlingar (TF 2 kap.), handled skyndsamt (TF 2 kap. 15 §)."""

    class Status(models.TextChoices):
        REGISTRERAD = "registrerad", _("Registrerad")
        UNDER_PROVNING = "under_provning", _("Under prövning")
        BESLUTAD = "beslutad", _("Beslutad")
        EXPEDIERAD = "expedierad", _("Expedierad")
        AVSLUTAD = "avslutad", _("Avslutad")

    class Channel(models.TextChoices):
        EPOST = "epost", _("E-post")
        TELEFON = "telefon", _("Telefon")
        BESOK = "besok", _("Besök")
        BREV = "brev", _("Brev")
        WEBB = "webb", _("Webbformulär")
        SOCIALA_MEDIER = "sociala_medier", _("Sociala medier")
        ANNAT = "annat", _("Annat")

    reference = models.CharField(_("referens"), max_length=60, unique=True)
    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="record_requests",
                                  verbose_name=_("myndighet"))
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="record_requests",
                             verbose_name=_("handläggande enhet"))
    handler = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("handläggare"))
    received_at = models.DateTimeField(_("inkom"))
    channel = models.CharField(_("hur begäran kom in"), max_length=20, choices=Channel.choices)
    # The right to anonymity (TF 2 kap. 18 §): only what the requester chooses to give.
    anonymous = models.BooleanField(_("anonym"), default=False)
    requester_name = models.CharField(_("namn"), max_length=200, blank=True)
    requester_contact = models.CharField(_("kontaktuppgift"), max_length=300, blank=True)
    description = models.TextField(_("vad som begärs"))
    delivery_form = models.CharField(_("önskad form"), max_length=100, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.REGISTRERAD)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    expedited_at = models.DateTimeField(null=True, blank=True)
    # Large requests are produced by the worker: when it was ordered, and why it failed if it did.
    production_ordered_at = models.DateTimeField(null=True, blank=True)
    production_error = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    close_note = models.TextField(blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RequestQuerySet.as_manager()

    class Meta:
        ordering = ["received_at", "id"]   # oldest first: requests are handled skyndsamt
        verbose_name = _("begäran om allmän handling")
        verbose_name_plural = _("begäranden om allmän handling")
        indexes = [models.Index(fields=["authority", "status", "received_at"])]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status not in (self.Status.EXPEDIERAD, self.Status.AVSLUTAD)

    @property
    def requester_label(self) -> str:
        return self.requester_name or str(_("Anonym"))


class RequestItem(models.Model):
    """One archive item selected for a request, with the sekretessprövning of it."""

    class Decision(models.TextChoices):
        LAMNAS_UT = "lamnas_ut", _("Lämnas ut")
        MASKERAD = "lamnas_ut_maskerad", _("Lämnas ut med maskering")
        LAMNAS_INTE_UT = "lamnas_inte_ut", _("Lämnas inte ut")

    request = models.ForeignKey(Request, on_delete=models.PROTECT, related_name="items")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="record_requests")
    # The version reviewed (and handed out): masks are offsets on its text.
    version = models.ForeignKey(ItemVersion, on_delete=models.PROTECT, related_name="+")
    added_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField()
    decision = models.CharField(_("beslut"), max_length=20, choices=Decision.choices, blank=True)
    # [{"start": int, "end": int, "kind": str, "osl": str}], sorted, non-overlapping.
    masks = models.JSONField(default=list, blank=True)
    mask_author = models.BooleanField(_("maskera avsändarens namn"), default=False)
    author_osl = models.CharField(max_length=120, blank=True)
    osl_reference = models.CharField(_("sekretessbestämmelse"), max_length=200, blank=True)
    reason = models.TextField(_("motivering"), blank=True)
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "item"], name="utlamnande_item_once"),
            models.CheckConstraint(condition=~Q(decision="lamnas_inte_ut") | ~Q(osl_reference=""),
                                   name="utlamnande_refusal_has_reference"),
        ]

    def __str__(self) -> str:
        return f"{self.request} – {self.item_id}"


class Delivery(models.Model):
    """What was handed out: the decision letter, the documents as PDF/A and as CSV."""

    request = models.ForeignKey(Request, on_delete=models.PROTECT, related_name="deliveries")
    produced_at = models.DateTimeField()
    produced_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    letter_pdf = models.BinaryField()
    letter_sha256 = models.CharField(max_length=64)
    documents_pdf = models.BinaryField()
    documents_sha256 = models.CharField(max_length=64)
    documents_csv = models.BinaryField()
    csv_sha256 = models.CharField(max_length=64)
    items_handed_out = models.PositiveIntegerField(default=0)
    items_masked = models.PositiveIntegerField(default=0)
    items_refused = models.PositiveIntegerField(default=0)
    has_appeal_notice = models.BooleanField(default=False)

    class Meta:
        ordering = ["-produced_at", "-id"]


__all__ = ["Delivery", "Request", "RequestItem"]
