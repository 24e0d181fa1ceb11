from django.urls import path

from . import views

app_name = "records"

urlpatterns = [
    path("", views.register_list, name="list"),
    path("export/<int:pk>.<str:fmt>", views.register_export, name="export"),
    path("registrera/", views.register_start, name="register_start"),
    path("registrera/<int:item_pk>/", views.register_item, name="register_item"),
    path("post/<int:item_pk>/", views.item_status, name="item_status"),
    path("<int:pk>/", views.registration_detail, name="detail"),
    path("<int:pk>/skyddat/", views.registration_protected, name="protected"),
    path("<int:pk>/avsluta/", views.registration_close, name="close"),
    path("<int:pk>/oppna/", views.registration_reopen, name="reopen"),
    path("<int:pk>/handlaggare/", views.registration_handler, name="handler"),
]
