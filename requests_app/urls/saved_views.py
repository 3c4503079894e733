"""Saved views ("vues enregistrées"), in the ``agent:`` namespace (``urls/agent.py`` lists
them): each action posted under the queue the view shows, so that a refusal shows that queue
again."""

from django.urls import path, register_converter

from requests_app.views import saved_views


class SavedViewIdConverter:
    # ASCII digits within the database's integer, as every id of the portal.
    regex = r"[1-9][0-9]{0,8}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(SavedViewIdConverter, "saved_view_id")

urlpatterns = [
    path("queues/<slug:queue>/views/new/", saved_views.SavedViewCreateView.as_view(),
         name="saved_view_new"),
    path("queues/<slug:queue>/views/<saved_view_id:pk>/rename/",
         saved_views.SavedViewRenameView.as_view(), name="saved_view_rename"),
    path("queues/<slug:queue>/views/<saved_view_id:pk>/delete/",
         saved_views.SavedViewDeleteView.as_view(), name="saved_view_delete"),
]
