"""The platform's models: the base of every township-owned row, and jobs (slow work run by a Celery worker)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .tenancy import TownshipScopedManager


class TownshipOwned(models.Model):
    """Base for every row that belongs to a township (the tenant): its default manager fails closed.

    Each concrete model declares `village_path` (core.permissions): how it reaches its village ("village",
    "household__village", "" for a village itself, None for a township-wide row); a household's own records
    also declare `household_record = True`.
    """

    township = models.ForeignKey(
        settings.JIFEN_TOWNSHIP_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("township")
    )

    objects = TownshipScopedManager()  # type: ignore[django-manager-missing]  # built at run time

    household_record = False

    class Meta:
        abstract = True


class JobState(models.TextChoices):
    QUEUED = "queued", _("Waiting for a worker")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


def job_file_path(instance: "Job", filename: str) -> str:
    return f"jobs/{instance.township_id}/{instance.pk}/{filename}"


class Job(TownshipOwned):
    """A slow piece of work (a big export, a PDF batch, the star rating) run by a Celery worker.

    The page shows its progress; the file it makes is kept for download. Runners are registered by kind in
    `core.jobs`; the task receives the township and the job id and opens the scope itself.
    """

    kind = models.CharField(max_length=50)
    params = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=10, choices=JobState.choices, default=JobState.QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    message = models.CharField(max_length=300, blank=True)
    file = models.FileField(upload_to=job_file_path, blank=True)
    filename = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Sent to the broker (None: the send failed, the sweeper sends it again); the running worker's last sign of
    # life (a running job whose heartbeat is older than JIFEN_JOB_STALE_MINUTES lost its worker).
    enqueued_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=100, blank=True)  # "host:pid" of the process that runs it

    village_path = None  # the township's: seen by whoever started it (core.jobs.jobs_visible_to)

    class Meta:
        db_table = "households_job"  # moved from the roster app (issue 13); the table keeps its name
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(state__in=JobState.values), name="job_state_valid")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    @property
    def percent(self) -> int:
        if self.state == JobState.DONE:
            return 100
        return int(100 * self.done / self.total) if self.total else 0


def pending_upload_path(instance: "PendingUpload", filename: str) -> str:
    return f"pending/{instance.township_id}/{instance.token}"  # no name chosen by the sender in the path


class PendingUpload(TownshipOwned):
    """A photo kept while the form it came with had other errors (issue 17.7), so the sender need not choose it
    again. Found only by its unguessable token, only by the member who sent it, in their township; used by the
    next valid submit, else removed by the retention sweep (core.uploads.purge_pending_uploads)."""

    token = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", null=True, blank=True
    )
    # A villager sends from the page their passbook code opened, signed in by no account: their photo is found by
    # that code (scoring.PassbookCode's id; the platform knows no passbooks). Exactly one owner is set.
    passbook_code_id = models.BigIntegerField(null=True, blank=True)
    file = models.FileField(upload_to=pending_upload_path)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    village_path = None  # the township's; only its sender ever reads it (core.uploads)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, passbook_code_id__isnull=True)
                | Q(user__isnull=True, passbook_code_id__isnull=False),
                name="pending_upload_one_owner",
            )
        ]

    def __str__(self) -> str:
        return self.original_name
