"""The client's satisfaction (1–5 and a word) with a resolution they confirmed: given with the
confirmation or just after it, changed while the request awaits its closing and for a few
days after, one rating per request, a history line in each reader's words, shown to the agent;
every bad input a 4xx with nothing written, and no GET that rates."""

from __future__ import annotations

import importlib
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps as django_apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from requests_app import services
from requests_app.exceptions import (
    InvalidInput,
    PermissionDenied,
    RequestClosed,
    RequestNotFound,
    TransitionNotAllowed,
)
from requests_app.models import (
    Comment,
    EventKind,
    OutboundMessage,
    Request,
    RequestEvent,
    SatisfactionRating,
    SatisfactionTally,
)
from requests_app.rules import SATISFACTION_DAYS_AFTER_CLOSING
from requests_app.services.satisfaction import satisfaction_tallies_rebuild
from requests_app.workflow import ConfirmationState
from requests_app.workflow import RequestStatus as S
from tests import factories

pytestmark = pytest.mark.django_db

ZURICH = ZoneInfo("Europe/Zurich")
NOW = datetime(2026, 5, 13, 10, tzinfo=ZURICH)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def proposed(walk, servicedesk):
    """A request of ``client_user`` assigned to ``servicedesk``, its resolution proposed."""
    r = walk(S.IN_PROGRESS)
    return services.request_propose_resolution(actor=servicedesk, request=r,
                                               resolution="Le paramètre est corrigé.")


def page(client, r: Request, area: str = "portal") -> str:
    html = client.get(reverse(f"{area}:request", kwargs={"key": r.key})).content.decode()
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).replace("&#x27;", "'").split())


def rated_lines(r: Request) -> list[dict]:
    return list(RequestEvent.objects.filter(request=r, kind=EventKind.SATISFACTION_RATED)
                .order_by("pk").values_list("payload", flat=True))


def written(r: Request) -> tuple:
    """What a refused rating must leave as it was."""
    r.refresh_from_db()
    return (r.status, r.confirmation_state, SatisfactionRating.objects.count(),
            RequestEvent.objects.filter(request=r).count(), Comment.objects.count())


# --- the services --------------------------------------------------------------------------------


class TestServices:
    def test_the_confirmation_carries_the_rating_for_the_assignee_with_a_history_line(
        self, proposed, client_user, servicedesk
    ) -> None:
        services.resolution_confirm(actor=client_user, request=proposed, body="Merci.",
                                    rating=4)
        rating = SatisfactionRating.objects.get(request=proposed)
        assert (rating.rating, rating.comment, rating.rated_by, rating.agent,
                rating.organisation) == (4, "", client_user, servicedesk,
                                         proposed.organisation)
        assert rating.created_at == NOW
        assert rated_lines(proposed) == [{"rating": 4}]
        # Above the confirmation in the history (newest first): the same instant, written after.
        kinds = list(RequestEvent.objects.filter(request=proposed).values_list("kind", flat=True)
                     [:2])
        assert kinds == [EventKind.SATISFACTION_RATED, EventKind.CONFIRMED]

    def test_a_rating_given_after_the_confirmation_counts_for_the_assignee_then(
        self, proposed, client_user, servicedesk, servicedesk2, daily
    ) -> None:
        services.resolution_confirm(actor=client_user, request=proposed)
        assert not SatisfactionRating.objects.exists()
        services.request_assign(actor=daily, request=proposed, assignee=servicedesk2)
        later = NOW + timedelta(hours=1)
        services.satisfaction_rate(actor=client_user, request=proposed, rating=5,
                                   comment="  Rapide et clair.  ", at=later)
        rating = SatisfactionRating.objects.get(request=proposed)
        assert (rating.rating, rating.comment, rating.agent) == (5, "Rapide et clair.",
                                                                 servicedesk)
        assert (rating.created_at, rating.updated_at) == (later, later)

    def test_changing_the_rating_keeps_one_row_and_says_what_it_replaced(
        self, proposed, client_user, colleague
    ) -> None:
        services.participant_add(actor=client_user, request=proposed, user=colleague)
        services.resolution_confirm(actor=client_user, request=proposed, rating=2)
        later = NOW + timedelta(minutes=5)
        services.satisfaction_rate(actor=colleague, request=proposed, rating=4,
                                   comment="Finalement réglé.", at=later)
        rating = SatisfactionRating.objects.get()
        assert (rating.rating, rating.rated_by, rating.created_at, rating.updated_at) == (
            4, colleague, NOW, later)
        assert rated_lines(proposed) == [{"rating": 2}, {"rating": 4, "previous": 2}]
        # The same note again, a new word only: no second line for the same note.
        services.satisfaction_rate(actor=colleague, request=proposed, rating=4,
                                   comment="Merci encore.")
        assert len(rated_lines(proposed)) == 2
        assert SatisfactionRating.objects.get().comment == "Merci encore."

    @pytest.mark.parametrize("bad", [0, 6, -1, "4", "abc", None, True, 4.5])
    def test_a_rating_out_of_1_to_5_is_refused_and_nothing_is_written(
        self, proposed, client_user, bad
    ) -> None:
        services.resolution_confirm(actor=client_user, request=proposed)
        before = written(proposed)
        with pytest.raises(InvalidInput) as refused:
            services.satisfaction_rate(actor=client_user, request=proposed, rating=bad)
        assert refused.value.field == "rating"
        assert written(proposed) == before

    @pytest.mark.parametrize("bad", [0, 6, "abc"])
    def test_a_confirmation_with_a_bad_rating_confirms_nothing(
        self, proposed, client_user, bad
    ) -> None:
        before = written(proposed)
        with pytest.raises(InvalidInput):
            services.resolution_confirm(actor=client_user, request=proposed, body="Merci.",
                                        rating=bad)
        assert written(proposed) == before
        assert before[1] == ConfirmationState.REQUESTED

    def test_a_comment_too_long_is_refused(self, proposed, client_user) -> None:
        services.resolution_confirm(actor=client_user, request=proposed)
        with pytest.raises(InvalidInput) as refused:
            services.satisfaction_rate(actor=client_user, request=proposed, rating=3,
                                       comment="x" * 2001)
        assert refused.value.field == "comment"
        assert not SatisfactionRating.objects.exists()

    def test_only_a_confirmed_resolution_is_rated(self, proposed, walk, client_user) -> None:
        for r in (proposed, walk(S.IN_PROGRESS), walk(S.AWAITING_CUSTOMER)):
            with pytest.raises(TransitionNotAllowed, match="une fois la résolution confirmée"):
                services.satisfaction_rate(actor=client_user, request=r, rating=5)
        assert not SatisfactionRating.objects.exists()

    def test_only_the_reporter_and_participants_rate(
        self, proposed, client_user, colleague, outsider, servicedesk
    ) -> None:
        services.resolution_confirm(actor=client_user, request=proposed)
        with pytest.raises(PermissionDenied):
            services.satisfaction_rate(actor=colleague, request=proposed, rating=5)
        with pytest.raises(PermissionDenied):
            services.satisfaction_rate(actor=servicedesk, request=proposed, rating=5)
        with pytest.raises(RequestNotFound):
            services.satisfaction_rate(actor=outsider, request=proposed, rating=5)
        assert not SatisfactionRating.objects.exists()

    def test_a_closed_request_is_rated_for_a_few_days_then_no_more(
        self, proposed, client_user, servicedesk
    ) -> None:
        services.resolution_confirm(actor=client_user, request=proposed)
        services.request_close(actor=servicedesk, request=proposed)
        proposed.refresh_from_db()
        services.satisfaction_rate(actor=client_user, request=proposed, rating=3,
                                   at=proposed.closed_at + timedelta(days=1))
        too_late = proposed.closed_at + timedelta(days=SATISFACTION_DAYS_AFTER_CLOSING)
        with pytest.raises(RequestClosed, match="plus de 7 jours"):
            services.satisfaction_rate(actor=client_user, request=proposed, rating=5,
                                       at=too_late)
        assert SatisfactionRating.objects.get().rating == 3

    def test_a_request_closed_without_confirmation_is_never_rated(
        self, walk, client_user
    ) -> None:
        closed = walk(S.CLOSED)
        with pytest.raises(TransitionNotAllowed):
            services.satisfaction_rate(actor=client_user, request=closed, rating=5)

    def test_a_follow_up_is_rated_on_its_own(self, proposed, client_user, servicedesk,
                                             frontdesk, daily) -> None:
        services.resolution_confirm(actor=client_user, request=proposed, rating=2)
        closed = services.request_close(actor=servicedesk, request=proposed)
        follow_up = factories.make_request(client_user, follows_up=closed)
        follow_up = services.request_qualify(
            actor=frontdesk, request=follow_up, request_type=follow_up.request_type,
            priority=follow_up.priority, module=factories.module(), version="24.1",
            environment="production")
        follow_up = services.request_start(actor=daily, request=follow_up, assignee=servicedesk)
        follow_up = services.request_propose_resolution(actor=servicedesk, request=follow_up,
                                                        resolution="Encore corrigé.")
        services.resolution_confirm(actor=client_user, request=follow_up, rating=5)
        assert dict(SatisfactionRating.objects.values_list("request_id", "rating")) == {
            proposed.pk: 2, follow_up.pk: 5}


def tallies() -> dict[tuple, tuple[int, ...]]:
    """The kept counts, cell by cell, with no empty cell."""
    return {(t.month, t.agent_id, t.organisation_id): (t.n1, t.n2, t.n3, t.n4, t.n5)
            for t in SatisfactionTally.objects.all() if t.n1 + t.n2 + t.n3 + t.n4 + t.n5}


class TestTallies:
    def test_a_rating_counts_in_its_cell_and_a_change_moves_it_within_the_month_first_given(
        self, proposed, client_user, servicedesk
    ) -> None:
        # 00:30 on 1 June in Zurich, 22:30 on 31 May in UTC: a June rating, as the report
        # counts months.
        given = datetime(2026, 6, 1, 0, 30, tzinfo=ZURICH)
        services.resolution_confirm(actor=client_user, request=proposed, at=given)
        services.satisfaction_rate(actor=client_user, request=proposed, rating=2, at=given)
        cell = (date(2026, 6, 1), servicedesk.pk, proposed.organisation_id)
        assert tallies() == {cell: (0, 1, 0, 0, 0)}
        # Changed in July: still counted in June, the month it was first given.
        services.satisfaction_rate(actor=client_user, request=proposed, rating=5,
                                   at=given + timedelta(days=31))
        assert tallies() == {cell: (0, 0, 0, 0, 1)}
        # A new word only, or the same note sent twice: the counts stay.
        services.satisfaction_rate(actor=client_user, request=proposed, rating=5,
                                   comment="Merci.", at=given + timedelta(days=32))
        services.satisfaction_rate(actor=client_user, request=proposed, rating=5,
                                   comment="Merci.", at=given + timedelta(days=32))
        assert tallies() == {cell: (0, 0, 0, 0, 1)}
        assert SatisfactionTally.objects.count() == 1

    def test_a_refused_rating_counts_nowhere(self, proposed, client_user) -> None:
        with pytest.raises(TransitionNotAllowed):
            services.satisfaction_rate(actor=client_user, request=proposed, rating=4)
        services.resolution_confirm(actor=client_user, request=proposed)
        with pytest.raises(InvalidInput):
            services.satisfaction_rate(actor=client_user, request=proposed, rating=6)
        assert not SatisfactionTally.objects.exists()

    def test_counting_again_from_the_ratings_gives_the_tallies_the_service_kept(
        self, proposed, client_user, servicedesk, walk
    ) -> None:
        services.resolution_confirm(actor=client_user, request=proposed, rating=3)
        services.satisfaction_rate(actor=client_user, request=proposed, rating=1)
        other = services.request_propose_resolution(actor=servicedesk,
                                                    request=walk(S.IN_PROGRESS),
                                                    resolution="Corrigé.")
        services.resolution_confirm(actor=client_user, request=other, rating=4,
                                    at=NOW + timedelta(days=40))
        kept = tallies()
        assert len(kept) == 2
        assert satisfaction_tallies_rebuild() == 2
        assert tallies() == kept
        # The migration that made the table counts an upgraded database's ratings the same.
        SatisfactionTally.objects.all().delete()
        migration = importlib.import_module("requests_app.migrations.0022_satisfaction_tally")
        migration.backfill(django_apps, None)
        assert tallies() == kept


# --- the request pages ---------------------------------------------------------------------------


def portal_url(name: str, r: Request) -> str:
    return reverse(f"portal:{name}", kwargs={"key": r.key})


class TestPortal:
    def test_the_confirmation_form_offers_an_optional_named_scale(
        self, client, proposed, client_user
    ) -> None:
        client.force_login(client_user)
        html = client.get(portal_url("request", proposed)).content.decode()
        form = html[html.index('action="/portal/requests/SPT-'):]
        form = form[:form.index("</form>")]
        assert "<fieldset" in form and "Votre satisfaction (facultatif)" in form
        for value, label in ((1, "Très insatisfait"), (3, "Ni satisfait ni insatisfait"),
                             (5, "Très satisfait")):
            assert re.search(rf'type="radio" [^>]*name="confirm-rating" value="{value}"', form)
            assert f"{value} — {label}" in form
        assert not re.search(r'name="confirm-rating"[^>]*required', form)

    def test_confirm_and_rate_in_one_form_then_change_the_rating(
        self, client, proposed, client_user
    ) -> None:
        client.force_login(client_user)
        response = client.post(portal_url("request_confirm", proposed),
                               {"confirm-rating": "4", "confirm-body": "Merci !"})
        assert response.status_code == 302
        assert SatisfactionRating.objects.get().rating == 4
        text = page(client, proposed)
        assert "Confirmation reçue" in text
        assert "Vous avez noté votre satisfaction : 4/5 (Satisfait)." in text
        assert "Vous avez noté votre satisfaction : 4/5" in text.split("Historique")[1]
        assert "Modifier ma note" in text

        response = client.post(portal_url("request_satisfaction", proposed),
                               {"satisfaction-rating": "5",
                                "satisfaction-comment": "Très bon suivi."})
        assert response.status_code == 302
        assert response["Location"].endswith(f"/portal/requests/{proposed.key}/#satisfaction")
        rating = SatisfactionRating.objects.get()
        assert (rating.rating, rating.comment) == (5, "Très bon suivi.")
        assert "Vous avez noté votre satisfaction : 5/5 (Très satisfait)." in page(client,
                                                                                    proposed)

    def test_confirm_without_rating_then_rate_just_after(
        self, client, proposed, client_user
    ) -> None:
        client.force_login(client_user)
        assert client.post(portal_url("request_confirm", proposed),
                           {"confirm-body": ""}).status_code == 302
        assert not SatisfactionRating.objects.exists()
        text = page(client, proposed)
        assert "Votre satisfaction" in text and "Enregistrer ma note" in text
        assert client.post(portal_url("request_satisfaction", proposed),
                           {"satisfaction-rating": "2"}).status_code == 302
        assert SatisfactionRating.objects.get().rating == 2

    @pytest.mark.parametrize("bad", ["0", "6", "abc", "4.5", " 4"])
    def test_a_bad_rating_with_the_confirmation_is_a_400_and_nothing_is_written(
        self, client, proposed, client_user, bad
    ) -> None:
        client.force_login(client_user)
        before = written(proposed)
        response = client.post(portal_url("request_confirm", proposed),
                               {"confirm-rating": bad, "confirm-body": "Merci."})
        assert response.status_code == 400
        assert "Choisissez une note de 1 à 5." in response.content.decode()
        assert written(proposed) == before

    @pytest.mark.parametrize("bad", ["0", "6", "abc", ""])
    def test_a_bad_rating_after_the_confirmation_is_a_400_and_nothing_is_written(
        self, client, proposed, client_user, bad
    ) -> None:
        services.resolution_confirm(actor=client_user, request=proposed)
        client.force_login(client_user)
        before = written(proposed)
        response = client.post(portal_url("request_satisfaction", proposed),
                               {"satisfaction-rating": bad})
        assert response.status_code == 400
        assert "Choisissez une note de 1 à 5." in response.content.decode()
        assert written(proposed) == before

    def test_rating_a_request_that_awaits_no_confirmation_is_a_409(
        self, client, proposed, walk, client_user
    ) -> None:
        client.force_login(client_user)
        for r in (proposed, walk(S.IN_PROGRESS)):
            before = written(r)
            response = client.post(portal_url("request_satisfaction", r),
                                   {"satisfaction-rating": "5"})
            assert response.status_code == 409
            assert "une fois la résolution confirmée" in response.content.decode()
            assert written(r) == before

    def test_rating_someone_elses_request_is_a_404_or_403(
        self, client, proposed, client_user, colleague, outsider
    ) -> None:
        services.resolution_confirm(actor=client_user, request=proposed)
        before = written(proposed)
        client.force_login(outsider)
        assert client.post(portal_url("request_satisfaction", proposed),
                           {"satisfaction-rating": "1"}).status_code == 404
        client.force_login(colleague)  # sees the shared request, does not take part in it
        response = client.post(portal_url("request_satisfaction", proposed),
                               {"satisfaction-rating": "1"})
        assert response.status_code == 403
        assert "Seuls le demandeur et les participants notent leur satisfaction." in (
            response.content.decode())
        assert "Enregistrer ma note" not in page(client, proposed)
        assert written(proposed) == before

    def test_a_get_never_rates(self, client, proposed, client_user) -> None:
        services.resolution_confirm(actor=client_user, request=proposed)
        client.force_login(client_user)
        url = portal_url("request_satisfaction", proposed)
        before = written(proposed)
        response = client.get(url, {"satisfaction-rating": "5"})
        assert response.status_code == 405 and response["Allow"] == "POST"
        assert written(proposed) == before

    def test_after_the_closing_the_window_then_the_rating_alone(
        self, client, proposed, client_user, servicedesk
    ) -> None:
        services.resolution_confirm(actor=client_user, request=proposed, rating=3)
        services.request_close(actor=servicedesk, request=proposed)
        client.force_login(client_user)
        text = page(client, proposed)
        assert "Demande fermée" in text and "Modifier ma note" in text
        with time_machine.travel(NOW + timedelta(days=SATISFACTION_DAYS_AFTER_CLOSING,
                                                 minutes=1), tick=False):
            text = page(client, proposed)
            assert "Vous avez noté votre satisfaction : 3/5" in text
            assert "Modifier ma note" not in text
            response = client.post(portal_url("request_satisfaction", proposed),
                                   {"satisfaction-rating": "5"})
            assert response.status_code == 409
        assert SatisfactionRating.objects.get().rating == 3

    def test_the_confirmation_email_links_to_the_page_and_rates_nothing(
        self, proposed, client_user
    ) -> None:
        message = OutboundMessage.objects.get(recipient=client_user,
                                              kind="confirmation_request")
        page_link = f"/portal/requests/{proposed.key}/"
        assert page_link in message.body_text and page_link in message.body_html
        links = re.findall(r'href="([^"]+)"', message.body_html)
        assert links and all("satisfaction" not in link and "confirm" not in link
                             for link in links)

    def test_the_confirmed_page_reads_the_rating_in_one_query(
        self, client, proposed, client_user
    ) -> None:
        services.resolution_confirm(actor=client_user, request=proposed, rating=4)
        client.force_login(client_user)
        url = portal_url("request", proposed)
        client.get(url)
        with CaptureQueriesContext(connection) as few:
            client.get(url)
        for index in range(20):
            services.comment_add(actor=client_user, request=proposed, body=f"Merci {index}")
        with CaptureQueriesContext(connection) as many:
            client.get(url)
        assert len(few) == len(many)
        assert sum('"requests_app_satisfactionrating"' in q["sql"]
                   for q in many.captured_queries) == 1


class TestAgentPage:
    def test_the_agent_sees_the_rating_its_word_and_whom_it_counts_for(
        self, client, proposed, client_user, servicedesk
    ) -> None:
        services.resolution_confirm(actor=client_user, request=proposed, rating=2)
        services.satisfaction_rate(actor=client_user, request=proposed, rating=2,
                                   comment="Trop long <b>vraiment</b>.")
        client.force_login(servicedesk)
        html = client.get(reverse("agent:request", kwargs={"key": proposed.key})
                          ).content.decode()
        assert "Satisfaction du client" in html
        assert "<strong>2/5</strong> · Insatisfait" in html
        assert "Trop long &lt;b&gt;vraiment&lt;/b&gt;." in html
        assert "Comptée pour vous (assignée à la confirmation)." in html
        text = page(client, proposed, "agent")
        name = client_user.get_full_name()
        assert f"{name} a noté sa satisfaction : 2/5" in text

    def test_no_rating_no_card(self, client, proposed, servicedesk) -> None:
        client.force_login(servicedesk)
        assert "Satisfaction du client" not in page(client, proposed, "agent")
