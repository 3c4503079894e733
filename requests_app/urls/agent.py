"""Back-office pages, namespace ``agent:`` under /agent/ (sales administration included)."""

from django.urls import path

from requests_app.views import agent

app_name = "agent"

urlpatterns = [
    path("", agent.QueueIndexView.as_view(), name="home"),
]
