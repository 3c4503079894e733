"""/api/v1/requests/… end to end, for a client and for the back office: what a client system
sends and reads back, through the same forms, selectors and services as the pages."""

from __future__ import annotations

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from requests_app import services
from requests_app.models import (
    Attachment,
    Comment,
    NotificationMute,
    OutboundMessage,
    Request,
    RequestEvent,
)
from requests_app.workflow import RequestStatus as S
from tests import factories

LIST = "/api/v1/requests/"


def api_for(user) -> APIClient:
    api = APIClient()
    api.force_login(user)
    return api


def url(request, tail: str = "") -> str:
    return f"{LIST}{request.key}/{tail}"


def written() -> tuple:
    """Everything a write could leave behind."""
    return (Request.objects.count(), RequestEvent.objects.count(), Comment.objects.count(),
            Attachment.objects.count(), OutboundMessage.objects.count(),
            NotificationMute.objects.count(),
            *Request.objects.order_by("pk").values_list("status", "updated_at", "assignee_id"))


def error_of(response) -> dict:
    return response.json()["error"]


SUPPORT = {"request_type": "support", "title": "Écran de clôture bloqué",
           "description": "Erreur 4512 à la validation.", "priority": "high",
           "module": "finance", "version": "24.1", "environment": "production"}


# --------------------------------------------------------------------------- creating


@pytest.mark.django_db
def test_a_client_opens_a_request_and_finds_it_in_their_list(client_user, outsider):
    api = api_for(client_user)
    response = api.post(LIST, SUPPORT, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["key"].startswith("SPT-")
    assert response["Location"].endswith(f"/api/v1/requests/{created['key']}/")
    assert created["status"]["code"] == S.OPEN
    assert created["priority"]["code"] == "high"
    assert created["module"]["code"] == "finance"
    assert created["reporter"] == {"name": created["reporter"]["name"], "is_you": True}
    assert created["shared_with_organisation"] is True  # on by default, as on the page
    assert [row["key"] for row in api.get(LIST).json()["results"]] == [created["key"]]
    assert api_for(outsider).get(LIST).json()["count"] == 0


@pytest.mark.django_db
def test_a_request_opened_with_files_keeps_them(client_user):
    api = api_for(client_user)
    body = {**SUPPORT, "attachments": [SimpleUploadedFile("journal.txt", b"ligne 1"),
                                       SimpleUploadedFile("capture.png", b"\x89PNG...")]}
    response = api.post(LIST, body, format="multipart")
    assert response.status_code == 201, response.content
    files = api.get(url(Request.objects.get(), "attachments/")).json()["results"]
    assert sorted(f["name"] for f in files) == ["capture.png", "journal.txt"]


@pytest.mark.django_db
@pytest.mark.parametrize("change, field", [
    ({"title": ""}, "title"),
    ({"description": "   "}, "description"),
    ({"priority": "urgentissime"}, "priority"),
    ({"module": "inconnu"}, "module"),
    ({"environment": "lune"}, "environment"),
    ({"request_type": "inconnu"}, "request_type"),
    ({"request_type": ""}, "request_type"),
    ({"shared_with_organisation": "peut-être"}, "shared_with_organisation"),
    ({"title": "x" * 201}, "title"),
])
def test_bad_input_is_400_with_the_field_and_nothing_written(client_user, change, field):
    before = written()
    response = api_for(client_user).post(LIST, {**SUPPORT, **change}, format="json")
    assert response.status_code == 400, response.content
    assert error_of(response)["code"] == "invalid"
    assert field in error_of(response)["fields"]
    assert written() == before


@pytest.mark.django_db
@pytest.mark.parametrize("name, size, max_bytes", [
    ("script.exe", 10, None), ("vide.txt", 0, None), ("gros.txt", 2048, 1024),
])
def test_a_file_the_limits_refuse_is_400_and_nothing_written(client_user, settings, name, size,
                                                             max_bytes):
    if max_bytes:
        settings.ATTACHMENT_MAX_BYTES = max_bytes
    before = written()
    body = {**SUPPORT, "attachments": [SimpleUploadedFile(name, b"x" * size)]}
    response = api_for(client_user).post(LIST, body, format="multipart")
    assert response.status_code == 400, response.content
    assert name in " ".join(error_of(response)["fields"]["attachments"])
    assert written() == before


@pytest.mark.django_db
def test_a_client_may_not_open_a_licence_nor_a_request_for_someone_else(client_user, colleague,
                                                                        org_b):
    api = api_for(client_user)
    before = written()
    licence = {**SUPPORT, "request_type": "licence"}
    assert api.post(LIST, licence, format="json").status_code == 403
    for other in ({"reporter": colleague.pk}, {"organisation": org_b.pk}):
        response = api.post(LIST, {**SUPPORT, **other}, format="json")
        assert response.status_code == 403 and error_of(response)["code"] == "forbidden"
    assert written() == before


@pytest.mark.django_db
def test_the_back_office_opens_a_request_on_behalf_of_a_client(servicedesk, client_user, org_a,
                                                               colleague):
    api = api_for(servicedesk)
    before = written()
    response = api.post(LIST, SUPPORT, format="json")
    assert response.status_code == 400 and "reporter" in error_of(response)["fields"]
    assert written() == before
    body = {**SUPPORT, "organisation": org_a.pk, "reporter": client_user.pk}
    response = api.post(LIST, body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["reporter"]["id"] == client_user.pk
    assert response.json()["created_by"]["id"] == servicedesk.pk
    # The client reads it in their own list.
    assert api_for(colleague).get(LIST).json()["count"] == 1


@pytest.mark.django_db
def test_sales_administration_opens_a_licence_with_its_form(sales, client_user, org_a,
                                                            servicedesk):
    licence = {"request_type": "licence", "organisation": org_a.pk,
               "reporter": client_user.pk, "title": "Licence 2027",
               "description": "25 utilisateurs", "priority": "medium",
               "modules": ["finance", "ventes"], "users": 25, "validity": "2099-12-31"}
    response = api_for(sales).post(LIST, licence, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["details"] == {"modules": "Finance, Ventes", "users": 25,
                                          "validity": "2099-12-31"}
    before = written()
    refused = api_for(servicedesk).post(LIST, licence, format="json")
    assert refused.status_code == 403
    past = api_for(sales).post(LIST, {**licence, "validity": "2000-01-01"}, format="json")
    assert past.status_code == 400 and "validity" in error_of(past)["fields"]
    assert written() == before


# --------------------------------------------------------------------------- the list


@pytest.fixture
def a_few(client_user, colleague, walk):
    """Requests of organisation A in several states and types."""
    return {
        "open": walk(S.OPEN, title="Imprimante des bulletins"),
        "in_progress": walk(S.IN_PROGRESS, title="Clôture annuelle"),
        "closed": walk(S.CLOSED, title="Export comptable"),
        "patch": factories.make_request(colleague, type_code="patch",
                                        title="Correctif 24.1.3", priority_code="high",
                                        details={"time_window": "samedi"}),
    }


def keys(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["key"] for row in response.json()["results"]}


@pytest.mark.django_db
def test_a_client_filters_their_list_as_on_the_portal(client_user, a_few):
    api = api_for(client_user)
    k = {name: r.key for name, r in a_few.items()}
    assert keys(api.get(LIST)) == set(k.values())
    assert keys(api.get(LIST, {"status": S.IN_PROGRESS})) == {k["in_progress"]}
    assert keys(api.get(LIST, {"state": "closed"})) == {k["closed"]}
    assert keys(api.get(LIST, {"type": "patch"})) == {k["patch"]}
    assert keys(api.get(LIST, {"scope": "mine"})) == set(k.values()) - {k["patch"]}
    assert keys(api.get(LIST, {"scope": "colleagues"})) == {k["patch"]}
    assert keys(api.get(LIST, {"q": "clôture"})) == {k["in_progress"]}
    assert keys(api.get(LIST, {"q": a_few["open"].key})) == {k["open"]}
    row = next(r for r in api.get(LIST).json()["results"] if r["key"] == k["patch"])
    assert row["status"]["code"] == S.OPEN and row["request_type"]["code"] == "patch"
    assert "assignee_name" not in row and row["reporter_name"]


@pytest.mark.django_db
@pytest.mark.parametrize("query, field", [
    ({"status": "perdu"}, "status"), ({"type": "inconnu"}, "type"),
    ({"sort": "hasard"}, "sort"), ({"page_size": "0"}, "page_size"),
    ({"page_size": "1000"}, "page_size"), ({"page_size": "dix"}, "page_size"),
])
def test_an_invalid_filter_is_400_with_its_name(client_user, servicedesk, a_few, query, field):
    for person in (client_user, servicedesk):
        response = api_for(person).get(LIST, query)
        assert response.status_code == 400, (person, response.content)
        assert field in error_of(response)["fields"]


@pytest.mark.django_db
def test_the_back_office_filters_as_its_queues_do(servicedesk, client_user, outsider, a_few,
                                                  org_a):
    foreign = factories.make_request(outsider, title="Chocolat")
    services.comment_add(actor=servicedesk, request=a_few["in_progress"],
                         body="Piste zorglub côté base", is_internal=True)
    api = api_for(servicedesk)
    k = {name: r.key for name, r in a_few.items()}
    everything = {*k.values(), foreign.key}
    assert keys(api.get(LIST)) == everything
    assert keys(api.get(LIST, {"organisation": org_a.pk})) == everything - {foreign.key}
    assert keys(api.get(LIST, {"priority": "high"})) == {k["patch"]}
    assert keys(api.get(LIST, {"type": "patch"})) == {k["patch"]}
    assert keys(api.get(LIST, {"assignee": "me"})) == {k["in_progress"]}
    assert keys(api.get(LIST, {"status": S.CLOSED})) == {k["closed"]}
    assert keys(api.get(LIST, {"queue": "a-qualifier"})) == {k["open"], k["patch"],
                                                            foreign.key}
    # The back office's search reads internal notes; a client's never does.
    assert keys(api.get(LIST, {"q": "zorglub"})) == {k["in_progress"]}
    assert keys(api_for(client_user).get(LIST, {"q": "zorglub"})) == set()
    row = next(r for r in api.get(LIST).json()["results"] if r["key"] == k["in_progress"])
    assert row["organisation"]["id"] == org_a.pk and row["assignee_name"]
    assert "reporter_name" not in row
    response = api.get(LIST, {"queue": "inconnue"})
    assert response.status_code == 400 and "queue" in error_of(response)["fields"]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["client_user", "servicedesk"])
def test_pages_of_the_list_follow_each_other_without_gap_or_repeat(request, who, client_user):
    for n in range(7):
        factories.make_request(client_user, title=f"Demande {n}")
    api = api_for(request.getfixturevalue(who))
    seen: list[str] = []
    address = f"{LIST}?page_size=3"
    pages = 0
    while address:
        response = api.get(address)
        assert response.status_code == 200
        page = response.json()
        assert page["count"] == 7
        seen += [row["key"] for row in page["results"]]
        address = page["next"]
        pages += 1
    assert pages == 3 and len(seen) == len(set(seen)) == 7
    last = api.get(f"{LIST}?page_size=3&page=3").json()
    assert last["next"] is None and "page=2" in last["previous"]
    beyond = api.get(f"{LIST}?page_size=3&page=4")
    assert beyond.status_code == 404 and error_of(beyond)["code"] == "not_found"


def _queries(api, address: str) -> int:
    api.get(address)  # the process's copies of reference rows and people, read once
    with CaptureQueriesContext(connection) as queries:
        response = api.get(address)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["client_user", "servicedesk"])
def test_the_list_runs_the_same_queries_whatever_the_number_of_rows(request, who, client_user,
                                                                    colleague):
    api = api_for(request.getfixturevalue(who))
    factories.make_request(client_user)
    few = _queries(api, LIST)
    searched_few = _queries(api, f"{LIST}?q=clôture")
    for n in range(12):
        factories.make_request(colleague if n % 2 else client_user, priority_code="high")
    assert api.get(LIST).json()["count"] == 13
    assert _queries(api, LIST) == few
    assert _queries(api, f"{LIST}?q=clôture") == searched_few


@pytest.mark.django_db
def test_comments_and_the_request_run_the_same_queries_whatever_their_number(client_user,
                                                                             servicedesk):
    r = factories.make_request(client_user)
    api = api_for(servicedesk)
    services.comment_add(actor=client_user, request=r, body="Un",
                         attachments=[SimpleUploadedFile("a.txt", b"a")])
    few = (_queries(api, url(r, "comments/")), _queries(api, url(r)))
    for n in range(8):
        services.comment_add(actor=servicedesk if n % 2 else client_user, request=r,
                             body=f"Commentaire {n}", is_internal=n % 4 == 1,
                             attachments=[SimpleUploadedFile(f"f{n}.txt", b"x")])
    assert (_queries(api, url(r, "comments/")), _queries(api, url(r))) == few


# --------------------------------------------------------------------------- one request


@pytest.mark.django_db
def test_a_client_reads_what_their_page_shows_and_nothing_internal(client_user, servicedesk,
                                                                   expert, walk):
    r = walk(S.AWAITING_TRIAGE)
    r = services.request_send_to_rnd(actor=expert, request=r, rnd_reference="RD-4242",
                                     comment="Analyse interne")
    client_view = api_for(client_user).get(url(r)).json()
    assert "rnd_reference" not in client_view
    assert "RD-4242" not in str(client_view)
    # The expert who last changed it is "Customer Service" to the client, never named.
    assert client_view["updated_by"] == {"name": "Customer Service", "is_you": False}
    assert "id" not in client_view["assignee"]
    assert client_view["status"]["expected_by"] == "R&D"
    assert set(client_view["slo"]) == {"status"}
    back_office = api_for(servicedesk).get(url(r)).json()
    assert back_office["rnd_reference"] == "RD-4242"
    assert back_office["updated_by"]["id"] == expert.pk
    assert {clock["kind"] for clock in back_office["slo"]["clocks"]} == {"first_response",
                                                                         "resolution"}


@pytest.mark.django_db
@pytest.mark.parametrize("spelling", ["{n}", "SPT-{n}", "spt-{n}"])
def test_a_request_is_found_by_its_number_with_or_without_prefix(client_user, spelling):
    r = factories.make_request(client_user)
    response = api_for(client_user).get(f"{LIST}{spelling.format(n=r.number)}/")
    assert response.status_code == 200 and response.json()["key"] == r.key


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["SPT-0x1", "abc", "SPT-", "1" * 12, "-1"])
def test_a_malformed_key_is_404_not_found(client_user, key):
    response = api_for(client_user).get(f"{LIST}{key}/")
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"


# --------------------------------------------------------------------------- comments


@pytest.mark.django_db
def test_comments_and_internal_notes(client_user, servicedesk, walk):
    r = walk(S.IN_PROGRESS)
    client_api, agent_api = api_for(client_user), api_for(servicedesk)
    response = client_api.post(url(r, "comments/"), {"body": "Toujours en erreur"},
                               format="json")
    assert response.status_code == 201, response.content
    assert response.json()["is_internal"] is False
    note = agent_api.post(url(r, "comments/"), {"body": "Voir la base", "is_internal": True},
                          format="json")
    assert note.status_code == 201 and note.json()["is_internal"] is True
    public = agent_api.post(url(r, "comments/"), {"body": "Nous regardons."}, format="json")
    assert public.status_code == 201
    client_sees = [c["body"] for c in client_api.get(url(r, "comments/")).json()["results"]]
    agent_sees = [c["body"] for c in agent_api.get(url(r, "comments/")).json()["results"]]
    assert client_sees == ["Toujours en erreur", "Nous regardons."]
    assert agent_sees == ["Toujours en erreur", "Voir la base", "Nous regardons."]


@pytest.mark.django_db
def test_a_client_asking_for_an_internal_note_is_403_and_nothing_written(client_user, walk):
    r = walk(S.IN_PROGRESS)
    before = written()
    response = api_for(client_user).post(url(r, "comments/"),
                                         {"body": "Secret", "is_internal": True}, format="json")
    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"
    assert written() == before


@pytest.mark.django_db
def test_an_empty_comment_is_400_and_a_closed_request_409(client_user, walk):
    r = walk(S.IN_PROGRESS)
    api = api_for(client_user)
    before = written()
    empty = api.post(url(r, "comments/"), {"body": "  "}, format="json")
    assert empty.status_code == 400 and "body" in error_of(empty)["fields"]
    assert written() == before
    closed = walk(S.CLOSED)
    before = written()
    response = api.post(url(closed, "comments/"), {"body": "Encore ?"}, format="json")
    assert response.status_code == 409 and error_of(response)["code"] == "closed"
    assert written() == before


# --------------------------------------------------------------------------- attachments


@pytest.mark.django_db
def test_upload_list_and_download_an_attachment(client_user, servicedesk, walk):
    r = walk(S.IN_PROGRESS)
    api = api_for(client_user)
    response = api.post(url(r, "attachments/"),
                        {"attachments": [SimpleUploadedFile("trace.log", b"ERREUR 4512\n")],
                         "body": "La trace"}, format="multipart")
    assert response.status_code == 201, response.content
    [uploaded] = response.json()
    assert uploaded["name"] == "trace.log" and uploaded["size"] == 12
    listed = api.get(url(r, "attachments/")).json()["results"]
    assert [a["token"] for a in listed] == [uploaded["token"]]
    download = api_for(servicedesk).get(uploaded["download_url"])
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert "trace.log" in download["Content-Disposition"]
    assert download["Content-Type"] == "application/octet-stream"
    assert b"".join(download.streaming_content) == b"ERREUR 4512\n"
    comments = api.get(url(r, "comments/")).json()["results"]
    assert comments[-1]["body"] == "La trace"
    assert [a["token"] for a in comments[-1]["attachments"]] == [uploaded["token"]]


@pytest.mark.django_db
def test_a_download_reads_the_file_through_the_storage_api_only(client_user, settings, walk):
    """Attachments may live in object storage, which has no local path."""
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.InMemoryStorage"}}
    r = walk(S.IN_PROGRESS)
    api = api_for(client_user)
    response = api.post(url(r, "attachments/"),
                        {"attachments": [SimpleUploadedFile("note.txt", b"en memoire")]},
                        format="multipart")
    assert response.status_code == 201, response.content
    download = api.get(response.json()[0]["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"en memoire"


@pytest.mark.django_db
@pytest.mark.parametrize("files", [[], [SimpleUploadedFile("virus.exe", b"MZ")]])
def test_an_upload_without_an_acceptable_file_is_400_and_nothing_written(client_user, walk,
                                                                         files):
    r = walk(S.IN_PROGRESS)
    before = written()
    response = api_for(client_user).post(url(r, "attachments/"), {"attachments": files},
                                         format="multipart")
    assert response.status_code == 400, response.content
    assert "attachments" in error_of(response)["fields"]
    assert written() == before


@pytest.mark.django_db
def test_a_file_of_another_request_is_not_found_on_this_one(client_user, walk):
    first = factories.make_request(client_user,
                                   attachments=[SimpleUploadedFile("a.txt", b"a")])
    second = factories.make_request(client_user)
    token = first.attachments.get().token
    api = api_for(client_user)
    assert api.get(url(first, f"attachments/{token}/")).status_code == 200
    response = api.get(url(second, f"attachments/{token}/"))
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"


# --------------------------------------------------------------------------- transitions


@pytest.mark.django_db
def test_each_person_is_offered_the_actions_of_their_page(client_user, servicedesk, frontdesk,
                                                          walk):
    r = walk(S.IN_PROGRESS)
    offered = {t["name"]: t for t in api_for(servicedesk).get(url(r, "transitions/")).json()}
    assert set(offered) == {"escalate_to_expert", "send_to_rnd", "ask_customer",
                            "propose_resolution", "close_escalated"}
    ask = offered["ask_customer"]
    assert ask["label"] == "Demander des informations" and ask["text_param"] == "question"
    assert {"name": "question", "required": True, "kind": "text"}.items() <= \
        next(f for f in ask["fields"] if f["name"] == "question").items()
    assert offered["send_to_rnd"]["requires"] == "rnd_reference"
    assert [t["name"] for t in api_for(client_user).get(url(r, "transitions/")).json()] == [
        "withdraw"]
    assert api_for(frontdesk).get(url(r, "transitions/")).json() == []
    opened = walk(S.OPEN)
    qualify = next(t for t in api_for(frontdesk).get(url(opened, "transitions/")).json()
                   if t["name"] == "qualify")
    fields = {f["name"]: f for f in qualify["fields"]}
    assert "finance" in fields["module"]["choices"]
    assert "high" in fields["priority"]["choices"]


@pytest.mark.django_db
def test_a_transition_by_name_with_its_text(client_user, servicedesk, walk):
    r = walk(S.IN_PROGRESS)
    response = api_for(servicedesk).post(url(r, "transitions/ask_customer/"),
                                         {"question": "Quelle version exactement ?",
                                          "expected_status": S.IN_PROGRESS}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"]["code"] == S.AWAITING_CUSTOMER
    client_api = api_for(client_user)
    assert client_api.get(url(r)).json()["status"]["expected_by"] == "Le client (vous)"
    bodies = [c["body"] for c in client_api.get(url(r, "comments/")).json()["results"]]
    assert bodies[-1] == "Quelle version exactement ?"
    # The client's answer sends it back to Customer Service, as on the portal.
    client_api.post(url(r, "comments/"), {"body": "La 24.1.3"}, format="json")
    assert client_api.get(url(r)).json()["status"]["code"] == S.IN_PROGRESS


@pytest.mark.django_db
def test_qualify_and_start_take_codes_and_ids(frontdesk, daily, servicedesk, walk):
    r = walk(S.OPEN)
    response = api_for(frontdesk).post(url(r, "transitions/qualify/"), {
        "request_type": "support", "priority": "blocking", "module": "ventes",
        "version": "24.2", "environment": "test"}, format="json")
    assert response.status_code == 200, response.content
    qualified = response.json()
    assert qualified["status"]["code"] == S.QUALIFIED
    assert (qualified["priority"]["code"], qualified["module"]["code"]) == ("blocking", "ventes")
    started = api_for(daily).post(url(r, "transitions/start/"),
                                  {"assignee": servicedesk.pk}, format="json")
    assert started.status_code == 200, started.content
    assert started.json()["assignee"]["id"] == servicedesk.pk


@pytest.mark.django_db
def test_a_client_withdraws_their_request(client_user, walk):
    r = walk(S.OPEN)
    api = api_for(client_user)
    response = api.post(url(r, "transitions/withdraw/"), {"reason": "Réglé entre-temps"},
                        format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"]["code"] == S.CLOSED
    assert response.json()["resolution"] == "withdrawn"
    assert api.get(url(r, "transitions/")).json() == []


@pytest.mark.django_db
@pytest.mark.parametrize("who, name, body, status, code", [
    ("servicedesk", "ask_customer", {}, 400, "invalid"),
    ("servicedesk", "ask_customer", {"question": "   "}, 400, "invalid"),
    ("servicedesk", "send_to_rnd", {"comment": "sans référence"}, 400, "invalid"),
    ("servicedesk", "ask_customer", {"question": "?", "expected_status": S.OPEN}, 409, "stale"),
    ("servicedesk", "ask_customer", {"question": "?", "expected_status": "perdu"}, 400,
     "invalid"),
    ("servicedesk", "qualify", {}, 409, "transition_not_allowed"),  # not at this status
    ("client_user", "ask_customer", {"question": "?"}, 409, "transition_not_allowed"),
    ("expert", "close_escalated", {"reason": "?"}, 409, "transition_not_allowed"),
    ("servicedesk", "customer_reply", {}, 404, "not_found"),  # automatic, not by name
    ("servicedesk", "teleport", {}, 404, "not_found"),
])
def test_a_refused_transition_says_why_and_writes_nothing(request, walk, who, name, body,
                                                          status, code):
    r = walk(S.IN_PROGRESS)
    before = written()
    response = api_for(request.getfixturevalue(who)).post(
        url(r, f"transitions/{name}/"), body, format="json")
    assert response.status_code == status, response.content
    assert error_of(response)["code"] == code
    if status == 400 and code == "invalid" and "expected_status" not in body:
        assert error_of(response)["fields"]
    assert written() == before


# --------------------------------------------------------------------------- mute


@pytest.mark.django_db
def test_mute_and_unmute(client_user, walk):
    r = walk(S.IN_PROGRESS)
    api = api_for(client_user)
    assert api.get(url(r, "mute/")).json() == {"muted": False}
    assert api.put(url(r, "mute/")).json() == {"muted": True}
    assert NotificationMute.objects.filter(request=r, user=client_user).exists()
    assert api.get(url(r)).json()["muted"] is True
    assert api.put(url(r, "mute/")).json() == {"muted": True}  # twice: still one mute
    assert NotificationMute.objects.filter(request=r).count() == 1
    assert api.delete(url(r, "mute/")).json() == {"muted": False}
    assert not NotificationMute.objects.filter(request=r).exists()
    assert api.get(url(r)).json()["muted"] is False


# --------------------------------------------------------------------------- floods


@pytest.mark.django_db
def test_the_api_and_the_pages_share_one_flood_limit(client, client_user, settings, walk):
    """A person posting through the page and the API alike is counted once: past the limit,
    429 ``rate_limited`` with Retry-After, nothing written."""
    settings.FLOOD_RATES = {"comment": "2/h", "request": "1/h"}
    with time_machine.travel("2026-06-10 08:30:00+00:00", tick=False):
        r = walk(S.IN_PROGRESS)
        client.force_login(client_user)
        page = client.post(f"/portal/requests/{r.key}/comment/", {"comment-body": "Par la page"})
        assert page.status_code == 302
        api = api_for(client_user)
        assert api.post(url(r, "comments/"), {"body": "Par l'API"},
                        format="json").status_code == 201
        before = written()
        for address, body in ((url(r, "comments/"), {"body": "Encore"}),
                              (url(r, "attachments/"), None)):
            response = api.post(address, body, format="json")
            assert response.status_code == 429, response.content
            assert error_of(response)["code"] == "rate_limited"
            assert "Rien n'a été enregistré" in error_of(response)["message"]
            assert response["Retry-After"] == "60"
        assert written() == before
        assert api.post(LIST, SUPPORT, format="json").status_code == 201
        refused = api.post(LIST, SUPPORT, format="json")
        assert refused.status_code == 429
        assert Request.objects.count() == before[0] + 1


@pytest.mark.django_db
@pytest.mark.parametrize("address, body, field", [
    ("", {**SUPPORT, "title": {"texte": "objet"}}, "title"),
    ("", {**SUPPORT, "description": ["deux", "valeurs"]}, "description"),
    ("", {**SUPPORT, "title": "nul\u0000caractère"}, "title"),
    ("comments/", {"body": {"texte": "objet"}}, "body"),
    ("comments/", {"body": "nul\u0000"}, "body"),
    ("transitions/withdraw/", {"reason": ["a", "b"]}, "reason"),
    ("transitions/withdraw/", {"reason": "nul\u0000"}, "reason"),
])
def test_misshapen_json_is_400_never_a_500(client_user, walk, address, body, field):
    r = walk(S.IN_PROGRESS)
    before = written()
    target = f"{url(r)}{address}" if address else LIST
    response = api_for(client_user).post(target, body, format="json")
    assert response.status_code == 400, response.content
    assert field in error_of(response)["fields"]
    assert written() == before


# --------------------------------------------------------------------------- resolution


@pytest.fixture
def proposed(servicedesk, walk):
    r = walk(S.IN_PROGRESS)
    return services.request_propose_resolution(actor=servicedesk, request=r,
                                               resolution="Appliquez le correctif 24.1.3.")


@pytest.mark.django_db
def test_the_client_confirms_the_proposed_resolution_with_a_rating(client_user, servicedesk,
                                                                   proposed):
    response = api_for(client_user).post(url(proposed, "resolution/"),
                                         {"confirmed": True, "rating": 5, "body": "Merci"},
                                         format="json")
    assert response.status_code == 200, response.content
    assert response.json()["confirmation_state"] == "confirmed"
    assert response.json()["status"]["code"] == S.AWAITING_CUSTOMER
    # Now the assignee may close it, and is offered to.
    names = [t["name"] for t in api_for(servicedesk).get(url(proposed, "transitions/")).json()]
    assert "close" in names


@pytest.mark.django_db
def test_the_client_denies_the_resolution_with_a_reason(client_user, proposed):
    api = api_for(client_user)
    before = written()
    empty = api.post(url(proposed, "resolution/"), {"confirmed": False}, format="json")
    assert empty.status_code == 400 and "body" in error_of(empty)["fields"]
    bad = api.post(url(proposed, "resolution/"), {"confirmed": True, "rating": 9},
                   format="json")
    assert bad.status_code == 400 and "rating" in error_of(bad)["fields"]
    missing = api.post(url(proposed, "resolution/"), {}, format="json")
    assert missing.status_code == 400 and "confirmed" in error_of(missing)["fields"]
    assert written() == before
    response = api.post(url(proposed, "resolution/"),
                        {"confirmed": False, "body": "Toujours en erreur"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"]["code"] == S.IN_PROGRESS
    assert response.json()["confirmation_state"] == "denied"
