import os
import pathlib

import pytest

DATA = pathlib.Path(__file__).resolve().parents[3] / "tests" / "data"


@pytest.fixture
def data() -> pathlib.Path:
    return DATA
