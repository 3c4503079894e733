"""Attachments on S3-compatible object storage: moto's S3 server on 127.0.0.1 stands in for
MinIO or S3, the storage configured from the environment as a web node reads it. A customer's
upload through the page lands in the bucket, comes back byte for byte through the portal's
own download (never a redirect to the bucket), stays hidden from outsiders; a form sent back
with an error keeps its files in the bucket, and the purge removes them there."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from requests_app.models import Attachment, PendingUpload, Request
from requests_app.services.attachments import pending_uploads_purge
from tests.scale.environment import settings_with

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"capture d'ecran" * 50
LOG = b"2026-12-03 erreur 4512 a la validation\n" * 20
CREATE_URL = reverse("portal:request_create", kwargs={"type_code": "support"})
REGION = "eu-central-2"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """moto's standalone S3-compatible HTTP server, on a free port of 127.0.0.1."""
    try:
        from moto.server import ThreadedMotoServer

        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
    except (ImportError, OSError) as exc:
        if os.environ.get("CI"):
            pytest.fail(f"moto's S3 server did not start: {exc!r}")
        pytest.skip(f"moto's S3 server cannot start here: {exc!r}")
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


CREDENTIALS = {"aws_access_key_id": "spt-test-key", "aws_secret_access_key": "spt-test-secret"}


@dataclass
class Bucket:
    """The bucket as an operator sees it, straight through the S3 API."""

    name: str
    client: Any
    storages: dict[str, Any]

    def object_keys(self) -> set[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.name)
        return {item["Key"] for page in pages for item in page.get("Contents", [])}

    def read(self, key: str) -> bytes:
        data: bytes = self.client.get_object(Bucket=self.name, Key=key)["Body"].read()
        return data


@pytest.fixture(scope="module")
def bucket(s3_endpoint: str) -> Bucket:
    """A bucket of its own, and the default storage the settings make of this environment."""
    import boto3

    name = f"spt-attachments-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name=REGION, **CREDENTIALS)
    client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    environment = {"AWS_STORAGE_BUCKET_NAME": name, "AWS_S3_ENDPOINT_URL": s3_endpoint,
                   "AWS_S3_REGION_NAME": REGION}
    storages = settings_with(environment, "STORAGES")["STORAGES"]
    assert storages["default"]["BACKEND"] == "storages.backends.s3.S3Storage"
    return Bucket(name=name, client=client, storages=storages)


@pytest.fixture
def s3(bucket: Bucket, monkeypatch) -> Iterator[Bucket]:
    """The portal's default storage on the bucket for one test."""
    # Credentials through boto3's own chain, as in production; nothing looked up elsewhere.
    for variable in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", CREDENTIALS["aws_access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", CREDENTIALS["aws_secret_access_key"])
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    with override_settings(STORAGES=bucket.storages):
        yield bucket


def support_data(**overrides: Any) -> dict[str, Any]:
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


def body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def customer(client_user) -> Client:
    browser = Client()
    browser.force_login(client_user)
    return browser


def test_an_upload_through_the_page_is_stored_in_the_bucket_and_served_by_the_portal(
    s3, customer, outsider, client_user
):
    response = customer.post(CREATE_URL, support_data(attachments=[
        SimpleUploadedFile("capture.png", PNG, content_type="image/png"),
        SimpleUploadedFile("journal.txt", LOG, content_type="text/plain"),
    ]))
    assert response.status_code == 302
    request = Request.objects.get()
    png = request.attachments.get(original_name="capture.png")
    log = request.attachments.get(original_name="journal.txt")
    # In the bucket under the portal's own names, never the uploaded ones.
    assert {png.file.name, log.file.name} <= s3.object_keys()
    assert not any("capture" in key or "journal" in key for key in s3.object_keys())
    assert s3.read(png.file.name) == PNG
    # Private: no grant to everyone on the object.
    grants = s3.client.get_object_acl(Bucket=s3.name, Key=png.file.name)["Grants"]
    assert not any(g["Grantee"].get("URI", "").endswith("/AllUsers") for g in grants)

    # The request's page links the portal's download, not the bucket.
    page = customer.get(response["Location"]).content.decode()
    download_url = reverse("attachment", kwargs={"token": log.token})
    assert download_url in page
    assert s3.client.meta.endpoint_url not in page and s3.name not in page

    download = customer.get(download_url)
    assert download.status_code == 200 and not download.has_header("Location")
    assert download["Content-Disposition"].startswith("attachment")
    assert 'filename="journal.txt"' in download["Content-Disposition"]
    assert body(download) == LOG

    preview = customer.get(reverse("attachment_preview", kwargs={"token": png.token}))
    assert preview.status_code == 200 and preview["Content-Type"] == "image/png"
    assert body(preview) == PNG

    # Someone of another organisation and an anonymous visitor never get the bytes.
    stranger = Client()
    stranger.force_login(outsider)
    assert stranger.get(download_url).status_code == 404
    anonymous = Client().get(download_url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("login"))


def test_an_object_gone_from_the_bucket_is_a_404_not_an_error(s3, customer):
    response = customer.post(CREATE_URL, support_data(attachments=[
        SimpleUploadedFile("journal.txt", LOG, content_type="text/plain")]))
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    s3.client.delete_object(Bucket=s3.name, Key=attachment.file.name)
    for name in ("attachment", "attachment_preview"):
        missing = customer.get(reverse(name, kwargs={"token": attachment.token}))
        assert missing.status_code == 404


def test_a_form_sent_back_with_an_error_keeps_its_file_in_the_bucket_until_it_succeeds(
    s3, customer, client_user, django_capture_on_commit_callbacks
):
    refused = customer.post(CREATE_URL, support_data(title="", attachments=[
        SimpleUploadedFile("capture.png", PNG, content_type="image/png")]))
    assert refused.status_code == 400
    pending = PendingUpload.objects.get(owner=client_user)
    assert pending.file.name in s3.object_keys()
    assert s3.read(pending.file.name) == PNG
    tokens = re.findall(r'name="kept_attachments" value="([0-9a-f]{32})"[^>]*checked',
                        refused.content.decode())
    assert tokens == [pending.token]

    with django_capture_on_commit_callbacks(execute=True):
        accepted = customer.post(CREATE_URL, support_data(kept_attachments=tokens))
    assert accepted.status_code == 302
    attachment = Request.objects.get().attachments.get()
    assert attachment.original_name == "capture.png"
    assert s3.read(attachment.file.name) == PNG
    assert body(customer.get(reverse("attachment", kwargs={"token": attachment.token}))) == PNG
    # The kept copy is gone from the bucket once the request is stored.
    assert pending.file.name not in s3.object_keys()
    assert not PendingUpload.objects.exists()


def test_the_purge_removes_abandoned_uploads_from_the_bucket(
    s3, customer, client_user, django_capture_on_commit_callbacks
):
    customer.post(CREATE_URL, support_data(title="", attachments=[
        SimpleUploadedFile("capture.png", PNG, content_type="image/png")]))
    abandoned = PendingUpload.objects.get(owner=client_user).file.name
    assert abandoned in s3.object_keys()
    with django_capture_on_commit_callbacks(execute=True):
        removed = pending_uploads_purge(before=timezone.now() + timedelta(hours=1))
    assert removed == 1
    assert abandoned not in s3.object_keys()
    assert not PendingUpload.objects.exists()


def test_a_kept_file_gone_from_the_bucket_is_asked_for_again_and_nothing_is_written(
    s3, customer, client_user
):
    refused = customer.post(CREATE_URL, support_data(title="", attachments=[
        SimpleUploadedFile("capture.png", PNG, content_type="image/png")]))
    pending = PendingUpload.objects.get(owner=client_user)
    s3.client.delete_object(Bucket=s3.name, Key=pending.file.name)
    tokens = re.findall(r'name="kept_attachments" value="([0-9a-f]{32})"[^>]*checked',
                        refused.content.decode())
    again = customer.post(CREATE_URL, support_data(kept_attachments=tokens))
    assert again.status_code == 400
    assert "n'est plus disponible" in again.content.decode().replace("&#x27;", "'")
    assert not Request.objects.exists() and not Attachment.objects.exists()
