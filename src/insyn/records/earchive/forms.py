from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from insyn.registry.forms import InsynForm
from insyn.registry.models import Account

from .models import Delivery


class DeliveryForm(InsynForm):
    account = forms.ModelChoiceField(Account.objects.none(), label=_("Konto"), empty_label=_("– Välj konto –"))
    period_from = forms.DateField(label=_("Från och med (valfritt)"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}),
                                  help_text=_("Poster som kom in från och med detta datum."))
    period_to = forms.DateField(label=_("Till och med (valfritt)"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))
    format = forms.ChoiceField(label=_("Format"), choices=Delivery.Format.choices, initial=Delivery.Format.CSIP,
                               widget=forms.RadioSelect)

    def __init__(self, *args, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = accounts
        self.fields["account"].label_from_instance = lambda a: f"{a.name} ({a.get_platform_display()}) – {a.authority.name}"
