"""Commands imported only when they run: `gridmap --help` and `gridmap check` start without SQLAlchemy, SciPy, folium.

Each command module (`gridmap.cli.check`, `gridmap.cli.store`, ...) puts its top-level commands and command groups on
its own `commands` Typer. The root group lists every command from a `LazyCommand`, a stand-in holding only the name,
the module and the one-line summary; the module is imported the first time one of its commands is parsed, that is
when the command runs or its own help is asked, and the real click command takes over from there.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Sequence
from typing import Any, ClassVar

import typer
import typer.main
from typer import _click  # typer vendors click: its groups take typer._click's commands and contexts
from typer.core import MarkupMode, TyperCommand, TyperGroup, TyperOption

from gridmap.cli.plain_values import coerce_help_plainly, coerce_plainly


class LazyCommand(TyperCommand):
    """A command of a module not imported yet: enough to list it in the help, and the real command on first use."""

    def __init__(self, name: str, *, module: str, summary: str) -> None:
        super().__init__(name, short_help=summary, help=summary, add_help_option=False)
        self.module = module

    @functools.cached_property
    def command(self) -> _click.Command:
        """The real command (or group) of that name, from its module's `commands` Typer."""
        assert self.name is not None  # a LazyCommand always has one
        found = module_commands(self.module).commands.get(self.name)
        if found is None:
            msg = f"{self.module} declares no command {self.name!r}"
            raise LookupError(msg)
        return found

    def make_context(
        self, info_name: str | None, args: list[str], parent: _click.Context | None = None, **extra: Any
    ) -> _click.Context:
        """Parse with the real command, so the context (and everything invoked from it) is the real command's."""
        command = self.command
        settings = {**command.context_settings, **extra}  # as the real command's make_context sets its context up
        coerce_help_plainly(command, command.context_class(command, info_name=info_name, parent=parent, **settings))
        return command.make_context(info_name, args, parent=parent, **extra)


HELP_MARKUP: MarkupMode = None
"""Every help is click's plain text, the root's and each module's alike: typer's rich help (`rich_markup_mode`)
imports rich's markdown renderer, 0.17 s of a `--help` whose whole budget is 0.3 s."""


@functools.cache
def module_commands(module: str) -> TyperGroup:
    """The group built from a command module's `commands` Typer (built once per process, shared by its
    commands), with its help in `HELP_MARKUP` and its values coerced without pydantic (gridmap.cli.plain_values)."""
    commands = importlib.import_module(module).commands
    if not isinstance(commands, typer.Typer):
        msg = f"{module}.commands is not a Typer"
        raise TypeError(msg)
    commands.rich_markup_mode = HELP_MARKUP
    group = typer.main.get_group(commands)
    coerce_plainly(group)
    return group


class LazyGroup(TyperGroup):
    """A typer group whose commands are the `LazyCommand`s of `lazy_commands`, in that order.

    Typer builds the group itself (`typer.Typer(cls=...)`), so the commands come from a class attribute of a
    subclass rather than from an argument.
    """

    lazy_commands: ClassVar[Sequence[tuple[str, str, str]]] = ()
    """(name, module, summary) of every command; the summary is the first line of the command's docstring."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        for name, module, summary in self.lazy_commands:
            self.add_command(LazyCommand(name, module=module, summary=summary))

    def get_help_option(self, ctx: _click.Context) -> TyperOption | None:
        """The group's --help, False when not given: typer coerces any other value (None) through pydantic, whose
        import (0.15 s) `gridmap check --help` would pay for the group's --help it did not ask for."""
        option = super().get_help_option(ctx)
        if option is not None:
            option.default = False
        return option
