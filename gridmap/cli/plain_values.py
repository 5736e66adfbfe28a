"""Option and argument values coerced without pydantic, by typer's own rules.

typer (0.29) coerces every value of a command that runs, its defaults too, through one pydantic TypeAdapter per
parameter: importing pydantic and building the adapters of `gridmap check`'s 27 parameters cost 0.13 s of a
start-up whose budget is 0.3 s. The values gridmap's commands take (text, whole and decimal numbers, paths,
choices, flags and lists of them) are coerced here instead, through the functions typer's adapters wrap for
paths and choices. A value that is not plainly valid (a number out of range or written as 1e3, an unknown
choice, an unreadable file, ...) is handed to typer's coercion, so that every error message stays typer's.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, get_args, get_origin

from typer import _click
from typer._click.exceptions import BadParameter
from typer._coercion import RuntimeParam, build_runtime_param
from typer._param_types import coerce_cli_choice, coerce_cli_path
from typer.core import TyperArgument, TyperOption
from typer.models import ParameterInfo

TyperParameter = TyperArgument | TyperOption
PlainCoercion = Callable[[Any, TyperParameter, _click.Context], Any]
"""Coerces one value plainly, or raises `NotPlain` to leave it to typer."""

WHOLE_NUMBER = re.compile(r"[+-]?[0-9]{1,18}")
DECIMAL_NUMBER = re.compile(r"[+-]?(?:[0-9]{1,15}(?:\.[0-9]{0,15})?|\.[0-9]{1,15})")


class NotPlain(Exception):
    """A value left to typer's coercion (pydantic's): one to refuse, or one not plain enough to convert here."""


@dataclass(frozen=True)
class PlainRuntimeParam(RuntimeParam):
    """typer's runtime coercion of one parameter, with pydantic imported only for values not plainly valid."""

    plain: PlainCoercion

    def _coerce_value(self, value: Any, param: Any, ctx: _click.Context) -> Any:
        try:
            return self.plain(value, param, ctx)
        except NotPlain:
            return build_runtime_param(param.type_descriptor)._coerce_value(value, param=param, ctx=ctx)


def coerce_plainly(command: _click.Command) -> None:
    """Give every parameter of `command` (and of its subcommands) whose type is plain the pydantic-free coercion."""
    for param in command.params:
        _coerce_parameter_plainly(param)
    for subcommand in getattr(command, "commands", {}).values():
        coerce_plainly(subcommand)


def coerce_help_plainly(command: _click.Command, context: _click.Context) -> None:
    """The same for the --help option `command` makes for `context` (click makes it when parsing starts, with the
    names the context gives it): its value is None when not given, which typer would coerce through pydantic."""
    help_option = command.get_help_option(context)
    if help_option is not None:
        _coerce_parameter_plainly(help_option)


def _coerce_parameter_plainly(param: _click.Parameter) -> None:
    if isinstance(param, TyperParameter) and param._runtime_param is None:
        descriptor = param.type_descriptor
        plain = _plain_coercion(descriptor.annotation, descriptor.parameter_info)
        if plain is not None:
            param._runtime_param = PlainRuntimeParam(
                parameter_info=descriptor.parameter_info, annotation=descriptor.annotation, plain=plain
            )


def _plain_coercion(annotation: Any, info: ParameterInfo) -> PlainCoercion | None:
    """How values of `annotation` are coerced plainly; None for a type left to typer altogether."""
    if info.parser is not None:
        return None
    if get_origin(annotation) is list:
        (item,) = get_args(annotation)
        plain_item = _plain_coercion(item, info)
        return None if plain_item is None else functools.partial(_items, plain_item)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return functools.partial(_choice, tuple(annotation), info.case_sensitive)
    if annotation in (int, float) and not info.clamp:
        return functools.partial(_number, annotation, info.min, info.max)
    if annotation is bool:
        return _flag
    if annotation is str:
        return _text
    if annotation is Path and info.path_type is None:
        return functools.partial(_path, info)
    return None


def _items(plain_item: PlainCoercion, value: Any, param: TyperParameter, ctx: _click.Context) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise NotPlain
    return [plain_item(item, param, ctx) for item in value]


def _choice(
    choices: Sequence[Enum], case_sensitive: bool, value: Any, param: TyperParameter, ctx: _click.Context
) -> Any:
    if not isinstance(value, Enum | str):
        raise NotPlain
    try:
        return coerce_cli_choice(value, choices=choices, case_sensitive=case_sensitive, ctx=ctx)
    except ValueError:
        raise NotPlain from None


def _number(
    kind: type[int] | type[float],
    lowest: float | None,
    highest: float | None,
    value: Any,
    param: TyperParameter,
    ctx: _click.Context,
) -> int | float:
    written = isinstance(value, str) and (WHOLE_NUMBER if kind is int else DECIMAL_NUMBER).fullmatch(value)
    if not (written or type(value) is kind or (kind is float and type(value) is int)):
        raise NotPlain
    number = kind(value)
    if (lowest is not None and number < lowest) or (highest is not None and number > highest):
        raise NotPlain
    return number


def _flag(value: Any, param: TyperParameter, ctx: _click.Context) -> bool:
    if type(value) is not bool:
        raise NotPlain
    return value


def _text(value: Any, param: TyperParameter, ctx: _click.Context) -> str:
    if type(value) is not str:
        raise NotPlain
    return value


def _path(info: ParameterInfo, value: Any, param: TyperParameter, ctx: _click.Context) -> Any:
    if not isinstance(value, Path | str):
        raise NotPlain
    try:
        return coerce_cli_path(
            Path(value) if isinstance(value, str) else value, info, path_type=Path, param=param, ctx=ctx
        )
    except BadParameter:
        raise NotPlain from None
