"""Files kept across a form error: a form sent back with an error lists the files its sender
had chosen ("Fichiers déjà joints"), attaches them when it succeeds, and never hands anyone
another person's file; the hourly purge removes those left behind."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from requests_app import services
from requests_app.exceptions import InvalidInput
from requests_app.models import Attachment, Comment, PendingUpload, Request
from requests_app.services.attachments import KeptUpload
from requests_app.tasks import purge_pending_uploads_task
from requests_app.workflow import RequestStatus as S
from tests import factories

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"capture d'ecran"
CREATE_URL = reverse("portal:request_create", kwargs={"type_code": "support"})


def upload(name: str = "capture.png", content: bytes = PNG) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="image/png")


def support_data(**overrides):
    from requests_app.models import ErpModule, Priority

    data = {
        "title": "La clôture mensuelle échoue",
        "description": "Erreur 4512 à la validation.",
        "priority": Priority.objects.get(code="high").pk,
        "module": ErpModule.objects.get(code="finance").pk,
        "version": "24.1",
        "environment": "production",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def text(response) -> str:
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).replace("&#x27;", "'").split())


def kept_tokens(response, name: str = "kept_attachments") -> list[str]:
    """The kept files the form shows again, checked (what a browser would post back)."""
    return re.findall(rf'<input type="checkbox" class="form-check-input" name="{name}" '
                      rf'value="([0-9a-f]{{32}})"[^>]*checked', response.content.decode())


@pytest.fixture
def logged_in(client, client_user):
    client.force_login(client_user)
    return client


def test_a_create_form_with_an_error_keeps_the_files_and_attaches_them_once_corrected(
    logged_in, client_user, django_capture_on_commit_callbacks
):
    response = logged_in.post(CREATE_URL, support_data(
        title="", attachments=[upload("capture.png"), upload("journal.txt", b"erreur 4512")]))
    assert response.status_code == 400
    page = text(response)
    assert "Fichiers déjà joints" in page
    assert "capture.png (" in page and "journal.txt (" in page
    assert "Décochez un fichier pour le retirer" in page
    tokens = kept_tokens(response)
    assert len(tokens) == 2
    assert not Request.objects.exists()
    kept = list(PendingUpload.objects.filter(owner=client_user))
    assert sorted(p.original_name for p in kept) == ["capture.png", "journal.txt"]
    stored_names = [p.file.name for p in kept]

    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in.post(CREATE_URL, support_data(kept_attachments=tokens))
    assert response.status_code == 302
    r = Request.objects.get()
    assert sorted(a.original_name for a in r.attachments.all()) == ["capture.png", "journal.txt"]
    png = r.attachments.get(original_name="capture.png")
    assert png.content_type == "image/png" and png.size == len(PNG)
    with png.file.open("rb") as handle:
        assert handle.read() == PNG
    assert png.uploaded_by == client_user
    # Used once: the rows and their files are gone.
    assert not PendingUpload.objects.exists()
    assert not any(default_storage.exists(name) for name in stored_names)
    # The same form posted again (another tab) cannot attach them twice.
    response = logged_in.post(CREATE_URL, support_data(kept_attachments=tokens))
    assert response.status_code == 400
    assert "Un fichier joint précédemment n'est plus disponible" in text(response)
    assert Request.objects.count() == 1


def test_kept_and_new_files_go_together_and_an_unchecked_one_is_left_out(logged_in):
    first = logged_in.post(CREATE_URL, support_data(
        title="", attachments=[upload("a.png"), upload("b.png")]))
    a, b = kept_tokens(first)
    # Still an error: the kept one still checked and the new one join the list.
    second = logged_in.post(CREATE_URL, support_data(
        description="", kept_attachments=[a], attachments=[upload("c.png")]))
    assert second.status_code == 400
    page = text(second)
    assert "a.png (" in page and "c.png (" in page and "b.png (" not in page
    tokens = kept_tokens(second)
    assert len(tokens) == 2 and a in tokens
    response = logged_in.post(CREATE_URL, support_data(
        kept_attachments=tokens, attachments=[upload("d.txt", b"d")]))
    assert response.status_code == 302
    r = Request.objects.get()
    assert sorted(x.original_name for x in r.attachments.all()) == ["a.png", "c.png", "d.txt"]


def test_only_acceptable_files_are_kept_and_the_refused_one_is_named(logged_in):
    response = logged_in.post(CREATE_URL, support_data(
        attachments=[upload("capture.png"), upload("virus.exe", b"MZ")]))
    assert response.status_code == 400
    page = text(response)
    assert "« virus.exe » : type de fichier non accepté" in page
    assert "capture.png (" in page and "virus.exe (" not in page
    assert list(PendingUpload.objects.values_list("original_name", flat=True)) == ["capture.png"]


@override_settings(ATTACHMENT_MAX_FILES=2)
def test_kept_and_new_files_count_together_against_the_limit(logged_in):
    first = logged_in.post(CREATE_URL, support_data(
        title="", attachments=[upload("a.png"), upload("b.png")]))
    response = logged_in.post(CREATE_URL, support_data(
        kept_attachments=kept_tokens(first), attachments=[upload("c.png")]))
    assert response.status_code == 400
    assert "Au plus 2 fichiers par envoi." in text(response)
    assert not Request.objects.exists()
    assert len(kept_tokens(response)) == 2  # what was kept stays listed, within the limit


def test_another_persons_token_attaches_nothing_and_reveals_nothing(
    logged_in, colleague, outsider
):
    theirs = services.pending_uploads_keep(
        owner=outsider, files=[upload("secret-leman.png")])[0]
    response = logged_in.post(CREATE_URL, support_data(kept_attachments=[theirs.token]))
    assert response.status_code == 400
    page = text(response)
    assert "Un fichier joint précédemment n'est plus disponible : choisissez-le à nouveau." \
        in page
    assert "secret-leman" not in page
    assert not Request.objects.exists()
    assert PendingUpload.objects.get(pk=theirs.pk).owner == outsider  # untouched
    # A colleague of the same organisation is "another person" too; a made-up token as well.
    mine_not = services.pending_uploads_keep(owner=colleague, files=[upload("c.png")])[0]
    for token in [mine_not.token, "f" * 32, "pas-un-jeton"]:
        response = logged_in.post(CREATE_URL, support_data(kept_attachments=[token]))
        assert response.status_code == 400
        assert "n'est plus disponible" in text(response)
    assert not Request.objects.exists()


def test_an_expired_pending_upload_is_gone_and_the_purge_removes_it(
    logged_in, client_user, django_capture_on_commit_callbacks
):
    old, fresh = services.pending_uploads_keep(
        owner=client_user, files=[upload("old.png"), upload("fresh.png")])
    PendingUpload.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(hours=25))
    response = logged_in.post(CREATE_URL, support_data(kept_attachments=[old.token]))
    assert response.status_code == 400 and "n'est plus disponible" in text(response)
    with django_capture_on_commit_callbacks(execute=True):
        assert purge_pending_uploads_task() == 1
    assert list(PendingUpload.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert not default_storage.exists(old.file.name)
    assert default_storage.exists(fresh.file.name)


def test_the_purge_is_on_the_beat_schedule():
    from portal.celery import app

    entry = app.conf.beat_schedule["pending-uploads-purge"]
    assert entry["task"] == "requests_app.tasks.purge_pending_uploads_task"


def test_the_customer_comment_form_keeps_its_files_too(logged_in, client_user):
    r = factories.make_request(client_user)
    comment_url = reverse("portal:request_comment", kwargs={"key": r.key})
    with override_settings(COMMENT_MAX_LENGTH=10):
        # The form's max_length was fixed at import: the service's check refuses it.
        response = logged_in.post(comment_url, {
            "comment-body": "Beaucoup trop long pour la limite.",
            "comment-attachments": [upload("capture.png")],
        })
    assert response.status_code == 400
    tokens = kept_tokens(response, "comment-kept_attachments")
    assert len(tokens) == 1 and "capture.png (" in text(response)
    response = logged_in.post(comment_url, {
        "comment-body": "Voici la capture.", "comment-kept_attachments": tokens})
    assert response.status_code == 302
    comment = Comment.objects.get(request=r, body="Voici la capture.")
    assert comment.attachments.get().original_name == "capture.png"


def test_a_kept_file_alone_is_a_comment(logged_in, client_user):
    r = factories.make_request(client_user)
    token = services.pending_uploads_keep(owner=client_user, files=[upload()])[0].token
    response = logged_in.post(reverse("portal:request_comment", kwargs={"key": r.key}),
                              {"comment-kept_attachments": [token]})
    assert response.status_code == 302
    assert Attachment.objects.get(request=r).original_name == "capture.png"


def test_the_agent_comment_form_keeps_its_files(client, walk, servicedesk):
    r = walk(S.IN_PROGRESS)
    client.force_login(servicedesk)
    comment_url = reverse("agent:comment", args=[r.key])
    response = client.post(comment_url, {
        "comment-visibility": "nowhere", "comment-body": "Voir la capture.",
        "comment-attachments": [upload("analyse.png")],
    })
    assert response.status_code == 400
    tokens = kept_tokens(response, "comment-kept_attachments")
    assert len(tokens) == 1 and "analyse.png (" in text(response)
    response = client.post(comment_url, {
        "comment-visibility": "internal", "comment-body": "Voir la capture.",
        "comment-kept_attachments": tokens,
    })
    assert response.status_code == 302
    attachment = Attachment.objects.get(request=r)
    assert attachment.original_name == "analyse.png" and attachment.is_internal


@pytest.mark.parametrize("name, text_field", [("ask_customer", "question"),
                                              ("propose_resolution", "resolution")])
def test_an_agent_transition_with_files_keeps_them_across_an_error(
        client, walk, servicedesk, name, text_field):
    r = walk(S.IN_PROGRESS)
    client.force_login(servicedesk)
    url = reverse("agent:transition", args=[r.key, name])
    response = client.post(url, {
        f"{name}-expected_status": S.IN_PROGRESS, f"{name}-{text_field}": "",
        f"{name}-attachments": [upload("procedure.png")],
    })
    assert response.status_code == 400
    tokens = kept_tokens(response, f"{name}-kept_attachments")
    assert len(tokens) == 1 and "procedure.png (" in text(response)
    assert not Attachment.objects.filter(request=r).exists()
    response = client.post(url, {
        f"{name}-expected_status": S.IN_PROGRESS, f"{name}-{text_field}": "Voir la procédure.",
        f"{name}-kept_attachments": tokens,
    })
    assert response.status_code == 302
    attachment = Attachment.objects.get(request=r)
    assert attachment.original_name == "procedure.png" and not attachment.is_internal
    assert not PendingUpload.objects.exists()


def test_the_service_refuses_another_persons_pending_upload(client_user, outsider):
    theirs = services.pending_uploads_keep(owner=outsider, files=[upload()])[0]
    with pytest.raises(InvalidInput) as error:
        factories.make_request(client_user, attachments=[KeptUpload(theirs)])
    assert error.value.field == "attachments"
    assert not Request.objects.exists()
    assert PendingUpload.objects.filter(pk=theirs.pk).exists()
