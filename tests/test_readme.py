"""The README's state diagrams are the ones the code generates, and its commands exist."""

from io import StringIO
from pathlib import Path

from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent


def test_the_readme_diagrams_are_generated_from_the_tracks_table():
    out = StringIO()
    call_command("state_diagram", stdout=out)
    readme = (ROOT / "README.md").read_text()
    block = readme.split("<!-- state diagrams: begin -->\n")[1].split("<!-- state diagrams: end -->")[0]
    assert block.strip() == out.getvalue().strip(), "run: manage.py state_diagram, and paste into README.md"


def test_the_readme_names_the_two_commands_and_they_exist():
    readme = (ROOT / "README.md").read_text()
    for command in ["scripts/run", "scripts/test"]:
        assert command in readme
        assert (ROOT / command).exists()
