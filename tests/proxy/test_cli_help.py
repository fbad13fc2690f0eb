"""Every subcommand says what it does: a line in ``embedshift --help``, a description in its own."""

from __future__ import annotations

import argparse

from proxy.cli import build_parser


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    """Each registered subcommand's own parser, by name."""
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_every_subcommand_has_a_help_line_and_a_description():
    """No subcommand's ``--help`` starts with bare options: each has a sentence first."""
    parser = build_parser()
    listing = parser.format_help()
    commands = _subcommands()
    assert {"serve", "check-config", "status", "flip", "demo", "calibrate"} <= set(commands)
    for name, sub in commands.items():
        assert sub.description, f"embedshift {name} --help has no description"
        assert sub.description[0].isupper(), name
        assert name in listing
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {choice.dest: choice.help for choice in action._choices_actions}
    assert all(helps.values()), helps
