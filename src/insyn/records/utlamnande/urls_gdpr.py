from django.urls import path

from . import views

app_name = "gdpr"

urlpatterns = [
    path("", views.gdpr_overview, name="overview"),
    path("registerforteckning/<int:pk>/", views.processing_record, name="record"),
    path("registerforteckning/<int:pk>.pdf", views.processing_record, {"fmt": "pdf"}, name="record_pdf"),
    path("registerutdrag/", views.subject_export, name="subject_export"),
    path("loggsok/", views.log_search, name="log_search"),
]
