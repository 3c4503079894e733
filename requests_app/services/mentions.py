"""@-mentions of internal notes (``requests_app.mentions``): who a note names, each told once
(a ``Mention`` row for "Mes mentions", and an e-mail), and the read receipt.

Only an internal note mentions anybody. A public comment is read by the client, in the portal
and in their e-mails: an ``@name`` there stays plain text and tells nobody, so that a
colleague is never called in where a customer watches. Nobody is told of their own mention,
nor of a note they cannot read (sales administration reads the internal notes of the requests
it created only): those mentions are shown by name and reach nobody.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.translation import gettext as _

from requests_app import notifications, permissions
from requests_app.exceptions import InvalidInput
from requests_app.markdown import mention_handles, render_markdown
from requests_app.models import Comment, Mention, Request, RequestEvent
from requests_app.people import person_name
from requests_app.selectors.access import request_is_visible_to
from requests_app.selectors.mentions import mention_people

# More colleagues than this in one note is a message to a team, which is what the queues
# and roles are for.
MENTIONS_MAX = 20


def mentions_record(
    *, request: Request, comment: Comment, event: RequestEvent, field: str | None = None,
) -> list[Mention]:
    """Called by the comment services inside their transaction, right after writing the note
    and its history line (``event``, which the e-mails refer to): the stored HTML names the
    colleagues mentioned, and each of them who reads the note, but its author, gets a
    ``Mention`` and the "mention" e-mail (``notifications.notify_mentioned``).
    ``InvalidInput`` on ``field`` past ``MENTIONS_MAX`` colleagues: the caller's transaction
    then writes nothing at all."""
    if not comment.is_internal:
        return []
    people = mention_people(mention_handles(comment.body))
    if not people:
        return []
    if len(people) > MENTIONS_MAX:
        raise InvalidInput(
            _("Une note mentionne au plus %(max)d collègues (%(count)d ici).")
            % {"max": MENTIONS_MAX, "count": len(people)},
            field=field,
        )
    comment.body_html = str(render_markdown(
        comment.body, mentions={key: person_name(person) for key, person in people.items()}))
    Comment.objects.filter(pk=comment.pk).update(body_html=comment.body_html)
    reached = [
        person for person in people.values()
        if person.pk != comment.author_id
        and permissions.sees_internal(request, person)
        and request_is_visible_to(person, request.pk)
    ]
    if not reached:
        return []
    mentions = Mention.objects.bulk_create([
        Mention(comment=comment, request=request, person=person, created_at=comment.created_at)
        for person in reached
    ])
    notifications.notify_mentioned(event, [person.pk for person in reached])
    return mentions


def mentions_mark_read(*, actor: User, request: Request, at: datetime | None = None) -> int:
    """The read receipt of "Mes mentions": ``actor``'s unread mentions in ``request`` (which
    the caller read through the access rule) become read; how many. Nothing of the request
    changes — not its history, nor who modified it last — so nothing is locked either."""
    return Mention.objects.filter(
        person_id=actor.pk, request_id=request.pk, read_at__isnull=True,
    ).update(read_at=at or timezone.now())
