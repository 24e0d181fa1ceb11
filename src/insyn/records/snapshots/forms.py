from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from django import forms
from django.utils.translation import gettext_lazy as _

from insyn.registry.forms import InsynForm

STOCKHOLM = ZoneInfo("Europe/Stockholm")


class StartForm(InsynForm):
    period_start = forms.DateField(label=_("Från och med (valfritt)"), required=False,
                                   widget=forms.DateInput(attrs={"type": "date"}),
                                   help_text=_("Tomt: från slutet av den senast sparade ögonblicksbilden."))
    period_end = forms.DateField(label=_("Till och med (valfritt)"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}),
                                 help_text=_("Tomt: till just nu."))

    def period(self) -> tuple[datetime | None, datetime | None]:
        start, end = self.cleaned_data.get("period_start"), self.cleaned_data.get("period_end")
        return (datetime.combine(start, time.min, tzinfo=STOCKHOLM) if start else None,
                datetime.combine(end, time.max, tzinfo=STOCKHOLM) if end else None)


class SummaryForm(InsynForm):
    summary_text = forms.CharField(label=_("Sammanfattning"), widget=forms.Textarea(attrs={"rows": 14}),
                                   help_text=_("Genererad från periodens siffror. Ändra och komplettera innan du sparar."))
