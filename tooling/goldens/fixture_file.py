"""Writes a generated fixture, or with --check compares a fresh run with the committed one."""

import pathlib
import sys


def write_or_check(root: pathlib.Path, target: pathlib.Path, text: str, summary: str) -> None:
    """`--check` in argv: exit with an error unless `target` holds exactly `text`; else write it."""
    name = target.relative_to(root)
    if "--check" in sys.argv:
        if target.read_text() != text:
            raise SystemExit(f"{name} differs from a fresh run")
        print(f"{name} matches a fresh run ({summary})")
        return
    target.write_text(text)
    print(f"wrote {summary} to {name}")
