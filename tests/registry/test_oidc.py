"""OpenID Connect (Entra ID): users are matched by e-mail and get no roles from the provider."""

from __future__ import annotations

from django.test import override_settings

OIDC = {
    "OIDC_RP_CLIENT_ID": "insyn", "OIDC_RP_CLIENT_SECRET": "s", "OIDC_OP_AUTHORIZATION_ENDPOINT": "https://idp.example/a",
    "OIDC_OP_TOKEN_ENDPOINT": "https://idp.example/t", "OIDC_OP_USER_ENDPOINT": "https://idp.example/u",
    "OIDC_OP_JWKS_ENDPOINT": "https://idp.example/j", "OIDC_RP_SIGN_ALGO": "RS256",
}


@override_settings(**OIDC)
def test_claims_match_an_existing_user_by_email(world):
    from insyn.registry.oidc import InsynOIDCBackend

    backend = InsynOIDCBackend()
    assert list(backend.filter_users_by_claims({"email": "KOM_A@test.example"})) == [world.kom_a]
    assert not backend.filter_users_by_claims({"email": ""}).exists()
    assert not backend.filter_users_by_claims({"sub": "x"}).exists()


@override_settings(**OIDC)
def test_a_created_user_has_no_roles(world):
    from insyn.registry.oidc import InsynOIDCBackend

    user = InsynOIDCBackend().create_user({"email": "ny@test.example", "given_name": "Ny", "family_name": "Person"})
    assert user.email == "ny@test.example" and not user.memberships.exists() and not user.is_samordnare
