from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InboxConfig(AppConfig):
    name = "insyn.inbox"
    label = "inbox"
    verbose_name = _("Inkorg")

    def ready(self):
        from insyn.registry.signals import crisis_mode_changed

        from .sweeps import redeadline_open_cases

        crisis_mode_changed.connect(redeadline_open_cases, dispatch_uid="inbox-crisis-deadlines")
