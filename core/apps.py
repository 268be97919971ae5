from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The platform under the domain apps: tenancy, the role table and permission checks, jobs, errors, the API
    base, page helpers, stored files, backups, CSP and security headers, PDF rendering."""

    name = "core"
    verbose_name = "Jifen platform"

    def ready(self) -> None:
        # The job task is registered in every process (web, commands, workers): core.jobs sends it by its name.
        from . import checks, tasks  # noqa: F401
