from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "insyn.records"
    verbose_name = "Diarium och gallring"

    def ready(self):
        from insyn.archive import apply

        from .gallring import disposed_among

        apply.CONTENT_FROZEN.append(disposed_among)
