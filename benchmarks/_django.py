"""Set up Django on a throw-away data directory for a benchmark (SQLite unless
INSYN_DATABASE_URL says otherwise)."""

from __future__ import annotations

import os
import tempfile


def setup(prefix: str = "insyn-bench-") -> str:
    data_dir = tempfile.mkdtemp(prefix=prefix)
    os.environ["INSYN_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "insyn.settings")
    os.environ.setdefault("INSYN_EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    return data_dir


def make_account(platform: str = "facebook_page", external_id: str = "900100200300", handle: str = "benchkommun"):
    from django.core.management import call_command

    call_command("account", "add", "--platform", platform, "--external-id", external_id, "--handle", handle,
                 "--token", "bench-token", "--organisation", "Benchby kommun", stdout=open(os.devnull, "w"))
    from insyn.registry.models import Account

    return Account.objects.get(handle=handle)
