"""Customer pages (/portal/). Views parse input, call one service or selector, render."""

from django.views.generic import ListView

from requests_app import selectors
from requests_app.views.mixins import ClientRequiredMixin


class RequestListView(ClientRequiredMixin, ListView):
    """Mes demandes."""

    template_name = "portal/requests/list.html"
    context_object_name = "requests"
    paginate_by = 25

    def get_queryset(self):
        return selectors.request_list_visible_to(self.request.user).select_related(
            "request_type", "priority"
        )
