"""Reply texts from the policy's templates (R15, R28, R26): placeholders filled from a case.

A placeholder without a value stays visible as ``{name}`` (lib/policy.py), and an answer that
still holds one is refused, so nothing is published with a hole in it.
"""

from __future__ import annotations

import re

from insyn.lib.policy import Policy, render_template

from .models import Case

PLACEHOLDER = re.compile(r"\{[^{}\s]{1,40}\}")


def first_name(author_name: str) -> str:
    name = (author_name or "").strip().lstrip("@")
    return name.split()[0] if name else "där"  # "Hej där!" when we don't know the name


def values(case: Case, policy: Policy, *, authority: str = "", diarienummer: str = "", legal_basis: str = "") -> dict[str, str]:
    account = case.account
    out = {
        "namn": first_name(case.item.author_name),
        "enhet": (case.forwarded_to_unit or account.unit).name,
        "myndighet": account.authority.name,
        "kontakt": account.organisation.website or account.organisation.kansli_email,
    }
    if case.assignee_id:
        out["handläggare"] = str(case.assignee)
    right = authority or case.wrong_authority
    if right:
        out["rätt_myndighet"] = right
        contact = policy.authorities.get(right, {}).get("contact")
        if contact:
            out["rätt_myndighet_kontakt"] = contact
    if diarienummer:
        out["diarienummer"] = diarienummer
    if legal_basis and legal_basis in policy.legal_bases:
        out["grund"] = policy.legal_bases[legal_basis]["label"].lower()
    return out


def render(policy: Policy, key: str, case: Case, **kwargs: str) -> str:
    template = policy.templates.get(key)
    if template is None:
        return ""
    return render_template(template.text, values(case, policy, **kwargs))


def unfilled(text: str, *, allow: tuple[str, ...] = ()) -> list[str]:
    """Placeholders still in the text (``allow`` lists ones filled in later, such as the
    diarienummer that exists only once the registration is made)."""
    return [m for m in PLACEHOLDER.findall(text) if m[1:-1] not in allow]
