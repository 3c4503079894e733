"""Attachments in a real browser, under the portal's own CSP: a customer looks at a PNG and a
PDF in the page ("Aperçu"); drops files onto the new request form's drop zone, sends it with an
error, finds the files still listed, corrects and sends: the request has the attachments."""

from __future__ import annotations

import base64
import re
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import Page, expect

from requests_app.models import PendingUpload, Request
from tests import factories
from tests.browser.helpers import (
    DESKTOP,
    PHONE,
    assert_no_axe_violations,
    has_horizontal_overflow,
    login,
    screenshot,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A real PNG of one colour (what a screenshot attachment is), without an imaging library."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


def pdf() -> bytes:
    """A one-page PDF saying "Facture 4512"."""
    stream = b"BT /F1 24 Tf 40 100 Td (Facture 4512) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


# A file dropped the way a file manager drops one: a DataTransfer carrying Files, dispatched
# as dragenter, dragover and drop on the zone.
DROP_JS = """
([selector, files, finish]) => {
  const zone = document.querySelector(selector).closest('.spt-dropzone');
  const transfer = new DataTransfer();
  for (const [name, type, b64] of files) {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    transfer.items.add(new File([bytes], name, {type}));
  }
  const kinds = finish ? ['dragenter', 'dragover', 'drop'] : ['dragenter', 'dragover'];
  for (const kind of kinds) {
    zone.dispatchEvent(new DragEvent(kind, {dataTransfer: transfer, bubbles: true,
                                            cancelable: true}));
  }
}
"""


def drop(page: Page, files: list[tuple[str, str, bytes]], *, finish: bool = True,
         selector: str = "input[type=file][name=attachments]") -> None:
    page.evaluate(DROP_JS, [selector, [(name, kind, base64.b64encode(content).decode())
                                       for name, kind, content in files], finish])


def test_a_customer_previews_a_png_and_a_pdf_in_the_page(
    strict_csp_page: Page, live_server, client_user
) -> None:
    page = strict_csp_page
    r = factories.make_request(client_user, attachments=[
        upload("capture.png", png(240, 120, (31, 95, 166))),
        upload("facture.pdf", pdf()),
        upload("journal.txt", b"Erreur 4512"),
    ])
    login(page, live_server, "client")
    page.goto(f"{live_server.url}/portal/requests/{r.key}/")
    card = page.locator("#pieces-jointes")
    expect(card.locator("summary")).to_have_count(2)  # the image and the PDF, not the text
    image = card.get_by_role("img", name="Aperçu de capture.png")
    expect(image).to_be_hidden()
    card.locator("summary", has_text="capture.png").click()
    expect(image).to_be_visible()
    # Loaded and decoded under the page's CSP: the real picture, at its own size.
    page.wait_for_function(
        "() => { const i = document.querySelector('#pieces-jointes img');"
        " return i && i.complete && i.naturalWidth > 0; }")
    assert image.evaluate("i => [i.naturalWidth, i.naturalHeight]") == [240, 120]

    with page.expect_response(re.compile(r"/preview/$")) as answer:
        card.locator("summary", has_text="facture.pdf").click()
    assert answer.value.status == 200
    assert answer.value.headers["content-type"] == "application/pdf"
    expect(card.locator("iframe[title='Aperçu de facture.pdf']")).to_be_visible()
    # Chromium's PDF viewer took the frame and opened the document (it refuses a sandboxed
    # <iframe>; the response's own CSP sandbox is what isolates the document). Polled: the
    # viewer starts and reads the file on its own, and names itself after it once it has.
    viewer_title = ""
    for _attempt in range(100):
        viewers = [f for f in page.frames if f.url.startswith("chrome-extension://")]
        viewer_title = viewers[0].title() if viewers else ""
        if viewer_title == "facture.pdf":
            break
        page.wait_for_timeout(100)
    assert viewer_title == "facture.pdf", [f.url for f in page.frames]
    assert not [e for e in page.spt_errors if "Content Security Policy" in e], page.spt_errors

    # The card in the viewport (a full-page capture leaves the PDF plugin's area blank).
    for size, name in ((DESKTOP, "attachments-preview-1280"), (PHONE, "attachments-preview-375")):
        page.set_viewport_size(size)
        card.locator("summary", has_text="capture.png").scroll_into_view_if_needed()
        page.evaluate("() => document.querySelector('#pieces-jointes').scrollIntoView()")
        assert not has_horizontal_overflow(page), name
        screenshot(page, name, full_page=False)


def test_files_dropped_on_the_new_request_form_survive_an_error(
    page: Page, live_server, client_user
) -> None:
    login(page, live_server, "client")
    page.goto(f"{live_server.url}/portal/requests/new/support/")
    field = page.locator("#div_id_attachments")
    zone = field.locator(".spt-dropzone")
    expect(zone).to_be_visible()
    expect(zone).to_contain_text("Déposez vos fichiers ici")
    # The limits are there before anything is chosen.
    expect(field).to_contain_text("Jusqu'à 5 fichiers de 10 Mo au plus chacun")
    # The plain input is still the field, for the keyboard and screen readers.
    expect(page.get_by_label("Pièces jointes")).to_have_attribute("type", "file")

    page.get_by_label("Pièces jointes").set_input_files([{
        "name": "journal.txt", "mimeType": "text/plain", "buffer": b"Erreur 4512 a 08:15"}])
    drop(page, [("capture.png", "image/png", png(64, 32, (200, 30, 30))),
                ("en-trop.png", "image/png", png(8, 8, (0, 0, 0)))])
    chosen = zone.locator(".spt-dropzone-files li")
    expect(chosen).to_have_count(3)
    expect(chosen.nth(0)).to_contain_text("journal.txt")
    expect(chosen.nth(1)).to_contain_text(re.compile(r"capture\.png \(\d+(,\d)?\so\)"))
    assert page.locator("input[name=attachments]").evaluate(
        "i => Array.from(i.files).map(f => f.name)") == ["journal.txt", "capture.png",
                                                          "en-trop.png"]
    chosen.nth(2).get_by_role("button", name="Retirer").click()
    expect(chosen).to_have_count(2)
    assert page.locator("input[name=attachments]").evaluate("i => i.files.length") == 2

    # A file being dragged over the zone: its state, at both widths.
    drop(page, [("survol.png", "image/png", png(8, 8, (0, 0, 0)))], finish=False)
    expect(zone).to_have_class(re.compile("is-dragover"))
    for size, name in ((DESKTOP, "dropzone-1280"), (PHONE, "dropzone-375")):
        page.set_viewport_size(size)
        field.scroll_into_view_if_needed()
        assert not has_horizontal_overflow(page), name
        screenshot(page, name, full_page=False)
    page.set_viewport_size(DESKTOP)
    assert_no_axe_violations(page, context="new request form, files chosen")

    # Sent without a title: the form comes back and the files are still there.
    page.get_by_label("Description").fill("La validation affiche Erreur 4512.")
    page.get_by_label("Module ERP").select_option(label="Finance")
    page.get_by_role("radio", name="Production").check()
    page.get_by_role("button", name="Envoyer la demande").click()
    expect(page.locator(".spt-error-summary")).to_be_visible()
    kept = page.get_by_role("group", name="Fichiers déjà joints")
    expect(kept.get_by_role("checkbox", name=re.compile(r"^journal\.txt \("))).to_be_checked()
    expect(kept.get_by_role("checkbox", name=re.compile(r"^capture\.png \("))).to_be_checked()
    assert not Request.objects.exists()
    assert PendingUpload.objects.filter(owner=client_user).count() == 2
    for size, name in ((DESKTOP, "kept-files-1280"), (PHONE, "kept-files-375")):
        page.set_viewport_size(size)
        kept.scroll_into_view_if_needed()
        screenshot(page, name, full_page=False)
    page.set_viewport_size(DESKTOP)
    assert_no_axe_violations(page, context="new request form, files kept after an error")

    page.get_by_label("Titre").fill("La clôture mensuelle échoue")
    page.get_by_role("button", name="Envoyer la demande").click()
    r = Request.objects.get()
    expect(page).to_have_url(re.compile(rf"/portal/requests/{r.key}/$"))
    assert sorted(a.original_name for a in r.attachments.all()) == ["capture.png", "journal.txt"]
    expect(page.locator("#pieces-jointes")).to_contain_text("capture.png")
    expect(page.locator("#pieces-jointes summary")).to_have_count(1)  # "Aperçu" of the PNG
    assert not PendingUpload.objects.exists()
    page.locator("#pieces-jointes summary").click()
    expect(page.get_by_role("img", name="Aperçu de capture.png")).to_be_visible()
    assert_no_axe_violations(page, context="request page, attachment preview open")
