"""Hostile imports: every field of an export document, and a copy with one field replaced."""
from __future__ import annotations

import json
from typing import Any


def field_paths(node: Any, path: list, per_list: int) -> list[list]:
    """``path`` and the path of every field under ``node`` (dict keys, and the first
    ``per_list`` items of each list), depth first."""
    out = [path]
    if isinstance(node, dict):
        for k, v in node.items():
            out += field_paths(v, path + [k], per_list)
    elif isinstance(node, list):
        for i, v in enumerate(node[:per_list]):
            out += field_paths(v, path + [i], per_list)
    return out


def with_value(doc: Any, path: list, value: Any) -> Any:
    """A deep copy of ``doc`` with the field at ``path`` set to ``value``."""
    copy = json.loads(json.dumps(doc))
    node = copy
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return copy
