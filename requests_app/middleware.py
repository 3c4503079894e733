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
from requests_app.preferences import language_of
from requests_app.selectors.reference import reference_row


def _profile_language(user: Any) -> str:
    if user is None or not user.is_authenticated:
        return ""
    return language_of(user, fallback="")


def language_cookie_set(response: HttpResponse, language: str) -> None:
    """The language cookie, as Django's own switch sets it: the sign-in page and the pages of
    a visitor speak the language the person last chose."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, language, max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH, domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE, httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


class UserLanguageMiddleware:
    """A signed-in person's language is their profile's (the switch saves it there): it wins
    over the cookie and the browser's, from the first page after the sign-in on. The cookie
    follows the profile, so that the sign-in page speaks it after a sign-out too. Visitors
    keep Django's choice (cookie, then the browser's languages)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = _profile_language(getattr(request, "user", None))
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        response = self.get_response(request)
        # Read again after the view: a sign-in or a saved profile changes it.
        language = _profile_language(getattr(request, "user", None))
        if language and request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != language \
                and not response.cookies.get(settings.LANGUAGE_COOKIE_NAME):
            language_cookie_set(response, language)
        return response


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
