from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The platform under the domain apps: errors and PDF rendering now; tenancy, permissions, jobs, the API base,
    page helpers, files, backups and security headers are to follow (issue 13)."""

    name = "core"
    verbose_name = "Jifen platform"
