from django.urls import path

from . import views

app_name = "utlamnande"

urlpatterns = [
    path("", views.request_list, name="list"),
    path("ny/", views.request_create, name="create"),
    path("<int:pk>/", views.request_detail, name="detail"),
    path("<int:pk>/sok/", views.request_find, name="find"),
    path("<int:pk>/post/<int:ri_pk>/", views.item_review, name="review"),
    path("<int:pk>/post/<int:ri_pk>/ta-bort/", views.item_remove, name="remove"),
    path("<int:pk>/handlaggare/", views.request_handler, name="handler"),
    path("<int:pk>/besluta/", views.request_decide, name="decide"),
    path("<int:pk>/expediera/", views.request_expedite, name="expedite"),
    path("<int:pk>/avsluta/", views.request_close, name="close"),
    path("<int:pk>/utlamnat/<int:delivery_pk>/<str:name>", views.delivery_file, name="file"),
]
