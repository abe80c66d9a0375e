"""How fast one queue worker announces a new position to its confirmed subscribers, and how
much memory it takes doing it, at 1,000 and at 10,000 subscribers.

The site as one machine runs it: SQLite database and queue, an SMTP server in this process. The
subscribers are stored as confirmed (the form and its link have tests of their own), the seed
position as seen open before they confirmed. Then a content edit opens a postdoc position and
one `flask queue worker` starts: its scheduler runs the check at once (recording the opening,
storing the mails, subscribers read in batches), and its threads send the mails, many over
one connection. Mails a second from the first arrival to the last; the worker's peak memory
(its VmHWM) once the last has arrived. Every subscriber must get the alert exactly once.
It prints figures and asserts nothing.
"""

import argparse
import sqlite3
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from harness import print_machine, temporary_folder

from tests.support.content import SEED_SLUG, copy_content, write_position
from tests.support.net import free_port
from tests.support.processes import ProcessGroup, environment, site_files, upgrade_database
from tests.support.smtp import SmtpSink, serving

NEW_SLUG = "postdoc-benchmark-position"
GOAL = 146  # mails/s: enquiry delivery by one worker (docs/performance.md).


def site_settings(folder: Path, content: Path, smtp_port: int) -> dict[str, object]:
    return {
        "SECRET_KEY": "bench-alerts",
        **site_files(folder),
        "CONTENT_DIR": str(content),
        "SITE_URL": "https://positions.example.org",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp_port,
        "MAIL_DEFAULT_SENDER": "Bench <bench@example.org>",
        "QUEUE_IN_PROCESS": False,
    }


def store_subscribers(database: Path, count: int) -> None:
    """`count` confirmed subscriptions to postdoc positions, confirmed a day ago; the seed
    position seen open before that."""
    now = datetime.now(UTC).replace(tzinfo=None)
    confirmed, long_ago = now - timedelta(days=1), now - timedelta(days=30)
    with sqlite3.connect(database) as connection:
        connection.execute(
            "INSERT INTO alert_position (slug, category, opened_at) VALUES (?, 'phd', ?)",
            (SEED_SLUG, long_ago.isoformat(" ")),
        )
        connection.executemany(
            "INSERT INTO alert_subscription (id, email, transport_email, address, language,"
            " state, secret, asked_at, consented_at, consent_wording, confirmed_at,"
            " confirmations_sent) VALUES (?, ?, ?, ?, ?, 'confirmed', ?, ?, ?, 'I agree.', ?, 1)",
            (
                (
                    number,
                    f"subscriber{number}@example.org",
                    f"subscriber{number}@example.org",
                    f"subscriber{number}@example.org",
                    "de" if number % 3 == 0 else "en",
                    f"bench-key-{number:06d}",
                    confirmed.isoformat(" "),
                    confirmed.isoformat(" "),
                    confirmed.isoformat(" "),
                )
                for number in range(1, count + 1)
            ),
        )
        connection.executemany(
            "INSERT INTO alert_subscription_category (subscription_id, category)"
            " VALUES (?, 'postdoc')",
            ((number,) for number in range(1, count + 1)),
        )


def peak_memory_mb(pid: int) -> float:
    """A process's peak resident memory so far (VmHWM), in MB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def announce(count: int, sink: SmtpSink) -> tuple[float, float, float, int, int]:
    """(seconds to the first mail, mails/s, worker's peak MB, alerts, distinct recipients)."""
    with temporary_folder("bench-alerts-") as folder:
        content = copy_content(folder)
        env = environment(site_settings(folder, content, sink.port))
        upgrade_database(env)
        store_subscribers(folder / "site.sqlite3", count)
        write_position(
            content,
            NEW_SLUG,
            "A position opened for the benchmark.",
            title="Post-doc for the benchmark",
            category="postdoc",
            status="open",
            date_posted=date(2026, 12, 1),
            deadline=date(2099, 1, 31),
        )
        sink.reset()
        with ProcessGroup(folder / "logs") as processes:
            started = time.monotonic()
            worker = processes.queue_worker(env)
            sink.wait_for(1, timeout=120)
            first = time.monotonic()
            sink.wait_for(count, timeout=120 + count / 20)
            last = time.monotonic()
            peak = peak_memory_mb(worker.popen.pid)
    recipients = Counter(mail.rcpt_tos[0] for mail in sink.received)
    return first - started, (count - 1) / (last - first), peak, len(sink.received), len(recipients)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--subscribers", type=int, nargs="+", default=[1_000, 10_000], help="runs, by size"
    )
    args = parser.parse_args()
    print_machine("flask", "huey", "aiosmtpd", "sqlalchemy")
    with serving(SmtpSink(port=free_port())) as sink:
        for count in args.subscribers:
            to_first, rate, peak, mails, distinct = announce(count, sink)
            verdict = "met" if rate >= GOAL else "NOT met"
            print(
                f"{count:>6} subscribers: first mail after {to_first:.1f} s, "
                f"{rate:.0f} mails/s (goal at least {GOAL}: {verdict}), "
                f"worker's peak memory {peak:.0f} MB; {mails} alerts to {distinct} subscribers"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
