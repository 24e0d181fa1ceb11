from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "insyn.registry"
    verbose_name = "Förteckning"
