"""Helpers shared by the tests (and the benchmarks): one module for each kind of thing they do.

paths     the project folder
net       a free port; one HTTP request to a real server
waiting   polling until a condition holds
smtp      an SMTP server's handler that records what it received; mail headers as clients show them
receipts  the applicant's receipt among the mails received, and the private link it carries
app       the app on temporary files; what it stored and queued
forms     a valid enquiry and posting it, through the test client or over HTTP
pdfs      real PDF files of a chosen size
content   copies of the content files to break or add positions to
clock     a clock a test sets, for what is open on which day
html      reading a page's HTML as a person or a parser would
languages each page's address in each language; a page's hreflang links
processes gunicorn, the worker and other real processes on free ports
services  PostgreSQL and Redis for the tests that need them
nginx     the real nginx with the shipped configuration, substituted
visitor   a visitor with its own cookies, over HTTPS
lanes     the lanes of the suite (`make test-fast` runs none), and the guard that holds each
          test to its markers
"""
