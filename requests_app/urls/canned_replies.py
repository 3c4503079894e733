"""Canned replies ("réponses types"), in the ``agent:`` namespace (``urls/agent.py`` lists
them): the management pages under /agent/canned-replies/, and each request's insert control
under its own URL, so that the request's access rule answers first."""

from django.urls import path, register_converter

from requests_app.views import canned_replies


class ReplyIdConverter:
    # ASCII digits within the database's integer, as every id of the portal.
    regex = r"[1-9][0-9]{0,8}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(ReplyIdConverter, "canned_reply_id")

urlpatterns = [
    path("canned-replies/", canned_replies.CannedReplyListView.as_view(),
         name="canned_replies"),
    path("canned-replies/new/", canned_replies.CannedReplyCreateView.as_view(),
         name="canned_reply_new"),
    path("canned-replies/<canned_reply_id:reply_id>/edit/",
         canned_replies.CannedReplyEditView.as_view(), name="canned_reply_edit"),
    path("canned-replies/<canned_reply_id:reply_id>/delete/",
         canned_replies.CannedReplyDeleteView.as_view(), name="canned_reply_delete"),
    path("requests/<str:key>/canned-replies/",
         canned_replies.CannedReplyPickView.as_view(), name="canned_reply_pick"),
    path("requests/<str:key>/canned-replies/<canned_reply_id:reply_id>/",
         canned_replies.CannedReplyFillView.as_view(), name="canned_reply_fill"),
]
