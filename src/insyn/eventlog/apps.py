from django.apps import AppConfig


class EventlogConfig(AppConfig):
    name = "insyn.eventlog"
    verbose_name = "Händelselogg"
