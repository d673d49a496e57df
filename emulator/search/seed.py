"""Seed the "Gateway datasets" index: ~200 dataset records that point at real seeded folders.

Subjects are `globus://<collection_id>/<path>/` for folders found under the data root that the
transfer seed created; sizes and file counts are measured on disk, the rest of the metadata is
generated from a fixed random seed so every reset produces the same index.
"""
from __future__ import annotations

import logging
import os
import random
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from emulator.search.indexing import upsert_entry
from emulator.search.models import SearchIndex, SearchIndexRole
from emulator.search.seed_vocabulary import (
    AFFILIATIONS,
    DATA_TYPES,
    FIRST_NAMES,
    INSTRUMENTS,
    KEYWORDS,
    LAST_NAMES,
    LICENSES,
    TOPICS,
)

log = logging.getLogger(__name__)

INDEX_ID = str(uuid.uuid5(uuid.NAMESPACE_URL, "emulator:search-index:gateway-datasets"))
INDEX_NAME = "Gateway datasets"
TARGET_RECORDS = 200
# Folders with more entries than this (the big folder) are never walked into.
MAX_FOLDER_ENTRIES = 1000
MAX_DEPTH = 4
RANDOM_SEED = 20260202

# Which visibility each collection's records get: group-only for the lab share, alice-only for
# her own shares, public elsewhere (with a few private exceptions mixed in below).
GROUP_COLLECTIONS = {"Cryo-EM Shared Data"}
ALICE_COLLECTIONS = {"Alice Project Share", "Alice's Laptop"}


@dataclass(frozen=True)
class SeedFolder:
    """A real folder on disk that a record describes."""

    collection_id: str
    collection_name: str
    path: str  # absolute collection path, with leading and trailing "/"
    size_bytes: int
    file_count: int


def _folder_stats(folder: Path) -> tuple[int, int]:
    size = count = 0
    for root, dirs, files in os.walk(folder):
        if len(dirs) + len(files) > MAX_FOLDER_ENTRIES:
            dirs.clear()
            continue
        for name in files:
            try:
                size += (Path(root) / name).stat().st_size
                count += 1
            except OSError:
                continue
    return size, count


def find_folders(collections: list[dict[str, Any]], data_root: Path) -> list[SeedFolder]:
    """Every folder (depth-limited, skipping huge ones) of every seeded collection, sorted."""
    found: list[SeedFolder] = []
    for collection in collections:
        root = Path(collection.get("data_root") or data_root / collection["id"])
        if not root.is_dir():
            continue
        for current, dirs, files in os.walk(root):
            depth = len(Path(current).relative_to(root).parts)
            if len(dirs) + len(files) > MAX_FOLDER_ENTRIES or depth >= MAX_DEPTH:
                dirs.clear()
            dirs.sort()
            if depth == 0:
                continue
            relative = "/" + Path(current).relative_to(root).as_posix() + "/"
            size, count = _folder_stats(Path(current))
            found.append(SeedFolder(collection["id"], collection.get("display_name", ""), relative, size, count))
    return sorted(found, key=lambda f: (f.collection_name, f.path))


def _visibility(folder: SeedFolder, rng: random.Random, group_urn: str | None, alice_urn: str | None) -> list[str]:
    if folder.collection_name in GROUP_COLLECTIONS and group_urn:
        return [group_urn]
    if folder.collection_name in ALICE_COLLECTIONS and alice_urn:
        return [alice_urn]
    roll = rng.random()
    if roll < 0.06 and group_urn:
        return [group_urn]
    if roll < 0.09 and alice_urn:
        return [alice_urn]
    return ["public"]


def _person(rng: random.Random) -> dict[str, str]:
    return {"name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}", "affiliation": rng.choice(AFFILIATIONS)}


def make_record(folder: SeedFolder, number: int, rng: random.Random) -> dict[str, Any]:
    """Plausible dataset metadata for one folder (deterministic for a given rng state)."""
    topic = rng.choice(TOPICS)
    instrument = rng.choice(INSTRUMENTS)
    data_type = rng.choice(DATA_TYPES)
    created = date(2019, 1, 1) + timedelta(days=rng.randrange(0, 6 * 365))
    published = created + timedelta(days=rng.randrange(7, 400))
    folder_name = folder.path.rstrip("/").rsplit("/", 1)[-1]
    keywords = sorted(set(rng.sample(KEYWORDS, rng.randint(2, 5)) + [topic.split()[0].lower()]))
    return {
        "title": f"{topic}: {data_type} from {folder_name.replace('_', ' ').replace('-', ' ')}",
        "description": (
            f"{data_type.capitalize()} collected with the {instrument} for a study of {topic.lower()}. "
            f"Dataset {number:04d} holds {folder.file_count} files in {folder.path} on {folder.collection_name}."
        ),
        "creators": [_person(rng) for _ in range(rng.randint(1, 3))],
        "keywords": keywords,
        "instrument": instrument,
        "data_type": data_type,
        "research_area": topic,
        "license": rng.choice(LICENSES),
        "date_created": created.isoformat(),
        "date_published": f"{published.isoformat()}T{rng.randrange(8, 18):02d}:{rng.randrange(60):02d}:00Z",
        "size_bytes": folder.size_bytes,
        "file_count": folder.file_count,
        "collection_id": folder.collection_id,
        "collection_name": folder.collection_name,
        "path": folder.path,
    }


def _records_for(folders: list[SeedFolder]) -> list[tuple[str, SeedFolder]]:
    """(subject, folder) pairs: one per folder, then per-run subjects when folders are too few."""
    pairs = [(f"globus://{f.collection_id}{f.path}", f) for f in folders]
    run = 2
    while folders and len(pairs) < TARGET_RECORDS:
        # Several acquisition runs can describe the same folder; the query string keeps subjects unique.
        pairs.extend((f"globus://{f.collection_id}{f.path}?run={run}", f) for f in folders)
        run += 1
    return pairs[:TARGET_RECORDS]


def _principal_of(manifest: dict[str, Any], username: str) -> str | None:
    for user in manifest.get("users", []):
        if user.get("username") == username:
            return f"urn:globus:auth:identity:{user['identity_id']}"
    return None


def _group_urn(manifest: dict[str, Any], name: str) -> str | None:
    for group in manifest.get("groups", []):
        if group.get("name") == name:
            return f"urn:globus:groups:id:{group['id']}"
    return None


def seed_search(session: Session, manifest: dict[str, Any], data_root: str | os.PathLike[str]) -> None:
    """Create the datasets index, its roles and records; record it in manifest["search_index"]."""
    rng = random.Random(RANDOM_SEED)
    index = session.get(SearchIndex, INDEX_ID)
    if index is None:
        index = SearchIndex(
            id=INDEX_ID,
            display_name=INDEX_NAME,
            description="Datasets shared through the Science Gateway (seeded by the local emulator).",
            max_size_in_mb=1024,
        )
        session.add(index)
        session.flush()

    carol = _principal_of(manifest, "carol@example.edu")
    automation = manifest.get("clients", {}).get("automation", {}).get("client_id")
    roles = [(carol, "admin"), (f"urn:globus:auth:identity:{automation}" if automation else None, "writer")]
    for principal, role_name in roles:
        if principal:
            session.add(SearchIndexRole(
                id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"emulator:search-role:{INDEX_ID}:{principal}:{role_name}")),
                index_id=INDEX_ID, principal=principal, role_name=role_name,
            ))

    folders = find_folders(manifest.get("collections", []), Path(data_root))
    if not folders:
        log.warning("search seed found no seeded folders under %s; the index starts empty", data_root)
    group_urn = _group_urn(manifest, "Cryo-EM Lab")
    alice_urn = _principal_of(manifest, "alice@example.edu")
    pairs = _records_for(folders)
    for number, (subject, folder) in enumerate(pairs, start=1):
        content = make_record(folder, number, rng)
        upsert_entry(session, INDEX_ID, subject, None, content, _visibility(folder, rng, group_urn, alice_urn))
    session.flush()
    manifest["search_index"] = {"id": INDEX_ID, "display_name": INDEX_NAME, "records": len(pairs)}
