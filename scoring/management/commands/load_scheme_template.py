"""`manage.py load_scheme_template NAME --township SLUG --year YYYY --user USERNAME [--starts DATE --ends DATE]
[--activate]`.

The scheme is created in the name of `--user`'s membership of the township (the services check its right). It
covers --starts to --ends (a term, e.g. 2026-09-01 to 2027-01-31) when given, else the template's own term in --year
(the class template: 1 September to 31 January), else the calendar year."""

import argparse
import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.tenancy import township_scope
from households.models import Membership, Township
from scoring import services
from scoring.models import Item, RoleRule
from scoring.scheme_templates import load_template, template_names
from scoring.selectors import base_total


def plain(number: Decimal) -> str:
    """140.00 → "140", 80.50 → "80.5" (Decimal.normalize() would print 1.4E+2)."""
    return f"{number:f}".rstrip("0").rstrip(".") if "." in f"{number:f}" else f"{number:f}"


def iso_date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("Give the date as YYYY-MM-DD, e.g. 2026-09-01 (got %(value)s).") % {"value": value}
        ) from None


class Command(BaseCommand):
    help = "Create a draft scheme for one township and year from a scheme template shipped with Jifen."

    def add_arguments(self, parser):
        parser.add_argument("name", help="template name: %s" % ", ".join(template_names()))
        parser.add_argument("--township", required=True, help="the township's slug")
        parser.add_argument("--year", required=True, type=int, help="the scheme's year, e.g. 2026")
        parser.add_argument("--starts", type=iso_date, help="the term's first day, e.g. 2026-09-01")
        parser.add_argument("--ends", type=iso_date, help="the term's last day, e.g. 2027-01-31")
        parser.add_argument("--activate", action="store_true", help="activate the scheme once it is loaded")
        parser.add_argument(
            "--user",
            required=True,
            help="the member in whose name the scheme is created; must be allowed to edit the township's schemes",
        )

    def handle(self, *args, name, township, year, activate, user, starts=None, ends=None, **options):
        township_obj = Township.objects.filter(slug=township).first()
        if township_obj is None:
            raise CommandError(_("There is no township with the slug %(slug)s.") % {"slug": township})
        with township_scope(township_obj):
            membership = self._membership(user, township_obj)
            try:
                with transaction.atomic():
                    scheme = load_template(
                        membership=membership,
                        township=township_obj,
                        name=name,
                        year=year,
                        starts_on=starts,
                        ends_on=ends,
                    )
                    if activate:
                        services.activate_scheme(membership=membership, scheme=scheme)
            except PermissionDenied as exc:
                raise self._refused(user, township_obj) from exc
            except DomainError as exc:
                raise CommandError(str(exc)) from exc
            categories = scheme.categories.count()
            items = Item.objects.filter(category__scheme=scheme).count()
            role_rules = RoleRule.objects.filter(scheme=scheme).count()
            total = base_total(scheme)
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Created the draft scheme %(scheme)s (template %(template)s) in %(township)s: "
                    "%(categories)d categories, %(items)d items, %(role_rules)d role rules, base total %(total)s."
                )
                % {
                    "scheme": scheme,
                    "template": name,
                    "township": township_obj.name,
                    "categories": categories,
                    "items": items,
                    "role_rules": role_rules,
                    "total": plain(total),
                }
            )
        )
        if scheme.ends_on is None:
            self.stdout.write(_("It covers the days from %(start)s on.") % {"start": scheme.starts_on})
        else:
            self.stdout.write(
                _("It covers the days from %(start)s to %(end)s.")
                % {"start": scheme.starts_on, "end": scheme.ends_on}
            )
        if activate:
            self.stdout.write(self.style.SUCCESS(_("The scheme is active: it takes entries from now on.")))

    def _membership(self, username: str, township: Township) -> Membership:
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        membership = Membership.objects.filter(user=user, township=township).first() if user else None
        if membership is None:
            raise self._refused(username, township)
        return membership

    def _refused(self, username: str, township: Township) -> CommandError:
        return CommandError(
            _("The user %(user)s may not edit the schemes of %(township)s.")
            % {"user": username, "township": township.name}
        )
