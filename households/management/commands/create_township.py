"""Create a township (or a school) with its first administrator and, optionally, its villages and areas from an
.xlsx — the platform operator's first step; from then on the township's own office works on its pages."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.vocabulary import OrganisationKind
from households.onboarding.services import OPERATOR, create_township


class Command(BaseCommand):
    help = "Create a township with its first administrator (and optionally its villages and areas from an .xlsx)."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="the township's name, e.g. 青山镇")
        parser.add_argument("--slug", required=True, help="its short name in addresses: /t/<slug>/")
        parser.add_argument(
            "--timezone", default="Asia/Shanghai", help="an IANA time zone (default Asia/Shanghai)"
        )
        parser.add_argument("--kind", default=OrganisationKind.TOWNSHIP, choices=OrganisationKind.values)
        parser.add_argument(
            "--admin-username", required=True, help="the first township administrator's login"
        )
        parser.add_argument("--admin-name", default="", help="the administrator's name")
        parser.add_argument(
            "--admin-password",
            default=None,
            help="a first password (default: one is generated and printed once)",
        )
        parser.add_argument(
            "--places", type=Path, default=None, help="an .xlsx with columns 村 and 片区 (optional 村编码)"
        )

    def handle(self, *args, **options):
        places = None
        if options["places"] is not None:
            path = Path(options["places"])
            try:
                places = path.read_bytes()
            except OSError as exc:
                raise CommandError(
                    _("Cannot read %(path)s: %(error)s") % {"path": path, "error": exc}
                ) from exc
        try:
            created = create_township(
                operator=OPERATOR,
                name=options["name"],
                slug=options["slug"],
                timezone=options["timezone"],
                kind=options["kind"],
                admin_username=options["admin_username"],
                admin_name=options["admin_name"],
                admin_password=options["admin_password"],
                places=places,
            )
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc
        township = created.township
        self.stdout.write(
            self.style.SUCCESS(
                _("Created %(name)s (/t/%(slug)s/) with %(villages)d villages and %(areas)d areas.")
                % {
                    "name": township.name,
                    "slug": township.slug,
                    "villages": created.villages,
                    "areas": created.areas,
                }
            )
        )
        self.stdout.write(_("First administrator: %(username)s") % {"username": created.admin.username})
        if created.password:
            self.stdout.write(
                _("First password (shown only this once; the administrator should change it): %(password)s")
                % {"password": created.password}
            )
