"""Parse a query string (`q`) into a small boolean tree of terms.

Both syntaxes accept words, "quoted phrases", `field:value`, `field:"a phrase"`, a trailing `*`
for prefixes, `-word` / `NOT word` for exclusion and `OR` / `|` between alternatives; terms
without an operator must all match. The standard syntax never fails (stray quotes and brackets
are ignored); the advanced syntax adds parentheses and `AND`, and reports what it cannot parse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from emulator.search.documents import bad_request
from emulator.search.indexing import tokenize

# Advanced-syntax features the emulator does not implement; refused rather than misread.
_UNSUPPORTED = re.compile(r"[\[\]{}~^]|(?<![\w*])[<>]=?")
_LEXEME = re.compile(
    r"""\s*(?:
        (?P<lparen>\() | (?P<rparen>\)) |
        (?P<or>\|\||\|) | (?P<and>&&) |
        (?P<neg>[-!])?
        (?:(?P<field>[A-Za-z_@][\w@.\\/:#-]*?):(?=[^\s]))?
        (?: "(?P<phrase>[^"]*)" | (?P<word>[^\s"()|]+) )
        | (?P<stray>["])
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Term:
    """A leaf: words (one word, or a phrase) optionally limited to a field, optionally a prefix."""

    words: tuple[str, ...]
    field: str | None = None
    prefix: bool = False
    raw: str = ""  # the value as typed, for exact matches on non-text fields
    match_all: bool = False  # `*` or `field:*`


@dataclass
class Node:
    """An inner node: kind is 'and', 'or' or 'not'."""

    kind: str
    children: list[Node | Term] = field(default_factory=list)


QueryTree = Node | Term


def _term(field_name: str | None, value: str, quoted: bool) -> Term | None:
    if not quoted and value == "*":
        return Term(words=(), field=field_name, match_all=True, raw="*")
    prefix = not quoted and value.endswith("*") and len(value) > 1
    words = tuple(tokenize(value.rstrip("*") if prefix else value))
    if not words and not (field_name and value):
        return None
    return Term(words=words, field=field_name, prefix=prefix, raw=value.rstrip("*") if prefix else value)


def _lex(q: str, advanced: bool) -> list[tuple[str, object]]:
    if advanced:
        bad = _UNSUPPORTED.search(q)
        if bad:
            raise bad_request(
                f"Unsupported advanced query syntax {bad.group(0)!r} at position {bad.start()}: this Search "
                "supports words, phrases, field:value, prefix*, AND/OR/NOT and parentheses.",
                code="BadRequest.InvalidQuery",
            )
    items: list[tuple[str, object]] = []
    position = 0
    while position < len(q):
        match = _LEXEME.match(q, position)
        if match is None or match.end() == position:
            if q[position:].strip() == "":
                break
            if advanced:
                raise bad_request(f"Cannot parse the query near position {position}.", code="BadRequest.InvalidQuery")
            position += 1
            continue
        position = match.end()
        if match.group("stray"):
            if advanced:
                raise bad_request("Unbalanced quote in the query.", code="BadRequest.InvalidQuery")
            continue
        if match.group("lparen") or match.group("rparen"):
            if advanced:
                items.append(("(" if match.group("lparen") else ")", None))
            continue
        if match.group("or"):
            items.append(("OR", None))
            continue
        if match.group("and"):
            items.append(("AND", None))
            continue
        word = match.group("word")
        if word in ("AND", "OR", "NOT") and not match.group("field") and not match.group("neg"):
            items.append((word, None))
            continue
        quoted = match.group("phrase") is not None
        term = _term(match.group("field"), match.group("phrase") if quoted else word, quoted)
        if term is not None:
            items.append(("NEG" if match.group("neg") else "TERM", term))
    return items


MAX_NESTING = 50


class _Parser:
    """Recursive descent: or := and (OR and)*; and := unary (AND? unary)*; unary := NOT unary | atom."""

    def __init__(self, items: list[tuple[str, object]], advanced: bool) -> None:
        self.items = items
        self.pos = 0
        self.advanced = advanced
        self.depth = 0

    def peek(self) -> str | None:
        return self.items[self.pos][0] if self.pos < len(self.items) else None

    def fail(self, message: str) -> None:
        if self.advanced:
            raise bad_request(message, code="BadRequest.InvalidQuery")

    def parse_or(self) -> QueryTree | None:
        parts = [self.parse_and()]
        while self.peek() == "OR":
            self.pos += 1
            parts.append(self.parse_and())
        kept = [p for p in parts if p is not None]
        if len(parts) > 1 and len(kept) < len(parts):
            self.fail("An OR is missing a term on one side.")
        if not kept:
            return None
        return kept[0] if len(kept) == 1 else Node("or", kept)

    def parse_and(self) -> QueryTree | None:
        parts: list[QueryTree] = []
        while self.peek() not in (None, "OR", ")"):
            if self.peek() == "AND":
                self.pos += 1
                continue
            unary = self.parse_unary()
            if unary is not None:
                parts.append(unary)
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else Node("and", parts)

    def parse_unary(self) -> QueryTree | None:
        kind, value = self.items[self.pos]
        self.pos += 1
        if kind == "NEG":
            return Node("not", [value])  # type: ignore[list-item]
        if kind == "TERM":
            return value  # type: ignore[return-value]
        if kind not in ("NOT", "("):
            self.fail(f"Unexpected {kind!r} in the query.")
            return None
        # Nesting is bounded so a hostile query gets a 400, not Python's recursion limit (a 500).
        if self.depth >= MAX_NESTING:
            raise bad_request(
                f"The query nests parentheses or NOT more than {MAX_NESTING} deep.", code="BadRequest.InvalidQuery"
            )
        self.depth += 1
        try:
            return self._parse_nested(kind)
        finally:
            self.depth -= 1

    def _parse_nested(self, kind: str) -> QueryTree | None:
        if kind == "NOT":
            if self.peek() in (None, "OR", "AND", ")"):
                self.fail("NOT must be followed by a term.")
                return None
            inner = self.parse_unary()
            return None if inner is None else Node("not", [inner])
        inner = self.parse_or()
        if self.peek() != ")":
            self.fail("Unbalanced parenthesis in the query.")
        else:
            self.pos += 1
        return inner


def parse_query(q: str, advanced: bool = False) -> QueryTree | None:
    """The query's tree; None means the query matches nothing (it had no searchable words)."""
    text = (q or "").strip()
    if text == "" or text == "*":
        return Term(words=(), match_all=True, raw="*")
    parser = _Parser(_lex(text, advanced), advanced)
    tree = parser.parse_or()
    if parser.pos < len(parser.items):
        parser.fail("Unbalanced parenthesis in the query.")
    return tree


def positive_terms(tree: QueryTree | None) -> list[Term]:
    """Leaf terms that count towards the score (those not under a NOT)."""
    if tree is None:
        return []
    if isinstance(tree, Term):
        return [] if tree.match_all else [tree]
    if tree.kind == "not":
        return []
    return [term for child in tree.children for term in positive_terms(child)]
