from django.urls import path

from . import views

urlpatterns = [
    path("", views.inbox_view, name="inbox"),
    path("massatgard/", views.bulk_view, name="inbox_bulk"),
    path("routning/", views.routes_view, name="inbox_routes"),
    path("tillsyn/", views.supervision_list_view, name="inbox_supervision"),
    path("tillsyn/<int:pk>/", views.supervise_view, name="inbox_supervise"),
    path("<int:pk>/", views.case_view, name="inbox_case"),
    path("<int:pk>/svara/", views.answer_view, name="inbox_answer"),
    path("<int:pk>/moderera/", views.moderate_view, name="inbox_moderate"),
    path("<int:pk>/vidarebefordra/", views.forward_view, name="inbox_forward"),
    path("<int:pk>/utkast/", views.draft_view, name="inbox_draft"),
    path("<int:pk>/diarium/", views.diarium_view, name="inbox_diarium"),
    path("<int:pk>/ingen-atgard/", views.no_action_view, name="inbox_no_action"),
    path("<int:pk>/tilldela/", views.assign_view, name="inbox_assign"),
    path("<int:pk>/forsok-igen/<int:action_pk>/", views.retry_view, name="inbox_retry"),
]
