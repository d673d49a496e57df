"""Executing a TRANSFER task: walk the items, apply filters and sync level, really copy the bytes.

Each file is copied in chunks into a hidden temporary file beside its destination and renamed
into place only when complete (and verified), so a cancel or crash never leaves half a file.
"""
from __future__ import annotations

import os
import shutil
import stat
import time
from typing import Any, Callable

from emulator.transfer.filters import is_included
from emulator.transfer.quota import QuotaExceeded, QuotaGuard
from emulator.transfer.sync import file_checksum, needs_copy
from emulator.transfer.task_pacing import Pacer, TransientFault, fault_offset
from emulator.transfer.task_progress import TaskFailed, TaskProgress
from emulator.transfer.task_runtime import PathResolver, SourceError, child_display, temp_name

class TransferRun:
    """Runs the items of one transfer task against the filesystem."""

    def __init__(self, *, task: Any, items: list[Any], progress: TaskProgress, resolver: PathResolver,
                 settings: Any, quota_factory: Callable[[], QuotaGuard], done_destinations: set[str]) -> None:
        self.task = task
        self.items = items
        self.progress = progress
        self.resolver = resolver
        self.settings = settings
        self.rules = task.filter_rules
        self.pacer = Pacer(lambda: int(settings.throughput), progress)
        self.quota_factory = quota_factory
        self.quota = quota_factory()
        # Destinations a previous run of this task already completed (only after a restart).
        self.done_destinations = done_destinations

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
            self._source_error(SourceError("FILE_NOT_FOUND", f"No such file or directory: {source_disp}"),
                               source_disp, dest_disp, item.recursive)
            return
        except PermissionError:
            self._source_error(SourceError("PERMISSION_DENIED", f"Permission denied: {source_disp}"),
                               source_disp, dest_disp, item.recursive)
            return
        if item.recursive:
            if not stat.S_ISDIR(info.st_mode):
                raise TaskFailed("NOT_A_DIRECTORY", f"{source_disp} is not a directory; submit it without recursive.")
            real_source, real_dest = os.path.realpath(source), os.path.realpath(destination)
            if real_dest == real_source or real_dest.startswith(real_source + os.sep):
                raise TaskFailed("INVALID_PATH", f"The destination {dest_disp} lies inside the source {source_disp}.")
            self._copy_tree(str(source), info, str(destination), source_disp, dest_disp)
            return
        if stat.S_ISDIR(info.st_mode):
            raise TaskFailed("IS_A_DIRECTORY", f"{source_disp} is a directory; submit it with recursive=True.")
        self.progress.add(subtasks_total=1, subtasks_pending=1)
        self.resolver.make_parents(destination)
        self._copy_file(str(source), info, str(destination), source_disp, dest_disp, item)

    def _source_error(self, err: SourceError, source_disp: str, dest_disp: str, is_dir: bool,
                      *, counted_subtask: bool = False) -> None:
        """A missing or unreadable source: skipped (skip_source_errors) or fatal."""
        if not self.task.skip_source_errors:
            raise TaskFailed(err.code, err.details)
        self.progress.result(kind="skipped", source_path=source_disp, destination_path=dest_disp,
                             error_code=err.code, error_details=err.details, error_time=time.time(),
                             is_directory=is_dir)
        if counted_subtask:
            self.progress.add(subtasks_pending=-1, subtasks_skipped_errors=1)
        else:
            self.progress.add(subtasks_total=1, subtasks_skipped_errors=1)

    # -- directories -----------------------------------------------------------------------
    def _copy_tree(self, source: str, info: os.stat_result, destination: str, source_disp: str, dest_disp: str) -> None:
        self.progress.add(directories=1, subtasks_total=1, subtasks_succeeded=1)
        self.resolver.make_directory(destination, dest_disp)
        try:
            with os.scandir(source) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except FileNotFoundError:
            self._source_error(SourceError("FILE_NOT_FOUND", f"No such directory: {source_disp}"),
                               source_disp, dest_disp, True)
            return
        except PermissionError:
            self._source_error(SourceError("PERMISSION_DENIED", f"Permission denied listing {source_disp}"),
                               source_disp, dest_disp, True)
            return
        kept: set[str] = set()
        for entry in entries:
            self.progress.checkpoint()
            if entry.is_symlink():
                # recursive_symlinks "ignore": links are counted, never followed or copied.
                self.progress.add(symlinks=1)
                kept.add(entry.name)
                continue
            is_dir = entry.is_dir(follow_symlinks=False)
            if not is_included(self.rules, entry.name, is_dir):
                continue
            kept.add(entry.name)
            child_source, child_dest = child_display(source_disp, entry.name, is_dir), child_display(dest_disp, entry.name, is_dir)
            target = os.path.join(destination, entry.name)
            try:
                entry_info = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue  # vanished between listing and stat: nothing to copy
            if is_dir:
                self._copy_tree(entry.path, entry_info, target, child_source, child_dest)
            elif stat.S_ISREG(entry_info.st_mode):
                self.progress.add(subtasks_total=1, subtasks_pending=1)
                self._copy_file(entry.path, entry_info, target, child_source, child_dest, None)
        if self.task.delete_destination_extra:
            self._delete_extras(destination, dest_disp, kept)
        if self.task.preserve_timestamp:
            os.utime(destination, ns=(info.st_atime_ns, info.st_mtime_ns))

    def _delete_extras(self, destination: str, dest_disp: str, kept: set[str]) -> None:
        """delete_destination_extra: remove what the source does not have (filters still protect)."""
        with os.scandir(destination) as listing:
            extras = [entry for entry in listing if entry.name not in kept and not entry.name.startswith(".globus-part-")]
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
                raise TaskFailed("PERMISSION_DENIED",
                                 f"Could not delete {child_display(dest_disp, entry.name, is_dir)}: {err.strerror}") from err

    # -- files -----------------------------------------------------------------------------
    def _copy_file(self, source: str, info: os.stat_result, destination: str,
                   source_disp: str, dest_disp: str, item: Any) -> None:
        if dest_disp in self.done_destinations:
            # Copied (and recorded) by this task before a restart: count it again, copy nothing.
            self.progress.add(files=1, files_transferred=1, bytes_transferred=info.st_size,
                              subtasks_pending=-1, subtasks_succeeded=1)
            return
        self.progress.add(files=1)
        if os.path.isdir(destination) and not os.path.islink(destination):
            raise TaskFailed("IS_A_DIRECTORY", f"The destination {dest_disp} is a directory.")
        if self.task.sync_level is not None and not needs_copy(
            self.task.sync_level, source, info, destination, self._checksum_for_sync
        ):
            self.progress.add(files_skipped=1, subtasks_pending=-1, subtasks_succeeded=1)
            return
        algorithm = item.checksum_algorithm if item is not None else None
        external = item.external_checksum if item is not None else None
        attempt, retrying = 0, False
        while True:
            try:
                self._wait_for_quota(destination, info.st_size)
                checksum = self._copy_attempt(source, info, destination, algorithm, external)
                break
            except TransientFault as fault:
                attempt += 1
                self.progress.add(faults=1)
                if not retrying:
                    self.progress.add(subtasks_pending=-1, subtasks_retrying=1)
                    retrying = True
                self.progress.event(fault.code, fault.description,
                                    f"{source_disp} -> {dest_disp} (attempt {attempt}); retrying", is_error=True)
                self.progress.wait(min(0.2 * attempt, 2.0))
            except SourceError as err:
                if retrying:
                    self.progress.add(subtasks_retrying=-1, subtasks_pending=1)
                self._source_error(err, source_disp, dest_disp, False, counted_subtask=True)
                return
        self.progress.add(files_transferred=1, subtasks_succeeded=1,
                          **({"subtasks_retrying": -1} if retrying else {"subtasks_pending": -1}))
        self.progress.result(kind="success", source_path=source_disp, destination_path=dest_disp,
                             size=info.st_size, checksum=checksum,
                             checksum_algorithm=(algorithm or "MD5") if checksum else None)

    def _checksum_for_sync(self, path: str) -> str:
        return file_checksum(path, None, self._count_checksummed)

    def _count_checksummed(self, count: int) -> None:
        self.progress.add(bytes_checksummed=count)
        self.progress.checkpoint()

    def _wait_for_quota(self, destination: str, size: int) -> None:
        existing = os.path.getsize(destination) if os.path.isfile(destination) else 0
        reported = False
        while True:
            try:
                self.quota.check(size - existing)
                return
            except QuotaExceeded as err:
                if self.task.fail_on_quota_errors:
                    raise TaskFailed("QUOTA_EXCEEDED", str(err)) from err
                if not reported:
                    # Without fail_on_quota_errors Transfer keeps retrying until space frees up.
                    self.progress.add(faults=1)
                    self.progress.event("QUOTA_EXCEEDED", "quota exceeded", str(err), is_error=True)
                    self.progress.set_nice_status("QUOTA_EXCEEDED", "Destination quota exceeded", str(err))
                    reported = True
                self.progress.wait(1.0)
                self.quota = self.quota_factory()
                if reported and self._quota_fits(size - existing):
                    self.progress.set_nice_status("OK", "OK")

    def _quota_fits(self, growth: int) -> bool:
        try:
            self.quota.check(growth)
        except QuotaExceeded:
            return False
        return True

    def _copy_attempt(self, source: str, info: os.stat_result, destination: str,
                      algorithm: str | None, external: str | None) -> str | None:
        temp = temp_name(destination, self.task.id)
        fault_at = fault_offset(info.st_size, float(self.settings.fault_rate))
        copied = 0
        try:
            try:
                reader = open(source, "rb")  # noqa: SIM115 - closed in the finally below
            except FileNotFoundError:
                raise SourceError("FILE_NOT_FOUND", f"No such file: {source}") from None
            except PermissionError:
                raise SourceError("PERMISSION_DENIED", f"Permission denied reading {source}") from None
            try:
                with open(temp, "wb") as writer:
                    while True:
                        self.progress.checkpoint()
                        if fault_at is not None and copied >= fault_at:
                            raise TransientFault("CONNECTION_RESET",
                                                 "connection reset during data transfer (injected transient fault)")
                        data = reader.read(self.pacer.chunk_size())
                        if not data:
                            break
                        writer.write(data)
                        copied += len(data)
                        self.progress.add(bytes_transferred=len(data))
                        self.pacer.spend(len(data))
            finally:
                reader.close()
            checksum = self._verify(source, temp, algorithm, external)
            self.quota.commit(copied - (os.path.getsize(destination) if os.path.isfile(destination) else 0))
            os.replace(temp, destination)
            if self.task.preserve_timestamp:
                os.utime(destination, ns=(info.st_atime_ns, info.st_mtime_ns))
            return checksum
        except TransientFault:
            # The bytes of a failed attempt do not count; the retry moves them again.
            self.progress.add(bytes_transferred=-copied)
            raise
        finally:
            if os.path.lexists(temp):
                os.unlink(temp)

    def _verify(self, source: str, temp: str, algorithm: str | None, external: str | None) -> str | None:
        """verify_checksum / external_checksum: re-read both sides and compare their checksums."""
        if not self.task.verify_checksum and external is None:
            return None
        source_sum = file_checksum(source, algorithm, self._count_checksummed)
        if external is not None and source_sum != external:
            raise TaskFailed("CHECKSUM_MISMATCH",
                             f"The source checksum {source_sum} does not match the external checksum {external}.")
        if self.task.verify_checksum:
            dest_sum = file_checksum(temp, algorithm, self._count_checksummed)
            if dest_sum != source_sum:
                raise TransientFault("CHECKSUM_MISMATCH",
                                     f"checksum mismatch after transfer ({source_sum} != {dest_sum})")
        return source_sum

