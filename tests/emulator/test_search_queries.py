"""Search queries through the real SearchClient over HTTP: text, filters, facets, sort, paging.

Expected answers are computed from the index itself: every public record is read once through
the paginated API, and each query's result is compared with the same rule applied in Python.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from datetime import UTC, datetime

import globus_sdk
import pytest
import requests


def words(text: str) -> list[str]:
    """The emulator's tokenisation rule: lower-cased runs of letters and digits."""
    return re.findall(r"[a-z0-9]+", text.lower())


def strings_of(value) -> list[str]:  # noqa: ANN001 - any JSON value
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in strings_of(item)]
    if isinstance(value, list):
        return [s for item in value for s in strings_of(item)]
    return []


def all_words(content: dict) -> set[str]:
    return {w for s in strings_of(content) for w in words(s)}


def has_phrase(content: dict, phrase: str) -> bool:
    """True when the phrase's words appear next to each other, in order, within one string value."""
    wanted = " ".join(words(phrase))
    return any(f" {wanted} " in f" {' '.join(words(v))} " for v in strings_of(content))


def subjects(result) -> list[str]:  # noqa: ANN001 - a GSearchResult response
    return [item["subject"] for item in result["gmeta"]]


def epoch(text: str) -> float:
    """Seconds since 1970 of an ISO datetime ending in Z."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


@pytest.fixture(scope="module")
def index_id(emulator) -> str:
    return emulator.manifest["search_index"]["id"]


@pytest.fixture(scope="module")
def anonymous(emulator) -> globus_sdk.SearchClient:
    """A SearchClient with no token: only public records are visible."""
    return globus_sdk.SearchClient(base_url=emulator.services["search"])


@pytest.fixture(scope="module")
def public_records(anonymous, index_id) -> dict[str, dict]:
    """subject -> content of every public record, read through the paginated POST query."""
    records = {}
    for item in anonymous.paginated.post_search(index_id, {"q": "*"}).items():
        assert item["@datatype"] == "GMetaResult"
        assert len(item["entries"]) == 1
        records[item["subject"]] = item["entries"][0]["content"]
    return records


def all_matching(client, index_id, query: dict) -> set[str]:  # noqa: ANN001
    """Every subject a POST query returns, over all pages."""
    return {item["subject"] for item in client.paginated.post_search(index_id, query).items()}


def test_seeded_index_describes_itself(anonymous, index_id, emulator, public_records):
    index = anonymous.get_index(index_id)
    assert index["id"] == index_id
    assert index["display_name"] == emulator.manifest["search_index"]["display_name"]
    assert index["num_subjects"] >= len(public_records)
    assert index["status"] == "open"


def test_records_point_at_real_seeded_paths(public_records, emulator):
    roots = {c["id"]: c["data_root"] for c in emulator.manifest["collections"]}
    assert len(public_records) > len(roots)
    for subject, content in public_records.items():
        assert subject == f"globus://{content['collection_id']}{content['path']}"
        on_disk = roots[content["collection_id"]] + content["path"]
        assert (content["resource_type"] == "folder") == content["path"].endswith("/")
        assert os.path.exists(on_disk), on_disk


def test_result_envelope_has_globus_shape(anonymous, index_id, public_records):
    result = anonymous.post_search(index_id, {"q": "*", "limit": 3})
    assert result["@datatype"] == "GSearchResult"
    assert result["count"] == 3 and result["offset"] == 0
    assert result["total"] == len(public_records)
    assert result["has_next_page"] is True
    entry = result["gmeta"][0]["entries"][0]
    assert set(entry) == {"content", "entry_id", "matched_principal_sets"}
    assert entry["entry_id"] is None


def test_free_text_is_case_insensitive_and_matches_any_string_field(anonymous, index_id, public_records):
    word = words(next(iter(public_records.values()))["instrument"])[0]
    expected = {s for s, c in public_records.items() if word in all_words(c)}
    found = all_matching(anonymous, index_id, {"q": word.upper()})
    assert found == expected and expected


def test_all_words_must_match(anonymous, index_id, public_records):
    content = next(iter(public_records.values()))
    first, second = words(content["research_area"])[0], words(content["data_type"])[0]
    expected = {s for s, c in public_records.items() if {first, second} <= all_words(c)}
    assert all_matching(anonymous, index_id, {"q": f"{first} {second}"}) == expected


def test_quoted_phrase_needs_adjacent_words(anonymous, index_id, public_records):
    phrase = " ".join(words(next(iter(public_records.values()))["research_area"])[:2])
    expected = {s for s, c in public_records.items() if has_phrase(c, phrase)}
    assert all_matching(anonymous, index_id, {"q": f'"{phrase}"'}) == expected
    assert expected


def test_excluded_word_and_or_alternatives(anonymous, index_id, public_records):
    domains = sorted({c["domain"] for c in public_records.values()})
    a, b = words(domains[0])[0], words(domains[1])[0]
    with_a = {s for s, c in public_records.items() if a in all_words(c)}
    with_b = {s for s, c in public_records.items() if b in all_words(c)}
    assert all_matching(anonymous, index_id, {"q": f"{a} OR {b}"}) == with_a | with_b
    assert all_matching(anonymous, index_id, {"q": f"* -{a}"}) == set(public_records) - with_a


def test_field_value_and_prefix_queries(anonymous, index_id, public_records):
    content = next(iter(public_records.values()))
    word = words(content["research_area"])[0]
    expected = {s for s, c in public_records.items() if word in words(c["research_area"])}
    found = all_matching(anonymous, index_id, {"q": f"research_area:{word}", "advanced": True})
    assert found == expected
    prefix = word[:4]
    by_prefix = {s for s, c in public_records.items() if any(w.startswith(prefix) for w in all_words(c))}
    assert all_matching(anonymous, index_id, {"q": f"{prefix}*"}) == by_prefix
    exact_number = content["file_count"]
    counted = {s for s, c in public_records.items() if c["file_count"] == exact_number}
    assert all_matching(anonymous, index_id, {"q": f"file_count:{exact_number}", "advanced": True}) == counted


def test_advanced_syntax_with_parentheses_and_not(anonymous, index_id, public_records):
    domains = sorted({c["domain"] for c in public_records.values()})
    a, b = words(domains[0])[0], words(domains[1])[0]
    keyword = Counter(k for c in public_records.values() for k in c["keywords"]).most_common(1)[0][0]
    expected = {s for s, c in public_records.items() if ({a, b} & all_words(c)) and not has_phrase(c, keyword)}
    query = f'({a} OR {b}) AND NOT "{keyword}"'
    assert all_matching(anonymous, index_id, {"q": query, "advanced": True}) == expected


def test_ranking_puts_more_occurrences_first(anonymous, index_id, public_records):
    word = words(next(iter(public_records.values()))["research_area"])[0]
    result = anonymous.post_search(index_id, {"q": word, "limit": 100})
    counts = [sum(words(s).count(word) for s in strings_of(item["entries"][0]["content"])) for item in result["gmeta"]]
    assert counts == sorted(counts, reverse=True)


def test_match_any_match_all_and_not_filters(anonymous, index_id, public_records):
    keyword_counts = Counter(k for c in public_records.values() for k in c["keywords"])
    (k1, _), (k2, _) = keyword_counts.most_common(2)
    any_expected = {s for s, c in public_records.items() if {k1, k2} & set(c["keywords"])}
    all_expected = {s for s, c in public_records.items() if {k1, k2} <= set(c["keywords"])}
    match_any = {"type": "match_any", "field_name": "keywords", "values": [k1, k2.upper()]}
    match_all = {"type": "match_all", "field_name": "keywords", "values": [k1, k2]}
    assert all_matching(anonymous, index_id, {"q": "*", "filters": [match_any]}) == any_expected
    assert all_matching(anonymous, index_id, {"filters": [match_all]}) == all_expected
    negated = {"type": "not", "filter": match_any}
    assert all_matching(anonymous, index_id, {"q": "*", "filters": [negated]}) == set(public_records) - any_expected


def test_range_filters_on_numbers_and_dates(anonymous, index_id, public_records):
    sizes = sorted(c["size_bytes"] for c in public_records.values())
    low, high = sizes[len(sizes) // 4], sizes[3 * len(sizes) // 4]
    window = {"type": "range", "field_name": "size_bytes", "values": [{"from": low, "to": high}]}
    expected = {s for s, c in public_records.items() if low <= c["size_bytes"] < high}
    assert all_matching(anonymous, index_id, {"q": "*", "filters": [window]}) == expected

    cutoff = "2023-01-01"
    before = {"type": "range", "field_name": "date_published", "values": [{"from": "*", "to": cutoff}]}
    limit = datetime(2023, 1, 1, tzinfo=UTC).timestamp()
    expected_before = {s for s, c in public_records.items() if epoch(c["date_published"]) < limit}
    assert all_matching(anonymous, index_id, {"q": "*", "filters": [before]}) == expected_before
    assert 0 < len(expected_before) < len(public_records)


def test_terms_facet_counts_match_records(anonymous, index_id, public_records):
    result = anonymous.post_search(
        index_id,
        {"q": "*", "limit": 0, "facets": [{"name": "Domain", "field_name": "domain", "type": "terms", "size": 20}]},
    )
    assert result["count"] == 0 and result["gmeta"] == []
    (facet,) = result["facet_results"]
    assert facet["name"] == "Domain"
    got = {b["value"]: b["count"] for b in facet["buckets"]}
    assert got == dict(Counter(c["domain"] for c in public_records.values()))
    counts = [b["count"] for b in facet["buckets"]]
    assert counts == sorted(counts, reverse=True)


def test_histogram_facets_and_sum(anonymous, index_id, public_records):
    biggest = max(c["size_bytes"] for c in public_records.values())
    query = {
        "q": "*",
        "limit": 0,
        "facets": [
            {"name": "year", "field_name": "date_published", "type": "date_histogram", "date_interval": "year"},
            {
                "name": "size",
                "field_name": "size_bytes",
                "type": "numeric_histogram",
                "size": 4,
                "histogram_range": {"low": 0, "high": biggest + 1},
            },
            {"name": "bytes", "field_name": "size_bytes", "type": "sum"},
        ],
    }
    year, size, total = anonymous.post_search(index_id, query)["facet_results"]
    by_year = Counter(c["date_published"][:4] for c in public_records.values())
    assert {b["value"]["from"][:4]: b["count"] for b in year["buckets"]} == dict(by_year)
    assert sum(b["count"] for b in size["buckets"]) == len(public_records)
    assert len(size["buckets"]) == 4 and size["buckets"][0]["value"]["from"] == 0
    assert total["value"] == sum(c["size_bytes"] for c in public_records.values())


def test_facets_ignore_post_facet_filters(anonymous, index_id, public_records):
    domain = sorted({c["domain"] for c in public_records.values()})[0]
    query = {
        "q": "*",
        "limit": 100,
        "facets": [{"field_name": "domain", "size": 20}],
        "post_facet_filters": [{"type": "match_any", "field_name": "domain", "values": [domain]}],
    }
    result = anonymous.post_search(index_id, query)
    assert {item["entries"][0]["content"]["domain"] for item in result["gmeta"]} == {domain}
    assert sum(b["count"] for b in result["facet_results"][0]["buckets"]) == len(public_records)


def test_sort_by_date_and_by_text(anonymous, index_id, public_records):
    newest = anonymous.post_search(
        index_id, {"q": "*", "limit": 20, "sort": [{"field_name": "date_published", "order": "desc"}]}
    )
    dates = [item["entries"][0]["content"]["date_published"] for item in newest["gmeta"]]
    assert dates == sorted((c["date_published"] for c in public_records.values()), reverse=True)[:20]
    by_title = anonymous.post_search(index_id, {"q": "*", "limit": 20, "sort": [{"field_name": "title"}]})
    titles = [item["entries"][0]["content"]["title"].lower() for item in by_title["gmeta"]]
    assert titles == sorted(c["title"].lower() for c in public_records.values())[:20]


def test_paging_with_offset_and_limit_covers_everything_once(anonymous, index_id, public_records):
    seen: list[str] = []
    offset = 0
    while True:
        page = anonymous.post_search(index_id, {"q": "*", "sort": [{"field_name": "path"}]}, offset=offset, limit=7)
        seen += subjects(page)
        offset += page["count"]
        if not page["has_next_page"]:
            break
    assert len(seen) == len(set(seen)) == len(public_records)


def test_get_search_and_its_paginator(anonymous, index_id, public_records):
    word = words(next(iter(public_records.values()))["instrument"])[0]
    page = anonymous.search(index_id, word, limit=5)
    assert page["count"] <= 5
    found = {item["subject"] for item in anonymous.paginated.search(index_id, word).items()}
    assert found == {s for s, c in public_records.items() if word in all_words(c)}


def test_scroll_reads_every_record(anonymous, index_id, public_records):
    scrolled = [item["subject"] for item in anonymous.paginated.scroll(index_id, {"q": "*", "limit": 30}).items()]
    assert sorted(scrolled) == sorted(public_records)


def test_query_with_no_searchable_words_matches_nothing(anonymous, index_id):
    result = anonymous.post_search(index_id, {"q": "%%%"})
    assert result["total"] == 0 and result["gmeta"] == [] and result["has_next_page"] is False


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (
            {"q": "*", "filters": [{"type": "fuzzy", "field_name": "title", "values": ["x"]}]},
            "BadRequest.ValidationError",
        ),
        (
            {"q": "*", "filters": [{"type": "range", "field_name": "size_bytes", "values": [{"low": 1}]}]},
            "BadRequest.ValidationError",
        ),
        (
            {
                "q": "*",
                "facets": [{"field_name": "date_published", "type": "date_histogram", "date_interval": "fortnight"}],
            },
            "BadRequest.ValidationError",
        ),
        (
            {"q": "*", "facets": [{"field_name": "size_bytes", "type": "numeric_histogram", "size": 3}]},
            "BadRequest.ValidationError",
        ),
        ({"q": "*", "sort": [{"field_name": "title", "order": "sideways"}]}, "BadRequest.ValidationError"),
        ({"q": "(unbalanced", "advanced": True}, "BadRequest.InvalidQuery"),
        ({"q": "size_bytes:[1 TO 5]", "advanced": True}, "BadRequest.InvalidQuery"),
        ({"q": "*", "offset": 9995, "limit": 10}, "BadRequest.LimitExceeded"),
        ({"q": "*", "limit": 10001}, "BadRequest.ValidationError"),
        ({"q": "*", "no_such_option": 1}, "BadRequest.ValidationError"),
        ({"advanced": True}, "BadRequest.ValidationError"),
    ],
)
def test_bad_queries_are_400_with_a_globus_code(anonymous, index_id, body, code):
    with pytest.raises(globus_sdk.SearchAPIError) as caught:
        anonymous.post_search(index_id, body)
    assert caught.value.http_status == 400
    assert caught.value.code == code
    assert caught.value.raw_json["@datatype"] == "GError"


def test_non_json_body_and_unknown_index(anonymous, index_id, emulator):
    response = requests.post(
        f"{emulator.services['search']}v1/index/{index_id}/search",
        data="q=*",
        headers={"Content-Type": "text/plain"},
        timeout=30,
    )
    assert response.status_code == 400 and response.json()["code"] == "BadRequest.Generic"
    with pytest.raises(globus_sdk.SearchAPIError) as caught:
        anonymous.post_search("00000000-0000-0000-0000-000000000000", {"q": "*"})
    assert caught.value.http_status == 404 and caught.value.code == "NotFound.NoSuchIndex"


def test_an_invalid_token_is_refused_even_for_public_data(emulator, index_id):
    client = globus_sdk.SearchClient(
        base_url=emulator.services["search"], authorizer=globus_sdk.AccessTokenAuthorizer("not-a-real-token")
    )
    with pytest.raises(globus_sdk.SearchAPIError) as caught:
        client.search(index_id, "*")
    assert caught.value.http_status == 401
