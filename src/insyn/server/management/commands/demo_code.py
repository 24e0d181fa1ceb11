from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from insyn.registry.demo import DEMO_TOTP_KEY


class Command(BaseCommand):
    help = "Print the current TOTP code of a demo user (only for the demo's fixed key)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        device = TOTPDevice.objects.filter(user__username=username, confirmed=True, key=DEMO_TOTP_KEY).first()
        if device is None:
            raise CommandError("Användaren har ingen demo-nyckel; koden finns bara i användarens app.")
        self.stdout.write(f"{totp(bytes.fromhex(device.key), step=device.step, digits=device.digits):0{device.digits}d}")
