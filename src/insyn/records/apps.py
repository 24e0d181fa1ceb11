from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "insyn.records"
    verbose_name = "Diarium och gallring"
