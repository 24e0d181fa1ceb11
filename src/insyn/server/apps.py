from django.apps import AppConfig


class ServerConfig(AppConfig):
    name = "insyn.server"
    verbose_name = "Drift"
