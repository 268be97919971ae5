"""Export a township's whole roster (households with members, full ID numbers) to an .xlsx file."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.tenancy import township_scope
from households.importing.export import export_roster
from households.models import Household, Township


class Command(BaseCommand):
    help = "Write the roster of a township to an .xlsx file in the import template's layout."

    def add_arguments(self, parser):
        parser.add_argument("--township", required=True, help="the township's slug")
        parser.add_argument("--out", required=True, type=Path, help="the .xlsx file to write")

    def handle(self, *args, township: str, out, **options):
        out = Path(out)  # call_command passes options through without their argparse type
        township_obj = Township.objects.filter(slug=township).first()
        if township_obj is None:
            raise CommandError(f"No township with slug {township!r}.")
        with township_scope(township_obj):
            content = export_roster(Household.objects.all(), full_identity=True)
            count = Household.objects.count()
        try:
            out.write_bytes(content)
        except OSError as exc:
            raise CommandError(f"Cannot write {out}: {exc}") from exc
        self.stdout.write(self.style.SUCCESS(f"Wrote {count} households to {out}."))
