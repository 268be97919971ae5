"""`manage.py verify_balances [--repair]`: recompute the balances kept with the ledgers from the ledgers themselves.

Every key whose kept row differs from the ledger's sum is printed (township, account, scheme/category/period or
year, what the ledger says and what is kept) and the command exits 1; with none it prints so and exits 0. Beat runs
the same check weekly (rewards.tasks.verify_balances, logged). `--repair` rewrites the differing rows from the
ledger, which stays the truth."""

from django.core.management.base import BaseCommand, CommandError

from rewards.balances import repair_spent, spent_differences
from scoring.balances import balance_differences, repair_balances


class Command(BaseCommand):
    help = "Recompute the points balances and the points spent from the ledgers and report any difference."

    def add_arguments(self, parser):
        parser.add_argument(
            "--repair",
            action="store_true",
            help="rewrite the differing rows from the ledger after reporting them",
        )

    def handle(self, *args, repair: bool = False, **options):
        differences = balance_differences()
        spent = spent_differences()
        for d in differences:
            self.stdout.write(
                f"balance township={d.township_id} account={d.account_id} scheme={d.scheme_id} "
                f"category={d.category_id} period={d.period} ({d.year}): ledger points={d.ledger_points} "
                f"penalties={d.ledger_penalties} entries={d.ledger_entries}; kept points={d.kept_points} "
                f"penalties={d.kept_penalties} entries={d.kept_entries}"
            )
        for s in spent:
            self.stdout.write(
                f"spent township={s.township_id} account={s.account_id} year={s.year}: redemptions "
                f"{s.source_redeemed} cleared {s.source_cleared}; kept {s.kept_redeemed} cleared {s.kept_cleared}"
            )
        if not differences and not spent:
            self.stdout.write("balances agree with the ledger")
            return
        if repair:
            fixed = repair_balances() + repair_spent()
            self.stdout.write(f"repaired {fixed} rows from the ledger")
            return
        raise CommandError(f"{len(differences) + len(spent)} balances differ from the ledger (see above)")
