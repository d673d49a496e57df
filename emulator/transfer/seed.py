"""Seed the Transfer catalogue: the six demo collections, their sample files, roles and ACL rules.

Ids are uuid5(NAMESPACE_URL, "emulator:collection:<slug>") so they stay the same across resets.
File contents and timestamps come from a fixed random seed, so every reset looks the same.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from emulator.transfer.models import AclRule, BigFolder, Collection, MappedIdentity, RoleAssignment

BIG_FOLDER_SLUG = "lab-archive"
BIG_FOLDER_PATH = "/big-folder/"
BIG_FOLDER_ENTRIES = 100_000
MB = 1024 * 1024
# Seeded files carry modification times spread over this window (UTC).
TIME_WINDOW = (dt.datetime(2023, 1, 9, tzinfo=dt.UTC), dt.datetime(2024, 11, 29, tzinfo=dt.UTC))


def collection_id(slug: str) -> str:
    """The stable id of a seeded collection."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"emulator:collection:{slug}"))


@dataclass(frozen=True)
class CollectionSpec:
    slug: str
    display_name: str
    kind: str
    owner: str
    description: str
    host: str | None = None
    requires_data_access: bool = False
    public: bool = True
    keywords: str = ""
    department: str = ""
    mapped_users: tuple[str, ...] = ()
    hidden_files: tuple[str, ...] = ()
    big_files: tuple[tuple[str, int], ...] = ()
    folders: dict[str, Any] = field(default_factory=dict)


ORGANIZATION = "Example University"
LAB_MEMBERS = ("alice@example.edu", "bob@example.edu", "carol@example.edu")

SPECS: tuple[CollectionSpec, ...] = (
    CollectionSpec(
        "campus-cluster",
        "Campus Cluster Storage",
        "mapped",
        "carol@example.edu",
        "Parallel filesystem of the campus HPC cluster (GCSv5 mapped collection; needs data_access consent).",
        requires_data_access=True,
        keywords="hpc,cluster,scratch,projects",
        department="Research Computing",
        mapped_users=LAB_MEMBERS,
        big_files=(("projects/cryoem/run 01/stack_0001.mrcs", 5 * MB // 2), ("scratch/alice/checkpoint.h5", 5 * MB)),
        folders={
            "projects/cryoem/run 01": ("tif", 24),
            "projects/cryoem/run 02": ("tif", 18),
            "projects/genomics/Müller_2024": ("csv", 12),
            "scratch/alice": ("log", 8),
            "scratch/bob/tmp results": ("csv", 6),
            "home/shared scripts": ("py", 10),
        },
    ),
    CollectionSpec(
        "lab-archive",
        "Lab Archive",
        "mapped",
        "carol@example.edu",
        "Long-term archive of the Cryo-EM lab (GCSv5 mapped collection).",
        keywords="archive,cryo-em,instrument",
        department="Structural Biology",
        mapped_users=LAB_MEMBERS,
        big_files=(("cryoem/2023/grid_01/movie_0001.mrc", 3 * MB), ("cryoem/2024/grid_07/movie_0042.mrc", 8 * MB)),
        folders={
            "cryoem/2023/grid_01": ("tif", 20),
            "cryoem/2024/grid_07": ("tif", 20),
            "instrument logs": ("log", 15),
            "Müller_2024/raw data": ("csv", 10),
            "shared": ("csv", 4),
        },
    ),
    CollectionSpec(
        "cryoem-shared",
        "Cryo-EM Shared Data",
        "guest",
        "carol@example.edu",
        "Shared datasets of the Cryo-EM Lab, hosted on the Lab Archive.",
        host="lab-archive",
        keywords="cryo-em,shared,microscopy",
        department="Structural Biology",
        hidden_files=(".checksums.md5",),
        big_files=(
            ("run 01/movie_0001.mrc", 2 * MB),
            ("run 02/movie_0002.mrc", 4 * MB),
            ("raw data/stack 03.mrcs", 6 * MB),
        ),
        folders={
            "run 01": ("tif", 25),
            "run 02": ("tif", 25),
            "raw data": ("tif", 30),
            "Müller_2024": ("csv", 12),
            "processed/ctf estimates": ("csv", 15),
            "notebooks": ("py", 6),
        },
    ),
    CollectionSpec(
        "alice-project",
        "Alice Project Share",
        "guest",
        "alice@example.edu",
        "Alice's project data shared from the campus cluster.",
        host="campus-cluster",
        public=False,
        keywords="project,analysis",
        hidden_files=(".project-settings.json",),
        big_files=(("analysis/model weights.bin", 2 * MB),),
        folders={"analysis": ("csv", 14), "figures": ("png", 12), "drafts/paper 1": ("md", 5)},
    ),
    CollectionSpec(
        "public-reference",
        "Public Reference Datasets",
        "public",
        "carol@example.edu",
        "Reference datasets anyone may read: genomes, climate series, sample micrographs.",
        keywords="public,reference,open data",
        department="Research Computing",
        big_files=(("genomes/GRCh38 chr21.fa", 4 * MB),),
        folders={"genomes": ("fa", 6), "climate/daily temperatures": ("csv", 20), "micrographs": ("tif", 15)},
    ),
    CollectionSpec(
        "alice-laptop",
        "Alice's Laptop",
        "personal",
        "alice@example.edu",
        "Globus Connect Personal on Alice's laptop.",
        public=False,
        hidden_files=(".DS_Store",),
        folders={"Documents/thesis": ("md", 6), "Downloads": ("csv", 8), "Pictures/conference 2024": ("png", 10)},
    ),
)


def _text_content(rng: random.Random, kind: str, name: str, index: int) -> bytes:
    if kind == "csv":
        header = "sample_id,temperature_c,intensity,quality\n"
        rows = [
            f"S{index:03d}-{i:04d},{rng.uniform(-5, 40):.2f},{rng.random() * 1000:.3f},{rng.choice('ABC')}\n"
            for i in range(rng.randint(5, 400))
        ]
        return (header + "".join(rows)).encode()
    if kind == "log":
        return "".join(
            f"2024-03-{1 + i % 28:02d} 12:{i % 60:02d}:00 INFO step {i} ok\n" for i in range(rng.randint(20, 600))
        ).encode()
    if kind == "py":
        return f'"""Analysis helper {name}."""\n\n\ndef run():\n    return {index}\n'.encode()
    if kind == "md":
        return f"# {name}\n\nNotes written during the project, section {index}.\n".encode() * rng.randint(1, 40)
    if kind == "fa":
        return b">seq\n" + bytes(rng.choice(b"ACGT") for _ in range(rng.randint(2000, 20000)))
    return rng.randbytes(rng.randint(4 * 1024, 96 * 1024))  # tif / png images


def _file_names(kind: str, count: int) -> list[str]:
    stems = {
        "tif": "img_{:04d}.tif",
        "png": "figure {:02d}.png",
        "csv": "measurements_{:03d}.csv",
        "log": "log_2024-03-{:02d}.txt",
        "py": "step_{:02d}.py",
        "md": "chapter {:02d}.md",
        "fa": "contig_{:02d}.fa",
    }
    return [stems[kind].format(i + 1) for i in range(count)]


def _touch_time(path: Path, rng: random.Random) -> None:
    start, end = (moment.timestamp() for moment in TIME_WINDOW)
    when = rng.uniform(start, end)
    os.utime(path, (when, when), follow_symlinks=False)


def _write(path: Path, content: bytes, rng: random.Random) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    _touch_time(path, rng)


def populate_files(spec: CollectionSpec, root: Path) -> int:
    """Write the sample tree of one collection under `root`; returns how many files it wrote."""
    rng = random.Random(f"emulator-seed:{spec.slug}")
    root.mkdir(parents=True, exist_ok=True)
    readme = f"{spec.display_name}\n{'=' * len(spec.display_name)}\n\n{spec.description}\n"
    _write(root / "README.txt", readme.encode(), rng)
    written = 1
    for folder, (kind, count) in spec.folders.items():
        for index, name in enumerate(_file_names(kind, count)):
            _write(root / folder / name, _text_content(rng, kind, name, index), rng)
            written += 1
    for relative, size in spec.big_files:
        _write(root / relative, rng.randbytes(size), rng)
        written += 1
    for hidden in spec.hidden_files:
        _write(root / hidden, f"hidden file of {spec.slug}\n".encode(), rng)
        written += 1
    if spec.slug == "cryoem-shared":
        # A relative symlink inside the collection: listed with its target, followed safely.
        os.symlink("run 02", root / "latest run")
        _touch_time(root / "latest run", rng)
    _date_directories(root)
    return written


def _date_directories(root: Path) -> None:
    # A directory shows the time of its newest entry, so listings look lived-in, not "just now".
    for folder, subfolders, files in os.walk(root, topdown=False):
        names = [os.path.join(folder, name) for name in subfolders + files]
        if names:
            newest = max(os.lstat(name).st_mtime for name in names)
            os.utime(folder, (newest, newest))


def _identity(users: dict[str, dict], username: str) -> str:
    try:
        return users[username]["identity_id"]
    except KeyError:
        raise ValueError(f"seed_transfer: user {username!r} is missing from manifest['users']") from None


def _group_id(manifest: dict, name: str) -> str:
    for group in manifest.get("groups", []):
        if group.get("name") == name:
            return group["id"]
    raise ValueError(f"seed_transfer: group {name!r} is missing from manifest['groups']")


def _add_collection(session: Session, spec: CollectionSpec, users: dict[str, dict], root: Path) -> Collection:
    collection = Collection(
        id=collection_id(spec.slug),
        slug=spec.slug,
        display_name=spec.display_name,
        kind=spec.kind,
        owner_id=_identity(users, spec.owner),
        owner_string=spec.owner,
        description=spec.description,
        organization=ORGANIZATION,
        department=spec.department,
        contact_email="research-computing@example.edu",
        keywords=spec.keywords,
        host_collection_id=collection_id(spec.host) if spec.host else None,
        requires_data_access=spec.requires_data_access,
        public=spec.public,
        root_path=str(root),
    )
    session.add(collection)
    for username in spec.mapped_users:
        session.add(
            MappedIdentity(
                collection_id=collection.id,
                identity_id=_identity(users, username),
                local_username=username.split("@", 1)[0],
            )
        )
    return collection


def _add_permissions(session: Session, manifest: dict, users: dict[str, dict]) -> None:
    carol = _identity(users, "carol@example.edu")
    for slug, role in (
        ("cryoem-shared", "access_manager"),
        ("lab-archive", "administrator"),
        ("campus-cluster", "administrator"),
    ):
        session.add(
            RoleAssignment(collection_id=collection_id(slug), principal_type="identity", principal=carol, role=role)
        )
    rules = (
        ("cryoem-shared", "group", _group_id(manifest, "Cryo-EM Lab"), "rw"),
        ("alice-project", "identity", _identity(users, "bob@example.edu"), "r"),
        ("public-reference", "anonymous", "", "r"),
        ("public-reference", "all_authenticated_users", "", "r"),
    )
    for slug, principal_type, principal, permissions in rules:
        session.add(
            AclRule(
                collection_id=collection_id(slug),
                principal_type=principal_type,
                principal=principal,
                path="/",
                permissions=permissions,
                created_by=carol,
            )
        )


def seed_transfer(session: Session, manifest: dict, data_root: str | os.PathLike) -> None:
    """Create the collections, their files, roles and ACL rules; add them to `manifest`.

    Expects a fresh database; any existing folder of a seeded collection is replaced. The caller
    commits the session.
    """
    users = {user["username"]: user for user in manifest.get("users", [])}
    base_url = manifest.get("base_url", "").rstrip("/")
    data_root = Path(data_root)
    data_root.mkdir(parents=True, exist_ok=True)
    entries = []
    for spec in SPECS:
        root = data_root / collection_id(spec.slug)
        if root.exists():
            shutil.rmtree(root)
        populate_files(spec, root)
        collection = _add_collection(session, spec, users, root)
        entries.append(
            {
                "id": collection.id,
                "display_name": spec.display_name,
                "kind": spec.kind,
                "owner": spec.owner,
                "host_collection_id": collection.host_collection_id,
                "requires_data_access": spec.requires_data_access,
                "https_server": f"{base_url}/https/{collection.id}" if base_url and spec.kind != "personal" else None,
                "data_root": str(root),
            }
        )
    session.flush()
    _add_permissions(session, manifest, users)
    session.add(
        BigFolder(
            collection_id=collection_id(BIG_FOLDER_SLUG),
            path=BIG_FOLDER_PATH,
            entries=BIG_FOLDER_ENTRIES,
            created=False,
        )
    )
    session.flush()
    manifest["collections"] = entries
    manifest["big_folder"] = {
        "collection_id": collection_id(BIG_FOLDER_SLUG),
        "path": BIG_FOLDER_PATH,
        "entries": BIG_FOLDER_ENTRIES,
        "created": False,
    }
