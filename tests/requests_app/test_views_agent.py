"""The back office over HTTP (/agent/): every URL for every role, exactly the buttons each
role may use, every transition through its form, refusals with a 4xx that change nothing,
internal notes kept from clients, bulk actions, and fixed query counts."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from requests_app import permissions, selectors, services
from requests_app.models import EventKind, OutboundMessage, Request, RequestEvent
from requests_app.selectors import queues
from requests_app.workflow import AGENT_TRANSITIONS, TRANSITIONS
from requests_app.workflow import RequestStatus as S
from tests import factories

AGENT_ROLES = ["frontdesk", "daily", "servicedesk", "expert", "rnd", "sales"]
SD = "servicedesk"

# DESIGN §3, written out again: the buttons each role finds on a request at each status
# (``walk`` assigns the started requests to ``servicedesk``). Nothing else may show.
BUTTONS: dict[str, dict[str, set[str]]] = {
    S.OPEN: {"frontdesk": {"qualify", "close_without_follow_up"}},
    S.QUALIFIED: {"daily": {"start"}, SD: {"start"}},
    S.IN_PROGRESS: {
        SD: {"escalate_to_expert", "send_to_rnd", "ask_customer", "propose_resolution",
             "close_escalated"},
        "expert": {"send_to_rnd"},
    },
    S.AWAITING_TRIAGE: {"expert": {"return_to_service_desk", "send_to_rnd"},
                        SD: {"send_to_rnd"}},
    S.AWAITING_RND: {"rnd": {"fix_available"}},
    # The client answers, or the agent takes it back; "Clore" waits for a confirmation.
    S.AWAITING_CUSTOMER: {SD: {"take_back"}},
    "confirmed": {SD: {"close", "take_back"}},
    S.CLOSED: {},
}
TARGET = {
    "qualify": S.QUALIFIED, "close_without_follow_up": S.CLOSED, "start": S.IN_PROGRESS,
    "escalate_to_expert": S.AWAITING_TRIAGE, "return_to_service_desk": S.IN_PROGRESS,
    "send_to_rnd": S.AWAITING_RND, "fix_available": S.IN_PROGRESS,
    "ask_customer": S.AWAITING_CUSTOMER, "propose_resolution": S.AWAITING_CUSTOMER,
    "close": S.CLOSED, "close_without_answer": S.CLOSED, "close_escalated": S.CLOSED,
    "take_back": S.IN_PROGRESS,
}


@pytest.fixture
def people(client_user, frontdesk, daily, servicedesk, servicedesk2, expert, rnd, sales):
    return {"client": client_user, "frontdesk": frontdesk, "daily": daily,
            "servicedesk": servicedesk, "servicedesk2": servicedesk2, "expert": expert,
            "rnd": rnd, "sales": sales}


@pytest.fixture
def at_status(walk, client_user, servicedesk):
    """``at_status(name)``: a request at a status of BUTTONS ("confirmed": En attente client
    with the resolution confirmed by the client)."""

    def make(name: str) -> Request:
        if name != "confirmed":
            return walk(name)
        r = walk(S.IN_PROGRESS)
        services.request_propose_resolution(actor=servicedesk, request=r,
                                            resolution="Paramètre corrigé.")
        return services.resolution_confirm(actor=client_user, request=r)

    return make


def form_data(name: str, request_obj: Request, people: dict, actor) -> dict:
    """A complete, valid form for transition ``name`` as its page would post it."""
    assignee = actor if permissions.has_role(actor, permissions.Role.SERVICEDESK) and not (
        permissions.has_role(actor, permissions.Role.DAILY)) else people["servicedesk"]
    fields = {
        "qualify": {"request_type": factories.request_type().pk,
                    "priority": factories.priority("high").pk,
                    "module": factories.module().pk, "version": "24.1",
                    "environment": "production"},
        "close_without_follow_up": {"comment": "Doublon de SPT-1."},
        "start": {"assignee": assignee.pk},
        "escalate_to_expert": {"note": "NOTE-SECRETE journaux en pièce jointe."},
        "return_to_service_desk": {"comment": "Paramétrage à corriger.", "internal": "on"},
        "send_to_rnd": {"rnd_reference": "RD-42"},
        "fix_available": {"comment": "Correctif 24.1.4 livré.", "internal": "on"},
        "ask_customer": {"question": "Quelle version exactement ?"},
        "propose_resolution": {"resolution": "Paramètre corrigé, merci de confirmer."},
        "close": {},
        "close_without_answer": {"comment": "Sans nouvelles de votre part."},
        "close_escalated": {"reason": "Traité en projet."},
        "take_back": {"comment": "Réponse reçue par téléphone.", "internal": "on"},
    }[name]
    return {f"{name}-{key}": value for key, value in
            {"expected_status": request_obj.status, **fields}.items()}


def buttons_on(html: str, request_obj: Request) -> set[str]:
    prefix = re.escape(f"/agent/requests/{request_obj.key}/transition/")
    return set(re.findall(rf'action="{prefix}([a-z_]+)/"', html))


def page_with_forms(client, request_obj: Request) -> str:
    """The agent request page with each of its forms as htmx fetches them when their panel
    opens (the page itself renders none of them until then)."""
    html = client.get(f"/agent/requests/{request_obj.key}/").content.decode()
    slots = re.findall(rf'hx-get="(/agent/requests/{request_obj.key}/forms/[a-z_]+/)"', html)
    for slot in slots:
        response = client.get(slot, HTTP_HX_REQUEST="true")
        assert response.status_code == 200, slot
        html += response.content.decode()
    return html


def transition_url(request_obj: Request, name: str) -> str:
    return reverse("agent:transition", args=[request_obj.key, name])


def snapshot(request_obj: Request) -> tuple:
    fresh = Request.objects.get(pk=request_obj.pk)
    return (fresh.status, fresh.assignee_id, fresh.priority_id, fresh.confirmation_state,
            RequestEvent.objects.filter(request=request_obj).count(),
            fresh.comments.count())


# ------------------------------------------------------------------------- access

@pytest.mark.django_db
def test_every_agent_url_for_every_role(client, people, walk):
    r = walk(S.IN_PROGRESS)
    pages = ["/agent/", "/agent/queues/a-qualifier/", f"/agent/requests/{r.key}/",
             "/agent/queues/nav/?current=a-qualifier"]
    posts = [transition_url(r, "send_to_rnd"), f"/agent/requests/{r.key}/comment/",
             f"/agent/requests/{r.key}/details/", f"/agent/requests/{r.key}/assign/",
             f"/agent/requests/{r.key}/mute/", "/agent/queues/en-cours/bulk/"]
    for url in pages + posts + ["/agent/licences/new/"]:
        response = client.get(url) if url in pages else client.post(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    client.force_login(people["client"])
    for url in pages + posts + ["/agent/licences/new/"]:
        response = client.get(url) if url in pages else client.post(url)
        assert response.status_code == 403, url
    for role in AGENT_ROLES:
        client.force_login(people[role])
        for url in pages:
            # Sales administration sees the licences and what it created, not this request.
            expected = 404 if role == "sales" and r.key in url else 200
            assert client.get(url).status_code == expected, (role, url)
        expected = 200 if role == "sales" else 403
        assert client.get("/agent/licences/new/").status_code == expected, role
    assert snapshot(r)[0] == S.IN_PROGRESS


@pytest.mark.django_db
def test_unknown_things_are_404_and_actions_are_post_only(client, servicedesk, walk):
    r = walk(S.IN_PROGRESS)
    client.force_login(servicedesk)
    assert client.get("/agent/queues/nope/").status_code == 404
    assert client.get("/agent/requests/SPT-999/").status_code == 404
    assert client.post("/agent/requests/SPT-999/comment/", {"comment-body": "x"}
                       ).status_code == 404
    assert client.post(transition_url(r, "withdraw"), {}).status_code == 404
    assert client.post(transition_url(r, "customer_reply"), {}).status_code == 404
    assert client.post(transition_url(r, "delete"), {}).status_code == 404
    assert client.get(transition_url(r, "send_to_rnd")).status_code == 405
    assert client.get(f"/agent/requests/{r.key}/comment/").status_code == 405
    assert client.get("/agent/queues/en-cours/bulk/").status_code == 405
    assert snapshot(r)[0] == S.IN_PROGRESS


# ------------------------------------------------------------------ buttons by role

@pytest.mark.django_db
@pytest.mark.parametrize("status", list(BUTTONS))
def test_each_role_sees_exactly_its_buttons(status, client, people, at_status):
    r = at_status(status)
    for role in AGENT_ROLES:
        client.force_login(people[role])
        html = page_with_forms(client, r)
        assert buttons_on(html, r) == BUTTONS[status].get(role, set()), (status, role)
        # ... and each one asks for what it needs.
        for name in buttons_on(html, r):
            assert f'name="{name}-expected_status" value="{r.status}"' in html


@pytest.mark.django_db
def test_only_the_assignee_closes_a_confirmed_request(client, people, at_status):
    r = at_status("confirmed")
    services.request_assign(actor=people["daily"], request=r, assignee=people["servicedesk2"])
    client.force_login(people["servicedesk"])
    html = page_with_forms(client, r)
    assert buttons_on(html, r) == {"take_back"}  # not "Clore": they are not the assignee
    assert "Le client a confirmé la résolution — à clôturer" in html
    client.force_login(people["servicedesk2"])
    assert buttons_on(page_with_forms(client, r), r) == {"close", "take_back"}


# ------------------------------------------------------------ forbidden by hand

@pytest.mark.django_db
@pytest.mark.parametrize("status", list(BUTTONS))
def test_a_forbidden_transition_posted_by_hand_is_refused_and_changes_nothing(
    status, client, people, at_status
):
    r = at_status(status)
    for role in AGENT_ROLES:
        client.force_login(people[role])
        for name in AGENT_TRANSITIONS:
            if name in BUTTONS[status].get(role, set()):
                continue
            before = snapshot(r)
            response = client.post(transition_url(r, name),
                                    form_data(name, r, people, people[role]))
            assert snapshot(r) == before, (status, role, name)
            if role == "sales":  # a client's Support request: not even its existence
                assert response.status_code == 404, (status, role, name)
                continue
            assert 400 <= response.status_code < 500, (status, role, name)
            assert response.status_code != 404, (status, role, name)
            assert "alert-danger" in response.content.decode(), (status, role, name)


@pytest.mark.django_db
def test_a_client_posting_a_transition_gets_403(client, people, walk):
    r = walk(S.OPEN)
    client.force_login(people["client"])
    before = snapshot(r)
    response = client.post(transition_url(r, "qualify"),
                           form_data("qualify", r, people, people["frontdesk"]))
    assert response.status_code == 403
    assert snapshot(r) == before


# -------------------------------------------------------- every transition works

ALLOWED_CASES = sorted({
    (status, role, name)
    for status, by_role in BUTTONS.items()
    for role, names in by_role.items()
    for name in names
})


AGENT_TRANSITION_DONE = {name: TRANSITIONS[name].done for name in AGENT_TRANSITIONS}


@pytest.mark.django_db
@pytest.mark.parametrize(("status", "role", "name"), ALLOWED_CASES,
                         ids=[f"{s}-{r}-{n}" for s, r, n in ALLOWED_CASES])
def test_each_allowed_transition_through_its_form(status, role, name, client, people,
                                                  at_status):
    r = at_status(status)
    client.force_login(people[role])
    response = client.post(transition_url(r, name), form_data(name, r, people, people[role]))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == f"/agent/requests/{r.key}/"
    fresh = Request.objects.get(pk=r.pk)
    assert fresh.status == TARGET[name]
    event = RequestEvent.objects.filter(request=r, kind=EventKind.STATUS_CHANGED).first()
    assert event.payload["transition"] == name and event.actor == people[role]
    page = client.get(response["Location"]).content.decode()
    # What was done, in words, not the action's name echoed back.
    done = str(AGENT_TRANSITION_DONE[name]) % {"key": r.key}
    assert escape(done) in page and "fait pour" not in page


@pytest.mark.django_db
def test_qualify_records_the_priority_change_and_start_the_assignee(client, people, walk):
    r = walk(S.OPEN)
    client.force_login(people["frontdesk"])
    client.post(transition_url(r, "qualify"), form_data("qualify", r, people,
                                                        people["frontdesk"]))
    r.refresh_from_db()
    assert (r.status, r.priority.code, r.module.code, r.qualified_by) == (
        S.QUALIFIED, "high", "finance", people["frontdesk"])
    change = RequestEvent.objects.get(request=r, kind=EventKind.FIELD_CHANGED,
                                      payload__field="priority")
    assert (change.payload["old"], change.payload["new"]) == ("Moyenne", "Haute")

    # Daily assigns someone; a ServiceDesk agent can only take it themselves.
    client.force_login(people["daily"])
    html = page_with_forms(client, r)
    assert '<select name="start-assignee"' in html
    assert f'<option value="{people["servicedesk2"].pk}">' in html
    client.post(transition_url(r, "start"), {"start-expected_status": S.QUALIFIED,
                                             "start-assignee": people["servicedesk2"].pk})
    r.refresh_from_db()
    assert r.assignee == people["servicedesk2"]
    assert RequestEvent.objects.filter(request=r, kind=EventKind.ASSIGNED).exists()


@pytest.mark.django_db
def test_servicedesk_takes_a_request_for_themselves_only(client, people, walk):
    r = walk(S.QUALIFIED)
    client.force_login(people["servicedesk"])
    html = page_with_forms(client, r)
    assert "Prendre en charge" in html
    assert f'type="hidden" name="start-assignee" value="{people["servicedesk"].pk}"' in html
    before = snapshot(r)
    response = client.post(transition_url(r, "start"), {
        "start-expected_status": S.QUALIFIED, "start-assignee": people["servicedesk2"].pk})
    assert response.status_code == 400
    assert snapshot(r) == before
    response = client.post(transition_url(r, "start"), {
        "start-expected_status": S.QUALIFIED, "start-assignee": people["servicedesk"].pk})
    assert response.status_code == 302
    r.refresh_from_db()
    assert (r.status, r.assignee) == (S.IN_PROGRESS, people["servicedesk"])


@pytest.mark.django_db
def test_a_missing_requirement_is_a_400_with_the_form_open(client, people, walk):
    r = walk(S.OPEN)
    client.force_login(people["frontdesk"])
    before = snapshot(r)
    data = form_data("qualify", r, people, people["frontdesk"])
    del data["qualify-module"]
    response = client.post(transition_url(r, "qualify"), data)
    html = response.content.decode()
    assert response.status_code == 400
    assert '<details class="agent-action" id="action-qualify" open>' in html
    assert "Le formulaire contient une erreur" in html
    assert snapshot(r) == before


@pytest.mark.django_db
def test_a_request_changed_in_between_is_a_409_and_nothing_else_changes(client, people,
                                                                         walk):
    r = walk(S.OPEN)
    client.force_login(people["frontdesk"])
    shown = form_data("close_without_follow_up", r, people, people["frontdesk"])
    # Somebody else qualifies it while the page is open.
    services.request_qualify(actor=people["frontdesk"], request=r,
                             request_type=r.request_type, priority=r.priority,
                             module=factories.module(), version="1", environment="test")
    before = snapshot(r)
    response = client.post(transition_url(r, "close_without_follow_up"), shown)
    assert response.status_code == 409
    assert "modifiée entre-temps" in response.content.decode()
    assert snapshot(r) == before


@pytest.mark.django_db
def test_the_rnd_reference_and_the_attachments_reach_the_services(client, people, walk):
    r = walk(S.IN_PROGRESS)
    client.force_login(people["servicedesk"])
    data = form_data("ask_customer", r, people, people["servicedesk"])
    data["ask_customer-attachments"] = SimpleUploadedFile("capture.png", b"\x89PNG....")
    assert client.post(transition_url(r, "ask_customer"), data).status_code == 302
    r.refresh_from_db()
    assert r.attachments.get().original_name == "capture.png"
    assert not r.attachments.get().is_internal


# ------------------------------------------------------------ comments and notes

@pytest.mark.django_db
def test_public_comment_and_internal_note(client, people, walk):
    r = walk(S.IN_PROGRESS)
    client.force_login(people["servicedesk"])
    response = client.post(f"/agent/requests/{r.key}/comment/", {
        "comment-body": "Nous analysons les journaux.", "comment-visibility": "public"})
    assert response.status_code == 302
    response = client.post(f"/agent/requests/{r.key}/comment/", {
        "comment-body": "NOTE-INTERNE le client a un paramétrage exotique.",
        "comment-visibility": "internal"})
    assert response.status_code == 302
    comments = list(r.comments.order_by("pk").values_list("body", "is_internal"))
    assert comments == [("Nous analysons les journaux.", False),
                        ("NOTE-INTERNE le client a un paramétrage exotique.", True)]
    html = page_with_forms(client, r)
    assert "NOTE-INTERNE" in html and "Note interne" in html
    assert client.post(f"/agent/requests/{r.key}/comment/", {
        "comment-body": "", "comment-visibility": "public"}).status_code == 400


@pytest.mark.django_db
def test_internal_notes_never_reach_a_client_page(client, people, walk):
    r = walk(S.IN_PROGRESS)
    services.comment_add(actor=people["servicedesk"], request=r, is_internal=True,
                         body="NOTE-INTERNE-1 ne pas dire au client.")
    client.force_login(people["servicedesk"])
    client.post(transition_url(r, "escalate_to_expert"), {
        "escalate_to_expert-expected_status": S.IN_PROGRESS,
        "escalate_to_expert-note": "NOTE-INTERNE-2 escalade."})
    client.force_login(people["expert"])
    client.post(transition_url(r, "return_to_service_desk"), {
        "return_to_service_desk-expected_status": S.AWAITING_TRIAGE,
        "return_to_service_desk-comment": "NOTE-INTERNE-3 retour.",
        "return_to_service_desk-internal": "on"})
    assert Request.objects.get(pk=r.pk).status == S.IN_PROGRESS

    # The agent page shows all three, marked.
    client.force_login(people["servicedesk"])
    agent_html = page_with_forms(client, r)
    for n in (1, 2, 3):
        assert f"NOTE-INTERNE-{n}" in agent_html
    # The client's pages show none of them, nor that they exist.
    client.force_login(people["client"])
    for url in (f"/portal/requests/{r.key}/", "/portal/"):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert "NOTE-INTERNE" not in html, url
        assert "Note interne" not in html, url
    assert not selectors.comment_list_visible_to(people["client"], r).filter(
        body__startswith="NOTE-INTERNE").exists()
    # Nor do the client's e-mails (the escalation did tell them the status changed).
    to_client = OutboundMessage.objects.filter(request=r, recipient=people["client"])
    assert to_client.filter(event__kind=EventKind.STATUS_CHANGED).exists()
    for message in to_client:
        for text in (message.subject, message.body_text, message.body_html):
            assert "NOTE-INTERNE" not in text, message.kind


# ------------------------------------------------------------ details and people

@pytest.mark.django_db
def test_details_change_is_in_the_history(client, people, walk):
    r = walk(S.IN_PROGRESS)
    client.force_login(people["servicedesk"])
    response = client.post(f"/agent/requests/{r.key}/details/", {
        "details-request_type": factories.request_type("patch").pk,
        "details-priority": factories.priority("blocking").pk,
        "details-module": factories.module().pk, "details-version": "24.2",
        "details-environment": "test"})
    assert response.status_code == 302
    changed = set(RequestEvent.objects.filter(request=r, kind=EventKind.FIELD_CHANGED)
                  .values_list("payload__field", flat=True))
    assert {"request_type", "priority", "version", "environment"} <= changed
    # A Licence is sales administration's only: refused with a 4xx, nothing changed.
    licence = factories.request_type("licence")
    assert "Administration › Licence" not in client.get(
        f"/agent/requests/{r.key}/").content.decode()
    before = snapshot(r)
    response = client.post(f"/agent/requests/{r.key}/details/", {
        "details-request_type": licence.pk, "details-priority": factories.priority().pk})
    assert response.status_code == 400
    assert snapshot(r) == before


@pytest.mark.django_db
def test_sales_cannot_edit_details_nor_assign(client, people):
    r = factories.make_licence(people["sales"], people["client"])
    client.force_login(people["sales"])
    html = page_with_forms(client, r)
    assert f"/agent/requests/{r.key}/details/" not in html
    assert f"/agent/requests/{r.key}/assign/" not in html
    before = snapshot(r)
    response = client.post(f"/agent/requests/{r.key}/details/", {
        "details-request_type": r.request_type_id,
        "details-priority": factories.priority("blocking").pk})
    assert response.status_code == 403
    response = client.post(f"/agent/requests/{r.key}/assign/", {
        "assign-assignee": people["servicedesk2"].pk})
    assert response.status_code in (400, 403)
    assert snapshot(r) == before


@pytest.mark.django_db
def test_reassignment_by_daily_is_in_the_history(client, people, walk):
    r = walk(S.AWAITING_RND)
    client.force_login(people["daily"])
    response = client.post(f"/agent/requests/{r.key}/assign/", {
        "assign-assignee": people["servicedesk2"].pk})
    assert response.status_code == 302
    r.refresh_from_db()
    assert r.assignee == people["servicedesk2"]
    event = RequestEvent.objects.filter(request=r, kind=EventKind.ASSIGNED).first()
    assert event.actor == people["daily"] and event.payload["assignee_id"] == r.assignee_id


@pytest.mark.django_db
def test_mute_and_unmute(client, people, walk):
    r = walk(S.IN_PROGRESS)
    client.force_login(people["servicedesk"])
    assert client.post(f"/agent/requests/{r.key}/mute/", {"muted": "on"}).status_code == 302
    assert selectors.is_muted(people["servicedesk"], r)
    assert "Réactiver les notifications" in client.get(
        f"/agent/requests/{r.key}/").content.decode()
    assert client.post(f"/agent/requests/{r.key}/mute/", {}).status_code == 302
    assert not selectors.is_muted(people["servicedesk"], r)


@pytest.mark.django_db
def test_a_closed_request_offers_nothing_and_refuses_everything(client, people, walk):
    r = walk(S.CLOSED)
    client.force_login(people["servicedesk"])
    html = page_with_forms(client, r)
    assert buttons_on(html, r) == set()
    assert f"/agent/requests/{r.key}/comment/" not in html
    assert "Fermé est définitif" in html
    before = snapshot(r)
    response = client.post(f"/agent/requests/{r.key}/comment/", {
        "comment-body": "Encore là ?", "comment-visibility": "internal"})
    assert response.status_code == 409
    assert snapshot(r) == before


# ----------------------------------------------------------------------- queues

@pytest.mark.django_db
def test_queue_index_shows_each_queue_with_its_count(client, people, at_status):
    for status in (S.OPEN, S.OPEN, S.QUALIFIED, "confirmed"):
        at_status(status)
    client.force_login(people["frontdesk"])
    html = client.get("/agent/").content.decode()
    for queue in queues.QUEUES:
        assert f'href="/agent/queues/{queue.slug}/"' in html
    first_card = html.split('class="agent-queue-cards"')[1]
    # FrontDesk's own queue comes first, with its count.
    assert re.search(r"À qualifier</span>\s*<span class=\"agent-queue-card-count\">2<",
                     first_card)
    assert re.search(r"À clôturer</span>\s*<span class=\"agent-queue-card-count\">1<", html)
    assert "Nouvelle licence" not in html


@pytest.mark.django_db
def test_the_sidebar_counts_come_after_the_page_and_while_it_stays_open(client, people, at_status):
    for status in (S.OPEN, S.OPEN, S.QUALIFIED):
        at_status(status)
    request = at_status(S.IN_PROGRESS)
    client.force_login(people["daily"])
    nav_url = reverse("agent:queue_nav")
    for url, current in ((reverse("agent:queue", args=["a-qualifier"]), "a-qualifier"),
                         (reverse("agent:request", args=[request.key]), ""),
                         (reverse("reports:slo"), "")):
        with CaptureQueriesContext(connection) as captured:
            html = client.get(url).content.decode()
        nav = html[html.index('id="agent-queue-nav-list"'):html.index("</nav>", html.index(
            'id="agent-queue-nav-list"'))]
        # The page lists the queues without counting them (the costliest query of a page).
        assert 'class="agent-count' not in nav and 'href="/agent/queues/a-planifier/"' in nav
        assert not [q for q in captured.captured_queries if 'AS "a-planifier"' in q["sql"]]
        assert f'hx-get="{nav_url}{"?current=" + current if current else ""}"' in nav
        # Then again while the page stays open (agent_live.js's spt:poll, tests/requests_app/
        # test_live.py), and when a script says they changed.
        assert 'hx-trigger="load, spt:poll, spt:counts-changed from:body"' in nav
    fragment = client.get(nav_url, {"current": "a-qualifier"})
    html = fragment.content.decode()
    assert fragment.status_code == 200 and html.startswith("<nav") and "<body" not in html
    assert 'hx-trigger="spt:poll, spt:counts-changed from:body"' in html
    assert re.search(r'href="/agent/queues/a-qualifier/" aria-current="page">\s*'
                     r'<span class="agent-queue-name">À qualifier</span>\s*'
                     r'<span class="agent-count agent-count-some">2<', html)
    assert re.search(r'À planifier</span>\s*<span class="agent-count agent-count-some">1<', html)
    assert html.count('aria-current="page"') == 1
    assert client.get(nav_url, {"current": "nope"}).status_code == 404


@pytest.mark.django_db
def test_a_queue_row_shows_the_request_with_every_value_escaped(client, people, walk):
    org = factories.OrganisationFactory(name='Verre & <Fils> "SA"')
    reporter = factories.make_client(org, "verre")
    request = factories.make_request(reporter, title="<script>alert('x')</script> & co",
                                     priority_code="blocking")
    people["servicedesk"].first_name, people["servicedesk"].last_name = "Zoé", "<b>Uldry</b>"
    people["servicedesk"].save()
    services.request_qualify(actor=people["frontdesk"], request=request,
                             request_type=request.request_type, priority=request.priority,
                             module=factories.module(), version="24.1",
                             environment="production")
    services.request_start(actor=people["servicedesk"], request=Request.objects.get(
        pk=request.pk), assignee=people["servicedesk"])
    client.force_login(people["daily"])
    html = client.get("/agent/queues/en-cours/").content.decode()
    row = html[html.rindex("<tr>", 0, html.index(f'id="agent-select-{request.number}"')):]
    row = row[:row.index("</tr>")]
    assert "<script>" not in html and "<b>Uldry" not in html and "<Fils>" not in row
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; co" in row
    assert "Verre &amp; &lt;Fils&gt; &quot;SA&quot;" in row
    assert "Zoé &lt;b&gt;Uldry&lt;/b&gt;" in row
    assert f'value="{request.number}:in_progress"' in row
    # The key and the title are one link (the title whole in its text and its tooltip).
    title = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; co"
    assert re.search(
        rf'<a class="agent-row-link" href="/agent/requests/{request.key}/[^"]*" '
        rf'title="{request.key} {re.escape(title)}"><span class="spt-ref">{request.key}</span> '
        rf'<span class="agent-row-title">{re.escape(title)}</span></a>', row)
    assert row.count("<a ") == 1
    assert '<span class="badge-status badge-status-in_progress">En cours</span>' in row
    assert '<span class="agent-priority agent-priority-blocking">Bloquante</span>' in row
    assert 'class="slo-badge slo-ok"' in row and "Résolution" in row
    local = timezone.localtime(Request.objects.get(pk=request.pk).updated_at)
    assert f"{local:%d/%m/%Y}" in row and f"{local:%H:%M}</span></time>" in row


@pytest.mark.django_db
def test_queue_page_filters_sorts_and_paginates(client, people, walk, outsider):
    for _ in range(3):
        walk(S.OPEN)
    leman = factories.make_request(outsider, title="Étiquettes mal alignées")
    client.force_login(people["frontdesk"])
    html = client.get("/agent/queues/a-qualifier/").content.decode()
    assert html.count('name="bulk-requests"') == 4
    html = client.get("/agent/queues/a-qualifier/", {
        "organisation": leman.organisation_id}).content.decode()
    assert html.count('name="bulk-requests"') == 1 and leman.key in html
    html = client.get("/agent/queues/a-qualifier/", {"q": leman.key}).content.decode()
    assert html.count('name="bulk-requests"') == 1
    html = client.get("/agent/queues/a-qualifier/", {"q": "rien de tel"}).content.decode()
    assert "Aucune demande de cette file ne correspond aux filtres." in html
    # An invalid filter value is ignored rather than an error page.
    assert client.get("/agent/queues/a-qualifier/", {"priority": "x"}).status_code == 200
    html = client.get("/agent/queues/a-qualifier/", {"sort": "newest"}).content.decode()
    numbers = re.findall(r'value="(\d+):open"', html)
    assert numbers == sorted(numbers, key=int, reverse=True)


@pytest.mark.django_db
def test_queue_pagination(client, people, client_user):
    for _ in range(55):
        factories.make_request(client_user)
    client.force_login(people["frontdesk"])
    first = client.get("/agent/queues/a-qualifier/").content.decode()
    second = client.get("/agent/queues/a-qualifier/", {"page": 2}).content.decode()
    assert first.count('name="bulk-requests"') == 50
    assert second.count('name="bulk-requests"') == 5
    assert "Page 1 sur 2" in first


# -------------------------------------------------------------------------- bulk

@pytest.mark.django_db
def test_bulk_assign_each_checked_one_by_one(client, people, walk):
    a, b = walk(S.IN_PROGRESS), walk(S.AWAITING_TRIAGE)
    closed = walk(S.CLOSED)
    client.force_login(people["daily"])
    response = client.post("/agent/queues/toutes/bulk/", {
        "bulk-requests": [f"{a.number}:{a.status}", f"{b.number}:{b.status}",
                          f"{closed.number}:{closed.status}", "999:open"],
        "bulk-action": "assign", "bulk-assignee": people["servicedesk2"].pk,
        "next": "/agent/queues/toutes/?sort=newest"}, follow=True)
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == "/agent/queues/toutes/?sort=newest"
    assert "« Assigner / réassigner » : 2 demandes traitées, 2 refusées." in html
    assert f"Traitées : {a.key}, {b.key}." in html
    assert f"<li><strong>{closed.key}</strong> : La demande {closed.key} est fermée" in html
    assert "<li><strong>SPT-999</strong> : Demande introuvable.</li>" in html
    assert {r.assignee for r in Request.objects.filter(pk__in=[a.pk, b.pk])} == {
        people["servicedesk2"]}
    assert Request.objects.get(pk=closed.pk).assignee is None


@pytest.mark.django_db
def test_bulk_transition_refuses_what_the_role_status_or_a_change_does_not_allow(
    client, people, walk
):
    ok, triage, stale = walk(S.IN_PROGRESS), walk(S.AWAITING_TRIAGE), walk(S.IN_PROGRESS)
    shown_stale = f"{stale.number}:{stale.status}"
    services.request_escalate_to_expert(actor=people["servicedesk"], request=stale,
                                        note="Entre-temps.")
    client.force_login(people["servicedesk"])
    response = client.post("/agent/queues/en-cours/bulk/", {
        "bulk-requests": [f"{ok.number}:{ok.status}", f"{triage.number}:{triage.status}",
                          shown_stale],
        "bulk-action": "ask_customer", "bulk-comment": "Pouvez-vous préciser la version ?"},
        follow=True)
    html = response.content.decode()
    assert "« Demander des informations » : 1 demande traitée, 2 refusées." in html
    assert f"Traitées : {ok.key}." in html
    assert f"<li><strong>{triage.key}</strong> : « Demander des informations » n’est" not in html
    assert f"<li><strong>{triage.key}</strong> : " in html
    assert f"<li><strong>{stale.key}</strong> : La demande {stale.key} a été modifiée" in html
    assert Request.objects.get(pk=ok.pk).status == S.AWAITING_CUSTOMER
    assert Request.objects.get(pk=triage.pk).status == S.AWAITING_TRIAGE
    assert Request.objects.get(pk=stale.pk).status == S.AWAITING_TRIAGE


@pytest.mark.django_db
def test_bulk_form_errors_are_a_400_with_the_selection_kept(client, people, walk):
    r = walk(S.IN_PROGRESS)
    client.force_login(people["servicedesk"])
    response = client.post("/agent/queues/en-cours/bulk/", {
        "bulk-requests": [f"{r.number}:{r.status}"], "bulk-action": "send_to_rnd"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "La référence R&amp;D est obligatoire." in html
    assert f'value="{r.number}:{r.status}"' in html and "checked" in html
    response = client.post("/agent/queues/en-cours/bulk/", {"bulk-action": "close"})
    assert response.status_code == 400 and "Cochez au moins une demande." in (
        response.content.decode())
    response = client.post("/agent/queues/en-cours/bulk/", {
        "bulk-requests": ["1:nonsense"], "bulk-action": "close"})
    assert response.status_code == 400
    assert Request.objects.get(pk=r.pk).status == S.IN_PROGRESS


@pytest.mark.django_db
def test_the_bulk_fields_are_drawn_when_their_panel_opens(client, people, walk):
    walk(S.IN_PROGRESS)
    client.force_login(people["daily"])
    html = client.get("/agent/queues/en-cours/", {"page": "1"}).content.decode()
    assert 'name="bulk-action"' not in html and 'name="bulk-requests"' in html
    assert 'hx-get="/agent/queues/en-cours/bulk/fields/?actions=assign"' in html
    assert 'href="?page=1&amp;bulk=open#agent-bulk"' in html  # without script
    fragment = client.get("/agent/queues/en-cours/bulk/fields/", HTTP_HX_REQUEST="true")
    fields = fragment.content.decode()
    assert fragment.status_code == 200 and "<body" not in fields
    assert 'name="bulk-action"' in fields and 'name="bulk-assignee"' in fields
    assert people["servicedesk"].get_full_name() in fields  # Daily assigns to any agent
    opened = client.get("/agent/queues/en-cours/", {"bulk": "open"}).content.decode()
    assert 'name="bulk-action"' in opened and 'id="agent-bulk" open' in opened
    redirect = client.get("/agent/queues/en-cours/bulk/fields/")
    assert redirect.status_code == 302
    assert redirect["Location"] == "/agent/queues/en-cours/?bulk=open#agent-bulk"
    assert client.get("/agent/queues/nope/bulk/fields/",
                      HTTP_HX_REQUEST="true").status_code == 404
    client.force_login(people["client"])
    assert client.get("/agent/queues/en-cours/bulk/fields/",
                      HTTP_HX_REQUEST="true").status_code == 403


@pytest.mark.django_db
def test_bulk_never_redirects_elsewhere(client, people, walk):
    r = walk(S.IN_PROGRESS)
    client.force_login(people["daily"])
    response = client.post("/agent/queues/en-cours/bulk/", {
        "bulk-requests": [f"{r.number}:{r.status}"], "bulk-action": "assign",
        "bulk-assignee": people["servicedesk2"].pk, "next": "https://evil.example/"})
    assert response["Location"] == "/agent/queues/en-cours/"


# -------------------------------------------------------------- query counts

def count_queries(client, url: str) -> int:
    client.get(url)  # the process's copy of the reference data, read on first use
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.django_db
def test_queue_pages_run_the_same_queries_for_10_and_200_requests(client, people,
                                                                   client_user):
    for _ in range(10):
        factories.make_request(client_user)
    client.force_login(people["daily"])
    urls = ["/agent/", "/agent/queues/a-qualifier/", "/agent/queues/toutes-ouvertes/",
            "/agent/queues/slo-a-risque/"]
    few = {url: count_queries(client, url) for url in urls}
    for _ in range(190):
        factories.make_request(client_user, priority_code="high")
    many = {url: count_queries(client, url) for url in urls}
    assert few == many
    assert max(many.values()) <= 16, many


@pytest.mark.django_db
def test_request_page_runs_the_same_queries_with_few_and_many_comments(client, people,
                                                                        walk):
    r = walk(S.IN_PROGRESS)
    client.force_login(people["servicedesk"])
    url = f"/agent/requests/{r.key}/"
    few = count_queries(client, url)
    for n in range(40):
        agent = n % 3 == 0
        services.comment_add(actor=people["servicedesk"] if agent else people["client"],
                             request=r, body=f"Commentaire {n}", is_internal=agent and n % 2 == 0,
                             attachments=[SimpleUploadedFile(f"j{n}.txt", b"log")]
                             if n % 7 == 0 else [])
    many = count_queries(client, url)
    assert few == many, (few, many)
    assert many <= 30, many


@pytest.mark.django_db
def test_the_queues_neighbours_cost_the_request_page_at_most_two_queries(client, people,
                                                                          walk):
    """Opened from a queue, the page links the requests before and after it there: both in
    one query, plus one to read its place when the order is one the queue computes (a
    search's rank); whatever the queue's filters, and as many at 3 requests as at 30. A
    search on PostgreSQL first looks up the words its prefixes stand for: one more."""
    made = [walk(S.IN_PROGRESS, title=f"Clôture {n}") for n in range(3)]
    r = made[1]
    client.force_login(people["servicedesk"])
    url = f"/agent/requests/{r.key}/"
    alone = count_queries(client, url)
    high = factories.priority("high")
    origins = ["/agent/queues/en-cours/", "/agent/queues/en-cours/?sort=updated",
               f"/agent/queues/en-cours/?priority={high.pk}&assignee=me&sort=priority",
               "/agent/queues/en-cours/?q=cl%C3%B4ture"]
    few = {}
    for origin in origins:
        few[origin] = count_queries(client, f"{url}?{urlencode({'from': origin})}")
        words = "?q=" in origin and connection.vendor == "postgresql"
        assert few[origin] <= alone + 2 + words, (origin, alone, few[origin])
    html = client.get(f"{url}?from=/agent/queues/en-cours/").content.decode()
    assert "data-queue-previous" in html and "data-queue-next" in html
    for n in range(27):
        walk(S.IN_PROGRESS, title=f"Clôture {n + 3}")
    many = {origin: count_queries(client, f"{url}?{urlencode({'from': origin})}")
            for origin in origins}
    assert few == many


@pytest.mark.django_db
def test_another_servicedesk_agent_may_take_over_a_request(client, people, walk):
    r = walk(S.IN_PROGRESS)
    client.force_login(people["servicedesk"])  # already theirs: nothing to take
    assert "Prendre la demande" not in page_with_forms(client, r)
    client.force_login(people["servicedesk2"])
    assert "Prendre la demande" in page_with_forms(client, r)
    before = snapshot(r)
    response = client.post(f"/agent/requests/{r.key}/assign/", {
        "assign-assignee": people["servicedesk"].pk})
    assert response.status_code == 400  # only themselves
    assert snapshot(r) == before
    response = client.post(f"/agent/requests/{r.key}/assign/", {
        "assign-assignee": people["servicedesk2"].pk})
    assert response.status_code == 302
    assert Request.objects.get(pk=r.pk).assignee == people["servicedesk2"]


@pytest.mark.django_db
def test_the_page_renders_its_forms_only_when_opened(client, people, walk):
    """The request page carries no transition form until its panel opens (htmx fetches it);
    without script, the link opens the page with that form; a form the page would not
    offer is a 404."""
    r = walk(S.OPEN)
    client.force_login(people["frontdesk"])
    page = client.get(f"/agent/requests/{r.key}/").content.decode()
    assert buttons_on(page, r) == set() and 'id="action-qualify"' in page
    fragment = client.get(f"/agent/requests/{r.key}/forms/qualify/", HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200 and "<html" not in fragment.content.decode()
    assert buttons_on(fragment.content.decode(), r) == {"qualify"}
    without_script = client.get(f"/agent/requests/{r.key}/forms/qualify/")
    assert without_script.status_code == 302
    assert without_script["Location"] == f"/agent/requests/{r.key}/?open=qualify#action-qualify"
    opened = client.get(without_script["Location"]).content.decode()
    assert buttons_on(opened, r) == {"qualify"}
    assert '<details class="agent-action" id="action-qualify" open>' in opened
    for slot in ("close", "assign", "nothing"):
        assert client.get(f"/agent/requests/{r.key}/forms/{slot}/",
                          HTTP_HX_REQUEST="true").status_code == 404
    client.force_login(people["rnd"])  # R&D may not qualify
    assert client.get(f"/agent/requests/{r.key}/forms/qualify/",
                      HTTP_HX_REQUEST="true").status_code == 404


def test_who_acts_now_reads_as_the_back_office_reads_it(client, people, walk):
    """"Le client (vous)" is the client's wording; an agent reads "Le client"."""
    r = walk(S.AWAITING_CUSTOMER)
    client.force_login(people["servicedesk"])
    html = client.get(reverse("agent:request", args=[r.key])).content.decode()
    facts = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "Traitement attendu par : Le client" in facts
    assert "(vous)" not in facts
    client.force_login(r.reporter)
    page = client.get(reverse("portal:request", args=[r.key])).content.decode()
    assert "Le client (vous)" in page
