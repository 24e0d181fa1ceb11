"""``{% connect_form account connection %}``: the form that connects an account for capture,
asking for what its platform needs (the register's account page shows it)."""

from __future__ import annotations

from django import template

from insyn.capture.imports import IMPORT_KINDS, reader_class
from insyn.capture.platforms import PLATFORMS
from insyn.capture.views import OPTIONAL_EXTERNAL_ID, connect_fields

register = template.Library()


@register.inclusion_tag("capture/_connect_form.html", takes_context=True)
def connect_form(context, account, connection=None):
    # A platform Insyn cannot poll may still be read from the export file its owner downloads.
    imports = [kind for kind in IMPORT_KINDS if account.platform in reader_class(kind).platforms]
    return {"account": account, "connection": connection, "fields": connect_fields(account.platform),
            "can_connect": account.platform in PLATFORMS, "imports": imports,
            "external_id_required": account.platform not in OPTIONAL_EXTERNAL_ID,
            "csrf_token": context.get("csrf_token"), "request": context.get("request")}
