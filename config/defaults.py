"""Documented defaults for every setting.

Each one can be overridden by an environment variable named FLASK_<NAME>; values there are
parsed as JSON where they can be (FLASK_MAIL_PORT=587 arrives as an int, FLASK_MAIL_USE_TLS=true
as a bool). Paths that are not absolute are taken relative to the project folder.
"""

# Signs sessions and form tokens. Leave unset to have one generated on first start and kept in
# the instance folder (instance/secret_key). Several instances behind a load balancer must
# share one: set FLASK_SECRET_KEY to the same long random value on each.
SECRET_KEY = None

# Where the site keeps what it writes: the generated secret key, the SQLite database and queue,
# and a copy of the content as it last loaded without errors (served by a start on broken files).
INSTANCE_PATH = "instance"

# Where the group's content lives: site.yaml and positions/*.md.
CONTENT_DIR = "config"
# How often (seconds) each process looks, in a thread of its own, whether a content file was
# edited, added or removed, and loads it again; an edit then shows without a restart, and no
# request waits for the load. 0 looks before every request instead, as debug mode does.
CONTENT_CHECK_INTERVAL = 1

# Public base URL of the site (e.g. "https://www.bigearth.eu"), used for canonical and hreflang
# links, the sitemap, the feed, structured data and mails. Empty: taken from each request. The
# private link in the applicant's receipt needs it (the receipt is composed outside any
# request): without it, there is none.
SITE_URL = ""

# Languages offered. The first is at the addresses without a prefix (/openpositions) and is
# the x-default; each other one under /<code>/ (/de/openpositions).
LANGUAGES = ["en", "de"]
# The compiled catalogues of the site's own text (`make` compiles them on install).
BABEL_TRANSLATION_DIRECTORIES = "translations"
BABEL_DEFAULT_LOCALE = "en"

# The group's time zone (an IANA name): deadlines end at midnight here (a position is open to the
# end of its deadline day), and times shown to the professor and the operator are in it.
TIMEZONE = "Europe/Berlin"

# How long browsers and proxies (nginx's edge cache among them) may keep a page before asking
# again (seconds): a content edit shows everywhere within this time. Pages carry an ETag, so
# asking again is cheap: a 304 with no body.
PAGE_MAX_AGE = 60

# How long browsers keep the stylesheet and icons (seconds). Their addresses carry a hash of
# their content (?v=...), so a changed file is fetched anew at once.
SEND_FILE_MAX_AGE_DEFAULT = 365 * 24 * 3600

# Largest request body accepted (bytes). Larger is refused with a page of its own (413) that links
# back to the form. Up to it, documents over their limits (each file's, which
# MAIL_MAX_MESSAGE_SIZE sets, and all files' together, ENQUIRY_MAX_DOCUMENTS_SIZE) get the form
# back with everything typed and an error on the file: so this is well above those limits, as
# scanned documents from phones often are. nginx's client_max_body_size must be at least this.
MAX_CONTENT_LENGTH = 32 * 1024 * 1024

# The most all documents of one enquiry may take together (bytes), as the form says. Each file
# must also fit a mail of its own (MAIL_MAX_MESSAGE_SIZE); those that do not fit the first mail
# together follow it in mails of their own. Keep MAX_CONTENT_LENGTH well above it.
ENQUIRY_MAX_DOCUMENTS_SIZE = 25_000_000

# The most all documents held for forms shown again (after a mistake, for up to two hours) may
# take together (bytes). Past it, an applicant is asked to choose the file again when sending: a
# flood of uploads can fill neither the database nor the disk.
HELD_CV_QUOTA = 200_000_000

# --- Enquiries ---------------------------------------------------------------------------------

# Where enquiries are stored: any SQLAlchemy URL. Empty: a SQLite file in the instance folder.
# PostgreSQL: "postgresql+psycopg://user:password@host/dbname".
SQLALCHEMY_DATABASE_URI = ""

# Who receives enquiries. Empty: the contact person's address in config/site.yaml.
ENQUIRY_RECIPIENT = ""
# Send the applicant a receipt with their reference.
ENQUIRY_ACKNOWLEDGE = True
# Language of the mail to the professor (the applicant's receipt is in the applicant's).
ENQUIRY_MAIL_LANGUAGE = "en"
# A form sent back sooner than this after the visitor first saw it comes back to be checked and
# sent again, rather than accepted (seconds; 0 turns it off).
ENQUIRY_MIN_SECONDS = 3
# How many enquiries one sender's email address may have accepted (Flask-Limiter notation).
# Counted per address, not per network: many candidates share one IP address (eduroam, a
# university's NAT, a mobile carrier). Rejected forms, typos and traps do not count.
ENQUIRY_RATE_LIMIT = "5 per hour; 20 per day"
# How many times one network may send the form at all, accepted or not: stops floods. An IPv4
# address (which may be a whole campus) or an IPv6 /64. A person sends the form one to four
# times (a mistake, a language switch), so an hour's limit leaves room for some thirty people
# behind one campus NAT, far more than one group's form sees from one campus.
ENQUIRY_FLOOD_LIMIT = "120 per hour; 1000 per day"
# Delivery retries: the first after this many seconds, then doubling, at most the maximum
# apart, for about this long in all; then the enquiry is marked failed.
ENQUIRY_RETRY_DELAY = 60
ENQUIRY_RETRY_MAX_DELAY = 4 * 3600
ENQUIRY_RETRY_FOR = 24 * 3600
# Longest one delivery attempt may take before another worker may try the same enquiry.
# Longer than both mails of an enquiry may take: twice MAIL_DATA_TIMEOUT and a few MAIL_TIMEOUTs.
ENQUIRY_DELIVERY_LEASE = 1800
# A pending enquiry this long after it was received (seconds) is reported to the operator, once.
ENQUIRY_ALERT_AFTER = 3600
# An enquiry that failed for good and is still not delivered this long after (seconds) makes its
# applicant a mail, in their language, with the reference and the group office's address: once,
# unless the operator fixed the cause and resent it meanwhile.
ENQUIRY_FAILURE_NOTICE_AFTER = 24 * 3600
# A pending enquiry whose next try is this overdue lost its queued task and is queued again.
ENQUIRY_SWEEP_GRACE = 300
# Delivered enquiries and their CVs are deleted this many days after they came in (a whole number,
# at least 1). One never delivered (pending or failed) is kept, however old, until it is.
ENQUIRY_RETENTION_DAYS = 180

# email-validator's DNS check that the address's domain takes mail: off, as it needs DNS.
EMAIL_CHECK_DELIVERABILITY = False
EMAIL_DNS_TIMEOUT = 5

# --- Job alerts --------------------------------------------------------------------------------

# How often (seconds, at most) the site checks for positions that opened and mails their alerts;
# rounded up to whole minutes, as the queue's scheduler ticks each minute. Alerts need SITE_URL:
# without it the site offers none, as their links could not say where it is.
ALERTS_INTERVAL = 600
# How many times one network may send the alerts form at all (Flask-Limiter notation), as the
# enquiry form's ENQUIRY_FLOOD_LIMIT; each address gets at most three confirmation mails a day
# besides, whoever asks.
ALERTS_FLOOD_LIMIT = "60 per hour; 500 per day"

# --- Mail (Flask-Mail) -------------------------------------------------------------------------

# The defaults send to the local development sink that `make run` starts; point these at a
# real relay in production.
MAIL_SERVER = "127.0.0.1"
MAIL_PORT = 8025
MAIL_USE_TLS = False
MAIL_USE_SSL = False
MAIL_USERNAME = None
MAIL_PASSWORD = None
# The site's own address: From of every mail. The applicant is only ever in Reply-To.
MAIL_DEFAULT_SENDER = "RSiM open positions <positions@localhost>"
# Seconds before a silent mail server counts as down (the delivery is then retried): for
# connecting, and for the answer to each command.
MAIL_TIMEOUT = 30
# Seconds the mail server may take to answer the message itself, once it has all of it: RFC 5321
# (4.5.3.2.6) allows 10 minutes, as a relay may scan or pass on a message first. Giving up
# sooner would send the mail again, which the relay may have taken: the professor gets two.
MAIL_DATA_TIMEOUT = 600
# The largest message (bytes) the relay takes: Postfix's default message_size_limit. It decides
# the largest CV the form accepts (about 7.3 MB here: base64 makes a file a third larger).
MAIL_MAX_MESSAGE_SIZE = 10_240_000
# How long (seconds) each process keeps its last check of the relay, which /readyz and /metrics
# report: a connection that sends nothing (greeting, EHLO, STARTTLS and login as configured,
# NOOP, QUIT). 0 turns the check off.
MAIL_RELAY_CHECK_INTERVAL = 60
# Who is told, by mail, when an enquiry fails for good or waits longer than
# ENQUIRY_ALERT_AFTER: the site's operator. Empty: the log only.
OPERATOR_EMAIL = ""

# --- Queue (Huey) ------------------------------------------------------------------------------

# Empty: a SQLite file in the instance folder. "redis://host:6379/0" for Redis.
QUEUE_URL = ""
# The queue's name: its key prefix in Redis, so that several sites can share one Redis.
QUEUE_NAME = "openpositions"
# Seconds before an unanswering Redis counts as down (requests never wait longer on it).
QUEUE_REDIS_TIMEOUT = 2
# Deliver from background threads of the web process. Turn off when a separate
# `flask queue worker` runs.
QUEUE_IN_PROCESS = True
QUEUE_WORKERS = 2

# --- Rate limits (Flask-Limiter) ---------------------------------------------------------------

RATELIMIT_ENABLED = True
# "memory://" counts per process; "redis://host:6379/1" shares counts between instances.
RATELIMIT_STORAGE_URI = "memory://"
RATELIMIT_HEADERS_ENABLED = True
# When the shared storage (Redis) cannot be reached, go on limiting per process rather than
# failing requests, and switch back when it returns. Short timeouts keep a dead Redis from
# stalling requests.
RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 1}
RATELIMIT_KEY_PREFIX = "openpositions"

# --- Security ----------------------------------------------------------------------------------

# Served over HTTPS: redirect http:// to https://, send HSTS, mark cookies Secure. On in
# production; off for `make run` on http://127.0.0.1.
HTTPS = False
# How many reverse proxies of our own stand in front of the site (nginx: 1). Their
# X-Forwarded-For/-Proto/-Host are believed, no one else's. 0: the site faces clients directly.
TRUSTED_PROXIES = 0
# The shipped nginx adds the security headers that are the same on every answer (CSP,
# Permissions-Policy, X-Frame-Options, X-Content-Type-Options, HSTS): on, the site leaves them
# out, so that the pages nginx stores are smaller and answered faster. Only behind that nginx;
# anywhere else (`make run`, another proxy) the site must send them itself, as it does when off.
EDGE_ADDS_SECURITY_HEADERS = False
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Log level of the site's own log lines (events such as "Enquiry RS-... received").
LOG_LEVEL = "INFO"

# --- Monitoring --------------------------------------------------------------------------------

# /metrics (Prometheus' text format) answers loopback clients only, which behind a proxy of our
# own (TRUSTED_PROXIES) means the real client, not the proxy. Set a long random token to let
# Prometheus scrape from elsewhere: then only a request with "Authorization: Bearer <token>" is
# answered, from anywhere, loopback included. Refused requests get the site's ordinary 404.
METRICS_TOKEN = ""
