"""Cross-cutting rules of every request: the signed-in person's language, no copy of their
pages in any cache, and no access left to the clients of a deactivated organisation."""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import translation
from django.utils.translation import gettext as _

from requests_app.models import Organisation
from requests_app.selectors.reference import reference_row


class UserLanguageMiddleware:
    """Speak the signed-in person's preferred language unless they picked one with the
    switch."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES
        ):
            profile = getattr(user, "profile", None)
            if profile is not None and profile.language:
                translation.activate(profile.language)
                request.LANGUAGE_CODE = profile.language
        return self.get_response(request)


PRIVATE_CACHE_CONTROL = "private, no-store"


class PrivateCacheControlMiddleware:
    """Every answer to a signed-in person (pages, fragments, exports, downloads) is
    ``Cache-Control: private, no-store``: a proxy must not serve it to someone else, nor a
    browser keep it on a shared computer after sign-out. A view that set its own
    Cache-Control keeps it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # Read after the view: the answer to a successful sign-in is private too.
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header(
            "Cache-Control"
        ):
            response["Cache-Control"] = PRIVATE_CACHE_CONTROL
        return response


def _organisation_inactive(user: Any) -> bool:
    """A client whose organisation has been deactivated (staff have none). The organisation
    from the process's reference copy, which a change renews everywhere within a second
    (``selectors.reference``): no query of its own on every page."""
    profile = getattr(user, "profile", None)
    if profile is None or profile.organisation_id is None:
        return False
    return not reference_row(Organisation, profile.organisation_id).is_active


class InactiveOrganisationMiddleware:
    """A deactivated organisation stops its clients at once: an open session is ended on its
    next request, and a sign-in is undone before its answer leaves, each time with a message on
    the login page. (A deactivated person is refused by Django itself: its authentication
    backend no longer loads them from their session.)"""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        signed_in_before = user is not None and user.is_authenticated
        if signed_in_before and _organisation_inactive(user):
            return self._refuse(request)
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (not signed_in_before and user is not None and user.is_authenticated
                and _organisation_inactive(user)):
            return self._refuse(request)
        return response

    @staticmethod
    def _refuse(request: HttpRequest) -> HttpResponse:
        logout(request)
        messages.error(request, _(
            "Votre organisation n'a plus accès au portail. Pour toute question, contactez "
            "le Customer Service."
        ))
        return redirect(settings.LOGIN_URL)
