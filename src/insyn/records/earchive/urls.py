from django.urls import path

from . import views

app_name = "earchive"

urlpatterns = [
    path("", views.delivery_list, name="list"),
    path("ny/", views.delivery_create, name="create"),
    path("<int:pk>/", views.delivery_detail, name="detail"),
    path("<int:pk>/hamta/", views.delivery_download, name="download"),
]
