"""The page and enquiry benchmarks on both set-ups, summed up in one table.

Runs bench/pages.py's and bench/enquiry.py's measurements on the "embedded" set-up (SQLite
database and queue, in-process queue consumers, rate limits in memory, one gunicorn with 2
workers) and on the "shared" one (PostgreSQL, Redis queue and rate limits, two gunicorns with
1 worker each on two ports, a separate `flask queue worker`); setups.py says how each is started
and removed. When PostgreSQL or Redis cannot be reached the shared set-up is skipped, saying
why, and the embedded one still runs. With the defaults the whole run takes 3 to 4 minutes;
--duration, --rounds, --posts and --queued lengthen it.

The table has one row per set-up. Page req/s and static req/s: medians of wrk runs against
GET /openpositions and against the same bytes through Flask's static view in the same server
(goal: ratio at least 0.9). POST p50/p95: latency of the enquiry form with an instant SMTP
server and with one that holds every message 5 s (goal: p95 ratio slow / instant at most 1.2).
Delivery: mails per second a separate queue worker sends from a full queue. Lost: enquiries
accepted or stored but never mailed to the professor, in both enquiry runs (goal: 0, with
accepted == stored == professor mails with distinct Message-IDs). Only figures are printed.
"""

import argparse
import shutil
import sys
import time
import traceback

import enquiry
import pages
from _support import print_load, print_machine, run_main
from setups import SETUPS, SetupUnavailable, layout, service_versions, shared_unavailable

COLUMNS = (
    "set-up",
    "page req/s",
    "static req/s",
    "ratio",
    "POST p50/p95 instant",
    "p50/p95 slow (5 s)",
    "p95 ratio",
    "delivery mails/s",
    "lost",
)


def markdown_table(rows: list[list[str]]) -> str:
    """The rows under COLUMNS as a Markdown table, padded to line up in a terminal too."""
    widths = [
        max(len(row[index]) for row in [list(COLUMNS), *rows]) for index in range(len(COLUMNS))
    ]
    lines = [list(COLUMNS), ["-" * width for width in widths], *rows]
    return "\n".join(
        "| "
        + " | ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True))
        + " |"
        for line in lines
    )


def row(
    setup: str,
    page: pages.PagesResult | None,
    form: enquiry.EnquiryResult | None,
    failure: str | None,
) -> list[str]:
    cells = [setup]
    if page is not None:
        cells += [f"{page.page:.0f}", f"{page.static:.0f}", f"{page.ratio:.2f}"]
    else:
        cells += ["-", "-", "-"]
    if form is not None:
        f = form.form
        cells += [
            f"{f.ms('instant', 0.5):.0f} / {f.ms('instant', 0.95):.0f} ms",
            f"{f.ms('delayed', 0.5):.0f} / {f.ms('delayed', 0.95):.0f} ms",
            f"{form.p95_ratio:.2f}",
            f"{form.delivery.rate:.0f}",
            str(form.lost),
        ]
    else:
        cells += ["-"] * 5
    if failure:  # Its reason is printed under the table.
        what = failure.partition(":")[0]
        cells[-1] = what if cells[-1] == "-" else f"{cells[-1]} ({what})"
    return cells


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--setups", nargs="+", choices=SETUPS, default=list(SETUPS), help="set-ups to run"
    )
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="wrk runs of each page target")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections in all")
    parser.add_argument("--posts", type=int, default=200, help="timed posts per sink mode")
    parser.add_argument("--post-rounds", type=int, default=2, help="alternations of sink modes")
    parser.add_argument("--threads", type=int, default=4, help="client threads posting")
    parser.add_argument("--queued", type=int, default=500, help="enquiries for the rate test")
    parser.add_argument(
        "--queue-workers", type=int, default=2, help="delivery threads per queue consumer"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed. Install it with: apt-get install -y wrk", file=sys.stderr)
        return 2

    began = time.monotonic()
    packages = ("flask", "werkzeug", "gunicorn", "huey", "sqlalchemy", "psycopg", "redis")
    print_machine(*packages, "flask-limiter", "aiosmtpd")
    print(f"Servers: {service_versions()}; wrk: {pages.wrk_version()}\n")

    results: dict[str, tuple[pages.PagesResult | None, enquiry.EnquiryResult | None]] = {}
    failures: dict[str, str] = {}
    for setup in args.setups:
        reason = shared_unavailable() if setup == "shared" else None
        if reason:
            print(f"=== {setup}: SKIPPED, {reason}\n")
            failures[setup] = f"skipped: {reason}"
            continue
        page = form = None
        try:
            print(f"=== {setup}: pages")
            page = pages.measure(setup, args.duration, args.rounds, args.connections)
            print(f"\n=== {setup}: enquiries")
            form = enquiry.measure(
                setup, args.posts, args.post_rounds, args.threads, args.queued, args.queue_workers
            )
        except SetupUnavailable as unavailable:
            print(f"=== {setup}: SKIPPED, {unavailable}")
            failures[setup] = f"skipped: {unavailable}"
        except Exception as error:  # One set-up's failure must not hide the other's figures.
            traceback.print_exc()
            failures[setup] = f"failed: {type(error).__name__}"
        results[setup] = (page, form)
        print()

    rows = []
    for setup in args.setups:
        page, form = results.get(setup, (None, None))
        rows.append(row(setup, page, form, failures.get(setup)))
    print(f"Summary ({time.monotonic() - began:.0f} s in all)\n")
    print(markdown_table(rows))
    print()
    for setup in args.setups:
        page, form = results.get(setup, (None, None))
        goals = [failures[setup]] if setup in failures else []
        if page is None and form is None:
            print(f"{setup}: " + ("; ".join(goals) or "no figures"))
            continue
        if page is not None:
            goals.append(f"page >= {pages.GOAL} x static: {verdict(page.met)}")
        if form is not None:
            goals.append(f"p95 slow <= {enquiry.P95_GOAL} x instant: {verdict(form.latency_met)}")
            none_lost = verdict(form.none_lost)
            goals.append(f"no enquiry lost: {none_lost}")
            if not form.none_lost or form.repeated:
                f, d = form.form, form.delivery
                goals.append(
                    f"(a) accepted {f.accepted}, stored {f.stored}, professor {f.distinct}; "
                    f"(b) queued {d.queued}, stored {d.stored}, professor {d.distinct}; "
                    f"sent twice {form.repeated}"
                )
        print(f"{setup}: " + "; ".join(goals))
    print("\nSet-ups:")
    for setup in args.setups:
        print(f"  {setup}: {layout(setup, queue_workers=args.queue_workers)}")
    print(
        f"Pages: wrk, {args.rounds} runs of {args.duration} s per target in ABBA order, "
        f"{args.connections} connections and 2 threads in all (shared: one wrk -t1 per port "
        "at once, rates added), medians.\n"
        f"Enquiries: {args.posts} timed posts per SMTP mode by {args.threads} client threads "
        "(shared: round-robin over the ports); CSRF and the minimum fill time off, rate limit "
        f"on with a ceiling of {enquiry.RATE_LIMIT} (counted in memory / Redis); delivery: "
        f"{args.queued} queued enquiries (2 mails each), `flask queue worker --workers "
        f"{args.queue_workers}`."
    )
    print_load()
    return 0


if __name__ == "__main__":
    run_main(main)
