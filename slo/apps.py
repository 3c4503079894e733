from django.apps import AppConfig


class SloConfig(AppConfig):
    name = "slo"
    verbose_name = "SLO"

    def ready(self) -> None:
        from slo import signals  # noqa: F401 - connects the recompute on configuration changes
