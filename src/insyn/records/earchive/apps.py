from django.apps import AppConfig


class EarchiveConfig(AppConfig):
    name = "insyn.records.earchive"
    label = "earchive"
    verbose_name = "E-arkivleveranser"
