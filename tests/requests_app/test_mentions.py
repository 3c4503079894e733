"""@-mentions in internal notes: how they are written and shown (``requests_app.mentions``),
who is mentioned and told (``services.mentions``), the agent page's autocomplete, the read
receipt, and "Mes mentions" with its count."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from requests_app import permissions, services
from requests_app.exceptions import InvalidInput
from requests_app.markdown import mention_handles, render_markdown
from requests_app.models import (
    Comment,
    Mention,
    NotificationKind,
    OutboundMessage,
    Request,
    RequestEvent,
)
from requests_app.people import person_name
from requests_app.permissions import Role
from requests_app.preferences import email_kinds_offered
from requests_app.selectors import queues
from requests_app.selectors.mentions import (
    SUGGESTIONS_MAX,
    mention_suggestions,
    reads_internal_notes_q,
)
from requests_app.services.mentions import MENTIONS_MAX
from requests_app.services.profile import profile_update
from requests_app.tasks import send_outbound_message_task
from requests_app.workflow import RequestStatus as S
from tests import factories

MENTIONS = "mes-mentions"


def mentions_of(person) -> list[tuple[str, str]]:
    return sorted((m.request.key, m.comment.body) for m in
                  Mention.objects.filter(person=person).select_related("request", "comment"))


def mention_emails(request: Request | None = None):
    rows = OutboundMessage.objects.filter(kind=NotificationKind.MENTION)
    if request is not None:
        rows = rows.filter(request=request)
    return rows


# --------------------------------------------------------------- how a mention is written

def test_handles_are_found_outside_code_and_addresses():
    text = ("Vu avec @daily, puis @Client.Leman. Écrire à jean@example.com ou "
            "https://x.example/@rd ; `@expert` et \\@frontdesk restent du texte. "
            "**@servicedesk** (@sales)\n\n    @rnd dans un bloc de code\n")
    assert mention_handles(text) == ["daily", "Client.Leman", "servicedesk", "sales"]


def test_a_mention_shows_the_name_escaped_and_anything_else_as_written():
    html = render_markdown("Merci @Daily et @inconnu, voir `@daily`.",
                           mentions={"daily": "Denise <Daily>"})
    assert '<span class="spt-mention">@Denise &lt;Daily&gt;</span>' in html
    assert "@inconnu" in html and "<code>@daily</code>" in html
    # Without names (a public comment), the text stays as it is.
    assert "spt-mention" not in render_markdown("Merci @daily")


def test_nobody_writes_the_mention_markup_themselves():
    html = render_markdown('<span class="spt-mention">@Chef</span> [x](javascript:y)')
    assert "<span" not in html


# ------------------------------------------------------------ who is mentioned and told

@pytest.mark.django_db
def test_an_internal_note_mentions_the_colleagues_who_read_it(
    walk, servicedesk, expert, daily, django_capture_on_commit_callbacks,
):
    r = walk(S.IN_PROGRESS)
    with (mock.patch.object(send_outbound_message_task, "apply_async") as publish,
          django_capture_on_commit_callbacks(execute=True)):
        comment = services.comment_add(
            actor=servicedesk, request=r, is_internal=True,
            body="@expert peux-tu regarder ? @Daily pour info.")
        assert publish.call_count == 0  # the e-mails leave after commit only
    assert mentions_of(expert) == [(r.key, comment.body)]
    assert mentions_of(daily) == [(r.key, comment.body)]
    # The stored text keeps the usernames; the stored HTML names the people.
    comment.refresh_from_db()
    assert comment.body.startswith("@expert peux-tu")
    assert f'<span class="spt-mention">@{person_name(expert)}</span>' in comment.body_html
    assert f'<span class="spt-mention">@{person_name(daily)}</span>' in comment.body_html
    rows = mention_emails(r)
    assert {row.recipient for row in rows} == {expert, daily}
    event = RequestEvent.objects.get(comment=comment)
    assert {row.event_id for row in rows} == {event.pk}
    published = {pk for call in publish.call_args_list for pk in call.args[0]}
    assert {row.pk for row in rows} <= published
    row = rows.get(recipient=expert)
    assert row.subject == (f"[{r.key}] {r.title} — {person_name(servicedesk)} vous mentionne "
                           "dans une note interne")
    assert f"{person_name(servicedesk)} vous mentionne dans une note interne de la demande " \
           f"{r.key}." in row.body_text
    assert f"/agent/requests/{r.key}/" in row.body_text
    # The note itself never leaves the portal.
    assert "regarder" not in row.body_text and "regarder" not in row.body_html


@pytest.mark.django_db
def test_a_public_comment_mentions_nobody(walk, servicedesk, expert):
    """Customers read public comments (page and e-mail): an @ there calls nobody in."""
    r = walk(S.IN_PROGRESS)
    comment = services.comment_add(actor=servicedesk, request=r, body="Vu avec @expert.")
    assert not Mention.objects.exists()
    assert not mention_emails().exists()
    assert "spt-mention" not in Comment.objects.get(pk=comment.pk).body_html


@pytest.mark.django_db
def test_nobody_is_told_of_their_own_mention_nor_a_client_nor_an_unknown_name(
    walk, servicedesk, client_user, outsider,
):
    r = walk(S.IN_PROGRESS)
    comment = services.comment_add(
        actor=servicedesk, request=r, is_internal=True,
        body=f"Note pour moi @servicedesk, pas pour @{client_user.username} ni "
             f"@{outsider.username} ni @personne.")
    assert not Mention.objects.exists()
    assert not mention_emails().exists()
    html = Comment.objects.get(pk=comment.pk).body_html
    # Only back-office colleagues are shown by name (here the author); a client's username
    # stays the text it is.
    assert f"@{person_name(servicedesk)}" in html
    assert f"@{client_user.username}" in html and person_name(client_user) not in html


@pytest.mark.django_db
def test_someone_who_cannot_read_the_note_is_not_mentioned(walk, servicedesk, sales,
                                                           client_user, expert):
    """Sales administration reads the internal notes of the requests it created only."""
    r = walk(S.IN_PROGRESS)
    services.comment_add(actor=servicedesk, request=r, is_internal=True,
                         body="@sales et @expert, voyez ceci.")
    assert mentions_of(sales) == [] and len(mentions_of(expert)) == 1
    licence = factories.make_licence(sales, client_user)
    services.comment_add(actor=expert, request=licence, is_internal=True,
                         body="@sales la clé est prête ?")
    assert mentions_of(sales) == [(licence.key, "@sales la clé est prête ?")]


@pytest.mark.django_db
def test_an_inactive_colleague_is_not_mentioned(walk, servicedesk, expert):
    expert.is_active = False
    expert.save()
    r = walk(S.IN_PROGRESS)
    services.comment_add(actor=servicedesk, request=r, is_internal=True, body="@expert ?")
    assert not Mention.objects.exists()


@pytest.mark.django_db
def test_muted_or_turned_off_the_mention_stays_in_the_queue_without_an_email(
    walk, servicedesk, expert, daily,
):
    r = walk(S.IN_PROGRESS)
    services.notifications_mute_set(actor=expert, request=r, muted=True)
    profile_update(user=daily, first_name=daily.first_name,
                   last_name=daily.last_name, language="fr",
                   email_kinds_off=[NotificationKind.MENTION])
    services.comment_add(actor=servicedesk, request=r, is_internal=True,
                         body="@expert @daily regardez.")
    assert len(mentions_of(expert)) == 1 and len(mentions_of(daily)) == 1
    assert not mention_emails().exists()


@pytest.mark.django_db
def test_the_back_office_may_turn_the_mention_email_off_and_clients_never_see_it():
    assert NotificationKind.MENTION in email_kinds_offered(back_office=True)
    assert NotificationKind.MENTION not in email_kinds_offered(back_office=False)


@pytest.mark.django_db
def test_the_internal_note_of_a_transition_mentions_too(walk, servicedesk, expert, rnd):
    r = walk(S.IN_PROGRESS)
    services.request_escalate_to_expert(actor=servicedesk, request=r,
                                        note="@expert le journal est joint, @rd aussi.")
    assert len(mentions_of(expert)) == 1 and len(mentions_of(rnd)) == 1
    event = RequestEvent.objects.get(request=r, payload__transition="escalate_to_expert")
    assert set(mention_emails(r).values_list("event_id", flat=True)) == {event.pk}
    # Back to the ServiceDesk with a public comment: nobody is mentioned.
    services.request_return_to_service_desk(actor=expert, request=r, internal=False,
                                            comment="Merci @rd.")
    assert len(mentions_of(rnd)) == 1


@pytest.mark.django_db
def test_too_many_colleagues_is_refused_and_nothing_is_written(walk, servicedesk):
    r = walk(S.IN_PROGRESS)
    agents = [factories.make_agent(Role.EXPERT, username=f"expert{n}")
              for n in range(MENTIONS_MAX + 1)]
    comments, events = Comment.objects.count(), RequestEvent.objects.count()
    with pytest.raises(InvalidInput) as refused:
        services.comment_add(actor=servicedesk, request=r, is_internal=True,
                             body=" ".join(f"@{agent.username}" for agent in agents))
    assert refused.value.field == "body"
    assert (Comment.objects.count(), RequestEvent.objects.count()) == (comments, events)
    assert not Mention.objects.exists() and not mention_emails().exists()


# --------------------------------------------------------------------- the autocomplete

def suggestions_url(r: Request, typed: str = "") -> str:
    return f"/agent/requests/{r.key}/mentions/?q={typed}"


@pytest.mark.django_db
def test_the_autocomplete_offers_back_office_colleagues_never_customers(
    client, walk, servicedesk, expert, daily, client_user, colleague,
):
    r = walk(S.IN_PROGRESS)
    client.force_login(servicedesk)
    response = client.get(suggestions_url(r))
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    usernames = [row["username"] for row in response.json()["results"]]
    assert "expert" in usernames and "daily" in usernames
    # Never a client, never oneself.
    assert client_user.username not in usernames and colleague.username not in usernames
    assert "servicedesk" not in usernames
    found = client.get(suggestions_url(r, "EXP")).json()["results"]
    assert found == [{"username": "expert", "name": person_name(expert), "roles": ["Expert"]}]
    by_name = client.get(suggestions_url(r, expert.last_name[:3])).json()["results"]
    assert "expert" in [row["username"] for row in by_name]
    assert client.get(suggestions_url(r, "cli")).json()["results"] == []


@pytest.mark.django_db
def test_the_autocomplete_is_bounded_and_runs_the_same_queries_for_few_and_many(
    client, walk, servicedesk,
):
    r = walk(S.IN_PROGRESS)
    client.force_login(servicedesk)
    url = suggestions_url(r, "agent")
    factories.make_agent(Role.DAILY, username="agent0")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(url).json()["results"]) == 1
    for n in range(1, 15):
        factories.make_agent(Role.DAILY, Role.SERVICEDESK, username=f"agent{n}")
    with CaptureQueriesContext(connection) as many:
        results = client.get(url).json()["results"]
    assert len(results) == SUGGESTIONS_MAX
    assert all(row["roles"] in (["Daily"], ["Daily", "ServiceDesk"]) for row in results)
    assert len(few) == len(many) <= 8, [q["sql"] for q in many.captured_queries]


@pytest.mark.django_db
def test_the_autocomplete_is_for_the_back_office_only(client, walk, client_user, sales,
                                                      servicedesk):
    r = walk(S.IN_PROGRESS)
    assert client.get(suggestions_url(r)).status_code == 302  # to the sign-in
    client.force_login(client_user)
    assert client.get(suggestions_url(r)).status_code == 403
    client.force_login(sales)  # a Support request: not theirs to see
    assert client.get(suggestions_url(r)).status_code == 404
    licence = factories.make_licence(factories.make_agent(Role.SALES_ADMIN, username="sales2"),
                                     client_user)
    response = client.get(suggestions_url(licence))  # seen, but no note of theirs there
    assert response.status_code == 403 and "error" in response.json()
    client.force_login(servicedesk)
    assert client.get("/agent/requests/SPT-999999/mentions/").status_code == 404
    response = client.get(suggestions_url(r, "x" * 51))
    assert response.status_code == 400 and "error" in response.json()
    assert client.post(suggestions_url(r)).status_code == 405


@pytest.mark.django_db
def test_the_autocomplete_offers_exactly_whom_the_note_would_reach(
    walk, client_user, servicedesk, expert, sales, django_user_model,
):
    """The autocomplete's filter is ``permissions.sees_internal`` for the back office, in SQL:
    each person is offered on a request exactly when a mention there would reach them."""
    other_sales = factories.make_agent(Role.SALES_ADMIN, username="sales2")
    admin = django_user_model.objects.create_superuser("root", "root@example.test", "demo")
    support = walk(S.IN_PROGRESS)
    licence = factories.make_licence(sales, client_user)
    people = [servicedesk, expert, sales, other_sales, admin, client_user]
    for request in (support, licence):
        offered = set(django_user_model.objects.filter(reads_internal_notes_q(request))
                      .values_list("pk", flat=True))
        for person in people:
            reached = permissions.is_back_office(person) and permissions.sees_internal(
                request, person)
            assert (person.pk in offered) == reached, (request.key, person.username)
    assert "sales" in [s.username for s in mention_suggestions(expert, licence, "sal")]
    assert [s.username for s in mention_suggestions(expert, support, "sal")] == []


# ------------------------------------------------------------------ the read receipt

@pytest.mark.django_db
def test_opening_the_request_shows_the_mention_and_the_receipt_marks_it_read(
    client, walk, servicedesk, expert,
):
    r = walk(S.IN_PROGRESS)
    services.comment_add(actor=servicedesk, request=r, is_internal=True, body="@expert ?")
    client.force_login(expert)
    page = client.get(f"/agent/requests/{r.key}/").content.decode()
    assert "Une note interne de cette demande vous mentionne." in page
    assert f'action="/agent/requests/{r.key}/mentions/read/"' in page
    before = Request.objects.filter(pk=r.pk).values("updated_at", "updated_by").get()
    events = RequestEvent.objects.filter(request=r).count()
    assert client.get(f"/agent/requests/{r.key}/mentions/read/").status_code == 405
    response = client.post(f"/agent/requests/{r.key}/mentions/read/",
                           HTTP_X_REQUESTED_WITH="fetch")
    assert response.status_code == 204
    assert not Mention.objects.filter(read_at__isnull=True).exists()
    # A read receipt: nothing of the request changed.
    assert Request.objects.filter(pk=r.pk).values("updated_at", "updated_by").get() == before
    assert RequestEvent.objects.filter(request=r).count() == events
    page = client.get(f"/agent/requests/{r.key}/").content.decode()
    assert "vous mentionne" not in page
    # Without script, the button: back to the page with a message.
    response = client.post(f"/agent/requests/{r.key}/mentions/read/")
    assert response.status_code == 302 and response["Location"] == f"/agent/requests/{r.key}/"


@pytest.mark.django_db
def test_the_receipt_is_for_the_back_office_and_the_requests_they_see(
    client, walk, client_user, sales, servicedesk, expert,
):
    r = walk(S.IN_PROGRESS)
    services.comment_add(actor=servicedesk, request=r, is_internal=True, body="@expert ?")
    url = f"/agent/requests/{r.key}/mentions/read/"
    client.force_login(client_user)
    assert client.post(url).status_code == 403
    client.force_login(sales)
    assert client.post(url).status_code == 404
    client.force_login(servicedesk)  # their own receipt reads only their own mentions
    assert client.post(url).status_code == 302
    assert Mention.objects.get().read_at is None


@pytest.mark.django_db
def test_the_request_page_runs_the_same_queries_with_or_without_mentions(
    client, walk, servicedesk, expert,
):
    r = walk(S.IN_PROGRESS)
    url = f"/agent/requests/{r.key}/"
    client.force_login(expert)
    client.get(url)
    with CaptureQueriesContext(connection) as without:
        client.get(url)
    for n in range(5):
        services.comment_add(actor=servicedesk, request=r, is_internal=True,
                             body=f"@expert point {n}")
    with CaptureQueriesContext(connection) as with_mentions:
        page = client.get(url).content.decode()
    assert "5 notes internes de cette demande vous mentionnent." in page
    assert len(without) == len(with_mentions)
    assert page.count('class="spt-mention"') == 5


# ------------------------------------------------------------------- "Mes mentions"

@pytest.mark.django_db
def test_mes_mentions_lists_the_requests_newest_mention_first_and_counts_the_unread(
    walk, servicedesk, expert, daily, django_assert_num_queries,
):
    first, second, third = walk(S.IN_PROGRESS), walk(S.IN_PROGRESS), walk(S.IN_PROGRESS)
    start = timezone.now()
    for minutes, r in ((1, first), (2, second), (3, first)):
        services.comment_add(actor=servicedesk, request=r, is_internal=True, body="@expert ?",
                             at=start + timezone.timedelta(minutes=minutes))
    services.comment_add(actor=servicedesk, request=third, is_internal=True, body="@daily ?")
    queue = queues.queue_get(MENTIONS)
    now = timezone.now()
    rows = queues.queue_requests(expert, queue, now=now)
    assert [r.key for r in rows] == [first.key, second.key]  # first's latest mention: 3 min
    permissions.roles_of(expert)
    with django_assert_num_queries(1):
        counts = queues.queue_counts(expert, now=now)
    assert counts[MENTIONS] == 3  # mentions unread, not requests
    services.mentions_mark_read(actor=expert, request=first)
    assert queues.queue_counts(expert, now=now)[MENTIONS] == 1
    assert [r.key for r in queues.queue_requests(expert, queue, now=now)] == [first.key,
                                                                             second.key]
    assert [r.key for r in queues.queue_requests(daily, queue, now=now)] == [third.key]
    # Other orders stay possible; the order by mention is this queue's own.
    assert [r.key for r in queues.queue_requests(expert, queue, now=now, sort="oldest")] == [
        first.key, second.key]
    other = queues.queue_get("en-cours")
    assert set(queues.queue_requests(expert, other, now=now, sort="mentioned")) == set(
        queues.queue_requests(expert, other, now=now))


@pytest.mark.django_db
def test_mes_mentions_is_everyones_own_queue_in_the_navigation(client, walk, servicedesk,
                                                               expert, client_user):
    r = walk(S.IN_PROGRESS)
    services.comment_add(actor=servicedesk, request=r, is_internal=True, body="@expert ?")
    client.force_login(expert)
    nav = client.get("/agent/queues/nav/").content.decode()
    assert ('<span class="agent-queue-name">Mes mentions</span><span class="agent-count '
            'agent-count-some">1<span class="visually-hidden"> mention(s) non lue(s)'
            '</span></span>') in nav
    index = client.get("/agent/").content.decode()
    assert "Vos files" in index and "mention(s) non lue(s)" in index
    page = client.get(f"/agent/queues/{MENTIONS}/")
    assert page.status_code == 200 and r.key in page.content.decode()
    assert 'value="mentioned"' in page.content.decode()
    # Its order is not offered elsewhere, and asked for there it is ignored, not a 500.
    other = client.get("/agent/queues/en-cours/?sort=mentioned")
    assert other.status_code == 200 and 'value="mentioned"' not in other.content.decode()
    client.force_login(client_user)
    assert client.get(f"/agent/queues/{MENTIONS}/").status_code == 403


@pytest.mark.django_db
def test_mes_mentions_runs_the_same_queries_for_few_and_many_mentions(client, walk,
                                                                      servicedesk, expert):
    client.force_login(expert)
    url = f"/agent/queues/{MENTIONS}/"
    services.comment_add(actor=servicedesk, request=walk(S.IN_PROGRESS), is_internal=True,
                         body="@expert ?")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(6):
        services.comment_add(actor=servicedesk, request=walk(S.IN_PROGRESS), is_internal=True,
                             body="@expert ?")
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).content.decode().count('href="/agent/requests/SPT-') >= 7
    assert len(few) == len(many) <= 16


@pytest.mark.django_db
def test_the_note_boxes_offer_the_autocomplete_where_notes_are_written(client, walk,
                                                                       servicedesk, sales,
                                                                       client_user):
    r = walk(S.IN_PROGRESS)
    client.force_login(servicedesk)
    page = client.get(f"/agent/requests/{r.key}/").content.decode()
    assert f'data-url="/agent/requests/{r.key}/mentions/"' in page
    assert "data-mentions" in page and "js/mentions.js" in page
    escalate = client.get(f"/agent/requests/{r.key}/forms/escalate_to_expert/",
                          HTTP_HX_REQUEST="true").content.decode()
    assert "data-mentions" in escalate
    licence = factories.make_licence(factories.make_agent(Role.SALES_ADMIN, username="sales2"),
                                     client_user)
    client.force_login(sales)  # comments on the licence, writes no note there
    page = client.get(f"/agent/requests/{licence.key}/").content.decode()
    assert 'id="spt-mentions"' not in page
