"""How the SLO report groups the requests' clocks besides the month (``slo.reports`` is
handed these, and ``slo.rollups`` keeps its roll-ups for them through
``settings.SLO_REPORT_BREAKDOWNS``: the request app knows its own fields)."""

from __future__ import annotations

from collections.abc import Collection

from django.db.models import F, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils.translation import gettext as _
from modeltranslation.utils import get_language as mt_language

from requests_app.models import Organisation, Priority
from slo.reports import Breakdown

PRIORITY = "priority"
ORGANISATION = "organisation"


def _ids(keys: Collection[str]) -> list[int]:
    # str.isdigit() alone also takes "²", which int() refuses.
    return [int(key) for key in keys if key.isascii() and key.isdigit() and len(key) <= 18]


def _in_reader_language(path: str) -> Coalesce:
    """A translated field across a relation in the active language, French where it has no
    translation (modeltranslation rewrites lookups on its own models' querysets only)."""
    language = mt_language()
    columns = [f"{path}_{language}", f"{path}_fr"] if language != "fr" else [f"{path}_fr"]
    return Coalesce(*(NullIf(F(column), Value("")) for column in columns), F(path))


def priority_names(keys: Collection[str]) -> list[tuple[str, str]]:
    """The priorities' current names, in the report's order (rank, then name)."""
    return [
        (str(pk), name)
        for pk, name in Priority.objects.filter(pk__in=_ids(keys))
        .order_by("rank", "name").values_list("pk", "name")
    ]


def organisation_names(keys: Collection[str]) -> list[tuple[str, str]]:
    """The organisations' current names, in the report's order (name)."""
    return [
        (str(pk), name)
        for pk, name in Organisation.objects.filter(pk__in=_ids(keys))
        .order_by("name").values_list("pk", "name")
    ]


def report_breakdowns() -> list[Breakdown]:
    return [
        Breakdown(PRIORITY, _("Par priorité"), F("request__priority_id"),
                  _in_reader_language("request__priority__name"),
                  [F("request__priority__rank"), _in_reader_language("request__priority__name")],
                  group_names=priority_names),
        Breakdown(ORGANISATION, _("Par organisation"), F("request__organisation_id"),
                  F("request__organisation__name"), [F("request__organisation__name")],
                  group_names=organisation_names),
    ]
