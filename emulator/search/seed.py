"""Seed the "Gateway datasets" index: ~200 dataset records that point at real seeded folders.

Subjects are `globus://<collection_id>/<path>/` for folders found under the data root that the
transfer seed created (then, when there are fewer than 200 folders, `globus://<id>/<path>` for
files spread over them); sizes and file counts are measured on disk, the rest of the metadata is
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

from emulator.search.indexing import NewEntry, upsert_entries
from emulator.search.models import SearchIndex, SearchIndexRole
from emulator.search.seed_vocabulary import AFFILIATIONS, DOMAINS, FIRST_NAMES, LAST_NAMES, LICENSES

log = logging.getLogger(__name__)

INDEX_ID = str(uuid.uuid5(uuid.NAMESPACE_URL, "emulator:search-index:gateway-datasets"))
INDEX_NAME = "Gateway datasets"
TARGET_RECORDS = 200
# Folders with more entries than this (the big folder) are never walked into.
MAX_FOLDER_ENTRIES = 1000
MAX_DEPTH = 4
RANDOM_SEED = 20260202

# Metadata is usually public even when the data is not; about half the records of the lab share
# are for the Cryo-EM Lab only and half of Alice's for her only, with a few others mixed in.
GROUP_COLLECTIONS = {"Cryo-EM Shared Data"}
ALICE_COLLECTIONS = {"Alice Project Share", "Alice's Laptop"}
PRIVATE_SHARE = 0.5
# The lab's own storage holds structural-biology data; other collections hold any domain's.
LAB_COLLECTIONS = {"Cryo-EM Shared Data", "Lab Archive"}


@dataclass(frozen=True)
class SeedTarget:
    """A real folder or file on disk that a record describes."""

    collection_id: str
    collection_name: str
    path: str  # absolute collection path; folders end with "/"
    size_bytes: int
    file_count: int

    @property
    def is_folder(self) -> bool:
        return self.path.endswith("/")


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


def find_targets(collections: list[dict[str, Any]], data_root: Path) -> tuple[list[SeedTarget], list[SeedTarget]]:
    """(folders, files) of every seeded collection, depth-limited and skipping huge folders, sorted."""
    folders: list[SeedTarget] = []
    files: list[SeedTarget] = []
    for collection in collections:
        root = Path(collection.get("data_root") or data_root / collection["id"])
        if not root.is_dir():
            continue
        name = collection.get("display_name", "")
        for current, dirs, names in os.walk(root):
            depth = len(Path(current).relative_to(root).parts)
            if len(dirs) + len(names) > MAX_FOLDER_ENTRIES or depth >= MAX_DEPTH:
                dirs.clear()
                continue
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            relative = Path(current).relative_to(root).as_posix()
            base = "/" if relative == "." else f"/{relative}/"
            if depth > 0:
                size, count = _folder_stats(Path(current))
                folders.append(SeedTarget(collection["id"], name, base, size, count))
            for file_name in sorted(n for n in names if not n.startswith(".")):
                try:
                    size = (Path(current) / file_name).stat().st_size
                except OSError:
                    continue
                files.append(SeedTarget(collection["id"], name, base + file_name, size, 1))
    order = lambda t: (t.collection_name, t.path)  # noqa: E731
    return sorted(folders, key=order), sorted(files, key=order)


def choose_targets(folders: list[SeedTarget], files: list[SeedTarget]) -> list[SeedTarget]:
    """Every folder first, then files spread evenly over the rest, up to TARGET_RECORDS."""
    chosen = folders[:TARGET_RECORDS]
    wanted = TARGET_RECORDS - len(chosen)
    if wanted > 0 and files:
        step = max(len(files) / wanted, 1.0)
        picked = sorted({int(i * step) for i in range(wanted) if int(i * step) < len(files)})
        chosen += [files[i] for i in picked]
    return chosen


def _visibility(folder: SeedTarget, rng: random.Random, group_urn: str | None, alice_urn: str | None) -> list[str]:
    roll = rng.random()
    if folder.collection_name in GROUP_COLLECTIONS and group_urn and roll < PRIVATE_SHARE:
        return [group_urn]
    if folder.collection_name in ALICE_COLLECTIONS and alice_urn and roll < PRIVATE_SHARE:
        return [alice_urn]
    if roll > 0.97 and group_urn:
        return [group_urn]
    if roll > 0.95 and alice_urn:
        return [alice_urn]
    return ["public"]


def _person(rng: random.Random) -> dict[str, str]:
    return {"name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}", "affiliation": rng.choice(AFFILIATIONS)}


def make_record(folder: SeedTarget, number: int, rng: random.Random) -> dict[str, Any]:
    """Plausible dataset metadata for one folder or file (deterministic for a given rng state)."""
    domain_name = "structural biology" if folder.collection_name in LAB_COLLECTIONS else rng.choice(sorted(DOMAINS))
    domain = DOMAINS[domain_name]
    topic = rng.choice(domain["topics"])
    instrument = rng.choice(domain["instruments"])
    data_type = rng.choice(domain["data_types"])
    created = date(2019, 1, 1) + timedelta(days=rng.randrange(0, 6 * 365))
    published = created + timedelta(days=rng.randrange(7, 400))
    folder_name = folder.path.rstrip("/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
    keywords = sorted(set(rng.sample(domain["keywords"], rng.randint(2, 4)) + [topic.split()[0].lower()]))
    where = (
        f"{folder.file_count} file{'s' if folder.file_count != 1 else ''} in {folder.path}"
        if folder.is_folder
        else f"the file {folder.path}"
    )
    return {
        "title": f"{topic}: {data_type} from {folder_name.replace('_', ' ').replace('-', ' ')}",
        "description": (
            f"{data_type.capitalize()} collected with the {instrument} for a study of {topic.lower()}. "
            f"Dataset {number:04d} is {where} on {folder.collection_name}."
        ),
        "creators": [_person(rng) for _ in range(rng.randint(1, 3))],
        "keywords": keywords,
        "instrument": instrument,
        "data_type": data_type,
        "research_area": topic,
        "domain": domain_name,
        "license": rng.choice(LICENSES),
        "date_created": created.isoformat(),
        "date_published": f"{published.isoformat()}T{rng.randrange(8, 18):02d}:{rng.randrange(60):02d}:00Z",
        "size_bytes": folder.size_bytes,
        "file_count": folder.file_count,
        "collection_id": folder.collection_id,
        "collection_name": folder.collection_name,
        "path": folder.path,
        "resource_type": "folder" if folder.is_folder else "file",
    }


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
            session.add(
                SearchIndexRole(
                    id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"emulator:search-role:{INDEX_ID}:{principal}:{role_name}")),
                    index_id=INDEX_ID,
                    principal=principal,
                    role_name=role_name,
                )
            )

    targets = choose_targets(*find_targets(manifest.get("collections", []), Path(data_root)))
    if not targets:
        log.warning("search seed found no seeded folders under %s; the index starts empty", data_root)
    group_urn = _group_urn(manifest, "Cryo-EM Lab")
    alice_urn = _principal_of(manifest, "alice@example.edu")
    records = []
    for number, target in enumerate(targets, start=1):
        content = make_record(target, number, rng)
        visible_to = _visibility(target, rng, group_urn, alice_urn)
        records.append(NewEntry(f"globus://{target.collection_id}{target.path}", None, content, visible_to))
    upsert_entries(session, INDEX_ID, records)
    session.flush()
    manifest["search_index"] = {"id": INDEX_ID, "display_name": INDEX_NAME, "records": len(targets)}
