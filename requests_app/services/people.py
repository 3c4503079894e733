"""People involved in a request (seed element 9) and per-person mute (element 8)."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from requests_app import events, permissions
from requests_app.exceptions import InvalidInput, PermissionDenied
from requests_app.models import NotificationMute, Participant, Request
from requests_app.people import person_name
from requests_app.services._common import request_for_change


def participant_add(
    *, actor: User, request: Request | int, user: User,
    at: datetime | None = None,
) -> Participant:
    """The reporter (or the back office) adds a colleague of the request's organisation."""
    at = at or timezone.now()
    with transaction.atomic():
        request = request_for_change(actor, request)
        if not permissions.may_add_participant(request, actor):
            raise PermissionDenied(_("Seul le demandeur peut ajouter des participants."))
        if not user.is_active or permissions.organisation_id_of(user) != request.organisation_id:
            raise InvalidInput(
                _("%(user)s ne fait pas partie de l'organisation %(org)s.")
                % {"user": person_name(user), "org": request.organisation},
                field="user",
            )
        if user.pk == request.reporter_id:
            raise InvalidInput(_("Le demandeur est déjà impliqué."), field="user")
        participant, created = Participant.objects.get_or_create(
            request=request, user=user, defaults={"added_by": actor, "created_at": at}
        )
        if not created:
            raise InvalidInput(_("%(user)s participe déjà.") % {"user": person_name(user)},
                               field="user")
        events.participant_changed(request=request, actor=actor, at=at, user=user,
                                   added=True)
    return participant


def participant_remove(
    *, actor: User, request: Request | int, user: User,
    at: datetime | None = None,
) -> None:
    """The reporter or the back office removes a participant; a participant may leave."""
    at = at or timezone.now()
    with transaction.atomic():
        request = request_for_change(actor, request)
        if actor.pk != user.pk and not permissions.may_add_participant(request, actor):
            raise PermissionDenied(_("Seul le demandeur peut retirer des participants."))
        deleted, _details = Participant.objects.filter(request=request, user=user).delete()
        if not deleted:
            raise InvalidInput(_("%(user)s ne participe pas.") % {"user": person_name(user)},
                               field="user")
        events.participant_changed(request=request, actor=actor, at=at, user=user,
                                   added=False)


def notifications_mute_set(
    *, actor: User, request: Request | int, muted: bool,
    at: datetime | None = None,
) -> bool:
    """"Désactiver les notifications pour cette demande" and back. Allowed on a closed
    request too: it only concerns the person's own mailbox. Returns whether anything
    changed."""
    at = at or timezone.now()
    with transaction.atomic():
        request = request_for_change(actor, request, closed_allowed=True)
        if muted:
            _mute, changed = NotificationMute.objects.get_or_create(
                request=request, user=actor, defaults={"created_at": at}
            )
        else:
            changed = bool(NotificationMute.objects.filter(request=request, user=actor)
                           .delete()[0])
        if changed:
            events.mute_changed(request=request, actor=actor, at=at, muted=muted)
    return changed
