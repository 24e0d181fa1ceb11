"""Inbox forms. Each action form carries an idempotency key (``key``), generated when the form
is first shown and kept when it is shown again after an error, so resubmitting retries the
same action instead of starting a second one."""

from __future__ import annotations

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from insyn.lib.policy import Policy
from insyn.registry.forms import InsynForm
from insyn.registry.models import Account, Role, Unit, User

from .models import ALL_LABELS, TOPICS, CaseState


def new_key() -> str:
    return uuid.uuid4().hex


class PersonField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj} ({obj.username})"


STATUS_CHOICES = [("oppna", _("Öppna")), *CaseState.choices, ("alla", _("Alla"))]


class FilterForm(InsynForm):
    konto = forms.ModelChoiceField(Account.objects.none(), label=_("Konto"), required=False, empty_label=_("Alla"))
    enhet = forms.ModelChoiceField(Unit.objects.none(), label=_("Enhet"), required=False, empty_label=_("Alla"))
    amne = forms.ChoiceField(label=_("Ämne"), required=False, choices=[("", _("Alla")), *TOPICS.items()])
    etikett = forms.ChoiceField(label=_("Etikett"), required=False, choices=[("", _("Alla")), *ALL_LABELS.items()])
    status = forms.ChoiceField(label=_("Status"), required=False, choices=STATUS_CHOICES)
    ansvarig = forms.ChoiceField(label=_("Ansvarig"), required=False,
                                 choices=[("", _("Alla")), ("mig", _("Mina ärenden")), ("ingen", _("Ingen ansvarig"))])

    def __init__(self, *args, accounts, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["konto"].queryset = accounts
        self.fields["enhet"].queryset = units


class AnswerForm(InsynForm):
    template = forms.ChoiceField(label=_("Mall"), required=False)
    authority = forms.ChoiceField(label=_("Rätt myndighet (för mallen Fel myndighet)"), required=False)
    text = forms.CharField(label=_("Svar"), widget=forms.Textarea(attrs={"rows": 6}),
                           help_text=_("Personligt och vänligt, med ”du”. Svaret publiceras på plattformen och blir "
                                       "en allmän handling."))
    confirm = forms.BooleanField(label=_("Jag har läst rekommendationen och vill ändå svara"), required=False)
    key = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, policy: Policy, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].choices = [("", _("– Skriv själv –")), *((k, t.title) for k, t in policy.templates.items())]
        self.fields["authority"].choices = [("", _("– Ingen –")), *((a, a) for a in policy.authorities)]


class ModerateForm(InsynForm):
    how = forms.ChoiceField(label=_("Åtgärd"), widget=forms.RadioSelect,
                            choices=[("hide", _("Dölj inlägget")), ("delete", _("Ta bort inlägget"))])
    legal_basis = forms.ChoiceField(label=_("Rättslig grund"))
    reason = forms.CharField(label=_("Motivering (valfritt)"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=_("Vad i inlägget som bryter mot grunden. Sparas i händelseloggen."))
    notify = forms.BooleanField(label=_("Skicka ett meddelande till författaren"), required=False)
    notify_text = forms.CharField(label=_("Meddelande till författaren"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    key = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, policy: Policy, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["legal_basis"].choices = [("", _("– Välj grund –")),
                                              *((k, f"{b['label']} ({b['reference']})") for k, b in policy.legal_bases.items())]


class ForwardForm(InsynForm):
    unit = forms.ModelChoiceField(Unit.objects.none(), label=_("Till enhet"), empty_label=_("– Välj enhet –"))
    handler = PersonField(User.objects.none(), label=_("Till handläggare (valfritt)"), required=False,
                          empty_label=_("– Alla handläggare i enheten –"))
    topic = forms.ChoiceField(label=_("Ämne"), choices=list(TOPICS.items()))
    note = forms.CharField(label=_("Meddelande till handläggaren"), required=False,
                           widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.filter(authority__organisation=organisation).select_related("authority")
        self.fields["unit"].label_from_instance = lambda u: f"{u.authority.name} › {'– ' * u.depth}{u.name}"
        self.fields["handler"].queryset = (User.objects.filter(is_active=True, memberships__role=Role.HANDLAGGARE)
                                           .distinct().order_by("last_name", "first_name"))


class DraftForm(InsynForm):
    text = forms.CharField(label=_("Utkast till svar"), widget=forms.Textarea(attrs={"rows": 6}),
                           help_text=_("Kommunikatören granskar och publicerar svaret."))


class DiariumForm(InsynForm):
    removal = forms.ChoiceField(label=_("Från plattformen"), widget=forms.RadioSelect)
    subject = forms.CharField(label=_("Ärendemening"), max_length=500,
                              help_text=_("Kort och utan känsliga uppgifter, t.ex. ”Fråga om eget ärende via Facebook”."))
    sekretess = forms.BooleanField(label=_("Sekretessmarkering"), required=False, initial=True)
    osl_reference = forms.CharField(label=_("Sekretessbestämmelse (OSL)"), required=False, max_length=200,
                                    help_text=_("T.ex. 26 kap. 1 § OSL."))
    handler = PersonField(User.objects.none(), label=_("Handläggare"), required=False, empty_label=_("– Ingen ännu –"),
                          help_text=_("Den som handlägger ärendet och får läsa innehållet."))
    legal_basis = forms.ChoiceField(label=_("Grund för borttagandet"))
    send_answer = forms.BooleanField(label=_("Svara personen hur ärendet fortsätter"), required=False, initial=True)
    answer_text = forms.CharField(label=_("Svar"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
                                  help_text=_("{diarienummer} fylls i när registreringen är gjord."))
    key = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, policy: Policy, is_message: bool, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("delete", _("Ta bort inlägget")), ("hide", _("Dölj inlägget"))]
        if is_message:
            choices = [("none", _("Lämna meddelandet (det syns inte för andra)"))]
        self.fields["removal"].choices = choices
        self.fields["removal"].initial = choices[0][0]
        self.fields["legal_basis"].choices = [(k, b["label"]) for k, b in policy.legal_bases.items()]
        self.fields["legal_basis"].initial = "kanslig_information"
        self.fields["handler"].queryset = (User.objects.filter(is_active=True, memberships__role=Role.HANDLAGGARE)
                                           .distinct().order_by("last_name", "first_name"))


class AssignForm(InsynForm):
    assignee = PersonField(User.objects.none(), label=_("Ansvarig"), empty_label=_("– Välj person –"))

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = people


class SupervisionForm(InsynForm):
    items_from = forms.DateTimeField(label=_("Genomgånget från"),
                                     widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    items_to = forms.DateTimeField(label=_("Genomgånget till"),
                                   widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    note = forms.CharField(label=_("Anteckning (valfritt)"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
