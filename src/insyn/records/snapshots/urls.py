from django.urls import path

from . import views

app_name = "snapshots"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("konto/<int:account_pk>/", views.account_snapshots, name="account"),
    path("konto/<int:account_pk>/ta/", views.take_now, name="take"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/sammanfattning/", views.edit_summary, name="edit_summary"),
    path("<int:pk>/spara/", views.save, name="save"),
    path("<int:pk>/generera/", views.regenerate, name="regenerate"),
    path("<int:pk>/fil/<str:kind>/", views.download, name="download"),
]
