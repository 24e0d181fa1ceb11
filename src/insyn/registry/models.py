"""Organisation, people and the register of accounts (R1–R14, R27).

Authorisation is by unit: a role held at a unit covers that unit and every unit below it
(``Unit.path`` is a materialised path such as ``/3/7/``). Samordnare (kommunkansliet) see the
whole organisation. Reads that depend on the user go through ``visible_to``.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    SAMORDNARE = "samordnare", _("Samordnare")
    KOMMUNIKATOR = "kommunikator", _("Kommunikatör")
    HANDLAGGARE = "handlaggare", _("Handläggare")
    CHEF = "chef", _("Chef")
    REGISTRATOR = "registrator", _("Registrator")
    ARKIVARIE = "arkivarie", _("Arkivarie")
    GRANSKARE = "granskare", _("Granskare")


# Roles that may change an account's register entry (besides samordnare).
EDITOR_ROLES = {Role.KOMMUNIKATOR, Role.CHEF}


class User(AbstractUser):
    phone = models.CharField(_("telefon"), max_length=40, blank=True)
    title = models.CharField(_("titel"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("användare")
        verbose_name_plural = _("användare")

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    # Role lookups are cached per request-bound instance: pages ask them many times.
    def memberships_cached(self) -> list[Membership]:
        if not hasattr(self, "_memberships_cache"):
            self._memberships_cache = list(self.memberships.select_related("unit__authority"))
        return self._memberships_cache

    def has_role(self, *roles: str) -> bool:
        return any(m.role in roles for m in self.memberships_cached())

    @property
    def is_samordnare(self) -> bool:
        return self.is_superuser or self.has_role(Role.SAMORDNARE)

    def unit_paths(self, *roles: str) -> list[str]:
        return [m.unit.path for m in self.memberships_cached() if not roles or m.role in roles]

    def covers_unit(self, unit: Unit, *roles: str) -> bool:
        return any(unit.path.startswith(p) for p in self.unit_paths(*roles))

    def works_in(self, unit: Unit) -> bool:
        """Holds a role in the unit, above it or below it (an account's possible administrators)."""
        return any(unit.path.startswith(p) or p.startswith(unit.path) for p in self.unit_paths())


class Organisation(models.Model):
    name = models.CharField(_("namn"), max_length=200, unique=True)
    kansli_email = models.EmailField(
        _("kommunkansliets e-post"), help_text=_("Får meddelanden när konton anmäls och avslutas.")
    )
    website = models.URLField(_("webbplats"), blank=True)
    crisis_mode = models.BooleanField(_("krisläge"), default=False)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisationer")

    def __str__(self) -> str:
        return self.name


class Authority(models.Model):
    """A myndighet: kommunstyrelsen, a nämnd or a kommunalt bolag, each personuppgiftsansvarig."""

    class Kind(models.TextChoices):
        STYRELSE = "styrelse", _("Kommunstyrelse")
        NAMND = "namnd", _("Nämnd")
        BOLAG = "bolag", _("Kommunalt bolag")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="authorities")
    name = models.CharField(_("namn"), max_length=200)
    kind = models.CharField(_("typ"), max_length=20, choices=Kind.choices)
    diarium_prefix = models.CharField(_("diarieprefix"), max_length=12)
    org_number = models.CharField(_("organisationsnummer"), max_length=20, blank=True)
    privacy_contact_email = models.EmailField(_("e-post för dataskyddsfrågor"), blank=True)

    class Meta:
        verbose_name = _("myndighet")
        verbose_name_plural = _("myndigheter")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="authority_unique_name"),
            models.UniqueConstraint(fields=["organisation", "diarium_prefix"], name="authority_unique_prefix"),
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class UnitQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> UnitQuerySet:
        if user.is_samordnare:
            return self
        return self.filter(_path_filter(user.unit_paths(), "path"))


class Unit(models.Model):
    class Kind(models.TextChoices):
        FORVALTNING = "forvaltning", _("Förvaltning")
        AVDELNING = "avdelning", _("Avdelning")
        ENHET = "enhet", _("Enhet")
        BOLAG = "bolag", _("Bolag")

    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="units")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    name = models.CharField(_("namn"), max_length=200)
    kind = models.CharField(_("typ"), max_length=20, choices=Kind.choices)
    handles_confidential = models.BooleanField(
        _("hanterar mycket sekretessuppgifter"),
        default=False,
        help_text=_("T.ex. socialtjänst, vård och omsorg (riktlinjerna 3.2)."),
    )
    path = models.CharField(max_length=255, db_index=True, editable=False, default="/")

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("enhet")
        verbose_name_plural = _("enheter")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2

    def ancestors_and_self(self) -> list[Unit]:
        ids = [int(p) for p in self.path.strip("/").split("/") if p]
        by_id = Unit.objects.in_bulk(ids)
        return [by_id[i] for i in ids if i in by_id]


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(_("roll"), max_length=20, choices=Role.choices)

    class Meta:
        verbose_name = _("roll i enhet")
        verbose_name_plural = _("roller i enheter")
        constraints = [models.UniqueConstraint(fields=["user", "unit", "role"], name="membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} – {self.unit}"


def _path_filter(paths: list[str], field: str) -> Q:
    if not paths:
        return Q(pk__in=[])
    q = Q()
    for p in paths:
        q |= Q(**{f"{field}__startswith": p})
    return q


class Platform(models.TextChoices):
    FACEBOOK_PAGE = "facebook_page", _("Facebook-sida")
    FACEBOOK_GROUP = "facebook_group", _("Facebook-grupp")
    INSTAGRAM = "instagram", "Instagram"
    YOUTUBE = "youtube", "YouTube"
    MASTODON = "mastodon", "Mastodon"
    BLUESKY = "bluesky", "Bluesky"
    X = "x", "X"
    LINKEDIN = "linkedin", "LinkedIn"
    BLOG = "blog", _("Blogg")


class Status(models.TextChoices):
    FORESLAGET = "foreslaget", _("Föreslaget")
    BESLUTAT = "beslutat", _("Beslutat")
    AKTIVT = "aktivt", _("Aktivt")
    AVVECKLAS = "avvecklas", _("Avvecklas")
    AVSLUTAT = "avslutat", _("Avslutat")


# The workflow: which status may follow which.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.FORESLAGET: (Status.BESLUTAT, Status.AVSLUTAT),
    Status.BESLUTAT: (Status.AKTIVT, Status.AVSLUTAT),
    Status.AKTIVT: (Status.AVVECKLAS,),
    Status.AVVECKLAS: (Status.AKTIVT, Status.AVSLUTAT),
    Status.AVSLUTAT: (),
}


class AccountQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> AccountQuerySet:
        if not user.is_authenticated:
            return self.none()
        if user.is_samordnare:
            return self
        return self.filter(_path_filter(user.unit_paths(), "unit__path"))

    def editable_by(self, user: User) -> AccountQuerySet:
        if user.is_samordnare:
            return self
        return self.filter(_path_filter(user.unit_paths(*EDITOR_ROLES), "unit__path"))

    def active(self) -> AccountQuerySet:
        return self.filter(status=Status.AKTIVT)


class Account(models.Model):
    """One presence of the organisation in a social medium (an entry in the förteckning, R1)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="accounts")
    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="accounts")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="accounts")
    platform = models.CharField(_("plattform"), max_length=20, choices=Platform.choices)
    name = models.CharField(_("namn"), max_length=200)
    handle = models.CharField(_("användarnamn/handle"), max_length=200)
    url = models.URLField(_("adress (URL)"), max_length=500)
    external_id = models.CharField(_("plattformens id"), max_length=200, blank=True)

    purpose = models.TextField(_("syfte"))
    target_group = models.TextField(_("målgrupp"))
    message = models.TextField(_("budskap"))

    responsible = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="responsible_for", verbose_name=_("ansvarig person")
    )
    administrators = models.ManyToManyField(User, related_name="administers", verbose_name=_("administratörer"))
    response_rule = models.CharField(_("svarstidsregel"), max_length=60, default="next_working_day_end")

    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.FORESLAGET)
    is_draft = models.BooleanField(_("utkast"), default=True)

    official_page = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="groups",
        verbose_name=_("officiell Facebooksida"),
    )
    confidential_justification = models.TextField(_("motivering (sekretesstung verksamhet)"), blank=True)

    # R9: who the sender is must be clear on the account.
    logo_shown = models.BooleanField(_("kommunens logotyp visas"), default=False)
    unit_shown = models.BooleanField(_("ansvarig förvaltning/enhet visas"), default=False)
    sender_checked_at = models.DateTimeField(null=True, blank=True)
    sender_checked_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    # R13: the information text published in the medium, per policy version.
    info_text_policy = models.ForeignKey(
        "PolicyVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    info_text_published_at = models.DateTimeField(null=True, blank=True)
    info_text_url = models.URLField(max_length=500, blank=True)

    # R14: the farewell post before closing.
    farewell_published_at = models.DateTimeField(null=True, blank=True)
    farewell_url = models.URLField(max_length=500, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AccountQuerySet.as_manager()

    class Meta:
        verbose_name = _("konto")
        verbose_name_plural = _("konton")
        ordering = ["authority__name", "unit__path", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "handle"],
                condition=~Q(status="avslutat"),
                name="account_unique_open_handle",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_platform_display()})"

    def allowed_transitions(self) -> tuple[str, ...]:
        return TRANSITIONS[self.status]

    def compliance_flags(self) -> list[str]:
        """What this entry lacks against the guidelines, in words for the register page."""
        from .policy import current_policy_version

        flags: list[str] = []
        if self.status == Status.AVSLUTAT:
            return flags
        admin_count = len(self.administrators.all())
        if admin_count < 2:
            flags.append(_("Färre än två administratörer (R12) – sparat som utkast."))
        if self.platform == Platform.FACEBOOK_GROUP and not self.official_page_id:
            flags.append(_("Facebookgruppen länkar inte till kommunens officiella sida (R3)."))
        if not (self.logo_shown and self.unit_shown):
            flags.append(_("Avsändarkontrollen är inte klar: logotyp och ansvarig enhet (R9)."))
        if self.status == Status.AKTIVT:
            current = current_policy_version()
            if not self.info_text_published_at:
                flags.append(_("Informationstexten till användarna är inte publicerad (R13)."))
            elif current and self.info_text_policy_id != current.pk:
                flags.append(_("Informationstexten bygger på en äldre version av riktlinjerna (R13)."))
        if self.status in (Status.BESLUTAT, Status.AKTIVT, Status.AVVECKLAS) and not self.decisions.exists():
            flags.append(_("Inget beslut är registrerat för kontot (R6, R11)."))
        if self.unit.handles_confidential:
            flags.append(_("Enheten hanterar mycket sekretessuppgifter – särskilt beslut krävs (R27)."))
        return flags


class AccountDecision(models.Model):
    """A recorded decision on an account's status (R6, R11, R14)."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="decisions")
    from_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Status.choices)
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("beslutsfattare"))
    decision_date = models.DateField(_("beslutsdatum"))
    mandate = models.TextField(_("chefens uppdrag"))
    anchoring = models.TextField(_("förankring i ledningen"))
    note = models.TextField(_("anteckning"), blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["recorded_at", "pk"]
        verbose_name = _("beslut")
        verbose_name_plural = _("beslut")


class PolicyVersion(models.Model):
    """One version of the guidelines file, kept verbatim with its hash."""

    version = models.CharField(max_length=60, unique=True)
    title = models.CharField(max_length=300)
    sha256 = models.CharField(max_length=64, unique=True)
    source = models.TextField()
    loaded_at = models.DateTimeField(auto_now_add=True)
    is_current = models.BooleanField(default=False)

    class Meta:
        ordering = ["-loaded_at"]
        verbose_name = _("riktlinjeversion")
        verbose_name_plural = _("riktlinjeversioner")

    def __str__(self) -> str:
        return self.version


class PolicyAcknowledgement(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="acknowledgements")
    policy = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="acknowledgements")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "policy"], name="ack_unique")]
