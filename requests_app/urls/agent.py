"""Back-office pages, namespace ``agent:`` under /agent/ (sales administration included).
Every action is a POST to its own URL; transitions are posted by name and checked against
the services' whitelist."""

from django.urls import path, register_converter

from requests_app.urls import canned_replies, saved_views
from requests_app.views import agent, dashboard, live, mentions, sales


class RequestKeyConverter:
    regex = r"SPT-[0-9]{1,9}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(RequestKeyConverter, "agent_request_key")

app_name = "agent"

urlpatterns = [
    path("", agent.QueueIndexView.as_view(), name="home"),
    path("dashboard/", dashboard.DashboardView.as_view(), name="dashboard"),
    path("queues/nav/", agent.QueueNavView.as_view(), name="queue_nav"),
    path("queues/<slug:queue>/", agent.QueueView.as_view(), name="queue"),
    path("queues/<slug:queue>/bulk/", agent.QueueBulkView.as_view(), name="bulk"),
    path("queues/<slug:queue>/bulk/fields/", agent.QueueBulkFieldsView.as_view(),
         name="bulk_fields"),
    path("requests/<agent_request_key:key>/", agent.RequestDetailView.as_view(), name="request"),
    path("requests/<agent_request_key:key>/transition/<slug:name>/", agent.TransitionView.as_view(),
         name="transition"),
    path("requests/<agent_request_key:key>/comment/", agent.CommentView.as_view(), name="comment"),
    path("requests/<agent_request_key:key>/details/", agent.DetailsView.as_view(), name="details"),
    path("requests/<agent_request_key:key>/assign/", agent.AssignView.as_view(), name="assign"),
    path("requests/<agent_request_key:key>/mute/", agent.MuteView.as_view(), name="mute"),
    path("requests/<agent_request_key:key>/mentions/", mentions.MentionSuggestionsView.as_view(),
         name="mention_suggestions"),
    path("requests/<agent_request_key:key>/mentions/read/", mentions.MentionsReadView.as_view(),
         name="mentions_read"),
    path("requests/<agent_request_key:key>/forms/<slug:slot>/", agent.FormSlotView.as_view(),
         name="form"),
    path("requests/<agent_request_key:key>/changes/", live.RequestChangesView.as_view(),
         name="request_changes"),
    path("licences/new/", sales.LicenceCreateView.as_view(), name="licence_new"),
    *canned_replies.urlpatterns,
    *saved_views.urlpatterns,
]
