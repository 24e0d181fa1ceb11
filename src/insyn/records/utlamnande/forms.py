"""Forms for requests for records and the GDPR pages. Validation that concerns the law lives in
the actions; the forms parse input and show the actions' errors on their fields."""

from __future__ import annotations

from datetime import datetime, time

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from insyn.lib.calendar import STOCKHOLM
from insyn.registry.forms import InsynForm
from insyn.registry.models import User

from .models import Request, RequestItem


class RequestForm(InsynForm):
    unit = forms.ModelChoiceField(label=_("Handläggande enhet"), queryset=None, empty_label=None)
    received_date = forms.DateField(label=_("Datum då begäran kom in"), widget=forms.DateInput(attrs={"type": "date"}),
                                    error_messages={"required": _("Ange datum."), "invalid": _("Datum anges som ÅÅÅÅ-MM-DD.")})
    received_time = forms.TimeField(label=_("Klockslag"), widget=forms.TimeInput(attrs={"type": "time"}),
                                    error_messages={"required": _("Ange klockslag."), "invalid": _("Klockslag anges som TT:MM.")})
    channel = forms.ChoiceField(label=_("Hur begäran kom in"), choices=Request.Channel.choices)
    description = forms.CharField(label=_("Vilka handlingar som begärs"), widget=forms.Textarea(attrs={"rows": 4}),
                                  error_messages={"required": _("Beskriv vilka handlingar som begärs.")})
    anonymous = forms.BooleanField(label=_("Den som begär är anonym"), required=False,
                                   help_text=_("Alla har rätt att vara anonyma och behöver inte säga varför de begär en handling."))
    requester_name = forms.CharField(label=_("Namn (om personen vill uppge det)"), required=False, max_length=200)
    requester_contact = forms.CharField(label=_("Kontaktuppgift för svaret (frivillig)"), required=False, max_length=300)
    delivery_form = forms.CharField(label=_("Önskad form (t.ex. PDF via e-post, papperskopia)"), required=False, max_length=100)
    handler = forms.ModelChoiceField(label=_("Handläggare"), queryset=None, required=False)

    def __init__(self, *args, units, handlers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["unit"].label_from_instance = lambda u: f"{u.authority.name} – {u.name}"
        self.fields["handler"].queryset = handlers
        self.fields["handler"].label_from_instance = lambda u: u.get_full_name() or u.username
        if not self.is_bound:
            now = timezone.localtime(timezone.now(), STOCKHOLM)
            self.initial.setdefault("received_date", now.date())
            self.initial.setdefault("received_time", now.time().replace(second=0, microsecond=0))

    def received_at(self) -> datetime:
        return datetime.combine(self.cleaned_data["received_date"], self.cleaned_data["received_time"] or time(0),
                                tzinfo=STOCKHOLM)


class FindForm(InsynForm):
    q = forms.CharField(label=_("Sökord"), required=False, max_length=500)
    account = forms.ChoiceField(label=_("Konto"), required=False)
    author = forms.CharField(label=_("Avsändare"), required=False, max_length=200)
    since = forms.DateField(label=_("Från och med"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
                            error_messages={"invalid": _("Datum anges som ÅÅÅÅ-MM-DD.")})
    until = forms.DateField(label=_("Till och med"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
                            error_messages={"invalid": _("Datum anges som ÅÅÅÅ-MM-DD.")})

    def __init__(self, *args, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = [("", _("Alla konton"))] + [(str(a.pk), str(a)) for a in accounts]

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["until"] < data["since"]:
            self.add_error("until", _("Slutdatumet ligger före startdatumet."))
        return data


class ReviewForm(InsynForm):
    """The fixed part of the review; the mask candidates are read by the view by key."""

    decision = forms.ChoiceField(label=_("Beslut"), choices=RequestItem.Decision.choices, widget=forms.RadioSelect,
                                 error_messages={"required": _("Välj ett beslut för posten.")})
    phrase = forms.CharField(label=_("Maskera även denna text (varje förekomst)"), required=False, max_length=500)
    phrase_osl = forms.CharField(label=_("Sekretessbestämmelse för texten ovan"), required=False, max_length=120)
    mask_author = forms.BooleanField(label=_("Maskera avsändarens namn"), required=False)
    author_osl = forms.CharField(label=_("Sekretessbestämmelse för avsändarens namn"), required=False, max_length=120)
    osl_reference = forms.CharField(label=_("Sekretessbestämmelse om posten inte lämnas ut"), required=False,
                                    max_length=200)
    reason = forms.CharField(label=_("Motivering (visas i beslutet)"), required=False,
                             widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class HandlerForm(InsynForm):
    handler = forms.ModelChoiceField(label=_("Handläggare"), queryset=None, required=False,
                                     empty_label=_("Ingen handläggare"))

    def __init__(self, *args, handlers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["handler"].queryset = handlers
        self.fields["handler"].label_from_instance = lambda u: u.get_full_name() or u.username


class CloseForm(InsynForm):
    note = forms.CharField(label=_("Anteckning"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class SubjectForm(InsynForm):
    author_id = forms.CharField(label=_("Avsändarens id på plattformen"), required=False, max_length=200)
    author_name = forms.CharField(label=_("Avsändarens namn (exakt)"), required=False, max_length=300)

    def clean(self):
        data = super().clean()
        if not data.get("author_id", "").strip() and not data.get("author_name", "").strip():
            raise forms.ValidationError(_("Ange avsändarens id på plattformen eller namn."))
        return data


class LogSearchForm(InsynForm):
    actor = forms.CharField(label=_("Vem (användarnamn)"), required=False, max_length=200)
    verb = forms.CharField(label=_("Händelse (början av namnet, t.ex. records.)"), required=False, max_length=64)
    object_type = forms.CharField(label=_("Objekttyp (t.ex. archive.item)"), required=False, max_length=100)
    object_id = forms.CharField(label=_("Objektets id"), required=False, max_length=100)
    since = forms.DateField(label=_("Från och med"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
                            error_messages={"invalid": _("Datum anges som ÅÅÅÅ-MM-DD.")})
    until = forms.DateField(label=_("Till och med"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
                            error_messages={"invalid": _("Datum anges som ÅÅÅÅ-MM-DD.")})

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["until"] < data["since"]:
            self.add_error("until", _("Slutdatumet ligger före startdatumet."))
        return data


def handler_choices(units):
    authority_ids = {u.authority_id for u in units}
    return User.objects.filter(memberships__unit__authority_id__in=authority_ids, is_active=True).distinct().order_by(
        "first_name", "last_name", "username")
