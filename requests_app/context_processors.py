"""What every template may ask about the person looking at it."""

from django.http import HttpRequest

from requests_app import permissions


def portal(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"is_back_office": False, "is_agent": False, "is_sales_admin": False}
    return {
        "is_back_office": permissions.is_back_office(user),
        "is_agent": permissions.is_agent(user),
        "is_sales_admin": permissions.is_sales_admin(user),
    }
