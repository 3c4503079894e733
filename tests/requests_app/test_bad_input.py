"""Bad input answered with a clear 4xx, never a 500 or a partial write: the cases the audit
found, fixed at their cause, and the middleware that refuses NUL characters and bytes that
are not UTF-8 (``requests_app.http_input``). The broad net is ``tests/test_fuzz_inputs.py``."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portal.input_bounds import pk_from_input
from requests_app.forms.agent import BulkActionForm, LicenceForm, RequestRefsField
from requests_app.models import (
    Attachment,
    Comment,
    ErpModule,
    OutboundMessage,
    Priority,
    Request,
    RequestEvent,
)
from requests_app.selectors import parse_request_key
from requests_app.workflow import RequestStatus as S

HUGE = "99999999999999999999999"


def _counts() -> tuple[int, ...]:
    return tuple(model.objects.count() for model in (Request, Comment, RequestEvent,
                                                     OutboundMessage, Attachment))


@pytest.fixture
def web(client):
    """The test client answering as the server would: a 500 page instead of an exception."""
    client.raise_request_exception = False
    return client


# --------------------------------------------------------------- the audit's three cases

@pytest.mark.parametrize("ref", ["²:open", "¹²:open", "١:open", "１:open", f"{HUGE}:open",
                                 "-1:open", "0:open", " 1:open", "1:open\n", "1:bogus"])
def test_bulk_ids_other_than_ascii_numbers_are_a_400_and_change_nothing(
        web, frontdesk, walk, ref):
    r = walk(S.OPEN)
    web.force_login(frontdesk)
    before = _counts()
    response = web.post(reverse("agent:bulk", args=["a-qualifier"]), {
        "bulk-requests": [f"{r.number}:open", ref], "bulk-action": "close_without_follow_up",
        "bulk-comment": "Doublon.",
    })
    assert response.status_code == 400
    assert "Sélection de demandes invalide." in response.content.decode()
    assert _counts() == before
    r.refresh_from_db()
    assert r.status == S.OPEN


def test_the_request_refs_field_reads_only_ascii_numbers_within_the_column():
    field = RequestRefsField()
    assert field.clean(["12:open", "999999999:closed"]) == [(12, "open"), (999999999, "closed")]
    for bad in ("²:open", "1000000000:open", "0:open", "1:Open"):
        with pytest.raises(Exception, match="invalide"):
            field.clean([bad])


def test_a_nul_in_an_attachment_token_is_a_400_for_everyone_signed_in(web, client_user):
    web.force_login(client_user)
    response = web.get("/attachments/%00/")
    assert response.status_code == 400
    assert "caractères invalides" in response.content.decode()


@pytest.mark.parametrize("token", ["x", "0" * 33, "ABCDEF" * 6, "²" * 32, "é"])
def test_what_cannot_be_an_attachment_token_is_a_404(web, client_user, token):
    web.force_login(client_user)
    assert web.get(reverse("attachment", args=[token])).status_code == 404


@pytest.mark.parametrize("field,value", [
    ("modules", HUGE), ("modules", "²"), ("modules", "-1"), ("modules", "١"),
    ("organisation", HUGE), ("reporter", HUGE), ("priority", HUGE), ("priority", "١"),
    ("users", HUGE), ("users", "²"), ("validity", "99999-12-31"),
])
def test_a_licence_with_numbers_beyond_any_row_is_a_400_with_the_field_in_error(
        web, sales, client_user, field, value):
    web.force_login(sales)
    data = {
        "organisation": client_user.profile.organisation_id, "reporter": client_user.pk,
        "title": "Licence 2027", "description": "Finance.",
        "priority": Priority.objects.get(code="medium").pk,
        "modules": [ErpModule.objects.get(code="finance").pk], "users": "25",
        "validity": "2030-12-31", field: value,
    }
    before = _counts()
    response = web.post(reverse("agent:licence_new"), data)
    assert response.status_code == 400
    form = response.context["form"]
    assert field in form.errors
    assert _counts() == before


def test_the_licence_form_refuses_huge_module_ids_without_asking_the_database(
        sales, client_user, django_assert_max_num_queries):
    form = LicenceForm({"modules": [HUGE, "1"]})
    with django_assert_max_num_queries(20):
        assert not form.is_valid()
    assert "modules" in form.errors


def test_primary_keys_from_input_are_ascii_numbers_within_bigint():
    assert pk_from_input("42") == 42
    assert pk_from_input(" 42 ") == 42
    assert pk_from_input(str(2**63 - 1)) == 2**63 - 1
    for bad in ("²", "١", "１", "-1", "0", str(2**63), HUGE, "1.0", "", "0x1", None, True):
        assert pk_from_input(bad) is None, bad


def test_bulk_assignee_beyond_any_row_is_refused_on_its_field(daily, walk):
    r = walk(S.QUALIFIED)
    form = BulkActionForm({"bulk-requests": [f"{r.number}:qualified"], "bulk-action": "start",
                           "bulk-assignee": HUGE}, user=daily, prefix="bulk")
    assert not form.is_valid()
    assert "assignee" in form.errors


# ---------------------------------------------------------------- keys and numbers in URLs

@pytest.mark.parametrize("key", ["SPT-١", "SPT-¹", "١", f"SPT-{HUGE}", "SPT-9999999999",
                                 "SPT--1", "SPT-0x1"])
def test_request_keys_other_than_ascii_numbers_are_a_404(web, client_user, servicedesk, walk,
                                                         key):
    walk(S.OPEN)
    web.force_login(client_user)
    assert web.get(reverse("portal:request", args=[key])).status_code == 404
    web.force_login(servicedesk)
    assert web.get(f"/agent/requests/{key}/").status_code == 404


def test_parse_request_key_takes_only_ascii_digits():
    assert parse_request_key("SPT-12") == 12
    assert parse_request_key("spt-12") == 12
    assert parse_request_key("12") == 12
    for bad in ("SPT-١٢", "SPT-¹²", "１２", "SPT-1234567890", "SPT-"):
        assert parse_request_key(bad) is None, bad


@pytest.mark.parametrize("query", [f"page={HUGE}", "page=²", "page=-1", "page=" + "9" * 5000,
                                   f"organisation={HUGE}", f"assignee={HUGE}", "sort=²",
                                   f"q=SPT-{HUGE}", "q=' OR 1=1 --"])
def test_queue_parameters_beyond_any_row_are_clean_answers(web, servicedesk, walk, query):
    walk(S.OPEN)
    web.force_login(servicedesk)
    response = web.get(f"{reverse('agent:queue', args=['toutes'])}?{query}")
    assert response.status_code in (200, 404)


@pytest.mark.parametrize("query", [f"page={HUGE}", "page=²", "status=²", f"type={HUGE}",
                                   f"q=SPT-{HUGE}"])
def test_portal_list_parameters_beyond_any_row_are_clean_answers(web, client_user, walk,
                                                                 query):
    walk(S.OPEN)
    web.force_login(client_user)
    response = web.get(f"{reverse('portal:home')}?{query}")
    assert response.status_code in (200, 400, 404)


@pytest.mark.parametrize("before", [HUGE, "²", "-1", "9999999999"])
def test_history_cursors_beyond_any_row_are_a_404_or_the_page(web, client_user, walk, before):
    r = walk(S.OPEN)
    web.force_login(client_user)
    response = web.get(f"{reverse('portal:request', args=[r.key])}?before={before}")
    assert response.status_code in (200, 404)


# ------------------------------------------------------------------------ the Django admin

@pytest.fixture
def superuser(db, django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.test", "demo")


@pytest.mark.parametrize("url", [
    f"/admin/requests_app/priority/{HUGE}/change/",
    "/admin/requests_app/priority/²/change/",
    "/admin/requests_app/priority/1/change/?_to_field=",
    f"/admin/requests_app/request/?organisation__id__exact={HUGE}",
    f"/admin/requests_app/request/?q={HUGE}",
    f"/admin/requests_app/outboundmessage/?request__id__exact={HUGE}",
    f"/admin/slo/sloclock/?q={HUGE}",
    f"/admin/auth/user/?profile__organisation__id__exact={HUGE}",
])
def test_admin_pages_answer_hand_made_ids_without_a_500(web, superuser, url):
    web.force_login(superuser)
    assert web.get(url).status_code < 500


@pytest.mark.parametrize("model", ["requests_app/priority", "requests_app/outboundmessage",
                                   "slo/slotarget", "auth/user"])
@pytest.mark.parametrize("selected", [HUGE, "²", "-1"])
def test_admin_actions_on_ids_beyond_any_row_change_nothing(web, superuser, model, selected):
    web.force_login(superuser)
    action = "resend" if model.endswith("outboundmessage") else "delete_selected"
    before = _counts(), Priority.objects.count()
    response = web.post(f"/admin/{model}/", {"action": action, "_selected_action": [selected],
                                              "index": "0"})
    assert response.status_code < 500
    assert (_counts(), Priority.objects.count()) == before


def test_an_admin_form_with_a_huge_foreign_key_is_refused_on_its_field(web, superuser):
    web.force_login(superuser)
    before = Priority.objects.count()
    response = web.post("/admin/requests_app/requesttype/add/", {
        "name": "Essai", "code": "essai", "category": HUGE, "position": "1",
    })
    assert response.status_code == 200  # the admin shows its form again, with the error
    assert "category" in response.context["adminform"].form.errors
    assert Priority.objects.count() == before


@pytest.mark.parametrize("value", [HUGE, "-1", "²"])
def test_admin_small_integers_beyond_their_column_are_refused(web, superuser, value):
    web.force_login(superuser)
    response = web.post("/admin/requests_app/priority/add/", {
        "name": "Essai", "code": "essai", "rank": value, "signification": "Test",
    })
    assert response.status_code == 200
    assert "rank" in response.context["adminform"].form.errors
    assert not Priority.objects.filter(code="essai").exists()


# ------------------------------------------------------- NUL and invalid UTF-8: the middleware

@pytest.mark.parametrize("url", [
    "/portal/requests/SPT-1%00/", "/portal/%FF/", "/agent/requests/%C3/", "/%ED%A0%80/",
    "/portal/?q=%00", "/portal/?q=%FF", "/portal/?%FF=1", "/portal/?q=a%C3",
    "/accounts/login/?next=%00", "/admin/?q=%00",
])
def test_nul_or_invalid_utf8_in_the_path_or_query_is_a_400_even_signed_out(web, url):
    response = web.get(url)
    assert response.status_code == 400
    body = response.content.decode()
    assert "Requête invalide" in body
    assert "caractères invalides" in body
    assert response["Content-Security-Policy"]


def test_the_400_page_speaks_the_browsers_language(web):
    response = web.get("/portal/?q=%00", HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 400
    assert 'lang="de"' in response.content.decode()


def test_text_that_is_valid_goes_through_including_a_replacement_character(web, client_user,
                                                                            walk):
    """U+FFFD typed on purpose (a pasted log) is text like any other: only bytes that are not
    UTF-8 are refused."""
    r = walk(S.OPEN)
    web.force_login(client_user)
    body = "Le journal affiche « � » et « é »."
    response = web.post(reverse("portal:request_comment", args=[r.key]),
                        {"comment-body": body})
    assert response.status_code == 302
    assert Comment.objects.filter(request=r, body=body).exists()
    multipart = web.post(reverse("portal:request_comment", args=[r.key]), {
        "comment-body": "Avec pièce jointe � ok",
        "comment-attachments": SimpleUploadedFile("journal-é.txt", b"\x00\xff binaire"),
    })
    assert multipart.status_code == 302
    assert Attachment.objects.filter(request=r, original_name="journal-é.txt").exists()


def _multipart(parts: list[bytes]) -> tuple[bytes, str]:
    boundary = b"spt-test-boundary"
    body = b"".join(b"--" + boundary + b"\r\n" + part + b"\r\n" for part in parts)
    return body + b"--" + boundary + b"--\r\n", "multipart/form-data; boundary=spt-test-boundary"


@pytest.mark.parametrize("part", [
    b'Content-Disposition: form-data; name="comment-body"\r\n\r\nbonjour \x00',
    b'Content-Disposition: form-data; name="comment-body"\r\n\r\nbonjour \xff',
    b'Content-Disposition: form-data; name="comment-\xffbody"\r\n\r\nbonjour',
    b'Content-Disposition: form-data; name="comment-attachments"; filename="a\xff.txt"\r\n'
    b"Content-Type: text/plain\r\n\r\ncontenu",
    b'Content-Disposition: form-data; name="comment-attachments"; filename="a\x00.txt"\r\n'
    b"Content-Type: text/plain\r\n\r\ncontenu",
])
def test_nul_or_invalid_utf8_in_a_posted_field_or_file_name_is_a_400_and_writes_nothing(
        web, client_user, walk, part):
    r = walk(S.OPEN)
    web.force_login(client_user)
    body, content_type = _multipart([
        b'Content-Disposition: form-data; name="comment-body"\r\n\r\nbonjour', part])
    before = _counts()
    response = web.generic("POST", reverse("portal:request_comment", args=[r.key]), body,
                           content_type=content_type)
    assert response.status_code == 400
    assert _counts() == before


def test_a_binary_file_content_is_not_text_and_is_accepted(web, client_user, walk):
    r = walk(S.OPEN)
    web.force_login(client_user)
    body, content_type = _multipart([
        b'Content-Disposition: form-data; name="comment-body"\r\n\r\nvoici',
        b'Content-Disposition: form-data; name="comment-attachments"; filename="capture.png"'
        b"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n\x1a\n\x00\x00\xff\xfe",
    ])
    response = web.generic("POST", reverse("portal:request_comment", args=[r.key]), body,
                           content_type=content_type)
    assert response.status_code == 302
    assert Attachment.objects.filter(request=r, original_name="capture.png").exists()


@pytest.mark.parametrize("body", [b"comment-body=%00", b"comment-body=%FF", b"%FF=1",
                                  b"comment-body=ok&x=\xff"])
def test_nul_or_invalid_utf8_in_an_urlencoded_form_is_a_400(web, client_user, walk, body):
    r = walk(S.OPEN)
    web.force_login(client_user)
    before = _counts()
    response = web.generic("POST", reverse("portal:request_comment", args=[r.key]), body,
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert _counts() == before


def test_a_nul_in_the_session_cookie_is_a_400_not_a_database_error(db, web):
    # A quoted cookie value may spell a NUL as an octal escape.
    response = web.get(reverse("portal:home"), HTTP_COOKIE='sessionid="\\000abcdefghijkl"')
    assert response.status_code == 400


def test_a_malformed_multipart_body_is_a_400(web, client_user, walk):
    r = walk(S.OPEN)
    web.force_login(client_user)
    response = web.generic("POST", reverse("portal:request_comment", args=[r.key]), b"x",
                           content_type="multipart/form-data")
    assert response.status_code == 400
