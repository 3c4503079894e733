"""Customer pages, namespace ``portal:`` under /portal/."""

from django.urls import path

from requests_app.views import portal

app_name = "portal"

urlpatterns = [
    path("", portal.RequestListView.as_view(), name="home"),
]
