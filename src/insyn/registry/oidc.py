"""OpenID Connect login (Entra ID and others): users are matched by e-mail, never given roles.

Roles stay in Insyn, recorded in the event chain; the identity provider only proves who
someone is. A new user is created only when INSYN_OIDC_CREATE_USER is set, without roles.
"""

from __future__ import annotations

from mozilla_django_oidc.auth import OIDCAuthenticationBackend


class InsynOIDCBackend(OIDCAuthenticationBackend):
    def filter_users_by_claims(self, claims):
        email = (claims.get("email") or claims.get("upn") or "").strip()
        if not email:
            return self.UserModel.objects.none()
        return self.UserModel.objects.filter(email__iexact=email, is_active=True)

    def create_user(self, claims):
        email = claims.get("email") or claims.get("upn")
        user = self.UserModel.objects.create_user(
            username=email, email=email,
            first_name=claims.get("given_name", ""), last_name=claims.get("family_name", ""),
        )
        return user
