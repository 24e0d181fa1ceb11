"""The register in exported form: the public list (R2) and the per-authority list of
external sites for the dokumenthanteringsplan (R5)."""

from __future__ import annotations

import io

from django.utils import timezone
from django.utils.text import slugify
from openpyxl import Workbook
from openpyxl.styles import Font

from insyn.lib.policy import Policy
from insyn.lib.tabular import csv_bytes, neutralise

from .models import Account, Authority

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

EXPORT_COLUMNS = [
    ("Myndighet", lambda a: a.authority.name),
    ("Enhet", lambda a: a.unit.name),
    ("Plattform", lambda a: a.get_platform_display()),
    ("Namn", lambda a: a.name),
    ("Användarnamn", lambda a: a.handle),
    ("Adress", lambda a: a.url),
    ("Status", lambda a: a.get_status_display()),
    ("Syfte", lambda a: a.purpose),
    ("Målgrupp", lambda a: a.target_group),
    ("Ansvarig", lambda a: str(a.responsible)),
    ("Ansvarigs e-post", lambda a: a.responsible.email),
    ("Administratörer", lambda a: ", ".join(str(u) for u in a.administrators.all())),
    ("Svarstidsregel", lambda a: a.response_rule),
    ("Anmält", lambda a: timezone.localtime(a.created_at).date().isoformat()),
]


def public_row(account: Account, policy: Policy) -> dict:
    return {
        "name": account.name,
        "platform": account.platform,
        "platform_name": account.get_platform_display(),
        "url": account.url,
        "handle": account.handle,
        "authority": account.authority.name,
        "unit": account.unit.name,
        "response_time": policy.rule_description(account.response_rule),
    }


def accounts_csv(accounts) -> bytes:
    return csv_bytes([c for c, _ in EXPORT_COLUMNS], ([f(a) for _, f in EXPORT_COLUMNS] for a in accounts))


def accounts_xlsx(accounts, authority: Authority) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Externa webbplatser"
    ws.append([f"Externa webbplatser där {authority.name} är aktiv (dokumenthanteringsplan)"])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([f"Uttag {timezone.localdate().isoformat()} ur Insyn"])
    ws.append([])
    ws.append([c for c, _ in EXPORT_COLUMNS])
    for cell in ws[4]:
        cell.font = Font(bold=True)
    for account in accounts:
        ws.append([neutralise(f(account)) for _, f in EXPORT_COLUMNS])
    for column, width in zip("ABCDEFGHIJKLMN", (24, 24, 14, 28, 22, 40, 12, 40, 30, 22, 28, 36, 22, 12), strict=True):
        ws.column_dimensions[column].width = width
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def export_filename(authority: Authority, fmt: str) -> str:
    return f"externa-webbplatser-{slugify(authority.diarium_prefix or authority.name)}-{timezone.localdate().isoformat()}.{fmt}"
