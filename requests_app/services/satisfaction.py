"""The client's satisfaction with a resolution they confirmed: 1 to 5 and an optional word,
one rating per request, given with the confirmation or just after it.

Each rating also counts in its cell of ``SatisfactionTally`` (its month, agent and
organisation), adjusted in the rater's transaction: the unfiltered report reads the tallies,
exact to the rating, and a rating shows there as soon as it is committed."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count, F, Max, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from requests_app import events, permissions
from requests_app.exceptions import InvalidInput, PermissionDenied
from requests_app.models import (
    EventKind,
    Request,
    RequestEvent,
    SatisfactionRating,
    SatisfactionTally,
)
from requests_app.rules import satisfaction_refusal
from requests_app.selectors.satisfaction import month_after, month_start, rating_month
from requests_app.services._common import request_for_change

SATISFACTION_COMMENT_MAX_LENGTH = 2000
RATINGS = range(1, 6)


def satisfaction_rating_check(rating: object) -> int:
    """The rating as a number from 1 to 5, or ``InvalidInput``: whatever the form let
    through, the service holds the range (a bool is no rating)."""
    if isinstance(rating, bool) or not isinstance(rating, int) or rating not in RATINGS:
        raise InvalidInput(_("Choisissez une note de 1 à 5."), field="rating")
    return rating


def _comment_checked(comment: str) -> str:
    comment = (comment or "").strip()
    if len(comment) > SATISFACTION_COMMENT_MAX_LENGTH:
        raise InvalidInput(
            _("Le commentaire dépasse %(max)d caractères (%(length)d).")
            % {"max": SATISFACTION_COMMENT_MAX_LENGTH, "length": len(comment)},
            field="comment")
    return comment


def _agent_at_confirmation(request: Request) -> int | None:
    """The assignee when the client last confirmed (recorded with the confirmation), the
    current one for a confirmation recorded without it."""
    confirmed = (RequestEvent.objects.filter(request=request, kind=EventKind.CONFIRMED)
                 .order_by("-created_at", "-pk").values_list("payload", flat=True).first())
    if confirmed and "assignee_id" in confirmed:
        return confirmed["assignee_id"]
    return request.assignee_id


def _tally_adjust(rating: SatisfactionRating, *, counted: int,
                  uncounted: int | None = None) -> None:
    """Count ``rating`` under the note ``counted`` in its cell (and no longer under
    ``uncounted``). The cell is made once, by an insert that a concurrent rater's insert of
    the same cell turns into a read (its unique constraint); the counts then move by one
    ``UPDATE … SET n = n + 1``, which the database applies one writer after the other."""
    cell, _made = SatisfactionTally.objects.get_or_create(
        month=rating_month(rating.created_at), agent_id=rating.agent_id,
        organisation_id=rating.organisation_id)
    changes = {f"n{counted}": F(f"n{counted}") + 1}
    if uncounted is not None:
        changes[f"n{uncounted}"] = F(f"n{uncounted}") - 1
    SatisfactionTally.objects.filter(pk=cell.pk).update(**changes)


def satisfaction_tallies_rebuild() -> int:
    """Count every rating again into ``SatisfactionTally`` (one grouped query per month), for
    ratings written without this service: the benchmark backlog, a data repair. Run it while
    nobody rates: a rating given meanwhile could be counted twice or not at all. Returns the
    number of cells written."""
    with transaction.atomic():
        SatisfactionTally.objects.all().delete()
        bounds = SatisfactionRating.objects.aggregate(first=Min("created_at"),
                                                      last=Max("created_at"))
        if bounds["first"] is None:
            return 0
        cells: list[SatisfactionTally] = []
        month, last = rating_month(bounds["first"]), rating_month(bounds["last"])
        while month <= last:
            following = month_after(month)
            counted = (SatisfactionRating.objects
                       .filter(created_at__gte=month_start(month),
                               created_at__lt=month_start(following))
                       .values("agent_id", "organisation_id").order_by()
                       .annotate(**{f"n{score}": Count("pk", filter=Q(rating=score))
                                    for score in RATINGS}))
            cells.extend(SatisfactionTally(month=month, **row) for row in counted)
            month = following
        SatisfactionTally.objects.bulk_create(cells, batch_size=1000)
        return len(cells)


def satisfaction_record(
    *, actor: User, request: Request, rating: int, comment: str = "", at: datetime,
    agent_id: int | None = None,
) -> SatisfactionRating:
    """Give or change the rating of ``request``, already locked and checked by the caller
    (``satisfaction_rate``, or the confirmation that carries it), with its history line.
    ``agent_id``: the assignee at the confirmation, when the caller knows it."""
    rating = satisfaction_rating_check(rating)
    comment = _comment_checked(comment)
    existing = SatisfactionRating.objects.filter(pk=request.pk).first()
    previous = existing.rating if existing is not None else None
    if existing is None:
        saved = SatisfactionRating.objects.create(
            request=request, rating=rating, comment=comment, rated_by=actor,
            created_at=at, updated_at=at, organisation_id=request.organisation_id,
            agent_id=agent_id if agent_id is not None else _agent_at_confirmation(request),
        )
        _tally_adjust(saved, counted=rating)
    else:
        if existing.rating == rating and existing.comment == comment:
            return existing  # sent twice: nothing changed, no second history line
        existing.rating, existing.comment = rating, comment
        existing.rated_by, existing.updated_at = actor, at
        existing.save(update_fields=["rating", "comment", "rated_by", "updated_at"])
        saved = existing
        if previous != rating:
            # A change keeps created_at, agent and organisation: the same cell, one note
            # moved from the old score to the new one.
            _tally_adjust(saved, counted=rating, uncounted=previous)
    if previous != rating:
        events.satisfaction_rated(request=request, actor=actor, at=at, rating=rating,
                                  previous=previous)
    return saved


def satisfaction_rate(
    *, actor: User, request: Request | int, rating: int, comment: str = "",
    at: datetime | None = None,
) -> SatisfactionRating:
    """"Votre satisfaction", after the confirmation: the reporter or a participant gives or
    changes the rating, while ``rules.satisfaction_refusal`` allows (a closed request for a
    few days: the rating is the person's opinion, not a change to the request)."""
    at = at or timezone.now()
    with transaction.atomic():
        request = request_for_change(actor, request, closed_allowed=True)
        if not permissions.may_answer_as_customer(request, actor):
            raise PermissionDenied(
                _("Seuls le demandeur et les participants notent leur satisfaction."))
        refusal = satisfaction_refusal(request, at=at)
        if refusal is not None:
            raise refusal
        return satisfaction_record(actor=actor, request=request, rating=rating,
                                   comment=comment, at=at)
