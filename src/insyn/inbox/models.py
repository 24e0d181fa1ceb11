"""The inbox: cases, their trail, platform actions, routing, restrictions and supervision.

Invariants:
- One ``Case`` per archived item (``item`` is unique). An edit of the item updates its case
  (labels, newest version) and never opens a second one.
- Every step on a case is a ``CaseEvent`` (who, when, what, note) and an entry in the event
  chain, written by ``inbox.actions`` in the same transaction as the change.
- A call to a platform is a ``PlatformAction`` row committed *before* the call, keyed by an
  idempotency key: a retry with the same key never publishes twice (see actions.py).
- ``Restriction`` marks an item whose content was moved to the diarium (R26): from then on
  only registrators and the assigned handläggare read its content (``inbox.access``).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from insyn.archive.models import Item, ItemVersion, VersionTriage
from insyn.registry.models import Account, Organisation, Unit, User

# The triage contract's topics, with the names people see.
TOPICS: dict[str, str] = {
    "skola_forskola": _("Skola och förskola"),
    "aldreomsorg_lss": _("Äldreomsorg och LSS"),
    "socialtjanst": _("Socialtjänst"),
    "bygglov_plan": _("Bygglov och planering"),
    "gata_trafik_parkering": _("Gata, trafik och parkering"),
    "vatten_avlopp": _("Vatten och avlopp"),
    "avfall_atervinning": _("Avfall och återvinning"),
    "kultur_fritid": _("Kultur och fritid"),
    "miljo_halsa": _("Miljö och hälsa"),
    "arbete_naringsliv": _("Arbete och näringsliv"),
    "politik_styrning": _("Politik och styrning"),
    "ovrigt": _("Övrigt"),
}
MODERATION_LABELS: dict[str, str] = {
    "personangrepp_fortal": _("Personangrepp eller förtal"),
    "hets_mot_folkgrupp": _("Hets mot folkgrupp"),
    "sexism_trakasserier": _("Sexism eller trakasserier"),
    "olaga_hot": _("Olaga hot"),
    "olaga_valdsskildring": _("Olaga våldsskildring"),
    "pornografi": _("Pornografi"),
    "uppmaning_till_brott": _("Uppmaning till brott"),
    "upphovsratt": _("Upphovsrätt"),
    "spam": _("Spam"),
}
SENSITIVE_LABELS: dict[str, str] = {
    "personnummer": _("Personnummer"),
    "halsa": _("Hälsa"),
    "socialtjanst_arende": _("Socialtjänstärende"),
    "barn": _("Barn"),
    "adress": _("Adress"),
    "telefon": _("Telefonnummer"),
    "epost": _("E-postadress"),
    "ekonomi": _("Ekonomi"),
}
# Filter labels beyond the two vocabularies above.
OTHER_LABELS: dict[str, str] = {
    "svar": _("Behöver svar"),
    "fel_myndighet": _("Fel myndighet"),
    "meddelande": _("Direktmeddelande"),
}
ALL_LABELS: dict[str, str] = {**OTHER_LABELS, **MODERATION_LABELS, **SENSITIVE_LABELS}

# Insyn recommends not answering these (riktlinjerna 2.5): personal attacks, and posts that
# violate someone's privacy (olaga integritetsintrång = personangrepp + sensitive labels).
NO_ANSWER_MODERATION = {"personangrepp_fortal"}


class CaseState(models.TextChoices):
    NY = "ny", _("Ny")
    TILLDELAD = "tilldelad", _("Tilldelad")
    VIDAREBEFORDRAD = "vidarebefordrad", _("Vidarebefordrad")
    BESVARAD = "besvarad", _("Besvarad")
    INGEN_ATGARD = "ingen_atgard", _("Ingen åtgärd behövs")
    DIARIEFORD = "diarieford", _("Diarieförd")
    BORTTAGEN = "borttagen", _("Borttagen")


OPEN_STATES = (CaseState.NY, CaseState.TILLDELAD, CaseState.VIDAREBEFORDRAD)
CLOSED_STATES = (CaseState.BESVARAD, CaseState.INGEN_ATGARD, CaseState.DIARIEFORD, CaseState.BORTTAGEN)


class CaseQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> CaseQuerySet:
        """Cases of accounts in the user's units (as for accounts), plus cases forwarded to
        the user or to a unit they work in. Samordnare see the whole organisation."""
        if not user.is_authenticated:
            return self.none()
        if user.is_samordnare:
            return self
        # Subqueries rather than joins to the unit paths: the database resolves the (few)
        # visible accounts and units once, and the case rows are filtered by id.
        accounts = Account.objects.visible_to(user).values("pk")
        units = Unit.objects.visible_to(user).values("pk")
        return self.filter(Q(account_id__in=accounts) | Q(assignee=user) | Q(forwarded_to_unit_id__in=units))

    def open(self) -> CaseQuerySet:
        return self.filter(state__in=OPEN_STATES)


class Case(models.Model):
    """One item that needs a person's attention, from triage to its outcome."""

    item = models.OneToOneField(Item, on_delete=models.PROTECT, related_name="case")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="cases", db_index=False)
    version = models.ForeignKey(ItemVersion, on_delete=models.PROTECT, related_name="+", db_index=False)
    triage = models.ForeignKey(VersionTriage, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               db_index=False)
    state = models.CharField(_("status"), max_length=20, choices=CaseState.choices, default=CaseState.NY)

    # The newest triage's labels, copied for filters and lists (the triage row keeps evidence).
    needs_answer = models.BooleanField(default=False)
    topic = models.CharField(max_length=40, blank=True)
    moderation = models.JSONField(default=list, blank=True)
    sensitive = models.JSONField(default=list, blank=True)
    wrong_authority = models.CharField(max_length=40, blank=True)
    is_message = models.BooleanField(default=False)
    # " svar telefon fel_myndighet " – space-delimited, so one LIKE filters any label on any DB.
    labels = models.CharField(max_length=400, blank=True)

    received_at = models.DateTimeField()
    response_rule = models.CharField(max_length=60, blank=True)
    crisis = models.BooleanField(default=False)
    due_at = models.DateTimeField()
    reminder_at = models.DateTimeField()
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    assignee = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="inbox_cases",
                                 verbose_name=_("ansvarig"))
    forwarded_to_unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    forwarded_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    draft_text = models.TextField(blank=True)
    draft_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    draft_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("ärende i inkorgen")
        verbose_name_plural = _("ärenden i inkorgen")
        indexes = [
            models.Index(fields=["state", "due_at"], name="case_state_due"),
            models.Index(fields=["account", "state"], name="case_account_state"),
            models.Index(fields=["assignee", "state"], name="case_assignee_state"),
            # The worker's sweeps: only rows that still need a reminder or an escalation.
            models.Index(fields=["reminder_at"], condition=Q(reminded_at__isnull=True), name="case_reminder_due"),
            models.Index(fields=["due_at"], condition=Q(escalated_at__isnull=True), name="case_escalation_due"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} ({self.get_state_display()})"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def recommends_no_answer(self) -> bool:
        """Personal attacks and privacy violations are not answered (riktlinjerna 2.5)."""
        return bool(NO_ANSWER_MODERATION & set(self.moderation))

    @property
    def moderation_labels(self) -> list[tuple[str, str]]:
        return [(m, str(MODERATION_LABELS.get(m, m))) for m in self.moderation]

    @property
    def sensitive_labels(self) -> list[tuple[str, str]]:
        return [(s, str(SENSITIVE_LABELS.get(s, s))) for s in self.sensitive]

    @property
    def topic_label(self) -> str:
        return str(TOPICS.get(self.topic, self.topic))


def labels_text(*, needs_answer: bool, moderation: list[str], sensitive: list[str], wrong_authority: str,
                is_message: bool) -> str:
    tokens = (["svar"] if needs_answer else []) + list(moderation) + list(sensitive)
    if wrong_authority:
        tokens.append("fel_myndighet")
    if is_message:
        tokens.append("meddelande")
    return f" {' '.join(tokens)} " if tokens else ""


class CaseEvent(models.Model):
    """One step in a case's trail."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Öppnat")
        UPDATED = "updated", _("Inlägget ändrades")
        REOPENED = "reopened", _("Öppnat igen")
        ASSIGNED = "assigned", _("Tilldelat")
        FORWARDED = "forwarded", _("Vidarebefordrat")
        DRAFTED = "drafted", _("Utkast till svar")
        ANSWERED = "answered", _("Besvarat")
        NO_ACTION = "no_action", _("Ingen åtgärd behövs")
        HIDDEN = "hidden", _("Dolt på plattformen")
        DELETED = "deleted", _("Borttaget från plattformen")
        AUTHOR_NOTIFIED = "author_notified", _("Meddelande till författaren")
        MOVED_TO_DIARIUM = "moved_to_diarium", _("Flyttat till diariet")
        REMINDED = "reminded", _("Påminnelse skickad")
        ESCALATED = "escalated", _("Eskalerat till samordnare")
        NOTE = "note", _("Anteckning")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]


class PlatformAction(models.Model):
    """One call to a platform on behalf of a case, committed before the call is made.

    ``key`` is the idempotency key: the answer form carries it, so resubmitting after an
    error finds this row. A row that is ``done`` is never sent again; one that is
    ``unclear`` (the request may have reached the platform) is checked before it is."""

    class Kind(models.TextChoices):
        REPLY = "reply", _("Svar")
        HIDE = "hide", _("Dölj")
        DELETE = "delete", _("Ta bort")
        NOTIFY_AUTHOR = "notify_author", _("Meddelande till författaren")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pågår")
        DONE = "done", _("Klar")
        FAILED = "failed", _("Misslyckades")
        UNCLEAR = "unclear", _("Oklart utfall")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="actions")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    key = models.CharField(max_length=100, unique=True)
    target_platform_id = models.CharField(max_length=200)
    text = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    result_platform_id = models.CharField(max_length=200, blank=True)
    published_item = models.ForeignKey(Item, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    error = models.TextField(blank=True)           # shown to people, Swedish
    error_detail = models.TextField(blank=True)    # the platform's own words, for support
    actor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]


class Decision(models.Model):
    """What a person decided about an item, in triage's terms: triage learns from these
    (``inbox.learning.decisions_as_examples``)."""

    class Outcome(models.TextChoices):
        ANSWERED = "answered", _("Besvarat")
        NO_ACTION = "no_action", _("Ingen åtgärd")
        HIDDEN = "hidden", _("Dolt")
        DELETED = "deleted", _("Borttaget")
        DIARIUM = "diarium", _("Flyttat till diariet")
        FORWARDED = "forwarded", _("Vidarebefordrat")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="decisions")
    version = models.ForeignKey(ItemVersion, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    needs_answer = models.BooleanField()
    topic = models.CharField(max_length=40)
    moderation = models.JSONField(default=list)
    sensitive = models.JSONField(default=list)
    wrong_authority = models.CharField(max_length=40, blank=True)
    legal_basis = models.CharField(max_length=60, blank=True)
    model_version = models.CharField(max_length=100, blank=True)  # the triage this corrects

    class Meta:
        ordering = ["id"]


class Route(models.Model):
    """Routing table (R18): which unit or handläggare answers questions on a topic."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    topic = models.CharField(_("ämne"), max_length=40, choices=list(TOPICS.items()))
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("enhet"))
    handler = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("handläggare"))
    updated_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "topic"], name="route_unique_topic")]
        ordering = ["topic"]


class Restriction(models.Model):
    """The item's content was moved to the diarium (R26): only registrators of the account's
    authority and the assigned handläggare may read it, and each read is logged."""

    item = models.OneToOneField(Item, on_delete=models.PROTECT, related_name="restriction")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="+")
    diarienummer = models.CharField(max_length=60)
    registration_id = models.BigIntegerField(null=True, blank=True)  # records.Registration, loosely coupled
    sekretess = models.BooleanField(default=False)
    osl_reference = models.CharField(max_length=200, blank=True)
    handler = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)


class Supervision(models.Model):
    """A review of an account's submitted messages (BBS-lagen 4 §, R31)."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="supervisions")
    reviewer = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField()
    items_from = models.DateTimeField()
    items_to = models.DateTimeField()
    item_count = models.PositiveIntegerField()
    first_item = models.ForeignKey(Item, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    last_item = models.ForeignKey(Item, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-reviewed_at", "-id"]
        indexes = [models.Index(fields=["account", "reviewed_at"], name="supervision_account_at")]


class SupervisionReminder(models.Model):
    """A reminder sent because an account's review fell due; one per account and due time."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    due_at = models.DateTimeField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "due_at"], name="supervision_reminder_once")]


class Checkpoint(models.Model):
    """How far a worker sweep has read an append-only table (by id)."""

    name = models.CharField(max_length=60, primary_key=True)
    last_id = models.BigIntegerField(default=0)


__all__ = [
    "ALL_LABELS", "CLOSED_STATES", "MODERATION_LABELS", "OPEN_STATES", "SENSITIVE_LABELS", "TOPICS",
    "Case", "CaseEvent", "CaseState", "Checkpoint", "Decision", "PlatformAction", "Restriction", "Route",
    "Supervision", "SupervisionReminder",
]
