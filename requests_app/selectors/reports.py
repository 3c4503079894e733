"""How the SLO report groups the requests' clocks besides the month (``slo.reports`` is
handed these: the request app knows its own fields)."""

from __future__ import annotations

from django.db.models import F
from django.utils.translation import gettext as _

from slo.reports import Breakdown

PRIORITY = "priority"
ORGANISATION = "organisation"


def report_breakdowns() -> list[Breakdown]:
    return [
        Breakdown(PRIORITY, _("Par priorité"), F("request__priority_id"),
                  F("request__priority__name"),
                  [F("request__priority__rank"), F("request__priority__name")]),
        Breakdown(ORGANISATION, _("Par organisation"), F("request__organisation_id"),
                  F("request__organisation__name"), [F("request__organisation__name")]),
    ]
