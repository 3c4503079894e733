"""What every template may ask about the person looking at it."""

from django.http import HttpRequest

from requests_app import permissions


def portal(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"is_back_office": False, "is_agent": False, "is_sales_admin": False,
                "area_base": "base.html"}
    back_office = permissions.is_back_office(user)
    return {
        "is_back_office": back_office,
        "is_agent": permissions.is_agent(user),
        "is_sales_admin": permissions.is_sales_admin(user),
        # The layout of the person's area, with its navigation: what pages shared by every
        # area (the error pages) extend.
        "area_base": "agent/base.html" if back_office else "portal/base.html",
    }
