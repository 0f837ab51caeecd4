"""Stage 1's prompt files (``gajax/data/prompts/*.yaml``) and the category taxonomy, loaded and checked.

Templates hold ``{input}`` (and for detection ``{categories}``) placeholders, filled by plain replacement so that
braces inside a user's input are left alone.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path
from typing import Any

import yaml


class PromptFileError(ValueError):
    """A prompt or taxonomy file that is missing a field or has the wrong shape (names the file and field)."""


def data_path(*parts: str) -> Path:
    """A file of the ``gajax.data`` package."""
    return Path(str(importlib.resources.files("gajax.data").joinpath(*parts)))


def load_prompt_file(name: str, override: str = "") -> dict[str, Any]:
    """Read ``override`` (a YAML path) or the shipped ``gajax/data/prompts/<name>.yaml``."""
    path = Path(override) if override else data_path("prompts", f"{name}.yaml")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PromptFileError(f"prompt file not found: {path}") from None
    except yaml.YAMLError as err:
        raise PromptFileError(f"{path}: not valid YAML: {err}") from None
    if not isinstance(data, dict):
        raise PromptFileError(f"{path}: the top level must be a mapping")
    data["_path"] = str(path)
    return data


def require(data: dict[str, Any], key: str, kind: type, where: str = "") -> Any:
    """``data[key]`` checked to be a ``kind``; raises :class:`PromptFileError` naming the file and key."""
    value = data.get(key)
    if not isinstance(value, kind) or (isinstance(value, str | list) and not value):
        place = where or data.get("_path", "prompt file")
        raise PromptFileError(f"{place}: {key!r} must be a non-empty {kind.__name__}")
    return value


def fill(template: str, **values: str) -> str:
    """Replace ``{name}`` placeholders by plain string replacement (user text may contain braces)."""
    for name, value in values.items():
        template = template.replace("{" + name + "}", value)
    return template


def load_taxonomy(path: str = "") -> list[dict[str, str]]:
    """The categories of ``gajax/data/taxonomy.yaml`` (or ``path``): dicts with ``id``, ``group``, ``description``."""
    file = Path(path) if path else data_path("taxonomy.yaml")
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PromptFileError(f"taxonomy file not found: {file}") from None
    categories = data.get("categories") if isinstance(data, dict) else None
    if not isinstance(categories, list) or not all(isinstance(c, dict) and "id" in c for c in categories):
        raise PromptFileError(f"{file}: expected 'categories', a list of mappings with an 'id'")
    return categories


def safety_category_ids(taxonomy: list[dict[str, str]]) -> list[str]:
    """The ids of the safety categories (scenarios and instruction attacks), without ``general_quality``."""
    return [c["id"] for c in taxonomy if c.get("group") != "quality"]
