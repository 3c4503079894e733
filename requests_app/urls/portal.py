"""Customer pages, namespace ``portal:`` under /portal/. Actions are POST-only, one URL each."""

from django.urls import path

from requests_app.views import portal

app_name = "portal"

urlpatterns = [
    path("", portal.RequestListView.as_view(), name="home"),
    path("requests/new/", portal.RequestCreateChooseView.as_view(), name="request_new"),
    path("requests/new/<slug:type_code>/", portal.RequestCreateView.as_view(),
         name="request_create"),
    path("requests/<str:key>/", portal.RequestDetailView.as_view(), name="request"),
    path("requests/<str:key>/comment/", portal.CommentAddView.as_view(),
         name="request_comment"),
    path("requests/<str:key>/confirm/", portal.ResolutionConfirmView.as_view(),
         name="request_confirm"),
    path("requests/<str:key>/deny/", portal.ResolutionDenyView.as_view(),
         name="request_deny"),
    path("requests/<str:key>/satisfaction/", portal.SatisfactionRateView.as_view(),
         name="request_satisfaction"),
    path("requests/<str:key>/mute/", portal.MuteView.as_view(), name="request_mute"),
    path("requests/<str:key>/unmute/", portal.UnmuteView.as_view(), name="request_unmute"),
    path("requests/<str:key>/participants/add/", portal.ParticipantAddView.as_view(),
         name="request_participant_add"),
    path("requests/<str:key>/participants/remove/", portal.ParticipantRemoveView.as_view(),
         name="request_participant_remove"),
    path("requests/<str:key>/withdraw/", portal.WithdrawView.as_view(),
         name="request_withdraw"),
]
