"""Settings for the fuzz tests: a small budget in the normal suite, the `long` profile under PERFEVAL_FUZZ=long."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

LONG = os.environ.get("PERFEVAL_FUZZ") == "long"


def fuzz(examples: int) -> settings:
    """`examples` examples in the normal suite (sized for CI); the long profile's count when fuzzing long."""
    count = settings.get_profile("long").max_examples if LONG else examples
    return settings(
        max_examples=count,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )
