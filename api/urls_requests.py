"""/api/v1/requests/…: the requests, their comments, attachments, transitions and mute."""

from django.urls import path

from api.views import requests as views

urlpatterns = [
    path("requests/", views.RequestListView.as_view(), name="requests"),
    path("requests/<str:key>/", views.RequestDetailView.as_view(), name="request"),
    path("requests/<str:key>/comments/", views.CommentListView.as_view(),
         name="request_comments"),
    path("requests/<str:key>/attachments/", views.AttachmentListView.as_view(),
         name="request_attachments"),
    path("requests/<str:key>/attachments/<str:token>/", views.AttachmentDownloadView.as_view(),
         name="request_attachment"),
    path("requests/<str:key>/transitions/", views.TransitionListView.as_view(),
         name="request_transitions"),
    path("requests/<str:key>/transitions/<slug:name>/", views.TransitionView.as_view(),
         name="request_transition"),
    path("requests/<str:key>/resolution/", views.ResolutionView.as_view(),
         name="request_resolution"),
    path("requests/<str:key>/mute/", views.MuteView.as_view(), name="request_mute"),
]
