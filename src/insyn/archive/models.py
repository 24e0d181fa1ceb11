"""Raw capture log and archive.

Invariants (R21, R22):
- ``RawCapture`` rows are written in the transaction that acknowledges them and never
  changed afterwards, except their processing status. Each is chained in the event log.
- Items, versions and platform state changes are a function of the raw log (``reprocess``
  rebuilds them and gets the same result); Insyn's own actions are state changes with
  ``source="insyn"``, recorded with actor and reason.
- An edit is a new ``ItemVersion``; a deletion or hiding is an ``ItemStateChange``. Text is
  never overwritten or deleted here (gallring, later, is the only way content goes).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from insyn.registry.models import Account, User, _path_filter


class RawCapture(models.Model):
    class Source(models.TextChoices):
        WEBHOOK = "webhook", _("Webhook")
        POLL = "poll", _("Hämtning")
        IMPORT = "import", _("Import")
        FULL_PASS = "full_pass", _("Fullständig genomgång")

    class Status(models.TextChoices):
        PENDING = "pending", _("Väntar")
        PROCESSED = "processed", _("Behandlad")
        QUARANTINED = "quarantined", _("I karantän")

    account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.PROTECT, related_name="raw_captures")
    platform = models.CharField(max_length=30)
    source = models.CharField(max_length=20, choices=Source.choices)
    url = models.CharField(max_length=2000, blank=True)
    received_at = models.DateTimeField(db_index=True)
    body = models.BinaryField()
    sha256 = models.CharField(max_length=64, db_index=True)
    headers = models.JSONField(default=dict)
    context = models.JSONField(default=dict)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    error = models.TextField(blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    event_seq = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("rådata")
        verbose_name_plural = _("rådata")
        indexes = [models.Index(fields=["account", "status"])]


class ItemQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> ItemQuerySet:
        if not user.is_authenticated:
            return self.none()
        if user.is_samordnare:
            return self
        return self.filter(_path_filter(user.unit_paths(), "account__unit__path"))


class Item(models.Model):
    class Kind(models.TextChoices):
        POST = "post", _("Inlägg")
        COMMENT = "comment", _("Kommentar")
        REPLY = "reply", _("Svar")
        MESSAGE = "message", _("Meddelande")

    class Direction(models.TextChoices):
        INKOMMEN = "inkommen", _("Inkommen")
        UPPRATTAD = "upprattad", _("Upprättad")

    class RecordType(models.TextChoices):
        PUBLIC_COMMENT = "public_comment", _("Kommentar i öppet forum")
        DIRECT_MESSAGE = "direct_message", _("Meddelande till myndigheten")
        OWN_POST = "own_post", _("Eget inlägg")

    class State(models.TextChoices):
        VISIBLE = "visible", _("Synlig")
        HIDDEN = "hidden", _("Dold")
        DELETED_ON_PLATFORM = "deleted_on_platform", _("Borttagen på plattformen")
        REMOVED_BY_US = "removed_by_us", _("Borttagen av oss")

    # Indexes are few on purpose: every one is paid for on each captured item. The unique
    # (account, platform_id) also serves lookups by account.
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="items", db_index=False)
    platform_id = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    direction = models.CharField(max_length=10, choices=Direction.choices)
    record_type = models.CharField(max_length=20, choices=RecordType.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children",
                               db_index=False)
    parent_platform_id = models.CharField(max_length=200, blank=True)
    thread_platform_id = models.CharField(max_length=200, blank=True)
    author_id = models.CharField(max_length=200, blank=True)
    author_name = models.CharField(max_length=300, blank=True)
    url = models.CharField(max_length=2000, blank=True)
    created_at = models.DateTimeField(null=True, blank=True)   # on the platform
    inkommen_at = models.DateTimeField()                       # first capture
    state = models.CharField(max_length=20, choices=State.choices, default=State.VISIBLE)
    state_changed_at = models.DateTimeField(null=True, blank=True)
    # The current text and its hash, denormalised from the newest version for lists and search.
    text = models.TextField(blank=True)
    text_sha256 = models.CharField(max_length=64, blank=True)
    version_count = models.PositiveIntegerField(default=0)
    first_raw = models.ForeignKey(RawCapture, null=True, on_delete=models.PROTECT, related_name="+", db_index=False)

    objects = ItemQuerySet.as_manager()

    class Meta:
        # No default ordering: on a table of millions it makes every internal lookup sort (and
        # makes SQLite pick the date index over the unique one). Lists order explicitly.
        constraints = [models.UniqueConstraint(fields=["account", "platform_id"], name="item_unique_platform_id")]
        indexes = [
            models.Index(fields=["account", "created_at"]),
            models.Index(fields=["account", "thread_platform_id"]),
            models.Index(fields=["account", "parent_platform_id"]),
            models.Index(fields=["author_id"]),
        ]
        verbose_name = _("post i arkivet")
        verbose_name_plural = _("poster i arkivet")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.platform_id}"

    @property
    def effective_time(self):
        return self.created_at or self.inkommen_at


class ItemVersion(models.Model):
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="versions", db_index=False)  # see unique
    number = models.PositiveIntegerField()
    text = models.TextField(blank=True)
    sha256 = models.CharField(max_length=64)
    platform_time = models.DateTimeField(null=True, blank=True)  # when the platform says it was written
    captured_at = models.DateTimeField()
    raw = models.ForeignKey(RawCapture, null=True, on_delete=models.PROTECT, related_name="+", db_index=False)

    class Meta:
        ordering = ["item", "number"]
        constraints = [models.UniqueConstraint(fields=["item", "number"], name="version_unique_number")]


class ItemStateChange(models.Model):
    class Source(models.TextChoices):
        PLATFORM = "platform", _("Plattformen")
        INSYN = "insyn", _("Insyn")

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="state_changes")
    state = models.CharField(max_length=20, choices=Item.State.choices)
    previous_state = models.CharField(max_length=20, choices=Item.State.choices, blank=True)
    seen_at = models.DateTimeField()
    source = models.CharField(max_length=10, choices=Source.choices)
    raw = models.ForeignKey(RawCapture, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(blank=True)
    legal_basis = models.CharField(max_length=60, blank=True)

    class Meta:
        ordering = ["seen_at", "id"]


class Media(models.Model):
    """One file, stored once by content hash under the data dir."""

    sha256 = models.CharField(max_length=64, primary_key=True)
    size = models.PositiveBigIntegerField()
    mime_type = models.CharField(max_length=100)
    stored_at = models.DateTimeField(auto_now_add=True)


class ItemMedia(models.Model):
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="media")
    platform_url = models.CharField(max_length=2000)
    platform_media_id = models.CharField(max_length=200, blank=True)
    mime_type = models.CharField(max_length=100, blank=True)
    media = models.ForeignKey(Media, null=True, blank=True, on_delete=models.PROTECT)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "platform_url"], name="itemmedia_unique")]


def open_items_filter() -> Q:
    return Q(state__in=[Item.State.VISIBLE, Item.State.HIDDEN])


class VersionTriage(models.Model):
    """What triage said about one incoming version, with the model that said it."""

    version = models.OneToOneField(ItemVersion, on_delete=models.CASCADE, related_name="triage")
    model_version = models.CharField(max_length=100)
    needs_answer = models.BooleanField()
    topic = models.CharField(max_length=40)
    moderation = models.JSONField(default=list)
    sensitive = models.JSONField(default=list)
    wrong_authority = models.CharField(max_length=40, blank=True)
    spans = models.JSONField(default=list)
    evidence = models.JSONField(default=list)
    scores = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["topic"]), models.Index(fields=["needs_answer"])]

    @property
    def needs_attention(self) -> bool:
        return bool(self.needs_answer or self.moderation or self.sensitive or self.wrong_authority)
