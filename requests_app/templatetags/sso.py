"""``{% sso_sign_in next %}``: the login page's single sign-on link, nothing when it is off."""

from __future__ import annotations

from typing import Any

from django import template

from requests_app.sso import sign_in_button

register = template.Library()


@register.inclusion_tag("registration/sso_sign_in.html")
def sso_sign_in(next_url: str = "") -> dict[str, Any]:
    return {"sso": sign_in_button(next_url or "")}
