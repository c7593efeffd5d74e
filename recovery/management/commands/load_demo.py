from django.core.management.base import BaseCommand

from recovery.demo import load_demo


class Command(BaseCommand):
    help = "Load demo logins, beneficiaries and cases in every state of every track (idempotent)."

    def handle(self, *args, **options):
        result = load_demo()
        self.stdout.write(f"Demo data: {result['cases_created']} new case(s).")
        for username, password in result["logins"]:
            self.stdout.write(f"  login {username} / {password}")
