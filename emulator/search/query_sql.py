"""Turn a parsed query string and boosts into SQL: a WHERE condition on entries, and a score."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, case, false, func, not_, or_, select, true

from emulator.search.models import SearchEntry, SearchFieldValue, SearchToken
from emulator.search.query_text import QueryTree, Term


def like_escape(text: str) -> str:
    """Escape LIKE wildcards (with `\\` as the escape character)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def field_matches(column, field_name: str) -> ColumnElement[bool]:  # noqa: ANN001 - a SQL column
    """The field itself or anything below it (`creators` also covers `creators.name`)."""
    return or_(column == field_name, column.like(like_escape(field_name) + ".%", escape="\\"))


def _word_condition(word: str, prefix: bool) -> ColumnElement[bool]:
    return SearchToken.token.like(like_escape(word) + "%", escape="\\") if prefix else SearchToken.token == word


def _entries_with_word(word: str, prefix: bool, field_name: str | None) -> ColumnElement[bool]:
    inner = select(SearchToken.entry_pk).where(_word_condition(word, prefix))
    if field_name:
        inner = inner.where(field_matches(SearchToken.field, field_name))
    return SearchEntry.id.in_(inner)


def term_condition(term: Term) -> ColumnElement[bool]:
    """Entries matching one leaf term of the query."""
    if term.match_all:
        if term.field is None:
            return true()
        return SearchEntry.id.in_(
            select(SearchFieldValue.entry_pk).where(field_matches(SearchFieldValue.field, term.field))
        )
    last = len(term.words) - 1
    parts = [_entries_with_word(w, term.prefix and i == last, term.field) for i, w in enumerate(term.words)]
    if len(term.words) > 1:
        # Words of a phrase must also be adjacent, in order, within one value.
        phrase = " ".join(term.words)
        pattern = f"% {like_escape(phrase)}{'%' if term.prefix else ' %'}"
        parts.append(SearchEntry.text_blob.like(pattern, escape="\\"))
    words_match = and_(*parts) if parts else false()
    if term.field is None:
        return words_match
    # Numbers, booleans and dates match field:value exactly as well.
    exact = SearchEntry.id.in_(
        select(SearchFieldValue.entry_pk).where(
            field_matches(SearchFieldValue.field, term.field), SearchFieldValue.value_lower == term.raw.lower()
        )
    )
    return or_(words_match, exact)


def tree_condition(tree: QueryTree | None) -> ColumnElement[bool]:
    """Entries matching the whole query tree (None matches nothing)."""
    if tree is None:
        return false()
    if isinstance(tree, Term):
        return term_condition(tree)
    children = [tree_condition(child) for child in tree.children]
    if tree.kind == "and":
        return and_(*children)
    if tree.kind == "or":
        return or_(*children)
    return not_(children[0])


def _token_weight(boosts: dict[str, float]):  # noqa: ANN202 - a SQL expression
    if not boosts:
        return SearchToken.count
    whens = [(field_matches(SearchToken.field, name), SearchToken.count * factor) for name, factor in boosts.items()]
    return case(*whens, else_=SearchToken.count)


def score_table(terms: list[Term], boosts: dict[str, float]):  # noqa: ANN201 - a SQL subquery
    """(pk, score) for every entry holding a query word: occurrences weighted by boosts.

    None when the query has no scoring words (`*`, only exclusions); callers then rank by subject.
    """
    conditions = []
    for term in terms:
        last = len(term.words) - 1
        for i, word in enumerate(term.words):
            condition = _word_condition(word, term.prefix and i == last)
            if term.field:
                condition = and_(condition, field_matches(SearchToken.field, term.field))
            conditions.append(condition)
    if not conditions:
        return None
    return (
        select(SearchToken.entry_pk.label("pk"), func.sum(_token_weight(boosts)).label("score"))
        .where(or_(*conditions))
        .group_by(SearchToken.entry_pk)
        .subquery("scores")
    )
