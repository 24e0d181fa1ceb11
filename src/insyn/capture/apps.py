from django.apps import AppConfig


class CaptureConfig(AppConfig):
    name = "insyn.capture"
    verbose_name = "Insamling"
