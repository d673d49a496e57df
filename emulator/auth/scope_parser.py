"""Parsing Globus scope strings, including dependent scopes in brackets.

`a b[*c d[e]]` is two top-level scopes; `b` has dependencies `c` (optional, the `*`) and `d`,
and `d` depends on `e`. Whitespace separates scopes; brackets attach to the scope just before them.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class ScopeSyntaxError(ValueError):
    """A scope string that cannot be parsed (unbalanced brackets, stray `*`...)."""


@dataclass
class ScopeNode:
    """One scope with its dependent scopes."""

    name: str
    optional: bool = False
    children: list[ScopeNode] = field(default_factory=list)

    def descendants(self) -> list[ScopeNode]:
        """Every dependent scope below this one, depth first."""
        found: list[ScopeNode] = []
        for child in self.children:
            found.append(child)
            found.extend(child.descendants())
        return found

    def serialize(self) -> str:
        """The scope back as a string, brackets included."""
        text = ("*" if self.optional else "") + self.name
        if self.children:
            text += "[" + " ".join(child.serialize() for child in self.children) + "]"
        return text


def _tokenize(text: str) -> list[str]:
    tokens: list[str] = []
    current = ""
    for char in text:
        if char in "[]*" or char.isspace():
            if current:
                tokens.append(current)
                current = ""
            if not char.isspace():
                tokens.append(char)
        else:
            current += char
    if current:
        tokens.append(current)
    return tokens


def parse_scopes(text: str) -> list[ScopeNode]:
    """Parse a space-separated scope string into top-level scope trees."""
    tokens = _tokenize(text)
    position = 0

    def parse_level(depth: int) -> list[ScopeNode]:
        nonlocal position
        nodes: list[ScopeNode] = []
        optional = False
        while position < len(tokens):
            token = tokens[position]
            position += 1
            if token == "*":
                if optional:
                    raise ScopeSyntaxError("two '*' in a row")
                optional = True
            elif token == "[":
                if not nodes or optional:
                    raise ScopeSyntaxError("'[' must follow a scope name")
                if nodes[-1].children:
                    raise ScopeSyntaxError(f"scope {nodes[-1].name!r} has two bracket groups")
                nodes[-1].children = parse_level(depth + 1)
                if not nodes[-1].children:
                    raise ScopeSyntaxError(f"empty brackets after {nodes[-1].name!r}")
            elif token == "]":
                if depth == 0:
                    raise ScopeSyntaxError("unbalanced ']'")
                if optional:
                    raise ScopeSyntaxError("'*' must precede a scope name")
                return nodes
            else:
                nodes.append(ScopeNode(token, optional=optional))
                optional = False
        if depth > 0:
            raise ScopeSyntaxError("unclosed '['")
        if optional:
            raise ScopeSyntaxError("'*' must precede a scope name")
        return nodes

    nodes = parse_level(0)
    if any(node.optional for node in nodes):
        raise ScopeSyntaxError("only dependent scopes may be optional ('*')")
    return nodes
