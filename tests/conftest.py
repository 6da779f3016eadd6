"""Test-session settings shared by every test module."""

import pytest
import torch


@pytest.fixture(autouse=True, scope="session")
def one_torch_thread():
    """One thread, as in the notebooks: small-tensor ops are faster and reductions repeatable."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
