"""Import a roster file from the command line: validate and print every error, or write it with --commit."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from core.permissions import Action, can
from core.tenancy import township_scope
from households.importing.mapping import column_problems, unmapped_headers
from households.importing.parsing import ImportFileError, read_roster_file
from households.importing.services import commit_batch, create_batch
from households.importing.unit_validation import validate_unit_rows
from households.importing.validation import validate_rows
from households.models import Membership, Township


class Command(BaseCommand):
    help = "Check a roster file (.xlsx or .csv) and, with --commit, import it as USERNAME. Exit code 1 on errors."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--township", required=True, help="the township's slug")
        parser.add_argument("--user", required=True, help="the username the import is recorded under")
        parser.add_argument(
            "--commit", action="store_true", help="write the roster when the file has no errors"
        )

    def handle(self, *args, file: Path, township: str, user: str, commit: bool, **options):
        township_obj = Township.objects.filter(slug=township).first()
        if township_obj is None:
            raise CommandError(f"No township with slug {township!r}.")
        actor = get_user_model().objects.filter(username=user, is_active=True).first()
        if actor is None:
            raise CommandError(f"No active user {user!r}.")
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from exc
        with township_scope(township_obj):
            membership = Membership.objects.filter(user=actor).prefetch_related("villages").first()
            if membership is None or not can(membership, Action.EDIT_ROSTER):
                raise CommandError(f"{user} may not edit the roster of {township_obj.slug}.")
            self._run(membership, file.name, data, commit)

    def _run(self, membership, filename: str, data: bytes, commit: bool) -> None:
        try:
            parsed = read_roster_file(data, filename)
        except ImportFileError as exc:
            for message in exc.messages:
                self.stderr.write(message)
            raise CommandError("The file cannot be imported.", returncode=1) from exc
        plan = validate_rows(parsed.rows, parsed.columns, membership=membership)
        unit_plan = validate_unit_rows(parsed.unit_rows, parsed.unit_columns, membership=membership)
        self.stdout.write(
            f"households: {len(plan.households)}, residents: {plan.resident_count}, "
            f"new areas: {len(plan.new_areas)}"
            + (f" ({'、'.join(plan.new_area_labels())})" if plan.new_areas else "")
        )
        if parsed.unit_rows:
            self.stdout.write(f"units: {len(unit_plan.units)}")
        problems = column_problems(parsed.mapping, parsed.headers, parsed.ambiguous, village_given=False)
        if parsed.rows and (unknown := unmapped_headers(parsed.mapping, parsed.headers)):
            self.stdout.write(f"columns not imported: {'、'.join(unknown)}")
        for problem in problems if parsed.rows else []:
            self.stderr.write(problem)
        if (errors := plan.errors + unit_plan.errors) or (problems and parsed.rows):
            for error in errors:
                sheet = f"{error.sheet} " if error.sheet else ""
                self.stderr.write(f"{sheet}row {error.row} [{error.column}]: {error.message}")
            raise CommandError(
                f"{len(errors)} errors: nothing imported. Map unknown columns on the import page.",
                returncode=1,
            )
        if not commit:
            self.stdout.write("No errors. Run again with --commit to import.")
            return
        batch = create_batch(membership=membership, filename=filename, data=data)
        try:
            result = commit_batch(membership=membership, batch=batch)
        except DomainError as exc:
            raise CommandError(str(exc.message), returncode=1) from exc
        if not result.committed:
            for error in result.batch.errors:
                sheet = f"{error['sheet']} " if error.get("sheet") else ""
                self.stderr.write(f"{sheet}row {error['row']} [{error['column']}]: {error['message']}")
            raise CommandError("Nothing imported.", returncode=1)
        for warning in result.warnings:
            self.stdout.write(self.style.WARNING(warning))
        self.stdout.write(self.style.SUCCESS(f"Imported as batch {result.batch.pk}."))
