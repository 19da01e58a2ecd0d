from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, Phase, settings
from hypothesis.database import DirectoryBasedExampleDatabase

# Property tests (docs/reliability.md "Property tests"). The default profile, used by every plain
# pytest run and by .ci/run, is derandomized: the same examples on every run and machine, so CI
# never fails at random. `nox -s properties` selects "explore" (HYPOTHESIS_PROFILE=explore): random
# seeds, a larger budget (ATTESTVERIFY_PROPERTY_SCALE), failures kept in a local example database
# and printed with a reproduction blob, to be committed as explicit examples.
settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "explore",
    derandomize=False,
    database=DirectoryBasedExampleDatabase(
        str(Path(__file__).resolve().parents[1] / ".hypothesis" / "explore")
    ),
    deadline=None,
    print_blob=True,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink, Phase.explain],
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
