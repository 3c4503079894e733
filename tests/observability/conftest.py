from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """The exposition's samples, keyed by (name, sorted labels)."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(found: dict, name: str, **labels: str) -> float | None:
    return found.get((name, tuple(sorted(labels.items()))))


@pytest.fixture
def scrape(client):
    """``scrape(**headers)``: /metrics through the test client (from 127.0.0.1), its
    samples parsed; the test fails unless it answered 200."""

    def get(**extra) -> dict:
        response = client.get("/metrics", **extra)
        assert response.status_code == 200, response.content[:200]
        assert response["Content-Type"].startswith("text/plain; version=0.0.4")
        return samples(response.content.decode())

    return get
