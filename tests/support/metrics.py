"""Reading /metrics as Prometheus does: with prometheus_client's own text parser."""

from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

# Every counter the site exposes (sample names), for the tests that check none goes down.
COUNTERS = (
    "openpositions_enquiries_accepted_total",
    "openpositions_enquiries_sent_total",
    "openpositions_enquiries_failed_total",
    "openpositions_enquiries_resent_total",
    "openpositions_enquiries_withdrawn_total",
    'openpositions_spam_caught_total{trap="honeypot"}',
    'openpositions_spam_caught_total{trap="too_fast"}',
    "openpositions_enquiry_delivery_attempts_total",
    "openpositions_enquiry_send_duration_seconds_count",
    "openpositions_enquiry_send_duration_seconds_sum",
)


def parse_metrics(text: str) -> dict[str, float]:
    """Each sample's value by its name, with its labels as the exposition writes them."""
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f'{name}="{value}"' for name, value in sorted(sample.labels.items()))
            samples[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return samples


def metric_types(text: str) -> dict[str, str]:
    """Each metric family's type (counter, gauge, summary) by the family's name."""
    return {family.name: family.type for family in text_string_to_metric_families(text)}


def scrape(client: FlaskClient) -> dict[str, float]:
    """GET /metrics from the test client (a loopback client), which must answer 200."""
    response = client.get("/metrics")
    assert response.status_code == 200, response.status
    return parse_metrics(response.get_data(as_text=True))
