"""/api/v1/reference/…: the reference data a client needs to fill a request or read one
(priorities, categories, types, ERP modules, resolutions), named in the caller's language.

Read from the process's copy of the reference rows (``selectors.reference``): no query once
the copy is warm. Small lists, hence not paginated.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView

from requests_app.models import ErpModule, Priority, RequestType
from requests_app.selectors.reference import reference_rows
from requests_app.workflow import Resolution


class ReferencePrioritySerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    code = serializers.CharField()
    name = serializers.CharField()
    signification = serializers.CharField()
    rank = serializers.IntegerField(help_text="0 = la plus urgente.")


class ReferenceCategorySerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    position = serializers.IntegerField()


class ReferenceRequestTypeSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    code = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    category = ReferenceCategorySerializer()
    subject_to_slo = serializers.BooleanField()
    client_can_open = serializers.BooleanField()
    is_active = serializers.BooleanField()


class ReferenceModuleSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    code = serializers.CharField()
    name = serializers.CharField()
    is_active = serializers.BooleanField()


class ReferenceResolutionSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class _ReferenceList(ListAPIView):
    pagination_class = None


@extend_schema(tags=["reference"], summary="Priorités, la plus urgente d'abord")
class PriorityList(_ReferenceList):
    serializer_class = ReferencePrioritySerializer

    def get_queryset(self) -> list[Any]:
        return reference_rows(Priority)


@extend_schema(tags=["reference"], summary="Catégories des types de demande")
class CategoryList(_ReferenceList):
    serializer_class = ReferenceCategorySerializer

    def get_queryset(self) -> list[Any]:
        # Those of the types: a category exists to group types.
        found = {row.category.pk: row.category for row in reference_rows(RequestType)}
        return sorted(found.values(), key=lambda category: (category.position, category.name))


@extend_schema(tags=["reference"], summary="Types de demande, avec leur catégorie")
class RequestTypeList(_ReferenceList):
    serializer_class = ReferenceRequestTypeSerializer

    def get_queryset(self) -> list[Any]:
        return reference_rows(RequestType)


@extend_schema(tags=["reference"], summary="Modules de l'ERP")
class ErpModuleList(_ReferenceList):
    serializer_class = ReferenceModuleSerializer

    def get_queryset(self) -> list[Any]:
        return reference_rows(ErpModule)


@extend_schema(tags=["reference"], summary="Résolutions d'une demande fermée")
class ResolutionList(_ReferenceList):
    serializer_class = ReferenceResolutionSerializer

    def get_queryset(self) -> list[Any]:
        return [{"code": value, "name": str(label)} for value, label in Resolution.choices]
