"""The notebooks' quick mode (pix2pix_tf.quick): one variable, one place."""

from pix2pix_tf.quick import quick_mode


def test_quick_mode_follows_the_variable_then_pytest():
    assert quick_mode({"PIX2PIX_TF_QUICK": "1"})
    assert not quick_mode({"PIX2PIX_TF_QUICK": "0", "PYTEST_CURRENT_TEST": "x"})
    assert not quick_mode({"PIX2PIX_TF_QUICK": "false"})
    assert quick_mode({"PYTEST_CURRENT_TEST": "tests/x.py::t (call)"})  # nbmake's kernels
    assert not quick_mode({})  # a reader's Jupyter: the full course
