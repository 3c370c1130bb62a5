"""Trusted helper processes: one answer line per request line, and a clear error when one dies."""

import pytest

from execrl.helper import Helper


def test_a_helper_answers_each_request_with_one_line():
    code = "import sys\nfor line in sys.stdin:\n    print(line.strip().upper(), flush=True)\n"
    with Helper(code, "the echo helper") as helper:
        assert [helper.ask(b"one\n"), helper.ask(b"two\n")] == [b"ONE\n", b"TWO\n"]


def test_a_helper_that_dies_is_named_with_its_exit_status():
    helper = Helper("import sys; sys.exit(3)", "the failing helper")
    with pytest.raises(RuntimeError, match=r"the failing helper exited \(status 3\)"):
        helper.ask(b"anything\n")
    helper.close()
