from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from insyn.registry.forms import InsynForm
from insyn.registry.models import Account, Authority, User

from .retention import retention_classes


def _people_of(authority: Authority):
    return (User.objects.filter(is_active=True, memberships__unit__authority=authority).distinct()
            .order_by("last_name", "first_name"))


class RegisterItemForm(InsynForm):
    received_or_drawn_up = forms.DateField(label=_("Datum då handlingen kom in eller upprättades"),
                                           widget=forms.DateInput(attrs={"type": "date"}))
    counterpart = forms.CharField(label=_("Avsändare eller mottagare"), max_length=300, required=False)
    subject = forms.CharField(label=_("Vad handlingen rör (ärendemening)"), max_length=500,
                              help_text=_("I korthet, enligt OSL 5 kap. 2 §."))
    sekretess = forms.BooleanField(
        label=_("Handlingen innehåller uppgifter som omfattas av sekretess"), required=False,
        help_text=_("Avsändare och ärendemening hålls då isär från det offentliga diariet (OSL 5 kap. 2 §)."))
    osl_reference = forms.CharField(label=_("Sekretessbestämmelse"), max_length=120, required=False,
                                    help_text=_("T.ex. OSL 26 kap. 1 § (socialtjänst) eller OSL 21 kap. 1 § (hälsa)."))
    public_title = forms.CharField(
        label=_("Offentlig ärendemening (vid sekretess, valfri)"), max_length=500, required=False,
        help_text=_("Lämnas tom för en skyddad rubrik som bara anger handlingstyp och sekretessbestämmelse."))
    handler = forms.ModelChoiceField(User.objects.none(), label=_("Handläggare"), required=False,
                                     empty_label=_("– Ingen –"))

    def __init__(self, *args, authority: Authority, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["handler"].queryset = _people_of(authority)
        self.fields["handler"].label_from_instance = lambda u: f"{u} ({u.username})"

    def action_kwargs(self) -> dict:
        """The form in ``register_document``'s terms: with sekretess, the real counterpart and
        subject go to the protected fields and the public ones are blank or the given title."""
        d = self.cleaned_data
        kwargs = {"received_or_drawn_up": d["received_or_drawn_up"], "sekretess": d["sekretess"],
                  "osl_reference": d["osl_reference"] if d["sekretess"] else "", "handler": d["handler"]}
        if d["sekretess"]:
            kwargs.update(counterpart="", subject=d["public_title"], protected_counterpart=d["counterpart"],
                          protected_subject=d["subject"])
        else:
            kwargs.update(counterpart=d["counterpart"], subject=d["subject"])
        return kwargs


class FindItemForm(InsynForm):
    item = forms.IntegerField(label=_("Postens nummer i arkivet"), min_value=1,
                              help_text=_("Numret i adressen till posten, t.ex. 123 i /arkiv/123/."))


class HandlerForm(InsynForm):
    handler = forms.ModelChoiceField(User.objects.none(), label=_("Handläggare"), required=False,
                                     empty_label=_("– Ingen –"))

    def __init__(self, *args, authority: Authority, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["handler"].queryset = _people_of(authority)
        self.fields["handler"].label_from_instance = lambda u: f"{u} ({u.username})"


class DecisionForm(InsynForm):
    reference = forms.CharField(label=_("Beslutets diarienummer och paragraf"), max_length=200,
                                help_text=_("T.ex. KS 2026/14 § 37."))
    decided_by = forms.CharField(label=_("Beslutat av"), max_length=200,
                                 help_text=_("Nämnden, eller den som beslutat på delegation."))
    decision_date = forms.DateField(label=_("Beslutsdatum"), widget=forms.DateInput(attrs={"type": "date"}))
    authorities = forms.ModelMultipleChoiceField(Authority.objects.none(), label=_("Myndigheter som beslutet gäller"),
                                                 widget=forms.CheckboxSelectMultiple)
    classes = forms.MultipleChoiceField(label=_("Handlingsslag som får gallras"), widget=forms.CheckboxSelectMultiple)
    note = forms.CharField(label=_("Anteckning"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    scheduled = forms.BooleanField(label=_("Gallra automatiskt en gång per dygn under det här beslutet"), required=False)

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        authorities = Authority.objects.all() if user.is_superuser else Authority.objects.filter(
            organisation_id__in={m.unit.authority.organisation_id for m in user.memberships_cached()})
        self.fields["authorities"].queryset = authorities.order_by("name")
        self.fields["classes"].choices = [
            (c.key, f"{c.label} ({c.period.human})") for c in retention_classes().values() if c.gallras and c.mapped]


class ReasonForm(InsynForm):
    reason = forms.CharField(label=_("Skäl"), widget=forms.Textarea(attrs={"rows": 2}))


class RunForm(InsynForm):
    confirm = forms.BooleanField(label=_("Jag har granskat förhandsvisningen. Gallringen kan inte ångras."))


class HoldForm(InsynForm):
    SCOPES = [("item", _("En post")), ("thread", _("En tråd (inlägget överst eller konversationen)")),
              ("account", _("Ett helt konto"))]
    scope = forms.ChoiceField(label=_("Vad ska spärras?"), choices=SCOPES, widget=forms.RadioSelect, initial="item")
    item = forms.IntegerField(label=_("Postens nummer i arkivet"), min_value=1, required=False,
                              help_text=_("För en post eller för tråden som posten hör till."))
    account = forms.ModelChoiceField(Account.objects.none(), label=_("Konto"), required=False,
                                     empty_label=_("– Välj konto –"))
    reason = forms.CharField(label=_("Skäl till spärren"), widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=_("T.ex. polisanmälan, tvist, tillsynsärende."))

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        orgs = {m.unit.authority.organisation_id for m in user.memberships_cached()}
        accounts = Account.objects.all() if user.is_superuser else Account.objects.filter(organisation_id__in=orgs)
        self.fields["account"].queryset = accounts.order_by("name")

    def clean(self):
        data = super().clean()
        scope = data.get("scope")
        if scope in ("item", "thread") and not data.get("item"):
            self.add_error("item", _("Ange postens nummer."))
        if scope == "account" and not data.get("account"):
            self.add_error("account", _("Välj ett konto."))
        return data


__all__ = ["DecisionForm", "FindItemForm", "HandlerForm", "HoldForm", "ReasonForm", "RegisterItemForm", "RunForm"]
