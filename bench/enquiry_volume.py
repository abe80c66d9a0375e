"""What the operator's commands cost as enquiries pile up: `flask enquiries list`, `export` and
`purge` on 1,000, 10,000 and 50,000 enquiries stored in a temporary SQLite file.

    .venv/bin/python bench/enquiry_volume.py [--sizes 1000 10000 50000]

The enquiries came in evenly over the last year, each with a message of about 600 characters
and no CV (none of the three commands reads a CV); the older half is past the retention of 180
days, so `purge` deletes those that were delivered and gives their space back to the disk.
Each command runs as the operator runs it, `flask --app app ...` in a process of its own:
seconds from start to exit, the CPU seconds it used, and its peak memory. It prints figures
and asserts nothing.
"""

import argparse
import sys
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from harness import print_machine, temporary_folder
from measured import Measured, run_measured, site_environment

from openpositions.clock import utcnow
from openpositions.enquiries.intake.accept import new_reference
from openpositions.enquiries.models import FAILED, PENDING, SENT, Enquiry
from tests.support.processes import BIN

MESSAGE = (
    "Dear Professor Demir, I am finishing my MSc in computer science and would like to apply "
    "for the PhD position in deep learning for satellite image analysis. My thesis develops "
    "self-supervised methods for multispectral images, and I have worked with Sentinel-2 and "
    "Landsat archives in PyTorch. I would be glad to tell you more about my work and to learn "
    "whether the position is still open. My CV and transcripts are ready to send. With kind "
    "regards, "
)
BATCH = 5_000
RETENTION_DAYS = 180


def enquiry_row(number: int, count: int) -> dict[str, Any]:
    """Enquiry `number` of `count`, received evenly over the last year; mostly delivered."""
    received = utcnow() - timedelta(days=365 * (count - number) / count)
    status = PENDING if number % 50 == 0 else FAILED if number % 100 == 1 else SENT
    name = f"Applicant {number}"
    return {
        "reference": new_reference(),
        "created_at": received,
        "name": name,
        "email": f"applicant{number}@example.org",
        "transport_email": f"applicant{number}@example.org",
        "position_slug": "phd-deep-learning-satellite-images",
        "position_title": "PhD candidates in Deep Learning for Satellite Image Analysis",
        "message": MESSAGE + name,
        "language": "en",
        "fingerprint": f"{number:064d}",
        "status": status,
        "attempts": 1,
        "sent_at": received if status == SENT else None,
        "next_attempt_at": None if status == SENT else received,
    }


def store_enquiries(database: str, count: int) -> None:
    engine = sa.create_engine(database)
    with engine.begin() as connection:
        for start in range(0, count, BATCH):
            rows = [enquiry_row(n, count) for n in range(start, min(count, start + BATCH))]
            connection.execute(sa.insert(Enquiry), rows)
    engine.dispose()


def flask(env: dict[str, str], *args: str) -> Measured:
    measured = run_measured([BIN / "flask", "--app", "app", *args], env)
    if measured.exit_code != 0:
        sys.exit(f"flask {' '.join(args)} exited with {measured.exit_code}: {measured.output}")
    return measured


def row(what: str, measured: Measured, note: str) -> str:
    return (
        f"  {what:7} {measured.seconds:6.2f} s {measured.cpu_seconds:6.2f} s "
        f"{measured.peak_bytes / 2**20:6.0f} MB  {note}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 50_000])
    args = parser.parse_args()
    print_machine("sqlalchemy", "flask")
    for count in args.sizes:
        with temporary_folder("bench-enquiries-") as folder:
            database = folder / "enquiries.sqlite3"
            env = site_environment(
                SECRET_KEY="bench-enquiry-volume",
                INSTANCE_PATH=str(folder),
                SQLALCHEMY_DATABASE_URI=f"sqlite:///{database}",
                QUEUE_URL=f"sqlite:///{folder / 'queue.sqlite3'}",
                ENQUIRY_RETENTION_DAYS=str(RETENTION_DAYS),
            )
            flask(env, "db", "upgrade")  # The tables, as each deploy makes them.
            store_enquiries(f"sqlite:///{database}", count)
            print(f"{count:,} enquiries, database {database.stat().st_size / 2**20:.1f} MB")
            print(f"  {'command':7} {'wall':>8} {'CPU':>8} {'peak':>9}")
            listed = flask(env, "enquiries", "list")
            print(row("list", listed, f"{len(listed.output.splitlines())} lines"))
            csv = folder / "enquiries.csv"
            exported = flask(env, "enquiries", "export", "-o", str(csv))
            print(row("export", exported, f"{csv.stat().st_size / 2**20:.1f} MB of CSV"))
            purged = flask(env, "enquiries", "purge")
            deleted = purged.output.splitlines()[0]
            after = database.stat().st_size / 2**20
            print(row("purge", purged, f"{deleted} database then {after:.1f} MB"))


if __name__ == "__main__":
    main()
