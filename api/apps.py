from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The REST API: another interface onto the request app's services and access rule."""

    name = "api"
    verbose_name = "API"
    default_auto_field = "django.db.models.BigAutoField"
