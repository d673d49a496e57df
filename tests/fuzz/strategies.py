"""Hypothesis strategies for hostile browser input: text, numbers, paths, JSON, ids and repeated keys."""

from __future__ import annotations

import io
import json
import uuid

from hypothesis import strategies as st

# Every code point a browser can put in a form or URL (surrogates cannot be encoded as UTF-8).
ANY_CHARACTER = st.characters(blacklist_categories=("Cs",))
CONTROL_CHARACTERS = st.sampled_from(
    [
        "\x00",
        "\x01",
        "\x07",
        "\x08",
        "\t",
        "\n",
        "\x0b",
        "\x0c",
        "\r",
        "\x1b",
        "\x1f",
        "\x7f",
        "\x85",
        "\u2028",
        "\u2029",
        "\u200b",
        "\u202e",
        "\ufeff",
    ]
)
LONG_SIZES = st.sampled_from([256, 4097, 20_000, 70_000])
NESTING_DEPTHS = st.sampled_from([1, 50, 1_000, 5_000, 100_000])

HOSTILE_SAMPLES = (
    "",
    " ",
    "\x00",
    "a\x00b",
    "\r\n",
    "\t",
    "%00",
    "%",
    "%zz",
    "%2e%2e%2f",
    "%2F",
    "+",
    "..",
    ".",
    "/..",
    "../../../../etc/passwd",
    "/~/../../",
    "~/..",
    "/~/./../x",
    "..\\..\\windows",
    "....//",
    "//evil.example.org",
    "https://evil.example.org/",
    "/\\evil.example.org",
    "javascript:alert(1)",
    "<script>alert(1)</script>",
    "{{7*7}}",
    "{% raw %}",
    "' OR 1=1 --",
    "${jndi:ldap://x}",
    "\\",
    '"',
    "'",
    ";",
    "\u202e",
    "\ufeff",
    "\U0010ffff",
    "🙂" * 10,
    "ß",
    "İ",
    "ﬃ",
    "ǅ",
    "Ⅻ",
    "\u0301",
    "NaN",
    "nan",
    "inf",
    "-1",
    "0",
    "-0",
    "1e309",
    "9" * 4301,
    "١٢٣",
    "１２",
    "0x1f",
    "1_000",
    " 7 ",
    "true",
    "null",
    "[]",
    "{}",
    '{"a":',
    "[" * 20,
    "2024-02-30",
    "9999-12-31",
    "0001-01-01",
    "2024-13-01",
    "+002024-01-01",
    "2024-01-01T00:00:00",
    "9999-12-31T23:59:59-05:00",
    "9999-12-31T23:59:59+14:00",
    "0001-01-01T00:00:00+14:00",
    "2999-01-01T00:00",
    "2999-01-01T00:00:00+25:00",
    "24:00",
    "now",
)


def long_strings() -> st.SearchStrategy[str]:
    """Very long values (bounded): one character or a short piece repeated."""
    piece = st.one_of(st.text(ANY_CHARACTER, min_size=1, max_size=3), st.sampled_from(["a", "/", "../", "é", "\x00"]))
    return st.builds(lambda p, n: (p * n)[:n], piece, LONG_SIZES)


def huge_integers() -> st.SearchStrategy[str]:
    """Integers as text, from small to far past any limit (and past int()'s digit limit)."""
    return st.one_of(
        st.integers(min_value=-(10**40), max_value=10**40).map(str),
        st.integers(min_value=4290, max_value=5000).map(lambda digits: "9" * digits),
    )


def nested_json() -> st.SearchStrategy[str]:
    """Deeply nested JSON arrays/objects, balanced or not."""
    return st.one_of(
        st.builds(lambda d: "[" * d + "]" * d, NESTING_DEPTHS),
        st.builds(lambda d: '{"a":' * d + "1" + "}" * d, NESTING_DEPTHS),
        st.builds(lambda d: "[" * d, NESTING_DEPTHS),
    )


def hostile_paths() -> st.SearchStrategy[str]:
    """Path-traversal shapes built from hostile segments."""
    segment = st.one_of(
        st.sampled_from(["..", ".", "", "~", "%2e%2e", "..\\", "\x00", "etc", "passwd", "é", " "]),
        st.text(ANY_CHARACTER, max_size=8),
    )
    return st.builds(
        lambda lead, parts, trail: lead + "/".join(parts) + trail,
        st.sampled_from(["", "/", "/~/", "~", "//", "\\"]),
        st.lists(segment, max_size=6),
        st.sampled_from(["", "/", "/.."]),
    )


def hostile_text() -> st.SearchStrategy[str]:
    """Any single short hostile value (see big_values() for the long ones)."""
    return st.one_of(
        st.sampled_from(HOSTILE_SAMPLES),
        st.text(ANY_CHARACTER, max_size=40),
        st.text(CONTROL_CHARACTERS, min_size=1, max_size=5),
        st.builds(lambda a, c, b: a + c + b, st.text(max_size=5), CONTROL_CHARACTERS, st.text(max_size=5)),
        st.integers(min_value=-(10**40), max_value=10**40).map(str),
        st.builds(lambda d: "[" * d + "]" * d, st.integers(1, 30)),
        hostile_paths(),
    )


def big_values() -> st.SearchStrategy[str]:
    """Long values (bounded; at most one per request, so each example stays fast)."""
    return st.one_of(huge_integers(), long_strings(), nested_json())


def items_documents(meaningful: list[str]) -> st.SearchStrategy[str]:
    """The review form's `items` JSON: right shape with hostile members, wrong shapes, or not JSON at all."""
    member = st.one_of(
        hostile_text(),
        st.sampled_from(meaningful),
        st.integers(),
        st.none(),
        st.booleans(),
        st.lists(st.integers(), max_size=2),
        st.floats(allow_nan=True),
    )
    entry = st.one_of(
        st.fixed_dictionaries({"source": member, "destination": member, "recursive": member}),
        st.dictionaries(st.text(max_size=12), member, max_size=4),
        member,
    )
    shallow = st.builds(lambda d: '{"a":' * d + "[]" + "}" * d, st.integers(1, 30))  # deep ones: big_values()
    return st.one_of(st.lists(entry, max_size=5).map(json.dumps), entry.map(json.dumps), shallow, hostile_text())


def uuid_variants(known: list[str]) -> st.SearchStrategy[str]:
    """Ids that are (or look like) UUIDs: the real ones, re-spelled ones, and near misses."""
    real = st.sampled_from(known or [str(uuid.UUID(int=1))])
    return st.one_of(
        real,
        real.map(str.upper),
        real.map(lambda u: "{" + u + "}"),
        real.map(lambda u: "urn:uuid:" + u),
        real.map(lambda u: u.replace("-", "")),
        real.map(lambda u: f" {u}\n"),
        real.map(lambda u: u + "\x00"),
        real.map(lambda u: u[:-1] + "ｆ"),
        real.map(lambda u: u + "/.."),
        st.uuids().map(str),
        st.just("0" * 32),
        st.just("-" * 36),
        st.just("f" * 36),
    )


def file_uploads() -> st.SearchStrategy[tuple]:
    """A multipart file part: (stream, filename, content type), with hostile bytes and names."""
    content = st.one_of(
        st.binary(max_size=200),
        st.sampled_from(
            [
                b"\xff\xfe\x00",
                b"\xef\xbb\xbf/a /b\n",
                b"\x00" * 100,
                b"a b\n" * 30_000,
                b"/x " + b"y" * 1_000_001,
                b"--recursive /a/ /b/\n" * 3,
            ]
        ),
        st.text(ANY_CHARACTER, max_size=200).map(lambda t: t.encode("utf-8")),
    )
    filename = st.one_of(
        st.sampled_from(["list.txt", "", "../../etc/passwd", "a\x00b.txt", "é.txt", "x" * 300]),
        st.text(ANY_CHARACTER, max_size=20),
    )
    ctype = st.sampled_from(["text/plain", "application/octet-stream", "", "text/plain; charset=utf-16"])
    return st.builds(lambda c, f, t: (io.BytesIO(c), f, t), content, filename, ctype)


def mostly(valid: st.SearchStrategy, hostile: st.SearchStrategy, one_in: int = 3) -> st.SearchStrategy:
    """`hostile` in about one draw in `one_in`, else `valid`."""
    return st.integers(0, one_in - 1).flatmap(lambda gate: hostile if gate == 0 else valid)


def form_pairs(
    fields: dict[str, st.SearchStrategy[str]], hostile: st.SearchStrategy[str], extra_names: list[str]
) -> st.SearchStrategy[list[tuple[str, object]]]:
    """Form or query pairs for the fields a view reads.

    About one field per request is odd: missing, hostile, or repeated (valid and hostile values
    mixed); the others carry one plausible value, so the odd one gets past the first checks and
    reaches the deeper code. Up to two extra pairs follow, under hostile names, names no view
    reads, or a field's name again (a repeated key after the first).
    """
    one_in = max(4, len(fields))

    def for_field(name: str, valid: st.SearchStrategy[str]) -> st.SearchStrategy[list[tuple[str, object]]]:
        odd = st.one_of(
            st.just([]),
            hostile.map(lambda value: [(name, value)]),
            st.lists(st.one_of(valid, hostile), min_size=2, max_size=3).map(lambda vs: [(name, v) for v in vs]),
        )
        return mostly(valid.map(lambda value: [(name, value)]), odd, one_in)

    known = st.tuples(*(for_field(name, valid) for name, valid in fields.items())) if fields else st.just(())
    names = st.one_of(hostile_text(), st.sampled_from(sorted(fields) + extra_names))
    extra = st.lists(st.tuples(names, hostile), max_size=2)
    return st.builds(lambda groups, more: [pair for group in groups for pair in group] + more, known, extra)
