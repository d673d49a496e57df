"""Copying one file of a transfer task: sync-level check, quota, paced chunks, retries, verification.

The bytes go into a hidden temporary file beside the destination, which is renamed into place only
when complete (and verified), so a cancel or crash never leaves half a file.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from emulator.transfer.storage.quota import QuotaExceeded, QuotaGuard
from emulator.transfer.tasks.pacing import Pacer, TransientFault, fault_offset
from emulator.transfer.tasks.progress import TaskFailed, TaskProgress
from emulator.transfer.tasks.runtime import SourceError, temp_name
from emulator.transfer.tasks.sync_level import file_checksum, needs_copy


class FileCopier:
    """Copies single files for one transfer task, keeping its counters and results."""

    def __init__(
        self,
        *,
        task: Any,
        progress: TaskProgress,
        settings: Any,
        quota_factory: Callable[[], QuotaGuard],
        done_destinations: set[str],
        on_source_error: Callable[..., None],
    ) -> None:
        self.task = task
        self.progress = progress
        self.settings = settings
        self.pacer = Pacer(lambda: int(settings.throughput), progress)
        self.quota_factory = quota_factory
        self.quota = quota_factory()
        # Destinations a previous run of this task already completed (only after a restart).
        self.done_destinations = done_destinations
        self.on_source_error = on_source_error

    def copy(
        self, source: str, info: os.stat_result, destination: str, source_disp: str, dest_disp: str, item: Any
    ) -> None:
        """Copy one file (unless the sync level says it is current), retrying transient faults."""
        if dest_disp in self.done_destinations:
            # Copied (and recorded) by this task before a restart: count it again, copy nothing.
            self.progress.add(
                files=1, files_transferred=1, bytes_transferred=info.st_size, subtasks_pending=-1, subtasks_succeeded=1
            )
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
                self.progress.event(
                    fault.code,
                    fault.description,
                    f"{source_disp} -> {dest_disp} (attempt {attempt}); retrying",
                    is_error=True,
                )
                self.progress.wait(min(0.2 * attempt, 2.0))
            except SourceError as err:
                if retrying:
                    self.progress.add(subtasks_retrying=-1, subtasks_pending=1)
                self.on_source_error(err, source_disp, dest_disp, False, counted_subtask=True)
                return
        self.progress.add(
            files_transferred=1,
            subtasks_succeeded=1,
            **({"subtasks_retrying": -1} if retrying else {"subtasks_pending": -1}),
        )
        self.progress.result(
            kind="success",
            source_path=source_disp,
            destination_path=dest_disp,
            size=info.st_size,
            checksum=checksum,
            checksum_algorithm=(algorithm or "MD5") if checksum else None,
        )

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

    def _copy_attempt(
        self, source: str, info: os.stat_result, destination: str, algorithm: str | None, external: str | None
    ) -> str | None:
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
                            raise TransientFault(
                                "CONNECTION_RESET", "connection reset during data transfer (injected transient fault)"
                            )
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
            raise TaskFailed(
                "CHECKSUM_MISMATCH",
                f"The source checksum {source_sum} does not match the external checksum {external}.",
            )
        if self.task.verify_checksum:
            dest_sum = file_checksum(temp, algorithm, self._count_checksummed)
            if dest_sum != source_sum:
                raise TransientFault(
                    "CHECKSUM_MISMATCH", f"checksum mismatch after transfer ({source_sum} != {dest_sum})"
                )
        return source_sum
