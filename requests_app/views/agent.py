"""Back-office pages (/agent/)."""

from django.views.generic import TemplateView

from requests_app.views.mixins import BackOfficeRequiredMixin


class QueueIndexView(BackOfficeRequiredMixin, TemplateView):
    template_name = "agent/queues/index.html"
