"""Where media (photos, evidence, job files) are stored: local files under MEDIA_ROOT, or an S3-compatible bucket
(MinIO, Ceph, a cloud's object storage) when JIFEN_MEDIA_S3_BUCKET is set, so that every web and worker host sees
the same files. Either way files go out only through the checked views (core/files.py), never from a public URL."""

from collections.abc import Mapping
from typing import Any


def s3_storage(environ: Mapping[str, str]) -> dict[str, Any] | None:
    """The STORAGES["default"] entry for an S3-compatible bucket, or None when JIFEN_MEDIA_S3_BUCKET is unset."""
    bucket = environ.get("JIFEN_MEDIA_S3_BUCKET", "")
    if not bucket:
        return None
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": environ.get("JIFEN_MEDIA_S3_ENDPOINT_URL") or None,
            "access_key": environ.get("JIFEN_MEDIA_S3_ACCESS_KEY_ID") or None,
            "secret_key": environ.get("JIFEN_MEDIA_S3_SECRET_ACCESS_KEY") or None,
            "region_name": environ.get("JIFEN_MEDIA_S3_REGION") or None,
            "location": environ.get("JIFEN_MEDIA_S3_PREFIX", "media"),
            "addressing_style": environ.get("JIFEN_MEDIA_S3_ADDRESSING", "path"),
            "file_overwrite": False,  # a second upload of the same name gets a new name, as on local files
            "default_acl": None,  # the bucket's own policy: private
            "querystring_auth": True,  # no public URL even if one were built
        },
    }
