from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RequestsAppConfig(AppConfig):
    name = "requests_app"
    verbose_name = _("Demandes SPT")

    def ready(self) -> None:
        from requests_app.selectors.directory import directory_signals_connect
        from requests_app.selectors.reference import reference_signals_connect

        reference_signals_connect()
        directory_signals_connect()
