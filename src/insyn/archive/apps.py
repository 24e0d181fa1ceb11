from django.apps import AppConfig


class ArchiveConfig(AppConfig):
    name = "insyn.archive"
    verbose_name = "Arkiv"
