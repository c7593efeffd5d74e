from django.core.management.base import BaseCommand

from recovery.cases import tracks


class Command(BaseCommand):
    help = "Print each track's state diagram in Mermaid (the README's diagrams come from here)."

    def add_arguments(self, parser):
        parser.add_argument("--track", choices=tracks.Track.values)

    def handle(self, *args, track=None, **options):
        for value, label in tracks.Track.choices:
            if track and value != track:
                continue
            self.stdout.write(f"### {label}\n\n```mermaid\n{tracks.mermaid(value)}\n```\n")
