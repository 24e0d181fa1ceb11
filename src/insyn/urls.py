from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.urls import include, path

from insyn.archive import views as archive_views
from insyn.capture import views as capture_views
from insyn.capture.imports import views as import_views
from insyn.registry import views, views_auth

admin.site.site_header = "Insyn – administration"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", lambda request: HttpResponse("ok", content_type="text/plain"), name="healthz"),
    path("konto/logga-in/", auth_views.LoginView.as_view(), name="login"),
    path("konto/logga-ut/", auth_views.LogoutView.as_view(), name="logout"),
    path("konto/tvafaktor/", views_auth.two_factor, name="two_factor"),
    path("riktlinjer/", views.policy_view, name="policy"),
    path("krislage/", views.crisis_mode_view, name="crisis_mode"),
    path("register/", views.account_list, name="account_list"),
    path("register/ny/", views.account_create, name="account_create"),
    path("register/<int:pk>/", views.account_detail, name="account_detail"),
    path("register/<int:pk>/andra/", views.account_edit, name="account_edit"),
    path("register/<int:pk>/beslut/", views.account_decide, name="account_decide"),
    path("register/<int:pk>/avsandare/", views.account_sender_check, name="account_sender_check"),
    path("register/<int:pk>/informationstext/", views.account_info_published, name="account_info_published"),
    path("register/<int:pk>/avsked/", views.account_farewell, name="account_farewell"),
    path("register/<int:pk>/anslut/", capture_views.connect_view, name="account_connect"),
    path("register/<int:pk>/hamta/", capture_views.poll_now_view, name="account_poll_now"),
    path("register/export/<int:pk>.<str:fmt>", views.authority_export, name="authority_export"),
    path("handelselogg/", views.eventlog_view, name="eventlog"),
    path("inkorg/", include("insyn.inbox.urls")),
    path("arkiv/", archive_views.search_view, name="archive_search"),
    path("arkiv/<int:pk>/", archive_views.item_view, name="archive_item"),
    path("arkiv/radata/<int:pk>/", archive_views.raw_view, name="archive_raw"),
    path("arkiv/karantan/", archive_views.quarantine_view, name="archive_quarantine"),
    path("arkiv/importer/", import_views.import_list_view, name="import_list"),
    path("webhooks/facebook", capture_views.facebook_webhook, name="facebook_webhook"),
    path("webhooks/instagram", capture_views.facebook_webhook, name="instagram_webhook"),
    path("konton/", views.public_accounts, name="public_accounts"),
    path("konton.json", views.public_accounts, name="public_accounts_json"),
    path("diarium/", include("insyn.records.urls")),
    path("gallring/", include("insyn.records.urls_gallring")),
    path("e-arkiv/", include("insyn.records.earchive.urls")),
    path("utlamnande/", include("insyn.records.utlamnande.urls")),
    path("gdpr/", include("insyn.records.utlamnande.urls_gdpr")),
    path("ogonblicksbilder/", include("insyn.records.snapshots.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

if settings.OIDC_RP_CLIENT_ID:
    urlpatterns.append(path("oidc/", include("mozilla_django_oidc.urls")))
