import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REFERENCE = ROOT.parent / "shared" / "reference"


@pytest.fixture
def reference() -> Path:
    """Upstream facts (schemas, defaults); absent in a user's checkout, so tests skip cleanly."""
    if not REFERENCE.is_dir():
        pytest.skip("../shared/reference is not present in this checkout")
    return REFERENCE
