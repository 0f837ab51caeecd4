"""One typed config system for every gajax command.

Configs are frozen dataclasses. Values come from YAML files under ``configs/`` (shipped as ``gajax.configs``) and from
dotted ``key=value`` overrides on the command line. Every value is checked against the field's type hint, and a bad
key or value raises :class:`ConfigError` naming the full dotted key.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.resources
import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar, Union

import yaml

T = TypeVar("T")


class ConfigError(ValueError):
    """A config file or override that does not fit its dataclass."""


def configs_dir() -> Path:
    """The directory that holds the shipped YAML configs."""
    return Path(str(importlib.resources.files("gajax.configs")))


def resolve_config_path(name_or_path: str | Path, group: str | None = None) -> Path:
    """Find a config file: an existing path, or a shipped name such as ``smollm2_135m`` in ``group``."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") and path.exists():
        return path
    base = configs_dir() / group if group else configs_dir()
    candidate = base / f"{name_or_path}.yaml"
    if candidate.exists():
        return candidate
    shipped = sorted(p.stem for p in base.glob("*.yaml"))
    raise ConfigError(f"no config file {str(name_or_path)!r}; shipped {group or 'configs'}: {', '.join(shipped)}")


def read_yaml(path: str | Path) -> dict[str, Any]:
    """Read a YAML mapping, with errors that name the file."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML: {err}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping, got {type(data).__name__}")
    return data


def parse_overrides(overrides: Sequence[str]) -> dict[str, Any]:
    """Turn ``["a.b=1", "c=x"]`` into a nested dict; values are parsed as YAML scalars or lists."""
    nested: dict[str, Any] = {}
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"override {item!r} is not of the form key=value (for example train.steps=100)")
        try:
            value = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError:
            value = raw
        node = nested
        parts = key.strip().split(".")
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ConfigError(f"override {item!r}: {part!r} is set both as a value and as a section")
            node = child
        node[parts[-1]] = value
    return nested


def merge(base: Mapping[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge ``update`` into a copy of ``base``."""
    out = dict(base)
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def flatten(tree: Mapping[str, Any], sep: str = ".") -> dict[str, Any]:
    """Nested mappings as one level: ``{"a": {"b": 1}}`` -> ``{"a.b": 1}`` (names joined with ``sep``)."""
    out: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, Mapping):
            out.update({f"{key}{sep}{k}": v for k, v in flatten(value, sep).items()})
        else:
            out[str(key)] = value
    return out


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def _convert(value: Any, tp: Any, key: str) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is Any:
        return value
    if origin in (Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _convert(value, arg, key)
            except ConfigError as err:
                errors.append(str(err))
        if len(errors) == 1:  # an optional section or value: its own error says what is wrong
            raise ConfigError(errors[0])
        raise ConfigError(f"{key}: {value!r} is not a valid {_type_name(tp)}")
    if origin is Literal:
        if value not in args:
            raise ConfigError(f"{key}: {value!r} is not one of {', '.join(map(repr, args))}")
        return value
    if dataclasses.is_dataclass(tp):
        if isinstance(value, tp):
            return value
        if not isinstance(value, Mapping):
            raise ConfigError(f"{key}: expected a section ({tp.__name__}), got {value!r}")
        return from_dict(tp, value, prefix=f"{key}.")
    if origin in (tuple, list):
        if isinstance(value, str) or not isinstance(value, Sequence):
            raise ConfigError(f"{key}: expected a list, got {value!r}")
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(value) != len(args):
                raise ConfigError(f"{key}: expected {len(args)} items, got {len(value)}")
            items = [_convert(v, a, f"{key}[{i}]") for i, (v, a) in enumerate(zip(value, args, strict=True))]
        else:
            item_tp = args[0] if args else Any
            items = [_convert(v, item_tp, f"{key}[{i}]") for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin in (dict, Mapping):
        if not isinstance(value, Mapping):
            raise ConfigError(f"{key}: expected a mapping, got {value!r}")
        key_tp, val_tp = args or (Any, Any)
        return {_convert(k, key_tp, key): _convert(v, val_tp, f"{key}.{k}") for k, v in value.items()}
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{key}: expected true or false, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key}: expected an integer, got {value!r}")
        return value
    if tp is float:
        if isinstance(value, str):  # YAML 1.1 reads "1e-5" (no dot) as a string
            with contextlib.suppress(ValueError):
                value = float(value)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{key}: expected a number, got {value!r}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{key}: expected a string, got {value!r}")
        return value
    if tp is Path:
        if not isinstance(value, str | Path):
            raise ConfigError(f"{key}: expected a path, got {value!r}")
        return Path(value)
    raise ConfigError(f"{key}: unsupported config type {_type_name(tp)}")


def from_dict(cls: type[T], data: Mapping[str, Any], prefix: str = "") -> T:
    """Build dataclass ``cls`` from a mapping, checking every key and type."""
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(data) - set(fields))
    moved = getattr(cls, "MOVED_KEYS", {})  # old key -> its new dotted place, for a clear error
    for name in unknown:
        if name in moved:
            raise ConfigError(f"config key {prefix}{name} is now {moved[name]}; rename it in the YAML or override")
    if unknown:
        raise ConfigError(
            f"unknown config key {prefix}{unknown[0]!s}; {cls.__name__} takes: {', '.join(sorted(fields))}"
        )
    kwargs = {}
    for name, field in fields.items():
        if name in data:
            value = data[name]
            if field.default_factory is not dataclasses.MISSING and isinstance(value, Mapping):
                default = field.default_factory()
                if dataclasses.is_dataclass(default):  # a section's unset keys keep the field's own defaults
                    value = merge(to_dict(default), value)
            kwargs[name] = _convert(value, hints[name], f"{prefix}{name}")
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise ConfigError(f"missing required config key {prefix}{name}")
    try:
        return cls(**kwargs)
    except (ValueError, TypeError) as err:
        if isinstance(err, ConfigError):
            raise
        raise ConfigError(f"{prefix.rstrip('.') or cls.__name__}: {err}") from None


def upgrade_moved_keys(cls: type, data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` (e.g. a config snapshot saved with a checkpoint) with the keys that ``cls`` or one of its sections
    has moved (their ``MOVED_KEYS``: old key -> new dotted place, relative to ``cls``) written at their new place."""
    out = dict(data)
    hints = typing.get_type_hints(cls)
    moves: list[tuple[str, Any]] = []
    for name in list(out):
        tp = hints.get(name)
        if tp is not None and dataclasses.is_dataclass(tp) and isinstance(out[name], Mapping):
            section = dict(out[name])
            for key, target in getattr(tp, "MOVED_KEYS", {}).items():
                if key in section:
                    moves.append((target, section.pop(key)))
            out[name] = section
    for key, target in getattr(cls, "MOVED_KEYS", {}).items():
        if key in out:
            moves.append((target, out.pop(key)))
    for target, value in moves:
        head, tail = target.split(".", 1)
        out = merge(out, {head: {tail: value}})
    return out


def to_dict(cfg: Any) -> Any:
    """A plain, YAML-ready form of a config dataclass."""
    if dataclasses.is_dataclass(cfg):
        return {f.name: to_dict(getattr(cfg, f.name)) for f in dataclasses.fields(cfg)}
    if isinstance(cfg, tuple | list):
        return [to_dict(v) for v in cfg]
    if isinstance(cfg, dict):
        return {k: to_dict(v) for k, v in cfg.items()}
    if isinstance(cfg, Path):
        return str(cfg)
    return cfg


def load_config(
    cls: type[T],
    path: str | Path | None = None,
    overrides: Sequence[str] = (),
    group: str | None = None,
) -> T:
    """Load ``cls`` from an optional YAML file (path or shipped name) plus dotted overrides."""
    data: dict[str, Any] = {}
    if path is not None:
        data = read_layered_yaml(resolve_config_path(path, group))
    data = merge(data, parse_overrides(overrides))
    return from_dict(cls, data)


def read_layered_yaml(path: Path, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Read a YAML config whose optional ``_base`` key names another config (a path relative to this file, or a
    shipped name such as ``sft`` or ``recipes/labrador_13b_v5e64_sft``) to merge underneath it."""
    path = path.resolve()
    if path in seen:
        raise ConfigError(f"{path}: _base loop through {', '.join(map(str, seen))}")
    data = read_yaml(path)
    base = data.pop("_base", None)
    if base is None:
        return data
    if not isinstance(base, str):
        raise ConfigError(f"{path}: _base must be a config name or path, got {base!r}")
    relative = path.parent / base
    base_path = relative if relative.suffix in (".yaml", ".yml") and relative.exists() else resolve_config_path(base)
    return merge(read_layered_yaml(base_path, (*seen, path)), data)


def dump_config(cfg: Any) -> str:
    """The config as YAML text (used for checkpoint metadata and ``--print-config``)."""
    return yaml.safe_dump(to_dict(cfg), sort_keys=False)
