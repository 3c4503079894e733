"""Creating a request and changing its details or assignee."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from requests_app import events, notifications, permissions
from requests_app.exceptions import InvalidInput, PermissionDenied
from requests_app.models import (
    ErpModule,
    KeyCounter,
    Organisation,
    Priority,
    Request,
    RequestType,
)
from requests_app.people import person_name
from requests_app.rules import assignment_refusal
from requests_app.search import search_document
from requests_app.selectors import request_is_visible_to
from requests_app.selectors.reference import detail_value
from requests_app.services._common import request_for_change, text_length_check
from requests_app.services.attachments import attachments_store, attachments_validate
from requests_app.services.search import search_vocabulary_add
from requests_app.slo_inputs import clocks_follow, slo_report_regroup

# The user model (auth.User, not swapped): its class for the type checker, the swappable
# lookup at run time.
if TYPE_CHECKING:
    from django.contrib.auth.models import User
else:
    User = get_user_model()


def _next_number() -> int:
    counter, _created = KeyCounter.objects.select_for_update().get_or_create(name="request")
    counter.value += 1
    counter.save(update_fields=["value"])
    return counter.value


def _resolve_reporter(
    *, actor: User, organisation: Organisation | None,
    reporter: User | None,
) -> tuple[Organisation, User]:
    if not permissions.is_back_office(actor):
        organisation_id = permissions.organisation_id_of(actor)
        if organisation_id is None:
            raise PermissionDenied(_("Votre compte n'est rattaché à aucune organisation."))
        if reporter not in (None, actor) or (
            organisation is not None and organisation.pk != organisation_id
        ):
            raise PermissionDenied(_("Vous ne pouvez ouvrir une demande que pour vous-même."))
        return Organisation.objects.get(pk=organisation_id), actor
    if organisation is None or reporter is None:
        raise InvalidInput(
            _("Indiquez l'organisation cliente et le contact pour le compte duquel la demande "
              "est créée."),
            field="reporter",
        )
    if permissions.organisation_id_of(reporter) != organisation.pk:
        raise InvalidInput(
            _("%(user)s n'est pas un contact de %(org)s.")
            % {"user": person_name(reporter), "org": organisation},
            field="reporter",
        )
    return organisation, reporter


def request_create(
    *,
    actor: User,
    request_type: RequestType,
    title: str,
    description: str,
    priority: Priority,
    organisation: Organisation | None = None,
    reporter: User | None = None,
    shared_with_organisation: bool = True,
    module: ErpModule | None = None,
    version: str = "",
    environment: str = "",
    details: dict[str, Any] | None = None,
    follows_up: Request | None = None,
    attachments: Iterable[UploadedFile] = (),
    at: datetime | None = None,
) -> Request:
    """Open a request. A client opens it for themselves; the back office on behalf of a client
    contact ("créée par … pour le compte de …"). A Licence is opened by sales administration
    only, never by a client."""
    at = at or timezone.now()
    title, description = title.strip(), description.strip()
    if not title:
        raise InvalidInput(_("Le titre est obligatoire."), field="title")
    if not description:
        raise InvalidInput(_("La description est obligatoire."), field="description")
    text_length_check(description, field="description")
    if not request_type.is_active:
        raise InvalidInput(_("Ce type de demande n'est plus proposé."), field="request_type")
    if permissions.is_back_office(actor):
        if not request_type.client_can_open and not permissions.may_create_licence(actor):
            raise PermissionDenied(
                _("Seule l'administration des ventes peut créer une demande « %(type)s ».")
                % {"type": request_type.name}
            )
    elif not request_type.client_can_open:
        raise PermissionDenied(
            _("Une demande « %(type)s » ne peut pas être initiée par le client : "
              "l'administration des ventes l'effectue en votre nom.")
            % {"type": request_type.name}
        )
    files = attachments_validate(attachments)
    organisation, reporter = _resolve_reporter(
        actor=actor, organisation=organisation, reporter=reporter
    )
    if follows_up is not None and (
        not follows_up.is_closed or not request_is_visible_to(reporter, follows_up.pk)
    ):
        raise InvalidInput(
            _("Une demande de suivi fait référence à une demande fermée que vous voyez."),
            field="follows_up",
        )

    with transaction.atomic():
        request = Request(
            number=_next_number(),
            title=title[:200],
            description=description,
            request_type=request_type,
            priority=priority,
            organisation=organisation,
            reporter=reporter,
            created_by=actor,
            shared_with_organisation=shared_with_organisation,
            module=module,
            version=version.strip(),
            environment=environment,
            details=details or {},
            follows_up=follows_up,
            created_at=at,
            updated_at=at,
            updated_by=actor,
            search_document=search_document(title[:200], description),
        )
        request.save()
        search_vocabulary_add(f"{title[:200]}\n{description}")
        notifications.notify(events.request_created(
            request=request, actor=actor, at=at, follows_up=follows_up,
            on_behalf_of=reporter if actor.pk != reporter.pk else None,
        ))
        attachments_store(request=request, actor=actor, files=files, at=at)
        clocks_follow(request, at=at)
    return request


# Fields an agent may change after creation, with how each is displayed in the history.
_DETAIL_FIELDS = ("request_type", "priority", "module", "version", "environment")




def details_apply(
    request: Request, *, actor: User, at: datetime, changes: dict[str, Any]
) -> list[str]:
    """Set the given detail fields on a locked request and record each real change.
    Returns the names of the fields that changed; the caller saves."""
    changed = []
    for field in _DETAIL_FIELDS:
        if field not in changes:
            continue
        new = changes[field]
        if field in ("version",):
            new = (new or "").strip()
        if field == "environment":
            new = new or ""
        old_value = detail_value(request, field)
        if getattr(request, field) == new:
            continue
        setattr(request, field, new)
        changed.append(field)
        events.field_changed(
            request=request, actor=actor, at=at, field=field,
            label=str(Request._meta.get_field(field).verbose_name),
            old_value=old_value, new_value=detail_value(request, field),
        )
    if "priority" in changed:
        slo_report_regroup(request)
    return changed


def request_update_details(
    *,
    actor: User,
    request: Request,
    at: datetime | None = None,
    **changes: Any,
) -> Request:
    """Change type, priority, module, version or environment; each change is in the history
    and a new priority or type takes effect on the SLO clocks, keeping the elapsed time."""
    at = at or timezone.now()
    unknown = set(changes) - set(_DETAIL_FIELDS)
    with transaction.atomic():
        request = request_for_change(actor, request)
        if unknown:
            raise InvalidInput(_("Champ inconnu : %(f)s") % {"f": ", ".join(sorted(unknown))})
        if not permissions.may_edit_details(actor):
            raise PermissionDenied(_("Seuls les agents peuvent modifier la qualification."))
        new_type = changes.get("request_type")
        if new_type is not None and not new_type.client_can_open and not (
            permissions.may_create_licence(actor)
        ):
            raise PermissionDenied(
                _("Seule l'administration des ventes gère les demandes « %(type)s ».")
                % {"type": new_type.name}
            )
        changed = details_apply(request, actor=actor, at=at, changes=changes)
        if changed:
            request.updated_at, request.updated_by = at, actor
            request.save()
            clocks_follow(request, at=at)
    return request


# --------------------------------------------------------------------------- assignment
# Who may assign, and when, is ``rules.assignment_refusal``; whom, below.


def assignee_validate(assignee: User | None) -> User:
    if assignee is None:
        raise InvalidInput(_("Choisissez la personne qui prend en charge la demande."),
                           field="assignee")
    if not assignee.is_active or not permissions.has_role(
        assignee, permissions.Role.SERVICEDESK
    ):
        raise InvalidInput(
            _("%(user)s n'est pas un agent ServiceDesk actif.")
            % {"user": person_name(assignee)},
            field="assignee",
        )
    return assignee


def assignment_apply(
    request: Request, *, actor: User, assignee: User | None,
    at: datetime,
) -> bool:
    """Daily assigns anyone of ServiceDesk; a ServiceDesk agent only takes it themselves.
    Sets the assignee on the locked request (the caller saves); False when unchanged."""
    assignee = assignee_validate(assignee)
    if not permissions.has_role(actor, permissions.Role.DAILY) and assignee.pk != actor.pk:
        raise PermissionDenied(
            _("Seul le Daily assigne une demande à quelqu'un d'autre ; vous pouvez la prendre "
              "en charge vous-même.")
        )
    if request.assignee_id == assignee.pk:
        return False
    previous = request.assignee
    request.assignee = assignee
    events.assigned(request=request, actor=actor, at=at, previous=previous, assignee=assignee)
    return True


def request_assign(
    *, actor: User, request: Request | int, assignee: User | None,
    expected_status: str | None = None, at: datetime | None = None,
) -> Request:
    """Reassign a request that is being processed (``assignment_refusal`` says when)."""
    at = at or timezone.now()
    with transaction.atomic():
        request = request_for_change(actor, request, expected_status=expected_status)
        refusal = assignment_refusal(request, actor)
        if refusal is not None:
            raise refusal
        if assignment_apply(request, actor=actor, assignee=assignee, at=at):
            request.updated_at, request.updated_by = at, actor
            request.save()
    return request


__all__ = ["request_assign", "request_create", "request_update_details"]
