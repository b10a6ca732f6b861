from datetime import timedelta

from django.core.management.base import CommandError

from scheduler_project.commandline.command import OperatorCommand
from scheduler_project.durations import parse_duration
from tasks_app.services.cleanup import Policy, cleanup, count


class Command(OperatorCommand):
    help = ("Delete final runs older than --older-than (a task's retention_days wins for its runs), "
            "in short batches, safe while the platform runs.")

    def add_arguments(self, parser):
        parser.add_argument("--older-than", required=True, help="age of the runs to delete: 30d, 12h, 90m, 2w")
        parser.add_argument("--keep-failed-days", type=int, help="keep failed/dead/timed_out/lost runs at least N days")
        parser.add_argument("--dry-run", action="store_true", help="count what would be deleted, delete nothing")
        parser.add_argument("--batch-size", type=int, default=5000, help="runs per transaction (default 5000)")
        parser.add_argument("--pause", type=float, default=0.05, help="seconds between batches (default 0.05)")

    def handle(self, *args, older_than, keep_failed_days, dry_run, batch_size, pause, **options):
        try:
            age = parse_duration(older_than)
        except ValueError as exc:
            raise CommandError(f"--older-than: {exc}") from None
        if keep_failed_days is not None and keep_failed_days < 0:
            raise CommandError(f"--keep-failed-days: {keep_failed_days} must be 0 or more")
        if batch_size < 1:
            raise CommandError(f"--batch-size: {batch_size} must be at least 1")
        if pause < 0:
            raise CommandError(f"--pause: {pause} must be 0 or more")
        policy = Policy(
            older_than=age, batch_size=batch_size, pause_seconds=pause,
            keep_failed=timedelta(days=keep_failed_days) if keep_failed_days is not None else None,
        )
        kept = f", failed ones kept {keep_failed_days}d" if keep_failed_days is not None else ""
        if dry_run:
            counts = count(policy)
            detail = ", ".join(f"{status} {n}" for status, n in sorted(counts.items())) or "nothing"
            total = sum(counts.values())
            self.stdout.write(f"dry run: would delete {total} run(s) older than {older_than}{kept}: {detail}")
            return
        self.stdout.write(f"deleting final runs older than {older_than}{kept}, {batch_size} per batch")

        def report(p):
            rate = p.deleted / p.elapsed if p.elapsed else 0.0
            self.stdout.write(f"batch {p.batches}: {p.deleted} deleted, up to id {p.last_id} of {p.max_id}, "
                              f"{rate:.0f} runs/s")

        done = cleanup(policy, on_batch=report)
        detail = ", ".join(f"{status} {n}" for status, n in sorted(done.by_status.items())) or "nothing"
        self.stdout.write(self.style.SUCCESS(
            f"deleted {done.deleted} run(s) in {done.batches} batch(es), {done.elapsed:.1f}s: {detail}"))
