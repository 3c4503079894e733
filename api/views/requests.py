"""/api/v1/requests/…: another interface onto the request pages' selectors, forms and services.

Each view does what the page it mirrors does, in the same order: the request through the one
access rule (``selectors.request_get_for_user``: anything this person may not see is a 404,
the same as a request that does not exist), then the page's refusal checks, then the page's
own form on the body, then one service. Domain errors (``SptError``) and DRF's are raised as
they are; the API's exception handler turns them into the error envelope.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.paginator import InvalidPage, Page, Paginator
from django.db.models import Model
from django.http import FileResponse, QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.request import Request as ApiRequest
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from api.serializers import requests as out
from requests_app import permissions, selectors, services
from requests_app.downloads import ATTACHMENT_TOKEN, attachment_download_response
from requests_app.exceptions import (
    PermissionDenied,
    RequestNotFound,
    TransitionNotAllowed,
)
from requests_app.floods import flood_check
from requests_app.forms import agent as agent_forms
from requests_app.forms import portal as portal_forms
from requests_app.models import (
    Attachment,
    Comment,
    ErpModule,
    Organisation,
    Priority,
    Request,
    RequestType,
)
from requests_app.rules import stale_refusal, transition_refusal
from requests_app.selectors import portal as portal_selectors
from requests_app.selectors import queues
from requests_app.selectors.counting import BoundedPaginator
from requests_app.selectors.reference import reference_rows
from requests_app.workflow import TRANSITIONS, RequestStatus, action_label
from slo import display as slo_display

User = get_user_model()

# The pages' own sizes by default; a client system may ask for fewer or more, within bounds.
CUSTOMER_PAGE_SIZE = 25
BACK_OFFICE_PAGE_SIZE = 50
PAGE_SIZE_MAX = 100
# Ordered lists of comments and attachments: oldest first, as a conversation reads.
SUB_LIST_PAGE_SIZE = 50
# The query parameters each audience's list reads (the page's filter form's names).
CUSTOMER_FILTERS = ("q", "status", "type", "state", "scope", "sort")
BACK_OFFICE_FILTERS = ("q", "organisation", "priority", "type", "assignee", "sort")


# --- input helpers -------------------------------------------------------------------------------


def form_invalid(form: forms.Form) -> ValidationError:
    """The form's errors as DRF's: {field: [messages]}, the whole form's under DRF's
    non-field key, each message with the form's error code."""
    errors: dict[str, list[ErrorDetail]] = {}
    for name, items in form.errors.as_data().items():
        key = api_settings.NON_FIELD_ERRORS_KEY if name == NON_FIELD_ERRORS else name
        errors[key] = [ErrorDetail(str(message), code=error.code or "invalid")
                       for error in items for message in error.messages]
    return ValidationError(errors)


# The body fields that hold several values; every other one holds one.
_LIST_FIELDS = frozenset({"modules", "attachments"})


def _plain(data: Any) -> dict[str, Any]:
    """The body's values (not its files) as a mutable dict, for the pages' forms; a
    multipart field sent several times stays a list. A JSON object or list where one value
    is expected is refused here: a form would read it as text."""
    if isinstance(data, QueryDict):
        return {key: (values if len(values) > 1 else values[0])
                for key, values in data.lists()}
    if not isinstance(data, dict):
        return {}
    misshapen = {
        key: [ErrorDetail(str(serializers.CharField.default_error_messages["invalid"]),
                          code="invalid")]
        for key, value in data.items()
        if isinstance(value, dict) or (isinstance(value, list) and key not in _LIST_FIELDS)
    }
    if misshapen:
        raise ValidationError(misshapen)
    return dict(data)


def _files(request: ApiRequest, prefix: str = "") -> MultiValueDict:
    files: MultiValueDict = MultiValueDict()
    for name, uploads in request.FILES.lists():
        files.setlist(f"{prefix}{name}", uploads)
    return files


def _reference_key(model: type[Model], value: Any) -> Any:
    """A reference row named by its code (``support``, ``high``, ``finance``) as the pages'
    forms take it (its id); ids are taken as they are, and anything unknown is left for the
    form to refuse."""
    if isinstance(value, str) and value and not value.isdigit():
        for row in reference_rows(model):
            if getattr(row, "code", None) == value:
                return str(row.pk)
    return value


def _with_references(data: dict[str, Any], fields: dict[str, type[Model]],
                     prefix: str = "") -> dict[str, Any]:
    for name, model in fields.items():
        key = f"{prefix}{name}"
        if key in data:
            value = data[key]
            data[key] = ([_reference_key(model, v) for v in value] if isinstance(value, list)
                         else _reference_key(model, value))
    return data


def _flags(data: Any) -> dict[str, Any]:
    parsed = out.FlagSerializer(data=_plain(data))
    parsed.is_valid(raise_exception=True)
    return dict(parsed.validated_data)


def _page_size(request: ApiRequest, default: int) -> int:
    field = serializers.IntegerField(min_value=1, max_value=PAGE_SIZE_MAX)
    raw = request.query_params.get("page_size")
    if raw in (None, ""):
        return default
    try:
        return int(field.run_validation(raw))
    except ValidationError as error:
        raise ValidationError({"page_size": error.detail}) from error


def _page(paginator: Paginator, request: ApiRequest) -> Page:
    try:
        return paginator.page(request.query_params.get("page") or 1)
    except InvalidPage as exc:
        raise RequestNotFound(_("Cette page de la liste n'existe pas.")) from exc


def _page_response(request: ApiRequest, page: Page, results: Any, *,
                   count: int, capped: bool = False) -> Response:
    url = request.build_absolute_uri()
    return Response({
        "count": count,
        "count_capped": capped,
        "next": replace_query_param(url, "page", page.next_page_number())
        if page.has_next() else None,
        "previous": replace_query_param(url, "page", page.previous_page_number())
        if page.has_previous() else None,
        "results": results,
    })


def _target(request: ApiRequest, key: str) -> Request:
    """The request ``key`` (``SPT-<n>`` or ``<n>``) if this person may see it; 404 otherwise."""
    return selectors.request_get_for_user(request.user, key)


def _context(request: ApiRequest, target: Request, **extra: Any) -> dict[str, Any]:
    return {"request": request, "object": target, **extra}


def request_detail_data(request: ApiRequest, key: str) -> dict[str, Any]:
    """What the person's request page shows, read by the page's own selector."""
    user = request.user
    now = timezone.now()
    page = portal_selectors.request_page_for_user(user, key, at=now)
    context = _context(request, page.request, participants=page.participants,
                       muted=page.muted, follow_ups=page.follow_ups)
    data = dict(out.RequestDetailSerializer(page.request, context=context).data)
    data["slo"] = _slo_data(page.clocks, back_office=permissions.is_back_office(user))
    return data


def _slo_data(clocks: list[slo_display.ClockView], *, back_office: bool) -> dict[str, Any]:
    """A client reads only whether the request is on time (as the portal says it); the back
    office reads the clocks."""
    data: dict[str, Any] = {"status": slo_display.customer_status(clocks)}
    if back_office:
        data["clocks"] = [
            {"kind": c.kind, "label": str(c.label), "state": c.state,
             "state_label": str(c.state_label), "elapsed_seconds": c.elapsed_seconds,
             "target_seconds": c.target_seconds, "due_at": c.due_at}
            for c in clocks
        ]
    return data


class SloClockSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["first_response", "resolution"])
    label = serializers.CharField()
    state = serializers.ChoiceField(choices=["running", "paused", "met", "breached"])
    state_label = serializers.CharField()
    elapsed_seconds = serializers.IntegerField(help_text="Business seconds.")
    target_seconds = serializers.IntegerField(help_text="Business seconds.")
    due_at = serializers.DateTimeField(allow_null=True)


class SloSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["on_time", "late"], allow_null=True,
                                     help_text="What a client is told; null: nothing to say.")
    clocks = SloClockSerializer(many=True, required=False, help_text="Back office only.")


class RequestDetailResponseSerializer(out.RequestDetailSerializer):
    slo = SloSerializer()


# --- the list and creation -----------------------------------------------------------------------

_LIST_PARAMETERS = [
    OpenApiParameter("q", str, description="Search: a key (SPT-12 or 12) or words of the "
                     "title, description and comments (the back office's search also reads "
                     "internal notes, R&D references, organisation and reporter names)."),
    OpenApiParameter("status", str, enum=RequestStatus.values),
    OpenApiParameter("type", str, description="Request type code (support, patch, licence)."),
    OpenApiParameter("sort", str, description="Clients: updated, newest, oldest, priority. "
                     "Back office: slo, priority, newest, oldest, updated, closed. Without "
                     "it: the best found first while searching, else the list's default."),
    OpenApiParameter("state", str, enum=[portal_selectors.STATE_OPEN,
                                         portal_selectors.STATE_CLOSED],
                     description="Clients only."),
    OpenApiParameter("scope", str, enum=[portal_selectors.SCOPE_MINE,
                                         portal_selectors.SCOPE_PARTICIPATING,
                                         portal_selectors.SCOPE_COLLEAGUES],
                     description="Clients only."),
    OpenApiParameter("queue", str, enum=list(queues.QUEUES_BY_SLUG),
                     description="Back office only: the queue listed (default: toutes)."),
    OpenApiParameter("organisation", int, description="Back office only: organisation id."),
    OpenApiParameter("priority", str, description="Back office only: priority code or id."),
    OpenApiParameter("assignee", str, description="Back office only: a user id, me or none."),
    OpenApiParameter("page", int),
    OpenApiParameter("page_size", int, description=f"1 to {PAGE_SIZE_MAX}."),
]


class RequestListView(APIView):
    """GET: the requests this person sees, with the filters of their own list page (the
    portal's "Mes demandes" for a client, the agent queues for the back office), the same
    search and order, a page at a time. POST: open a request, as the page's form does."""

    @extend_schema(operation_id="requests_list", parameters=_LIST_PARAMETERS,
                   responses={200: out.RequestListPageSerializer})
    def get(self, request: ApiRequest) -> Response:
        if permissions.is_back_office(request.user):
            return self._back_office_list(request)
        return self._customer_list(request)

    def _customer_list(self, request: ApiRequest) -> Response:
        user = request.user
        page_size = _page_size(request, CUSTOMER_PAGE_SIZE)
        query = {name: request.query_params[name] for name in CUSTOMER_FILTERS
                 if name in request.query_params}
        form = portal_forms.RequestFilterForm(query)
        if not form.is_valid():
            raise form_invalid(form)
        if not permissions.is_client(user):
            # Neither a client nor the back office: nothing to list (the rule gives nothing).
            paginator: Paginator = Paginator([], page_size)
            return _page_response(request, _page(paginator, request), [], count=0)
        filters = form.filters()
        counts = portal_selectors.portal_status_counts(user, filters)
        total = portal_selectors.portal_list_total(filters, counts)
        rows = portal_selectors.PortalRows(user, filters, total)
        paginator = Paginator(rows, page_size)  # type: ignore[arg-type]
        page = _page(paginator, request)
        results = out.RequestListItemSerializer(list(page.object_list), many=True,
                                                context={"request": request}).data
        return _page_response(request, page, results, count=total)

    def _back_office_list(self, request: ApiRequest) -> Response:
        user = request.user
        page_size = _page_size(request, BACK_OFFICE_PAGE_SIZE)
        params = request.query_params
        queue = queues.queue_get(params.get("queue") or "toutes")
        if queue is None:
            raise ValidationError({"queue": [ErrorDetail(_("File d'attente inconnue."),
                                                         code="invalid_choice")]})
        status = params.get("status") or ""
        if status and status not in RequestStatus.values:
            choice = forms.ChoiceField(choices=RequestStatus.choices)
            try:
                choice.clean(status)
            except forms.ValidationError as error:
                raise ValidationError({"status": [ErrorDetail(str(m), code="invalid_choice")
                                                  for m in error.messages]}) from error
        query = {name: params[name] for name in BACK_OFFICE_FILTERS if name in params}
        if "type" in query:
            query["request_type"] = query.pop("type")
        _with_references(query, {"request_type": RequestType, "priority": Priority})
        form = agent_forms.QueueFilterForm(query, default_sort=queue.default_sort)
        if not form.is_valid():
            errors = form_invalid(form)
            detail = errors.detail
            if isinstance(detail, dict) and "request_type" in detail:
                detail["type"] = detail.pop("request_type")
            raise errors
        requests = queues.queue_requests(user, queue, now=timezone.now(), **form.filters())
        if status:
            requests = requests.filter(status=status)
        paginator = BoundedPaginator(queues.queue_rows(requests), page_size)
        page = _page(paginator, request)
        rows = queues.queue_rows_complete(list(page.object_list))
        results = out.RequestListItemSerializer(rows, many=True,
                                                context={"request": request}).data
        return _page_response(request, page, results, count=paginator.count,
                              capped=paginator.bounded.capped)

    @extend_schema(
        operation_id="requests_create",
        request={"application/json": out.RequestCreateSerializer,
                 "multipart/form-data": out.RequestCreateSerializer},
        responses={201: RequestDetailResponseSerializer,
                   400: OpenApiResponse(description="Invalid input: nothing written."),
                   403: OpenApiResponse(description="This type is not open to this person.")})
    def post(self, request: ApiRequest) -> Response:
        user = request.user
        # The same counter as the page's form: the API gives no extra allowance.
        flood_check(request._request, "request")
        data = _plain(request.data)
        data.pop("attachments", None)
        chosen = _RequestTypeChoice(data=data)
        chosen.is_valid(raise_exception=True)
        try:
            request_type = portal_selectors.request_type_get_for_creation(
                user, chosen.validated_data["request_type"])
        except RequestNotFound as error:
            raise ValidationError({"request_type": [ErrorDetail(error.message,
                                                                code="invalid_choice")]}) from error
        if request_type.client_can_open:
            created = self._create_from_portal_form(request, request_type, data)
        else:
            created = self._create_licence(request, request_type, data)
        response = Response(request_detail_data(request, created.key), status=201)
        response["Location"] = request.build_absolute_uri(
            reverse("api:request", kwargs={"key": created.key}))
        return response

    def _create_from_portal_form(self, request: ApiRequest, request_type: RequestType,
                                 data: dict[str, Any]) -> Request:
        """Support and Patch: the portal's form; the back office names the organisation and
        the contact it opens the request for."""
        user = request.user
        flags = _flags(data)
        data["shared_with_organisation"] = flags["shared_with_organisation"]
        _with_references(data, {"priority": Priority, "module": ErpModule})
        follows_up = None
        if data.get("follows_up"):
            follows_up = portal_selectors.request_get_for_follow_up(user, str(data["follows_up"]))
        on_behalf = self._on_behalf(user, data)
        form = portal_forms.RequestCreateForm(data, _files(request), request_type=request_type,
                                              uploader=user)
        if not form.is_valid():
            raise form_invalid(form)
        return services.request_create(actor=user, request_type=request_type,
                                       follows_up=follows_up, **on_behalf,
                                       **form.service_kwargs())

    def _on_behalf(self, user: Any, data: dict[str, Any]) -> dict[str, Any]:
        ids = _OnBehalf(data=data)
        ids.is_valid(raise_exception=True)
        organisation_id = ids.validated_data.get("organisation")
        reporter_id = ids.validated_data.get("reporter")
        if not permissions.may_open_on_behalf(user):
            # A client opens requests for themselves only: said without looking anyone up.
            if (reporter_id not in (None, user.pk) or organisation_id not in (
                    None, permissions.organisation_id_of(user))):
                raise PermissionDenied(_("Vous ne pouvez ouvrir une demande que pour "
                                         "vous-même."))
            return {}
        return {
            "organisation": Organisation.objects.filter(pk=organisation_id, is_active=True)
            .first() if organisation_id is not None else None,
            "reporter": User.objects.filter(pk=reporter_id, is_active=True).first()
            if reporter_id is not None else None,
        }

    def _create_licence(self, request: ApiRequest, request_type: RequestType,
                        data: dict[str, Any]) -> Request:
        """A Licence: sales administration's form, on behalf of a client contact."""
        _with_references(data, {"priority": Priority, "modules": ErpModule})
        if isinstance(data.get("modules"), str):
            data["modules"] = [data["modules"]]
        form = agent_forms.LicenceForm(data)
        if not form.is_valid():
            raise form_invalid(form)
        cleaned = form.cleaned_data
        return services.request_create(
            actor=request.user, request_type=request_type, title=cleaned["title"],
            description=cleaned["description"], priority=cleaned["priority"],
            organisation=cleaned["organisation"], reporter=cleaned["reporter"],
            details=form.details(),
        )


class _RequestTypeChoice(serializers.Serializer):
    request_type = serializers.CharField(max_length=30)


class _Confirmed(serializers.Serializer):
    confirmed = serializers.BooleanField()


class _OnBehalf(serializers.Serializer):
    organisation = serializers.IntegerField(required=False, min_value=1)
    reporter = serializers.IntegerField(required=False, min_value=1)


# --- one request ---------------------------------------------------------------------------------

_NOT_FOUND = OpenApiResponse(description="No such request, or one this person may not see "
                             "(the same answer). Code not_found.")


class RequestDetailView(APIView):
    @extend_schema(operation_id="requests_retrieve",
                   responses={200: RequestDetailResponseSerializer, 404: _NOT_FOUND})
    def get(self, request: ApiRequest, key: str) -> Response:
        return Response(request_detail_data(request, key))


def _comments_data(request: ApiRequest, target: Request, comments: list[Comment]
                   ) -> Any:
    """The comments as the API shows them, each with the files it carries that this person
    may see (one query for them all)."""
    attachments = selectors.attachment_list_visible_to(request.user, target).filter(
        comment_id__in=[comment.pk for comment in comments]).order_by("created_at", "pk")
    grouped: dict[int, list[Attachment]] = defaultdict(list)
    for attachment in attachments:
        if attachment.comment_id is not None:
            grouped[attachment.comment_id].append(attachment)
    context = _context(request, target, attachments_by_comment=grouped)
    return out.CommentSerializer(comments, many=True, context=context).data


def _comment_form(request: ApiRequest, data: dict[str, Any], *, is_internal: bool
                  ) -> tuple[forms.Form, dict[str, Any]]:
    """The comment form of the person's own request page, validated: the back office's
    (public or internal) or the portal's. Returns it with the service's arguments."""
    user = request.user
    if permissions.is_back_office(user):
        data["visibility"] = "internal" if is_internal else "public"
        agent_form = agent_forms.AgentCommentForm(data, _files(request), uploader=user)
        if not agent_form.is_valid():
            raise form_invalid(agent_form)
        return agent_form, agent_form.service_kwargs()
    form = portal_forms.CommentForm(data, _files(request), uploader=user)
    if not form.is_valid():
        raise form_invalid(form)
    # A client asking for an internal note is refused by the service (403, forbidden).
    return form, {"body": form.cleaned_data.get("body") or "",
                  "attachments": form.cleaned_data.get("attachments") or [],
                  "is_internal": is_internal}


class CommentListView(APIView):
    """The request's comments, oldest first: public ones for everyone who sees the request,
    internal notes too for those who see them. POST: a comment, or an internal note."""

    @extend_schema(operation_id="requests_comments_list",
                   parameters=[OpenApiParameter("page", int),
                               OpenApiParameter("page_size", int)],
                   responses={200: out.CommentPageSerializer, 404: _NOT_FOUND})
    def get(self, request: ApiRequest, key: str) -> Response:
        target = _target(request, key)
        comments = selectors.comment_list_visible_to(request.user, target).order_by(
            "created_at", "pk")
        paginator = Paginator(comments, _page_size(request, SUB_LIST_PAGE_SIZE))
        page = _page(paginator, request)
        results = _comments_data(request, target, list(page.object_list))
        return _page_response(request, page, results, count=paginator.count)

    @extend_schema(
        operation_id="requests_comments_create",
        request={"application/json": out.CommentCreateSerializer,
                 "multipart/form-data": out.CommentCreateSerializer},
        responses={201: out.CommentSerializer, 400: OpenApiResponse(description="Invalid."),
                   403: OpenApiResponse(description="An internal note asked by someone "
                                        "outside the back office (code forbidden)."),
                   404: _NOT_FOUND,
                   409: OpenApiResponse(description="The request is closed (code closed).")})
    def post(self, request: ApiRequest, key: str) -> Response:
        target = _target(request, key)
        flood_check(request._request, "comment")
        data = _plain(request.data)
        data.pop("attachments", None)
        is_internal = _flags(data)["is_internal"]
        _form, kwargs = _comment_form(request, data, is_internal=is_internal)
        comment = services.comment_add(actor=request.user, request=target, **kwargs)
        return Response(_comments_data(request, target, [comment])[0], status=201)


class AttachmentListView(APIView):
    """The request's files this person may see, oldest first. POST (multipart): add files,
    with the same limits (count, size, type) as the pages; a comment carries them."""

    @extend_schema(operation_id="requests_attachments_list",
                   parameters=[OpenApiParameter("page", int),
                               OpenApiParameter("page_size", int)],
                   responses={200: out.AttachmentPageSerializer, 404: _NOT_FOUND})
    def get(self, request: ApiRequest, key: str) -> Response:
        target = _target(request, key)
        attachments = selectors.attachment_list_visible_to(request.user, target).order_by(
            "created_at", "pk")
        paginator = Paginator(attachments, _page_size(request, SUB_LIST_PAGE_SIZE))
        page = _page(paginator, request)
        results = out.AttachmentSerializer(list(page.object_list), many=True,
                                           context=_context(request, target)).data
        return _page_response(request, page, results, count=paginator.count)

    @extend_schema(
        operation_id="requests_attachments_create",
        request={"multipart/form-data": out.AttachmentUploadSerializer},
        responses={201: out.AttachmentSerializer(many=True),
                   400: OpenApiResponse(description="No file, or a file the limits refuse."),
                   404: _NOT_FOUND,
                   409: OpenApiResponse(description="The request is closed (code closed).")})
    def post(self, request: ApiRequest, key: str) -> Response:
        target = _target(request, key)
        flood_check(request._request, "comment")
        upload = out.AttachmentUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        data = _plain(request.data)
        data.pop("attachments", None)
        is_internal = _flags(data)["is_internal"]
        _form, kwargs = _comment_form(request, data, is_internal=is_internal)
        comment = services.comment_add(actor=request.user, request=target, **kwargs)
        stored = selectors.attachment_list_visible_to(request.user, target).filter(
            comment=comment).order_by("created_at", "pk")
        return Response(out.AttachmentSerializer(list(stored), many=True,
                                                 context=_context(request, target)).data,
                        status=201)


class AttachmentDownloadView(APIView):
    """The file itself, always as a download (never rendered), read through the storage API
    (the files may live in object storage)."""

    @extend_schema(operation_id="requests_attachments_download",
                   responses={(200, "application/octet-stream"): OpenApiTypes.BINARY,
                              404: _NOT_FOUND})
    def get(self, request: ApiRequest, key: str, token: str) -> FileResponse:
        target = _target(request, key)
        if not ATTACHMENT_TOKEN.fullmatch(token):
            raise RequestNotFound(_("Pièce jointe introuvable."))
        attachment = selectors.attachment_get_for_user(request.user, token)
        if attachment.request_id != target.pk:
            raise RequestNotFound(_("Pièce jointe introuvable."))
        try:
            handle = attachment.file.open("rb")
        except FileNotFoundError as exc:
            raise RequestNotFound(_("Fichier introuvable.")) from exc
        return attachment_download_response(attachment, handle)


# --- transitions ---------------------------------------------------------------------------------

# The actions people fire by name: the agent page's and the client's "Retirer ma demande".
NAMED_TRANSITIONS = [name for name in services.TRANSITION_SERVICES
                     if TRANSITIONS[name].fired_by != "automatic"]
# Fields of the pages' transition forms named by a reference row's code in the API.
_REFERENCE_FIELDS: dict[str, type[Model]] = {
    "request_type": RequestType, "priority": Priority, "module": ErpModule,
}


def _transition_form(name: str, target: Request, user: Any, data: dict[str, Any] | None = None,
                     files: MultiValueDict | None = None) -> forms.Form:
    """The page's form of ``name``: the agent page's, prefixed by the name, or the portal's
    "Retirer ma demande"."""
    if name == "withdraw":
        return portal_forms.WithdrawForm(data, files)
    return agent_forms.transition_form(name, request_obj=target, user=user, data=data,
                                       files=files)


def _field_kind(field: forms.Field) -> str:
    if isinstance(field, forms.FileField):
        return "files"
    if isinstance(field, forms.BooleanField):
        return "boolean"
    if isinstance(field, forms.ChoiceField | forms.ModelChoiceField):
        return "choice"
    return "text"


def _field_choices(field: forms.Field) -> list[str] | None:
    if isinstance(field, forms.ModelChoiceField) and field.queryset is not None:
        queryset = field.queryset
        key = "code" if queryset.model in _REFERENCE_FIELDS.values() else "pk"
        return [str(value) for value in queryset.values_list(key, flat=True)]
    if isinstance(field, forms.ChoiceField):
        choices: Iterable[tuple[Any, Any]] = field.choices  # type: ignore[assignment]
        return [str(value) for value, _label in choices if value != ""]
    return None


def transition_data(request: ApiRequest, target: Request, name: str) -> dict[str, Any]:
    """One action this person may fire now, with what its body takes."""
    spec = TRANSITIONS[name]
    form = _transition_form(name, target, request.user)
    fields = []
    for field_name, field in form.fields.items():
        if field_name in ("expected_status", portal_forms.KEPT_FIELD):
            continue
        if isinstance(field.widget, forms.HiddenInput) and field_name == "assignee":
            continue  # a ServiceDesk agent takes it themselves: nothing to choose
        described: dict[str, Any] = {
            "name": field_name, "label": str(field.label or field_name),
            "required": field.required, "kind": _field_kind(field),
        }
        choices = _field_choices(field)
        if choices is not None:
            described["choices"] = choices
        fields.append(described)
    return {
        "name": name,
        "label": action_label(name),
        "requires": spec.requires,
        "text_param": spec.text_param,
        "text_required": spec.text_required is not None,
        "fields": fields,
        "url": request.build_absolute_uri(reverse(
            "api:request_transition", kwargs={"key": target.key, "name": name})),
    }


class TransitionListView(APIView):
    """The actions this person may fire on the request now (none once it is closed), as the
    buttons of their page."""

    @extend_schema(operation_id="requests_transitions_list",
                   responses={200: out.TransitionSerializer(many=True), 404: _NOT_FOUND})
    def get(self, request: ApiRequest, key: str) -> Response:
        target = _target(request, key)
        if target.is_closed:
            return Response([])
        allowed = [name for name in NAMED_TRANSITIONS
                   if services.transition_allowed(target, name, request.user)]
        return Response([transition_data(request, target, name) for name in allowed])


class TransitionView(APIView):
    """Fire one action by name, with the text and fields it needs; the answer is the request
    as it is now. Refused: 409 ``transition_not_allowed`` (not at this status, not for this
    person's role, a condition unmet), 409 ``stale`` (changed since ``expected_status``),
    409 ``closed``; 400 for missing or invalid fields, nothing written."""

    @extend_schema(
        operation_id="requests_transitions_fire",
        request={"application/json": out.TransitionBodySerializer,
                 "multipart/form-data": out.TransitionBodySerializer},
        responses={200: RequestDetailResponseSerializer,
                   400: OpenApiResponse(description="Invalid input: nothing written."),
                   404: _NOT_FOUND,
                   409: OpenApiResponse(description="transition_not_allowed, stale or "
                                        "closed.")})
    def post(self, request: ApiRequest, key: str, name: str) -> Response:
        user = request.user
        target = _target(request, key)
        if name not in NAMED_TRANSITIONS:
            raise RequestNotFound(_("Action inconnue."))
        data = _plain(request.data)
        data.pop("attachments", None)
        body = out.TransitionBodySerializer(data=data)
        body.is_valid(raise_exception=True)
        shown = body.validated_data.get("expected_status") or ""
        refusal = stale_refusal(target, shown) or transition_refusal(target, name, user)
        if isinstance(refusal, PermissionDenied):
            # Not this person's action: the same "not allowed" as at another status.
            raise TransitionNotAllowed(refusal.message)
        if refusal is not None:
            raise refusal
        form = self._bound_form(request, target, name, data, shown)
        if not form.is_valid():
            raise form_invalid(form)
        if name == "withdraw":
            kwargs: dict[str, Any] = {"reason": form.cleaned_data["reason"]}
        else:
            kwargs = form.service_kwargs()  # type: ignore[attr-defined]
        kwargs["expected_status"] = shown or None
        services.TRANSITION_SERVICES[name](actor=user, request=target, **kwargs)
        return Response(request_detail_data(request, target.key))

    def _bound_form(self, request: ApiRequest, target: Request, name: str,
                    data: dict[str, Any], shown: str) -> forms.Form:
        if name == "withdraw":
            return _transition_form(name, target, request.user, data, _files(request))
        _with_references(data, _REFERENCE_FIELDS)
        # The page's form reads the status it showed; the caller's, else the one read now.
        data["expected_status"] = shown or target.status
        prefixed = {f"{name}-{field}": value for field, value in data.items()}
        return _transition_form(name, target, request.user, prefixed,
                                _files(request, prefix=f"{name}-"))


# --- the client's answer to a proposed resolution ------------------------------------------------


class ResolutionView(APIView):
    """The requester's answer to "Proposer la résolution", as on the portal: "Confirmer la
    résolution" (``confirmed``: true, with an optional satisfaction rating and comment; the
    request then waits for Customer Service to close it) or "La solution ne convient pas"
    (false, a comment required; back to En cours). Only the reporter and the participants
    answer (403 ``forbidden`` for anyone else); 409 ``transition_not_allowed`` when no
    resolution waits for an answer."""

    @extend_schema(
        operation_id="requests_resolution_answer",
        request={"application/json": out.ResolutionAnswerSerializer},
        responses={200: RequestDetailResponseSerializer,
                   400: OpenApiResponse(description="Invalid input: nothing written."),
                   403: OpenApiResponse(description="Not the reporter or a participant."),
                   404: _NOT_FOUND,
                   409: OpenApiResponse(description="No resolution awaits an answer.")})
    def post(self, request: ApiRequest, key: str) -> Response:
        user = request.user
        target = _target(request, key)
        flood_check(request._request, "comment")
        data = _plain(request.data)
        # The answer chosen; its text and rating are the page's forms' to check.
        answer = _Confirmed(data=data)
        answer.is_valid(raise_exception=True)
        if answer.validated_data["confirmed"]:
            confirm = portal_forms.ResolutionConfirmForm(data)
            if not confirm.is_valid():
                raise form_invalid(confirm)
            services.resolution_confirm(actor=user, request=target,
                                        body=confirm.cleaned_data.get("body") or "",
                                        rating=confirm.cleaned_data.get("rating"))
        else:
            deny = portal_forms.ResolutionDenyForm(data)
            if not deny.is_valid():
                raise form_invalid(deny)
            services.resolution_deny(actor=user, request=target, body=deny.cleaned_data["body"])
        return Response(request_detail_data(request, target.key))


# --- mute ----------------------------------------------------------------------------------------


class MuteView(APIView):
    """"Désactiver les notifications pour cette demande": PUT silences this person's e-mails
    about the request (all but a confirmation request), DELETE brings them back."""

    @extend_schema(operation_id="requests_mute_retrieve",
                   responses={200: out.MuteSerializer, 404: _NOT_FOUND})
    def get(self, request: ApiRequest, key: str) -> Response:
        target = _target(request, key)
        return Response({"muted": selectors.is_muted(request.user, target)})

    @extend_schema(operation_id="requests_mute_set", request=None,
                   responses={200: out.MuteSerializer, 404: _NOT_FOUND})
    def put(self, request: ApiRequest, key: str) -> Response:
        return self._set(request, key, muted=True)

    @extend_schema(operation_id="requests_mute_clear", request=None,
                   responses={200: out.MuteSerializer, 404: _NOT_FOUND})
    def delete(self, request: ApiRequest, key: str) -> Response:
        return self._set(request, key, muted=False)

    def _set(self, request: ApiRequest, key: str, *, muted: bool) -> Response:
        target = _target(request, key)
        services.notifications_mute_set(actor=request.user, request=target, muted=muted)
        return Response({"muted": muted})
