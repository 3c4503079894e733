"""The event kinds an endpoint may subscribe to, as the request app names them: asked of the
provider named in settings (``WEBHOOK_EVENT_KINDS_PROVIDER``), so that webhooks never imports
the request app."""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

# Subscribes to every kind, including those added later.
ALL_KINDS = "*"
ALL_KINDS_LABEL = _("Tous les événements (y compris ceux ajoutés plus tard)")


def event_kind_choices() -> list[tuple[str, str]]:
    """(value, label) of each kind that may leave by webhook."""
    return list(import_string(settings.WEBHOOK_EVENT_KINDS_PROVIDER)())


def event_kind_values() -> set[str]:
    return {value for value, _label in event_kind_choices()}
