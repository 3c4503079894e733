"""The dashboard's stored figures: beat counts the backlog and the weeks' flow over every
request once a minute, so that no reader waits for counts that grow with the backlog."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from requests_app.models import DashboardFigures
from requests_app.selectors.dashboard import team_figures


def dashboard_figures_refresh(*, at: datetime | None = None) -> DashboardFigures:
    """Count again and store (one row, written only here, by beat's one job a minute)."""
    at = at or timezone.now()
    backlog, weeks = team_figures(at=at)
    figures, _created = DashboardFigures.objects.update_or_create(pk=1, defaults={
        "computed_at": at,
        "backlog": backlog.counts,
        "weeks": [[week.start.isoformat(), week.created, week.closed] for week in weeks],
    })
    return figures
