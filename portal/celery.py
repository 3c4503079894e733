"""The Celery app and the single beat schedule of the portal."""

import os

from celery import Celery
from celery.schedules import crontab

from portal.request_id import celery_signals_connect

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.base")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# The request id of the request that publishes a task goes with it (portal/request_id.py).
celery_signals_connect()

app.conf.beat_schedule = {
    # Every minute: record SLO warnings and breaches that came due, each once.
    "slo-sweep": {"task": "slo.tasks.sweep_clocks_task", "schedule": crontab()},
    # Every minute: the SLO report's roll-ups of the months whose verdicts changed (the report
    # refreshes its own period too; this keeps that work off the page). Dropped when late.
    "slo-rollups": {"task": "slo.tasks.refresh_rollups_task", "schedule": crontab(),
                    "options": {"expires": 55}},
    # Every minute: the dashboard's backlog and weekly figures counted again, so that no
    # reader waits for counts over the backlog. Dropped when late.
    "dashboard-figures": {"task": "requests_app.tasks.refresh_dashboard_figures_task",
                          "schedule": crontab(), "options": {"expires": 55}},
    # Nightly at 02:30: the last 25 months recomputed, repairing what no change announced.
    "slo-rollups-repair": {"task": "slo.tasks.repair_rollups_task",
                           "schedule": crontab(hour=2, minute=30)},
    # Every minute: re-send outbox rows whose first send did not happen (broker down, crash,
    # mail server refusing). A sweep not run within the minute is dropped, so that a worker
    # coming back after a long stop runs one sweep, not one per minute missed. Each run leaves
    # its time in the database for /healthz; a worker also sweeps once when it starts
    # (requests_app/tasks.py), so recovery does not wait for beat.
    "outbox-sweep": {"task": "requests_app.tasks.sweep_outbox_task", "schedule": crontab(),
                     "options": {"expires": 55}},
    # Every minute: re-post webhook deliveries whose first post did not happen or failed
    # (broker down at commit, a worker that died mid-send, a receiver down), once due.
    # Dropped when late, as the outbox's.
    "webhook-sweep": {"task": "webhooks.tasks.sweep_webhook_deliveries_task",
                      "schedule": crontab(), "options": {"expires": 55}},
    # Hourly at :17: the files kept for forms sent back with an error and never sent again,
    # once older than PENDING_UPLOAD_MAX_AGE_HOURS.
    "pending-uploads-purge": {"task": "requests_app.tasks.purge_pending_uploads_task",
                              "schedule": crontab(minute=17), "options": {"expires": 3000}},
    # Every five minutes, each switched on or off in the admin ("Automatisations"), each
    # doing nothing the second time (requests_app/services/automation.py): the reminder of
    # customers whose answer is awaited, "Clore sans réponse" past the reply deadline (off
    # by default), and the Daily's morning digest, which itself waits for a business day and
    # the configured time. A run not started within four minutes is dropped: the next does it.
    "customer-reminders": {"task": "requests_app.tasks.remind_customers_task",
                           "schedule": crontab(minute="*/5"), "options": {"expires": 240}},
    "close-unanswered": {"task": "requests_app.tasks.close_unanswered_requests_task",
                         "schedule": crontab(minute="*/5"), "options": {"expires": 240}},
    "daily-digest": {"task": "requests_app.tasks.send_daily_digest_task",
                     "schedule": crontab(minute="*/5"), "options": {"expires": 240}},
}
