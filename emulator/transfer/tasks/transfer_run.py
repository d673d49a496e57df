"""Executing a TRANSFER task: walk the items and directory trees, apply filters and symlink rules.

Single files are handed to `FileCopier` (sync level, quota, pacing, retries, verification).
"""

from __future__ import annotations

import os
import shutil
import stat
import time
from collections.abc import Callable
from typing import Any

from emulator.transfer.storage.quota import QuotaGuard
from emulator.transfer.tasks.file_copier import FileCopier
from emulator.transfer.tasks.filter_rules import is_included
from emulator.transfer.tasks.progress import TaskFailed, TaskProgress
from emulator.transfer.tasks.runtime import (
    PathResolver,
    SourceError,
    child_display,
    temp_name,
)


class TransferRun:
    """Runs the items of one transfer task against the filesystem."""

    def __init__(
        self,
        *,
        task: Any,
        items: list[Any],
        progress: TaskProgress,
        resolver: PathResolver,
        settings: Any,
        quota_factory: Callable[[], QuotaGuard],
        done_destinations: set[str],
    ) -> None:
        self.task = task
        self.items = items
        self.progress = progress
        self.resolver = resolver
        self.rules = task.filter_rules
        self.copier = FileCopier(
            task=task,
            progress=progress,
            settings=settings,
            quota_factory=quota_factory,
            done_destinations=done_destinations,
            on_source_error=self._source_error,
        )
        # Real paths of the directories being walked, so a followed link cannot loop.
        self.walking: set[str] = set()
        self.item_destination = ""

    def run(self) -> None:
        """Transfer every unfinished item in submission order."""
        for item in self.items:
            self.progress.checkpoint()
            self.progress.begin_item()
            self._run_item(item)
            self.progress.add(subtasks_pending=-1, subtasks_succeeded=1)
            self.progress.item_done(item.id)

    # -- items -----------------------------------------------------------------------------
    def _run_item(self, item: Any) -> None:
        source_disp, dest_disp = item.source_path, item.destination_path
        try:
            source = self.resolver.source(item.source_path)
        except SourceError as err:
            self._source_error(err, source_disp, dest_disp, item.recursive)
            return
        destination = self.resolver.destination(item.destination_path)
        try:
            info = os.stat(source)
        except FileNotFoundError:
            self._source_error(
                SourceError("FILE_NOT_FOUND", f"No such file or directory: {source_disp}"),
                source_disp,
                dest_disp,
                item.recursive,
            )
            return
        except PermissionError:
            self._source_error(
                SourceError("PERMISSION_DENIED", f"Permission denied: {source_disp}"),
                source_disp,
                dest_disp,
                item.recursive,
            )
            return
        if item.recursive:
            if not stat.S_ISDIR(info.st_mode):
                raise TaskFailed("NOT_A_DIRECTORY", f"{source_disp} is not a directory; submit it without recursive.")
            real_source, real_dest = os.path.realpath(source), os.path.realpath(destination)
            if _within(real_dest, real_source):
                raise TaskFailed("INVALID_PATH", f"The destination {dest_disp} lies inside the source {source_disp}.")
            self.item_destination = real_dest
            self._copy_tree(str(source), info, str(destination), source_disp, dest_disp)
            return
        if stat.S_ISDIR(info.st_mode):
            raise TaskFailed("IS_A_DIRECTORY", f"{source_disp} is a directory; submit it with recursive=True.")
        self.progress.add(subtasks_total=1, subtasks_pending=1)
        self.resolver.make_parents(destination)
        self.copier.copy(str(source), info, str(destination), source_disp, dest_disp, item)

    def _source_error(
        self, err: SourceError, source_disp: str, dest_disp: str, is_dir: bool, *, counted_subtask: bool = False
    ) -> None:
        """A missing or unreadable source: skipped (skip_source_errors) or fatal."""
        if not self.task.skip_source_errors:
            raise TaskFailed(err.code, err.details)
        self.progress.result(
            kind="skipped",
            source_path=source_disp,
            destination_path=dest_disp,
            error_code=err.code,
            error_details=err.details,
            error_time=time.time(),
            is_directory=is_dir,
        )
        if counted_subtask:
            self.progress.add(subtasks_pending=-1, subtasks_skipped_errors=1)
        else:
            self.progress.add(subtasks_total=1, subtasks_skipped_errors=1)

    # -- directories -----------------------------------------------------------------------
    def _copy_tree(self, source: str, info: os.stat_result, destination: str, source_disp: str, dest_disp: str) -> None:
        self.progress.add(directories=1, subtasks_total=1, subtasks_succeeded=1)
        self.resolver.make_directory(destination, dest_disp)
        walking = os.path.realpath(source)
        self.walking.add(walking)
        try:
            self._copy_entries(source, destination, source_disp, dest_disp)
        finally:
            self.walking.discard(walking)
        if self.task.preserve_timestamp:
            os.utime(destination, ns=(info.st_atime_ns, info.st_mtime_ns))

    def _copy_entries(self, source: str, destination: str, source_disp: str, dest_disp: str) -> None:
        try:
            with os.scandir(source) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except FileNotFoundError:
            self._source_error(
                SourceError("FILE_NOT_FOUND", f"No such directory: {source_disp}"), source_disp, dest_disp, True
            )
            return
        except PermissionError:
            self._source_error(
                SourceError("PERMISSION_DENIED", f"Permission denied listing {source_disp}"),
                source_disp,
                dest_disp,
                True,
            )
            return
        kept: set[str] = set()
        for entry in entries:
            self.progress.checkpoint()
            if entry.is_symlink():
                kept.add(entry.name)
                self._symlink(entry, destination, source_disp, dest_disp)
                continue
            is_dir = entry.is_dir(follow_symlinks=False)
            if not is_included(self.rules, entry.name, is_dir):
                continue
            kept.add(entry.name)
            child_source, child_dest = (
                child_display(source_disp, entry.name, is_dir),
                child_display(dest_disp, entry.name, is_dir),
            )
            target = os.path.join(destination, entry.name)
            try:
                entry_info = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue  # vanished between listing and stat: nothing to copy
            if is_dir:
                self._copy_tree(entry.path, entry_info, target, child_source, child_dest)
            elif stat.S_ISREG(entry_info.st_mode):
                self.progress.add(subtasks_total=1, subtasks_pending=1)
                self.copier.copy(entry.path, entry_info, target, child_source, child_dest, None)
        if self.task.delete_destination_extra:
            self._delete_extras(destination, dest_disp, kept)

    def _symlink(self, entry: os.DirEntry, destination: str, source_disp: str, dest_disp: str) -> None:
        """recursive_symlinks: "ignore" skips links, "keep" recreates them, "copy" copies their targets."""
        self.progress.add(symlinks=1)
        mode = self.task.recursive_symlinks
        target = os.path.join(destination, entry.name)
        if mode == "keep":
            if is_included(self.rules, entry.name, False):
                temp = temp_name(target, self.task.id)
                os.symlink(os.readlink(entry.path), temp)
                try:
                    os.replace(temp, target)
                except OSError as err:
                    os.unlink(temp)
                    raise TaskFailed(
                        "FILE_EXISTS",
                        f"Cannot replace {child_display(dest_disp, entry.name, True)} with a symbolic link.",
                    ) from err
            return
        if mode != "copy":
            return
        real = os.path.realpath(entry.path)
        # A link is followed only to somewhere inside the source collection, and never in a loop.
        if not self.resolver.inside_source(real) or real in self.walking or _within(real, self.item_destination):
            return
        try:
            info = os.stat(real)
        except OSError:
            return  # a dangling link: nothing to copy
        is_dir = stat.S_ISDIR(info.st_mode)
        if not is_included(self.rules, entry.name, is_dir):
            return
        child_source = child_display(source_disp, entry.name, is_dir)
        child_dest = child_display(dest_disp, entry.name, is_dir)
        if is_dir:
            self._copy_tree(real, info, target, child_source, child_dest)
        elif stat.S_ISREG(info.st_mode):
            self.progress.add(subtasks_total=1, subtasks_pending=1)
            self.copier.copy(real, info, target, child_source, child_dest, None)

    def _delete_extras(self, destination: str, dest_disp: str, kept: set[str]) -> None:
        """delete_destination_extra: remove what the source does not have (filters still protect)."""
        with os.scandir(destination) as listing:
            extras = [
                entry for entry in listing if entry.name not in kept and not entry.name.startswith(".globus-part-")
            ]
        for entry in extras:
            self.progress.checkpoint()
            is_dir = entry.is_dir(follow_symlinks=False)
            if not is_included(self.rules, entry.name, is_dir):
                continue
            try:
                if is_dir:
                    shutil.rmtree(entry.path)
                else:
                    os.unlink(entry.path)
            except OSError as err:
                raise TaskFailed(
                    "PERMISSION_DENIED",
                    f"Could not delete {child_display(dest_disp, entry.name, is_dir)}: {err.strerror}",
                ) from err


def _within(path: str, folder: str) -> bool:
    """True when `path` is `folder` or lies below it (both already resolved)."""
    return bool(folder) and (path == folder or path.startswith(folder + os.sep))
