"""What /api/v1/requests/… reads and answers.

Input: each endpoint's body is checked by the same Django form as the page it mirrors (views
in ``api.views.requests``); the serializers here only describe that input for the schema and
parse what a form cannot (a JSON boolean). Output: what the person would see on their page —
a client never reads an internal note, the R&D reference, nor the name of an expert or R&D
person (they read "Customer Service", as on the portal).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from requests_app import permissions
from requests_app.models import Environment, Request
from requests_app.people import person_name
from requests_app.selectors.directory import unnamed_for_customers
from requests_app.workflow import (
    EXPECTED_BY,
    EXPECTED_BY_BACK_OFFICE,
    STATUS_MEANING,
    ConfirmationState,
    RequestStatus,
    Resolution,
)

# What a client reads instead of the name of an expert or R&D person (as ``{{ user|person }}``
# on the portal).
UNNAMED = "Customer Service"


def viewer_of(context: dict[str, Any]) -> Any:
    return context["request"].user


def sees_back_office_view(context: dict[str, Any]) -> bool:
    return permissions.is_back_office(viewer_of(context))


# --- people and reference rows -------------------------------------------------------------------


class PersonSerializer(serializers.Serializer):
    """Someone a request names. ``id`` only for the back office (a client has no use for the
    vendor's user ids); ``name`` is "Customer Service" for an expert or R&D person read by a
    client."""

    id = serializers.IntegerField(required=False, help_text="Back office only.")
    name = serializers.CharField()
    is_you = serializers.BooleanField()


def person_data(user: Any, viewer: Any) -> dict[str, Any] | None:
    if user is None:
        return None
    back_office = permissions.is_back_office(viewer)
    hidden = not back_office and unnamed_for_customers(user.pk)
    name = UNNAMED if hidden else person_name(user)
    data: dict[str, Any] = {"name": name, "is_you": user.pk == getattr(viewer, "pk", None)}
    if back_office:
        data = {"id": user.pk, **data}
    return data


@extend_schema_field(PersonSerializer(allow_null=True))
class PersonField(serializers.Field):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> dict[str, Any] | None:
        return person_data(value, viewer_of(self.context))


class ReferenceSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class RequestTypeSerializer(ReferenceSerializer):
    category = serializers.CharField(source="category.name")


class OrganisationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class StatusSerializer(serializers.Serializer):
    """The status with what the page writes beside it."""

    code = serializers.ChoiceField(choices=RequestStatus.choices)
    label = serializers.CharField()
    meaning = serializers.CharField()
    expected_by = serializers.CharField(help_text="« Traitement attendu par ».")


def status_data(status: str, viewer: Any) -> dict[str, str]:
    expected = EXPECTED_BY_BACK_OFFICE if permissions.is_back_office(viewer) else EXPECTED_BY
    return {
        "code": status,
        "label": str(RequestStatus(status).label),
        "meaning": str(STATUS_MEANING[status]),
        "expected_by": str(expected[status]),
    }


@extend_schema_field(StatusSerializer)
class StatusField(serializers.Field):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value: str) -> dict[str, str]:
        return status_data(value, viewer_of(self.context))


# --- the list ------------------------------------------------------------------------------------


class RequestListItemSerializer(serializers.Serializer):
    """One row of the list, as the person's own list page shows it: a client's rows name the
    reporter; the back office's the organisation and the assignee."""

    key = serializers.CharField(help_text="SPT-<n>")
    number = serializers.IntegerField()
    title = serializers.CharField()
    status = StatusField()
    confirmation_state = serializers.ChoiceField(choices=ConfirmationState.choices)
    request_type = RequestTypeSerializer()
    priority = ReferenceSerializer()
    updated_at = serializers.DateTimeField()
    reporter_name = serializers.CharField(required=False, help_text="Clients only.")
    organisation = OrganisationSerializer(required=False, help_text="Back office only.")
    assignee_name = serializers.CharField(
        required=False, allow_blank=True, help_text="Back office only; \"\" when unassigned.")
    url = serializers.SerializerMethodField()

    def get_url(self, row: Any) -> str:
        return self.context["request"].build_absolute_uri(
            reverse("api:request", kwargs={"key": row.key}))

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        # Rows of one audience lack the other's attributes (``PortalRow``, ``QueueRow``).
        if "request" in self.context:
            drop = (("reporter_name",) if sees_back_office_view(self.context)
                    else ("organisation", "assignee_name"))
            for name in drop:
                fields.pop(name, None)
        return fields


def list_page_serializer(name: str, item: type[serializers.Serializer]) -> type:
    """The schema of one page of a list: ``count``, ``next``, ``previous``, ``results``."""
    return type(name, (serializers.Serializer,), {
        "count": serializers.IntegerField(),
        "count_capped": serializers.BooleanField(
            help_text="True when the back office's count stopped at its cap (\"999+\")."),
        "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True),
        "results": item(many=True),
    })


RequestListPageSerializer = list_page_serializer("RequestListPage", RequestListItemSerializer)


# --- the request ---------------------------------------------------------------------------------


class RequestDetailSerializer(serializers.Serializer):
    """The request page's ten elements as data; the back office also reads the R&D reference
    and the vendor's user ids."""

    key = serializers.CharField(help_text="SPT-<n>")
    number = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField(help_text="Markdown, as written.")
    description_html = serializers.CharField(source="description_rendered",
                                             help_text="Sanitised HTML of the description.")
    status = StatusField()
    confirmation_state = serializers.ChoiceField(choices=ConfirmationState.choices)
    resolution = serializers.ChoiceField(choices=Resolution.choices, allow_blank=True)
    request_type = RequestTypeSerializer()
    priority = ReferenceSerializer()
    module = ReferenceSerializer(allow_null=True)
    version = serializers.CharField(allow_blank=True)
    environment = serializers.ChoiceField(choices=Environment.choices, allow_blank=True)
    details = serializers.DictField(help_text="The type's own fields (time window, …).")
    rnd_reference = serializers.CharField(required=False, allow_blank=True,
                                          help_text="Back office only.")
    organisation = OrganisationSerializer()
    shared_with_organisation = serializers.BooleanField()
    reporter = PersonField()
    created_by = PersonField()
    assignee = PersonField()
    qualified_by = PersonField()
    qualified_at = serializers.DateTimeField(allow_null=True)
    updated_by = PersonField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    participants = serializers.SerializerMethodField()
    muted = serializers.SerializerMethodField()
    follows_up = serializers.SerializerMethodField()
    follow_ups = serializers.SerializerMethodField()
    links = serializers.SerializerMethodField()

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        target = self.context.get("object")
        if target is not None and not permissions.sees_internal(target, viewer_of(self.context)):
            fields.pop("rnd_reference", None)
        return fields

    @extend_schema_field(PersonSerializer(many=True))
    def get_participants(self, request: Request) -> list[dict[str, Any] | None]:
        viewer = viewer_of(self.context)
        return [person_data(p.user, viewer) for p in self.context.get("participants", [])]

    @extend_schema_field(serializers.BooleanField(
        help_text="Whether this person silenced the request's e-mails."))
    def get_muted(self, request: Request) -> bool:
        return bool(self.context.get("muted", False))

    @extend_schema_field(serializers.CharField(allow_null=True, help_text="SPT-<n>"))
    def get_follows_up(self, request: Request) -> str | None:
        original = request.follows_up if request.follows_up_id else None
        return original.key if original is not None else None

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_follow_ups(self, request: Request) -> list[str]:
        return [r.key for r in self.context.get("follow_ups", [])]

    @extend_schema_field(serializers.DictField(child=serializers.URLField()))
    def get_links(self, request: Request) -> dict[str, str]:
        http = self.context["request"]
        return {
            name: http.build_absolute_uri(reverse(f"api:request_{name}" if name != "self"
                                                  else "api:request",
                                                  kwargs={"key": request.key}))
            for name in ("self", "comments", "attachments", "transitions", "resolution",
                         "mute")
        }


class RequestCreateSerializer(serializers.Serializer):
    """The body of POST /api/v1/requests/ (JSON, or multipart with files in ``attachments``).
    Checked by the page's own form: ``RequestCreateForm`` (Support, Patch) or, for a Licence,
    sales administration's ``LicenceForm``. Reference rows are named by their code."""

    request_type = serializers.CharField(help_text="Type code: support, patch, licence.")
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=settings.COMMENT_MAX_LENGTH)
    priority = serializers.CharField(help_text="Priority code: blocking, high, medium, low.")
    module = serializers.CharField(required=False, help_text="ERP module code (Support).")
    version = serializers.CharField(required=False, max_length=50, help_text="Support.")
    environment = serializers.ChoiceField(choices=Environment.choices, required=False,
                                          help_text="Support, Patch.")
    time_window = serializers.CharField(required=False, max_length=200, help_text="Patch.")
    patch_reference = serializers.CharField(required=False, max_length=100, help_text="Patch.")
    shared_with_organisation = serializers.BooleanField(required=False, default=True)
    follows_up = serializers.CharField(required=False,
                                       help_text="SPT-<n> of the closed request it follows.")
    organisation = serializers.IntegerField(
        required=False, help_text="Back office: the client organisation it is opened for.")
    reporter = serializers.IntegerField(
        required=False, help_text="Back office: the client contact it is opened for.")
    modules = serializers.ListField(child=serializers.CharField(), required=False,
                                    help_text="Licence: ERP module codes.")
    users = serializers.IntegerField(required=False, help_text="Licence: number of users.")
    validity = serializers.DateField(required=False, help_text="Licence: valid until.")
    attachments = serializers.ListField(child=serializers.FileField(), required=False,
                                        help_text="Multipart only.")


# --- comments and attachments --------------------------------------------------------------------


class AttachmentSerializer(serializers.Serializer):
    token = serializers.CharField()
    name = serializers.CharField(source="original_name")
    size = serializers.IntegerField(help_text="Bytes.")
    content_type = serializers.CharField()
    is_internal = serializers.BooleanField()
    uploaded_by = PersonField()
    created_at = serializers.DateTimeField()
    comment = serializers.IntegerField(source="comment_id", allow_null=True)
    download_url = serializers.SerializerMethodField()

    def get_download_url(self, attachment: Any) -> str:
        return self.context["request"].build_absolute_uri(reverse(
            "api:request_attachment",
            kwargs={"key": self.context["object"].key, "token": attachment.token}))


class CommentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    author = PersonField()
    body = serializers.CharField(help_text="Markdown, as written.")
    body_html = serializers.CharField(source="body_rendered", help_text="Sanitised HTML.")
    is_internal = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    attachments = serializers.SerializerMethodField()

    @extend_schema_field(AttachmentSerializer(many=True))
    def get_attachments(self, comment: Any) -> list[dict[str, Any]]:
        attached = self.context.get("attachments_by_comment", {}).get(comment.pk, [])
        return AttachmentSerializer(attached, many=True, context=self.context).data


CommentPageSerializer = list_page_serializer("CommentPage", CommentSerializer)
AttachmentPageSerializer = list_page_serializer("AttachmentPage", AttachmentSerializer)


class CommentCreateSerializer(serializers.Serializer):
    """A public comment, or with ``is_internal`` an internal note (back office only). A
    comment needs a text or a file."""

    body = serializers.CharField(required=False, allow_blank=True,
                                 max_length=settings.COMMENT_MAX_LENGTH)
    is_internal = serializers.BooleanField(required=False, default=False)
    attachments = serializers.ListField(child=serializers.FileField(), required=False,
                                        help_text="Multipart only.")


class AttachmentUploadSerializer(serializers.Serializer):
    """Files added to the request (multipart), with an optional comment that carries them."""

    attachments = serializers.ListField(child=serializers.FileField())
    body = serializers.CharField(required=False, allow_blank=True,
                                 max_length=settings.COMMENT_MAX_LENGTH)
    is_internal = serializers.BooleanField(required=False, default=False)


class FlagSerializer(serializers.Serializer):
    """Parses the booleans a Django form would read loosely ("maybe" is not true)."""

    is_internal = serializers.BooleanField(required=False, default=False)
    shared_with_organisation = serializers.BooleanField(required=False, default=True)


# --- transitions and mute ------------------------------------------------------------------------


class TransitionFieldSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    required = serializers.BooleanField()
    kind = serializers.ChoiceField(choices=["text", "choice", "boolean", "files"])
    choices = serializers.ListField(child=serializers.CharField(), required=False,
                                    help_text="The accepted values of a choice (codes, ids).")


class TransitionSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    requires = serializers.CharField(allow_null=True)
    text_param = serializers.CharField(allow_null=True,
                                       help_text="The body field that carries the text.")
    text_required = serializers.BooleanField()
    fields = TransitionFieldSerializer(many=True)
    url = serializers.URLField()


class TransitionBodySerializer(serializers.Serializer):
    """The text and fields the transition names (``GET …/transitions/``), e.g.
    ``{"question": "…"}``, ``{"rnd_reference": "RD-1", "comment": "…"}``,
    ``{"request_type": "support", "priority": "high", "module": "finance", …}``."""

    expected_status = serializers.ChoiceField(
        choices=RequestStatus.choices, required=False,
        help_text="The status the caller last read: a request changed since is refused "
                  "(409, code stale) rather than acted upon.")


class ResolutionAnswerSerializer(serializers.Serializer):
    confirmed = serializers.BooleanField(
        help_text="true: « Confirmer la résolution »; false: « La solution ne convient pas ».")
    body = serializers.CharField(required=False, allow_blank=True,
                                 max_length=settings.COMMENT_MAX_LENGTH,
                                 help_text="Optional to confirm; required to deny.")
    rating = serializers.IntegerField(required=False, min_value=1, max_value=5,
                                      help_text="Confirming only: satisfaction from 1 to 5.")


class MuteSerializer(serializers.Serializer):
    muted = serializers.BooleanField()
