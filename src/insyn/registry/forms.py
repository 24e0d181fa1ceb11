from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import Account, Platform, Role, Status, Unit, User
from .platforms import normalise
from .policy import current_policy


def add_validation_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put an action's ValidationError on the form: on its field when the form has one, else
    on the form as a whole (shown in the error summary)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class InsynForm(forms.Form):
    """Labels without Django's trailing colon: cleaner for screen readers and in Swedish."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class PersonChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj} ({obj.username})"


class AccountForm(InsynForm):
    unit = forms.ModelChoiceField(Unit.objects.none(), label=_("Ansvarig enhet"), empty_label=_("– Välj enhet –"))
    platform = forms.ChoiceField(choices=Platform.choices, label=_("Plattform"))
    name = forms.CharField(label=_("Namn på kontot"), max_length=200)
    handle = forms.CharField(label=_("Användarnamn/handle"), max_length=200, required=False,
                             help_text=_("Som på plattformen, t.ex. angekommun, @angekommun@mastodon.nu (Mastodon), "
                                         "@angekommun (YouTube) eller ange.bsky.social (Bluesky). För en blogg kan "
                                         "fältet lämnas tomt: bloggens adress används."))
    url = forms.CharField(label=_("Adress (URL)"), max_length=500)
    purpose = forms.CharField(label=_("Syfte"), widget=forms.Textarea(attrs={"rows": 3}))
    target_group = forms.CharField(label=_("Målgrupp"), widget=forms.Textarea(attrs={"rows": 2}))
    message = forms.CharField(label=_("Budskap"), widget=forms.Textarea(attrs={"rows": 2}))
    responsible = forms.ModelChoiceField(User.objects.none(), label=_("Ansvarig person"), empty_label=_("– Välj person –"))
    administrators = PersonChoiceField(
        User.objects.none(), label=_("Administratörer"), required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Minst två, så att någon kan täcka upp vid frånvaro (R12). Med färre sparas kontot som utkast."),
    )
    response_rule = forms.ChoiceField(label=_("Svarstid"))
    official_page = forms.ModelChoiceField(
        Account.objects.none(), label=_("Officiell Facebooksida (för grupper)"), required=False,
        empty_label=_("– Ingen –"),
        help_text=_("En Facebookgrupp ska kunna nås från kommunens officiella sida (R3)."),
    )
    confidential_justification = forms.CharField(
        label=_("Motivering för konto i sekretesstung verksamhet"), required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Krävs för enheter som hanterar mycket sekretessuppgifter (R27)."),
    )
    external_id = forms.CharField(label=_("Plattformens id (valfritt)"), required=False, max_length=200,
                                  help_text=_("T.ex. sidans id, Instagramkontots id, YouTube-kanalens id (UC…) eller "
                                              "Bluesky-kontots DID. Kan också anges när kontot ansluts."))

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        units = Unit.objects.visible_to(user).select_related("authority")
        if not user.is_samordnare:
            units = units.filter(_editable_units_q(user))
        self.fields["unit"].queryset = units
        self.fields["unit"].label_from_instance = lambda u: f"{u.authority.name} › {'– ' * u.depth}{u.name}"
        people = User.objects.filter(is_active=True).order_by("last_name", "first_name")
        self.fields["responsible"].queryset = people
        self.fields["responsible"].label_from_instance = lambda u: f"{u} ({u.username})"
        self.fields["administrators"].queryset = people
        self.fields["official_page"].queryset = Account.objects.filter(platform=Platform.FACEBOOK_PAGE).exclude(status=Status.AVSLUTAT)
        policy = current_policy()
        self.fields["response_rule"].choices = [(k, r["description"]) for k, r in policy.response_rules.items()]
        self.fields["response_rule"].initial = policy.default_rule


    def clean(self):
        # Check the address against the platform here too, so every error shows at once.
        data = super().clean()
        platform, handle, url = data.get("platform"), data.get("handle"), data.get("url")
        if platform and platform != Platform.BLOG and not handle and "handle" not in self.errors:
            # Only a blog's handle can be derived (from its address: registry/platforms.py).
            self.add_error("handle", self.fields["handle"].error_messages["required"])
        if platform and url and (handle or platform == Platform.BLOG):
            try:
                data["handle"], data["url"] = normalise(platform, handle, url)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    self.add_error(field, errors)
        return data


def _editable_units_q(user: User):
    from django.db.models import Q

    q = Q(pk__in=[])
    for path in user.unit_paths(Role.KOMMUNIKATOR, Role.CHEF):
        q |= Q(path__startswith=path)
    return q


class DecisionForm(InsynForm):
    to_status = forms.ChoiceField(label=_("Ny status"))
    decided_by = forms.ModelChoiceField(User.objects.none(), label=_("Beslut fattat av (chef)"), empty_label=_("– Välj chef –"))
    decision_date = forms.DateField(label=_("Beslutsdatum"), widget=forms.DateInput(attrs={"type": "date"}))
    mandate = forms.CharField(label=_("Chefens uppdrag"), widget=forms.Textarea(attrs={"rows": 2}),
                              help_text=_("Vem som fått uppdraget att kommunicera och av vilken chef (riktlinjerna 2.2)."))
    anchoring = forms.CharField(label=_("Förankring i ledningen"), widget=forms.Textarea(attrs={"rows": 2}),
                                help_text=_("Var och när beslutet förankrades, t.ex. förvaltningsledningen 2026-11-20 § 4."))
    note = forms.CharField(label=_("Anteckning"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, account: Account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_status"].choices = [(s, Status(s).label) for s in account.allowed_transitions()]
        chefs = User.objects.filter(memberships__role=Role.CHEF).distinct()
        self.fields["decided_by"].queryset = User.objects.filter(
            pk__in=[u.pk for u in chefs if u.covers_unit(account.unit, Role.CHEF)]
        )


class SenderChecklistForm(InsynForm):
    logo_shown = forms.BooleanField(label=_("Kommunens logotyp syns på kontot"), required=False)
    unit_shown = forms.BooleanField(label=_("Det framgår vilken förvaltning/enhet som ansvarar"), required=False)


class PublishedForm(InsynForm):
    url = forms.URLField(label=_("Länk till inlägget (valfritt)"), required=False, assume_scheme="https")


class OTPForm(InsynForm):
    token = forms.CharField(label=_("Engångskod"), max_length=8, min_length=6,
                            widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}))
