"""Looking at an attachment in the page (/attachments/<token>/preview/): images and PDFs inline,
typed from their first bytes and our own list, in a sandbox; everything else, SVG and HTML
included, a download; and exactly the download's access rule."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from requests_app import services
from requests_app.workflow import RequestStatus as S
from tests import factories

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 16
GIF = b"GIF89a" + b"\x00" * 24
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 16
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!doctype html><script>alert(1)</script>"


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    # The browser's type is the uploader's to choose: a lie here must change nothing.
    return SimpleUploadedFile(name, content, content_type="text/html")


def preview_url(attachment) -> str:
    return reverse("attachment_preview", kwargs={"token": attachment.token})


def attach(reporter, name: str, content: bytes):
    r = factories.make_request(reporter, attachments=[upload(name, content)])
    return r, r.attachments.get()


@pytest.fixture
def logged_in(client, client_user):
    client.force_login(client_user)
    return client


def policy(response) -> dict[str, str]:
    return {part.split()[0]: part.strip() for part in
            response["Content-Security-Policy"].split(";") if part.strip()}


@pytest.mark.parametrize("name, content, content_type", [
    ("capture.png", PNG, "image/png"),
    ("photo.jpg", JPEG, "image/jpeg"),
    ("photo.jpeg", JPEG, "image/jpeg"),
    ("anim.gif", GIF, "image/gif"),
    ("image.webp", WEBP, "image/webp"),
    ("facture.pdf", PDF, "application/pdf"),
])
def test_images_and_pdfs_are_served_inline_typed_from_their_bytes_in_a_sandbox(
    logged_in, client_user, name, content, content_type
):
    _r, attachment = attach(client_user, name, content)
    response = logged_in.get(preview_url(attachment))
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == f'inline; filename="{name}"'
    assert b"".join(response.streaming_content) == content
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    csp = policy(response)
    assert csp["default-src"] == "default-src 'none'"
    assert csp["sandbox"] == "sandbox"  # no allow- token: no script, an origin of its own
    assert csp["frame-ancestors"] == "frame-ancestors 'self'"
    # Framed by the portal's own page only (the site's default is DENY).
    assert response["X-Frame-Options"] == "SAMEORIGIN"


@pytest.mark.parametrize("name, content", [
    ("capture.png", HTML),      # named as an image, HTML inside
    ("facture.pdf", PNG),       # an image named as a PDF: the page would frame it as a PDF
    ("photo.jpg", PNG),         # the bytes of another format than the name says
    ("journal.txt", b"erreur 4512"),
    ("export.csv", b"a;b"),
])
def test_what_is_not_what_its_name_says_or_not_previewable_is_a_download(
    logged_in, client_user, name, content
):
    _r, attachment = attach(client_user, name, content)
    response = logged_in.get(preview_url(attachment))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


@override_settings(ATTACHMENT_ALLOWED_EXTENSIONS=["svg", "html", "htm", "png"])
@pytest.mark.parametrize("name, content", [
    ("schema.svg", SVG), ("page.html", HTML), ("page.htm", HTML),
    # An SVG whose first bytes are a PNG's signature is still not shown as an SVG.
    ("ruse.svg", PNG + SVG),
])
def test_svg_and_html_are_never_inline(logged_in, client_user, name, content):
    _r, attachment = attach(client_user, name, content)
    response = logged_in.get(preview_url(attachment))
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "application/octet-stream"
    page = logged_in.get(reverse("portal:request", kwargs={"key": attachment.request.key}))
    assert preview_url(attachment) not in page.content.decode()


def test_another_organisation_gets_404_for_the_preview_as_for_the_download(
    client, client_user, outsider
):
    _r, attachment = attach(client_user, "capture.png", PNG)
    client.force_login(outsider)
    assert client.get(preview_url(attachment)).status_code == 404
    assert client.get(reverse("attachment", kwargs={"token": attachment.token})).status_code \
        == 404


def test_a_customer_never_previews_an_internal_attachment_an_agent_does(
    client, logged_in, walk, servicedesk
):
    r = walk(S.IN_PROGRESS)
    services.comment_add(actor=servicedesk, request=r, body="Capture interne", is_internal=True,
                         attachments=[upload("interne.png", PNG)])
    internal = r.attachments.get(original_name="interne.png")
    assert logged_in.get(preview_url(internal)).status_code == 404
    page = logged_in.get(reverse("portal:request", kwargs={"key": r.key})).content.decode()
    assert preview_url(internal) not in page
    client.force_login(servicedesk)
    response = client.get(preview_url(internal))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    agent_page = client.get(reverse("agent:request", args=[r.key])).content.decode()
    assert f'src="{preview_url(internal)}"' in agent_page


def test_preview_refuses_what_is_not_a_token_anonymous_visitors_and_posts(
    client, logged_in, client_user
):
    _r, attachment = attach(client_user, "capture.png", PNG)
    for token in ["nope", "0" * 32, "A" * 32]:
        assert logged_in.get(reverse("attachment_preview", kwargs={"token": token})) \
            .status_code == 404
    assert logged_in.post(preview_url(attachment)).status_code == 405
    client.logout()
    response = client.get(preview_url(attachment))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_page_offers_apercu_for_images_and_pdfs_only_within_its_own_policy(
    logged_in, client_user
):
    r = factories.make_request(client_user, attachments=[
        upload("capture.png", PNG), upload("facture.pdf", PDF), upload("journal.txt", b"x"),
    ])
    response = logged_in.get(reverse("portal:request", kwargs={"key": r.key}))
    html = response.content.decode()
    png, pdf, txt = (r.attachments.get(original_name=n)
                     for n in ("capture.png", "facture.pdf", "journal.txt"))
    assert re.search(rf'<img src="{preview_url(png)}" alt="Aperçu de capture.png"', html)
    assert re.search(rf'<iframe src="{preview_url(pdf)}" title="Aperçu de facture.pdf"', html)
    assert preview_url(txt) not in html
    assert html.count("<summary>Aperçu<") == 2
    # The page's own policy lets it show them: same-origin images and frames, nothing else.
    csp = policy(response)
    assert "'self'" in csp["img-src"] and "frame-src" not in csp
    assert csp["default-src"] == "default-src 'self'"


def test_a_history_line_offers_to_look_at_its_image_and_pdf_only(logged_in, client_user):
    r = factories.make_request(client_user)
    services.comment_add(actor=client_user, request=r, body="Voici les pièces.", attachments=[
        upload("ecran.png", PNG), upload("releve.pdf", PDF), upload("export.csv", b"a;b")])
    html = logged_in.get(reverse("portal:request", kwargs={"key": r.key})).content.decode()
    history = html[html.index('id="historique"'):]
    png, pdf, csv = (r.attachments.get(original_name=n)
                     for n in ("ecran.png", "releve.pdf", "export.csv"))
    for previewable in (png, pdf):
        assert re.search(rf'<a href="{preview_url(previewable)}">Aperçu<span '
                         rf'class="visually-hidden"> {previewable.original_name}</span></a>',
                         history)
    assert preview_url(csv) not in history
    assert reverse("attachment", kwargs={"token": csv.token}) in history
