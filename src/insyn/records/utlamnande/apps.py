from django.apps import AppConfig


class UtlamnandeConfig(AppConfig):
    name = "insyn.records.utlamnande"
    label = "utlamnande"
    verbose_name = "Utlämnande av allmänna handlingar"
