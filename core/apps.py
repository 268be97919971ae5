from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The platform under the domain apps: tenancy, the role table and permission checks, jobs, errors, the API
    base, page helpers, stored files, backups, CSP and security headers, PDF rendering."""

    name = "core"
    verbose_name = "Jifen platform"

    def ready(self) -> None:
        # The job task is registered in every process (web, commands, workers): core.jobs sends it by its name.
        from . import checks, logs, tasks  # noqa: F401

        logs.connect_axes()  # failed logins (a receiver in core.logs) and lockouts on the jifen.access log
