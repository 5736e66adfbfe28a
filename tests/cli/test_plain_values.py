"""Every command's values coerced without pydantic (gridmap.cli.plain_values) come out as typer coerces them:
the same value of the same type, or the same error message."""

from __future__ import annotations

import math
from enum import Enum
from pathlib import Path
from typing import Any, get_args, get_origin

import pytest
from typer import _click
from typer._click.exceptions import BadParameter
from typer._coercion import build_runtime_param
from typer.core import TyperArgument, TyperOption

from gridmap.cli import GridmapCommands
from gridmap.cli.lazy import module_commands
from gridmap.cli.plain_values import PlainRuntimeParam

TEXTS = ["grids", "", "社区", " spaced ", 5]
WHOLE_NUMBERS = ["5", "-5", "+5", "007", "0", "1_000", " 5", "5.0", "1e3", "abc", "", "99999999999999999999", 5, 5.0]
DECIMALS = ["1", "1.5", "-1.5", ".5", "5.", "1e3", "inf", "nan", "1_0", " 1", "abc", "", "2001", 1, 1.5, True]
FLAGS = [True, False, "true", "no", 1]


def values_for(annotation: Any, existing_file: Path) -> list[Any]:
    """Values of every kind a command line, a default or a caller may give a parameter of `annotation`."""
    if get_origin(annotation) is list:
        items = values_for(get_args(annotation)[0], existing_file)
        return [tuple(items), tuple(items[:2]), (), items[0]]
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        first = next(iter(annotation))
        return [first, first.value, str(first.value).upper(), "no-such-choice", 3]
    if annotation in (int, float):
        return WHOLE_NUMBERS if annotation is int else DECIMALS
    if annotation is Path:
        return ["boundaries.geojson", str(existing_file), str(existing_file.parent), "-", "", Path("a/b.gpkg"), 7]
    return FLAGS if annotation is bool else TEXTS


def coerced(param: TyperArgument | TyperOption, runtime: Any, value: Any, context: _click.Context) -> tuple[str, Any]:
    """What `runtime` makes of `value`: ("value", the value and its type) or ("error", typer's message)."""
    try:
        result = runtime.coerce(value, param=param, ctx=context)
    except BadParameter as error:
        return "error", error.format_message()
    if isinstance(result, float) and math.isnan(result):
        return "value", ("nan", float)
    return "value", (result, type(result), [type(item) for item in result] if isinstance(result, list) else None)


def every_parameter() -> list[tuple[str, _click.Command, TyperArgument | TyperOption]]:
    """(command path, command, parameter) of every parameter of every gridmap command."""
    found = []

    def walk(path: str, command: _click.Command) -> None:
        found.extend((path, command, p) for p in command.params if isinstance(p, TyperArgument | TyperOption))
        for name, subcommand in getattr(command, "commands", {}).items():
            walk(f"{path} {name}", subcommand)

    for module in dict.fromkeys(module for _, module, _ in GridmapCommands.lazy_commands):
        walk(module, module_commands(module))
    return found


PARAMETERS = every_parameter()


@pytest.mark.parametrize(("path", "command", "param"), PARAMETERS, ids=[f"{p} {q.name}" for p, _, q in PARAMETERS])
def test_plain_coercion_agrees_with_typers(
    path: str, command: _click.Command, param: TyperArgument | TyperOption, tmp_path: Path
) -> None:
    existing = tmp_path / "grids.geojson"
    existing.write_text("{}", encoding="utf-8")
    plain = param._runtime_param
    assert isinstance(plain, PlainRuntimeParam), f"{path} {param.name} is coerced through pydantic"
    typers = build_runtime_param(param.type_descriptor)
    context = _click.Context(command)
    for value in values_for(param.type_descriptor.annotation, existing):
        assert coerced(param, plain, value, context) == coerced(param, typers, value, context), value


def test_the_check_command_coerces_every_value_and_its_help_plainly() -> None:
    from typer.testing import CliRunner

    from gridmap.cli import app

    check = module_commands("gridmap.cli.check").commands["check"]
    result = CliRunner().invoke(app, ["check", "--gap-width", "wide", "data/boundaries"])
    assert result.exit_code == 2
    assert "Invalid value for '--gap-width'" in result.output  # typer's message, from its pydantic coercion
    help_option = check.get_help_option(_click.Context(check))
    assert help_option is not None
    assert isinstance(help_option._runtime_param, PlainRuntimeParam)
