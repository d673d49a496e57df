"""A transfer's `filter_rules`: which entries found while walking a directory are transferred.

Rules are tried in order; the first whose name pattern (and type, if given) matches decides
("include" or "exclude"); an entry no rule matches is included. An excluded directory takes
everything below it along, whatever later rules say.
"""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase


def rule_matches(rule: dict, name: str, is_dir: bool) -> bool:
    """True when a filter rule's type and name pattern both match this entry."""
    kind = rule.get("type")
    if kind == "file" and is_dir:
        return False
    if kind == "dir" and not is_dir:
        return False
    return fnmatchcase(name, rule["name"])


def is_included(rules: Iterable[dict] | None, name: str, is_dir: bool) -> bool:
    """Apply the rules to one directory entry: the first matching rule wins, default include."""
    for rule in rules or ():
        if rule_matches(rule, name, is_dir):
            return rule.get("method", "exclude") == "include"
    return True
