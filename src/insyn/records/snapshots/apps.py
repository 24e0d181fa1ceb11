from django.apps import AppConfig


class SnapshotsConfig(AppConfig):
    name = "insyn.records.snapshots"
    label = "snapshots"
    verbose_name = "Ögonblicksbilder"

    def ready(self):
        from insyn.registry.signals import account_status_changed

        from .schedule import on_account_status_changed

        account_status_changed.connect(on_account_status_changed, dispatch_uid="snapshots.closing")
