"""Every kind of change leaves one line in the append-only history."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from requests_app import services
from requests_app.models import EventKind, RequestEvent
from tests import factories


def kinds(request):
    return list(RequestEvent.objects.filter(request=request).order_by("pk")
                .values_list("kind", flat=True))


@pytest.mark.django_db
def test_every_kind_of_change_writes_an_activity_entry(
    client_user, colleague, frontdesk, daily, servicedesk, servicedesk2
):
    r = factories.make_request(client_user)
    assert kinds(r) == [EventKind.CREATED]

    services.comment_add(actor=client_user, request=r, body="Précision",
                         attachments=[SimpleUploadedFile("capture.png", b"\x89PNG...")])
    assert kinds(r)[-2:] == [EventKind.COMMENTED, EventKind.ATTACHMENT_ADDED]

    services.participant_add(actor=client_user, request=r, user=colleague)
    assert kinds(r)[-1] == EventKind.PARTICIPANT_ADDED
    services.participant_remove(actor=client_user, request=r, user=colleague)
    assert kinds(r)[-1] == EventKind.PARTICIPANT_REMOVED

    services.notifications_mute_set(actor=client_user, request=r, muted=True)
    assert kinds(r)[-1] == EventKind.MUTED
    services.notifications_mute_set(actor=client_user, request=r, muted=False)
    assert kinds(r)[-1] == EventKind.UNMUTED

    before = len(kinds(r))
    r = services.request_qualify(
        actor=frontdesk, request=r, request_type=r.request_type,
        priority=factories.priority("high"), module=factories.module(), version="24.1",
        environment="production")
    new = kinds(r)[before:]
    assert new.count(EventKind.FIELD_CHANGED) == 4  # priority, module, version, environment
    assert new[-1] == EventKind.STATUS_CHANGED
    priority_line = RequestEvent.objects.get(request=r, payload__field="priority")
    assert (priority_line.payload["old"], priority_line.payload["new"]) == ("Moyenne", "Haute")

    r = services.request_start(actor=daily, request=r, assignee=servicedesk)
    assert kinds(r)[-2:] == [EventKind.ASSIGNED, EventKind.STATUS_CHANGED]
    services.request_assign(actor=daily, request=r, assignee=servicedesk2)
    assert kinds(r)[-1] == EventKind.ASSIGNED

    services.request_update_details(actor=servicedesk2, request=r,
                                    priority=factories.priority("blocking"))
    assert kinds(r)[-1] == EventKind.FIELD_CHANGED

    services.comment_add(actor=servicedesk2, request=r, body="Interne", is_internal=True)
    line = RequestEvent.objects.filter(request=r).latest("pk")
    assert (line.kind, line.is_internal) == (EventKind.INTERNAL_NOTE, True)

    services.request_propose_resolution(actor=servicedesk2, request=r, resolution="Corrigé.")
    assert kinds(r)[-2:] == [EventKind.STATUS_CHANGED, EventKind.CONFIRMATION_REQUESTED]
    services.resolution_deny(actor=client_user, request=r, body="Pas encore.")
    assert EventKind.DENIED in kinds(r)
    services.request_propose_resolution(actor=servicedesk2, request=r, resolution="Vraiment.")
    services.resolution_confirm(actor=client_user, request=r)
    assert kinds(r)[-1] == EventKind.CONFIRMED
    services.request_close(actor=servicedesk2, request=r)
    closing = RequestEvent.objects.filter(request=r).latest("pk")
    assert closing.to_status == "closed"
    assert closing.payload["resolution"] == "Traitée"


@pytest.mark.django_db
def test_slo_crossing_handler_writes_an_internal_line(client_user):
    from django.utils import timezone

    from requests_app.events import slo_crossing_record

    r = factories.make_request(client_user)
    slo_crossing_record(request_id=r.pk, clock="resolution", crossing="breach",
                        at=timezone.now())
    line = RequestEvent.objects.filter(request=r).latest("pk")
    assert (line.kind, line.is_internal) == (EventKind.SLO_BREACHED, True)


@pytest.mark.django_db
def test_a_refused_action_writes_nothing(client_user, servicedesk):
    from portal.errors import SptError

    r = factories.make_request(client_user)
    before = kinds(r)
    with pytest.raises(SptError):
        services.comment_add(
            actor=client_user, request=r, body="Avec un exécutable",
            attachments=[SimpleUploadedFile("virus.exe", b"MZ")])
    assert kinds(r) == before
    assert not r.comments.exists()
