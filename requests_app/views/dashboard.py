"""The back office's dashboard (/agent/dashboard/): figures and charts from
``selectors.dashboard``, through the one access rule. Read-only."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views import View

from requests_app.selectors import dashboard
from requests_app.selectors.dashboard import AGE_BUCKETS, AT_RISK_QUEUE
from requests_app.views.agent import AgentPageMixin


class DashboardView(AgentPageMixin, View):
    template_name = "agent/dashboard/index.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        figures = dashboard.dashboard_for(request.user, at=timezone.now())
        context = {
            **self.agent_context(),
            "section": "dashboard",
            "dashboard": figures,
            "age_buckets": AGE_BUCKETS,
            "at_risk_queue": AT_RISK_QUEUE,
            "status_chart": dashboard.backlog_status_chart(figures.backlog),
            "age_chart": dashboard.backlog_age_chart(figures.backlog),
            "weeks_chart": dashboard.weeks_chart(figures.weeks),
            "slo_chart": dashboard.slo_chart(figures.slo),
            "my_load_chart": dashboard.my_load_chart(figures),
        }
        return render(request, self.template_name, context)
