from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    """Webhooks: the events of requests posted to the endpoints an administrator registered."""

    name = "webhooks"
    verbose_name = "Webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from webhooks.models import WebhookEndpoint
        from webhooks.selectors import ENDPOINTS

        # The process copy of the active endpoints is a cache: forgotten at every change.
        for signal, name in ((post_save, "saved"), (post_delete, "deleted")):
            signal.connect(ENDPOINTS.changed, sender=WebhookEndpoint,
                           dispatch_uid=f"webhook_endpoint_{name}")
