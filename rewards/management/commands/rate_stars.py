"""`manage.py rate_stars --township SLUG --year YYYY --user USERNAME [--scheme NAME]`.

The rating acts for a member of the township office (`--user`): the service checks their right, as on the page."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.permissions import Action, can
from core.tenancy import township_scope
from households.models import Membership, Township
from rewards.selectors import village_summary
from rewards.services import rate_stars
from scoring.models import Scheme, SchemeState


class Command(BaseCommand):
    help = "Rate the star households of one township and year (a proposal until the township publishes it)."

    def add_arguments(self, parser):
        parser.add_argument("--township", required=True, help="the township's slug")
        parser.add_argument("--year", required=True, type=int, help="the scheme's year, e.g. 2026")
        parser.add_argument("--scheme", help="the scheme's name, when the township has several that year")
        parser.add_argument(
            "--user",
            required=True,
            help="the township office's member the rating acts for (recorded as who rated the stars)",
        )

    def handle(self, *args, township, year, scheme, user, **options):
        township_obj = Township.objects.filter(slug=township).first()
        if township_obj is None:
            raise CommandError(_("There is no township with the slug %(slug)s.") % {"slug": township})
        with township_scope(township_obj):
            membership = self._membership(user, township_obj)
            scheme_obj = self._scheme(year, scheme)
            try:
                run, created, changes = rate_stars(membership=membership, scheme=scheme_obj)
            except DomainError as exc:
                raise CommandError(str(exc)) from exc
            summary = village_summary(run)
        for row in summary:
            self.stdout.write(
                _(
                    "%(village)s: %(n)d households, %(five)d five stars, %(four)d four stars, %(three)d three stars"
                )
                % {
                    "village": row["village__name"],
                    "n": row["n"],
                    "five": row["five"],
                    "four": row["four"],
                    "three": row["three"],
                }
            )
        if created:
            message = _(
                "New version %(version)d of the star rating of %(scheme)s; %(changed)d households changed."
            )
        else:
            message = _("No new version: the star rating of %(scheme)s is version %(version)d, as before.")
        self.stdout.write(
            self.style.SUCCESS(
                message % {"version": run.version, "scheme": scheme_obj, "changed": len(changes)}
            )
        )

    def _scheme(self, year: int, name: str | None) -> Scheme:
        schemes = Scheme.objects.filter(year=year).exclude(state=SchemeState.DRAFT)
        if name:
            schemes = schemes.filter(name=name)
        found = list(schemes.order_by("name"))
        if len(found) == 1:
            return found[0]
        if not found:
            raise CommandError(_("There is no active or closed scheme of %(year)d to rate.") % {"year": year})
        raise CommandError(
            _("Several schemes of %(year)d: choose one with --scheme (%(names)s).")
            % {"year": year, "names": ", ".join(s.name for s in found)}
        )

    def _membership(self, username: str, township: Township) -> Membership:
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        membership = Membership.objects.filter(user=user, township=township).first() if user else None
        if membership is None or not can(membership, Action.MANAGE_REWARDS):
            raise CommandError(
                _("The user %(user)s may not rate the stars of %(township)s.")
                % {"user": username, "township": township.name}
            )
        return membership
