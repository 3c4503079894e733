"""/api/v1/queues/: the back office's queues, as the agent pages show them (the same
selectors, the same access rule); customers are refused (403 ``forbidden``)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from requests_app import permissions
from requests_app.forms.agent import QueueFilterForm
from requests_app.selectors import queues
from requests_app.selectors.counting import BoundedPaginator
from requests_app.workflow import RequestStatus


class BackOfficeOnly(BasePermission):
    message = _("Les files d'attente sont réservées au back-office.")
    code = "forbidden"

    def has_permission(self, request: Request, view: Any) -> bool:
        return permissions.is_back_office(request.user)


class QueueSerializer(serializers.Serializer):
    slug = serializers.CharField()
    label = serializers.CharField()
    description = serializers.CharField()
    mine = serializers.BooleanField(help_text="La file est la prochaine chose à faire pour "
                                              "l'un de vos rôles.")
    count = serializers.IntegerField(
        allow_null=True, help_text="Demandes de la file, jusqu'à 999 (puis 1000 et "
                                   "count_capped) ; null pour une file non comptée.")
    count_capped = serializers.BooleanField()


class QueueRowReferenceSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class QueueRowSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="SPT-<numéro>")
    number = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=RequestStatus.choices)
    status_label = serializers.SerializerMethodField()
    confirmation_state = serializers.CharField(allow_blank=True)
    updated_at = serializers.DateTimeField()
    request_type = QueueRowReferenceSerializer()
    priority = QueueRowReferenceSerializer()
    organisation = serializers.CharField(source="organisation.name")
    assignee_name = serializers.CharField(allow_blank=True)

    def get_status_label(self, row: queues.QueueRow) -> str:
        return str(RequestStatus(row.status).label)


class QueuePagination(PageNumberPagination):
    """Pages of 50 rows (``page_size`` up to 100), counted up to 999 as the pages are."""

    django_paginator_class = BoundedPaginator
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_paginated_response(self, data: Any) -> Response:
        response = super().get_paginated_response(data)
        response.data["count_capped"] = self.page.paginator.bounded.capped
        return response

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        paginated = super().get_paginated_response_schema(schema)
        paginated["properties"]["count_capped"] = {"type": "boolean"}
        paginated["required"] = ["count", "count_capped", "results"]
        return paginated


@extend_schema(tags=["queues"], summary="Vos files d'attente, avec leur nombre de demandes")
class QueueList(ListAPIView):
    permission_classes = [*ListAPIView.permission_classes, BackOfficeOnly]
    serializer_class = QueueSerializer
    pagination_class = None

    def get_queryset(self) -> list[dict[str, Any]]:
        user = self.request.user
        counts = queues.queue_counts(user, now=timezone.now())
        roles = permissions.roles_of(user)
        rows = []
        for queue in queues.queues_for_user(user):
            count = counts.get(queue.slug)
            rows.append({
                "slug": queue.slug, "label": str(queue.label),
                "description": str(queue.description), "mine": bool(queue.roles & roles),
                "count": int(count) if count is not None else None,
                "count_capped": bool(count is not None and count.capped),
            })
        return rows


@extend_schema(
    tags=["queues"], summary="Les demandes d'une file, paginées",
    parameters=[
        OpenApiParameter("slug", OpenApiTypes.STR, OpenApiParameter.PATH,
                         enum=list(queues.QUEUES_BY_SLUG)),
        OpenApiParameter("q", OpenApiTypes.STR, description="Mots recherchés."),
        OpenApiParameter("organisation", OpenApiTypes.INT),
        OpenApiParameter("priority", OpenApiTypes.INT),
        OpenApiParameter("request_type", OpenApiTypes.INT),
        OpenApiParameter("assignee", OpenApiTypes.STR,
                         description="Identifiant d'une personne, « me » ou « none »."),
        OpenApiParameter("sort", OpenApiTypes.STR, enum=list(queues.SORTS)),
    ],
)
class QueueRequestList(ListAPIView):
    permission_classes = [*ListAPIView.permission_classes, BackOfficeOnly]
    serializer_class = QueueRowSerializer
    pagination_class = QueuePagination

    def get_queryset(self) -> Any:
        queue = queues.queue_get(self.kwargs["slug"])
        if queue is None:
            raise NotFound(_("File d'attente inconnue."))
        names = ("q", "organisation", "priority", "request_type", "assignee", "sort")
        data = {name: self.request.query_params[name] for name in names
                if name in self.request.query_params}
        form = QueueFilterForm(data, default_sort=queue.default_sort)
        if data and not form.is_valid():
            raise ValidationError({field: list(errors) for field, errors in form.errors.items()})
        filters = form.filters() if data else {"sort": ""}
        return queues.queue_rows(queues.queue_requests(
            self.request.user, queue, now=timezone.now(), **filters))

    def paginate_queryset(self, queryset: Any) -> Any:
        page = super().paginate_queryset(queryset)
        return queues.queue_rows_complete(page if page is not None else queryset)
