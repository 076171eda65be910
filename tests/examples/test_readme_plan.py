"""Every command line of the README has an entry in the README test's plan, and a part that runs it."""

from __future__ import annotations

import re
from pathlib import Path

from tests.examples.readme_plan import PARTS, PLAN, README, readme_command_lines, readme_parts


def test_every_readme_command_line_has_an_entry() -> None:
    # A line shown twice (`fleetops up` in two walkthroughs) has one entry, run each time.
    assert list(dict.fromkeys(readme_command_lines(README.read_text()))) == list(PLAN)


def test_the_parts_start_at_readme_headings_in_order() -> None:
    headings = re.findall(r"^#{1,6} .*$", README.read_text(), flags=re.MULTILINE)
    starts = [part.heading for part in PARTS.values()]
    assert [heading for heading in headings if heading in starts] == starts


def test_the_parts_share_out_every_command_line() -> None:
    text = README.read_text()
    parts = readme_parts(text)
    assert [line for name in PARTS for line in parts[name]] == readme_command_lines(text)


def test_every_part_has_its_test_file() -> None:
    files = {path.name for path in Path(__file__).parent.glob("test_readme_*.py")}
    assert files == {f"test_readme_{name}.py" for name in PARTS} | {Path(__file__).name}
