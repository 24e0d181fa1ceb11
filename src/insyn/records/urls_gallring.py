from django.urls import path

from . import views

app_name = "gallring"

urlpatterns = [
    path("", views.gallring_overview, name="overview"),
    path("beslut/ny/", views.decision_create, name="decision_create"),
    path("beslut/<int:pk>/upphav/", views.decision_revoke, name="decision_revoke"),
    path("forhandsgranska/", views.gallring_preview, name="preview"),
    path("kor/", views.gallring_start, name="start"),
    path("korning/<int:pk>/", views.gallring_run, name="run"),
    path("logg/", views.disposal_log, name="log"),
    path("sparr/ny/", views.hold_create, name="hold_create"),
    path("sparr/<int:pk>/hav/", views.hold_release, name="hold_release"),
]
