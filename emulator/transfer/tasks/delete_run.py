"""Executing a DELETE task: remove files, and with `recursive` whole folders, from one collection.

Symlinks are deleted, never followed. With `interpret_globs` the last name of a path may hold
`*`, `?` and `[...]` patterns (a backslash escapes them); with `ignore_missing` an absent path is
not an error.
"""

from __future__ import annotations

import os
import re
import stat
from fnmatch import fnmatchcase
from typing import Any

from emulator.transfer.tasks.progress import TaskFailed, TaskProgress
from emulator.transfer.tasks.runtime import PathResolver, child_display

GLOB_CHARS = re.compile(r"(?<!\\)[*?\[]")
ESCAPED_CHAR = re.compile(r"\\([*?\[\]\\])")


def split_glob(path: str) -> tuple[str, str | None]:
    """("parent", pattern) when the last name holds an unescaped wildcard, else (literal path, None)."""
    parent, _, name = path.rstrip("/").rpartition("/")
    if not GLOB_CHARS.search(name):
        if "\\" not in name:
            return path, None
        return parent + "/" + ESCAPED_CHAR.sub(r"\1", name), None
    return (parent or "/"), name


def pattern_matches(pattern: str, name: str) -> bool:
    """fnmatch where a backslash makes the next wildcard character literal."""
    translated = re.sub(r"\\([*?\[\]])", r"[\1]", pattern)
    return fnmatchcase(name, translated)


class DeleteRun:
    """Runs the items of one delete task against the filesystem."""

    def __init__(self, *, task: Any, items: list[Any], progress: TaskProgress, resolver: PathResolver) -> None:
        self.task = task
        self.items = items
        self.progress = progress
        self.resolver = resolver

    def run(self) -> None:
        """Delete every unfinished item in submission order."""
        for item in self.items:
            self.progress.checkpoint()
            self.progress.begin_item()
            for display in self._targets(item.source_path):
                self._delete_path(display)
            self.progress.add(subtasks_pending=-1, subtasks_succeeded=1)
            self.progress.item_done(item.id)

    def _targets(self, path: str) -> list[str]:
        if not self.task.interpret_globs:
            return [path]
        parent, pattern = split_glob(path)
        if pattern is None:
            return [parent]
        folder = self.resolver.delete_target(parent)
        try:
            with os.scandir(folder) as listing:
                names = sorted(entry.name for entry in listing if pattern_matches(pattern, entry.name))
        except (FileNotFoundError, NotADirectoryError):
            names = []
        if not names and not self.task.ignore_missing:
            raise TaskFailed("FILE_NOT_FOUND", f"No file or directory matches {path}.")
        return [child_display(parent, name, False) for name in names]

    def _delete_path(self, display: str) -> None:
        target = self.resolver.delete_target(display)
        if target == self.resolver.root_of_delete():
            raise TaskFailed("PERMISSION_DENIED", "The root of a collection cannot be deleted.")
        try:
            info = os.lstat(target)
        except FileNotFoundError:
            if self.task.ignore_missing:
                return
            raise TaskFailed("FILE_NOT_FOUND", f"No such file or directory: {display}") from None
        self.progress.add(subtasks_total=1, subtasks_pending=1)
        if stat.S_ISDIR(info.st_mode):
            if not self.task.recursive:
                raise TaskFailed("IS_A_DIRECTORY", f"{display} is a directory; submit the delete with recursive=True.")
            self._delete_tree(str(target))
        else:
            self._unlink(str(target), info)
        self.progress.add(subtasks_pending=-1, subtasks_succeeded=1)

    def _unlink(self, path: str, info: os.stat_result) -> None:
        try:
            os.unlink(path)
        except FileNotFoundError:
            return
        except OSError as err:
            raise TaskFailed("PERMISSION_DENIED", f"Could not delete {path}: {err.strerror}") from err
        self.progress.add(**({"symlinks": 1} if stat.S_ISLNK(info.st_mode) else {"files": 1}))

    def _delete_tree(self, folder: str) -> None:
        """Depth-first removal that counts what it deletes and stays cancellable."""
        stack = [(folder, False)]
        while stack:
            path, listed = stack.pop()
            self.progress.checkpoint()
            if listed:
                try:
                    os.rmdir(path)
                except FileNotFoundError:
                    continue
                except OSError as err:
                    raise TaskFailed("PERMISSION_DENIED", f"Could not delete {path}: {err.strerror}") from err
                self.progress.add(directories=1)
                continue
            stack.append((path, True))
            try:
                with os.scandir(path) as listing:
                    entries = list(listing)
            except OSError as err:
                raise TaskFailed("PERMISSION_DENIED", f"Could not list {path}: {err.strerror}") from err
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append((entry.path, False))
                else:
                    self.progress.checkpoint()
                    try:
                        info = entry.stat(follow_symlinks=False)
                    except FileNotFoundError:
                        continue
                    self._unlink(entry.path, info)
