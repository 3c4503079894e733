"""Use cases about a person's account rather than a request: the password reset.

The reset e-mail goes through the outbox like every other: a row written here, in the request,
sent by the worker after commit and retried while the mail server is down. The request does the
same work whether the address has an account or not (the people looked up, a token made and the
e-mail rendered, in a transaction), so that neither its answer nor, much, its time tells which;
the view adds a floor to the time (``settings.PASSWORD_RESET_MIN_SECONDS``).
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from requests_app import outbox
from requests_app.models import NotificationKind, OutboundMessage
from requests_app.notifications import render_email
from requests_app.preferences import language_of

if TYPE_CHECKING:
    from django.contrib.auth.models import User
else:
    User = get_user_model()


def email_address_normalise(address: str) -> str:
    """One spelling per address, for comparing and counting: compatibility forms folded
    (NFKC: full-width letters), outer spaces dropped, case folded."""
    return unicodedata.normalize("NFKC", address).strip().casefold()


def _accounts_for(address: str) -> list[User]:
    """The people a reset of ``address`` reaches: active, with a password of their own, not
    clients of a deactivated organisation (as Django's reset form, plus the organisation)."""
    wanted = email_address_normalise(address)
    people = (
        User.objects.filter(email__iexact=address.strip(), is_active=True)
        .filter(Q(profile__isnull=True) | Q(profile__organisation__isnull=True)
                | Q(profile__organisation__is_active=True))
        .select_related("profile")
        .order_by("pk")
    )
    return [person for person in people
            if person.has_usable_password() and email_address_normalise(person.email) == wanted]


def _reset_email(person: User, *, base_url: str, language: str) -> tuple[str, str, str]:
    """Subject, text and HTML of the reset e-mail for ``person``, with a link of Django's
    token generator (valid once, for ``settings.PASSWORD_RESET_TIMEOUT``)."""
    path = reverse("password_reset_confirm", kwargs={
        "uidb64": urlsafe_base64_encode(force_bytes(person.pk)),
        "token": default_token_generator.make_token(person),
    })
    context = {"username": person.get_username(), "url": f"{base_url.rstrip('/')}{path}"}
    return render_email(NotificationKind.PASSWORD_RESET, context, language)


def account_password_reset_request(*, address: str, base_url: str, language: str
                                   ) -> list[OutboundMessage]:
    """Queue a password reset e-mail to every account of ``address`` (usually one; none for an
    unknown address, a deactivated person or organisation). ``base_url`` is the site the
    person asked from (scheme and host, checked against ``ALLOWED_HOSTS``); ``language`` the
    one of the page, for an account without a language of its own.

    Returns the rows written; the e-mails leave after commit, from the worker."""
    people = _accounts_for(address)
    now = timezone.now()
    with transaction.atomic():
        if not people:
            # The same rendering as for an account, thrown away: the answer takes as long.
            _reset_email(User(email=address), base_url=base_url, language=language)
            return []
        messages = []
        for person in people:
            person_language = language_of(person, fallback=language)
            subject, text, html = _reset_email(person, base_url=base_url,
                                               language=person_language)
            messages.append(OutboundMessage(
                request=None, event=None, recipient=person, to_address=person.email,
                language=person_language, kind=NotificationKind.PASSWORD_RESET,
                subject=subject[:400], body_text=text, body_html=html,
                created_at=now, next_attempt_at=now,
            ))
        created = OutboundMessage.objects.bulk_create(messages)
        outbox.publish_on_commit([message.pk for message in created])
    return created
