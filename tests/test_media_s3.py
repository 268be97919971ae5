"""Media on an S3-compatible bucket (issue 18): with JIFEN_MEDIA_S3_* set, stored files go to the bucket and out
through the same checked views. Tested against moto's S3 server, started and stopped by this test (no S3 server
installs on these machines)."""

import socket
import subprocess
import sys

import boto3
import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from config.media_storage import s3_storage
from core.models import Job, JobState
from tests.conftest import wait_for
from tests.households.test_jobs import free_port

BUCKET = "jifen-media"


@pytest.fixture
def s3_server():
    port = free_port()
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def listening():
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", port)) == 0 or server.poll() is not None

    try:
        wait_for(listening, timeout=60)
        assert server.poll() is None, "moto's S3 server did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()  # by its own pid
        server.wait(timeout=20)


@pytest.fixture
def s3_media(s3_server, settings):
    environ = {
        "JIFEN_MEDIA_S3_BUCKET": BUCKET,
        "JIFEN_MEDIA_S3_ENDPOINT_URL": s3_server,
        "JIFEN_MEDIA_S3_ACCESS_KEY_ID": "test-key",
        "JIFEN_MEDIA_S3_SECRET_ACCESS_KEY": "test-secret",
        "JIFEN_MEDIA_S3_REGION": "us-east-1",
    }
    client = boto3.client(
        "s3",
        endpoint_url=s3_server,
        aws_access_key_id="test-key",
        aws_secret_access_key="test-secret",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {**settings.STORAGES, "default": s3_storage(environ)}  # resets default_storage
    return client


def test_without_the_bucket_setting_media_stay_local():
    assert s3_storage({}) is None
    assert s3_storage({"JIFEN_MEDIA_S3_BUCKET": "b"})["BACKEND"] == "storages.backends.s3.S3Storage"


@pytest.mark.django_db
def test_a_job_file_goes_to_the_bucket_and_out_through_the_checked_view(s3_media, world, client):
    job = Job.objects.create(township=world.a.township, kind="roster_export", created_by=world.a.admin)
    job.file.save("名册.xlsx", ContentFile(b"PK\x03\x04 the export"), save=False)
    job.filename, job.state = "名册.xlsx", JobState.DONE
    job.save()

    keys = [item["Key"] for item in s3_media.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    assert keys == [f"media/jobs/{world.a.township.pk}/{job.pk}/名册.xlsx"]

    url = reverse("households:job-download", kwargs={"township_slug": "town-a", "pk": job.pk})
    client.force_login(world.a.admin)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"PK\x03\x04 the export"
    assert response["Cache-Control"] == "private, no-store"

    client.force_login(
        world.b.admin
    )  # another township's office: not found, and nothing read from the bucket
    assert (
        client.get(
            reverse("households:job-download", kwargs={"township_slug": "town-b", "pk": job.pk})
        ).status_code
        == 404
    )


@pytest.mark.django_db
def test_a_file_missing_from_the_bucket_is_not_found_not_a_500(s3_media, world, client):
    job = Job.objects.create(township=world.a.township, kind="roster_export", created_by=world.a.admin)
    job.file.save("名册.xlsx", ContentFile(b"x"), save=False)
    job.state = JobState.DONE
    job.save()
    s3_media.delete_object(Bucket=BUCKET, Key=f"media/{job.file.name}")
    client.force_login(world.a.admin)
    response = client.get(
        reverse("households:job-download", kwargs={"township_slug": "town-a", "pk": job.pk})
    )
    assert response.status_code == 404
