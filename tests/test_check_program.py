import time

from execrl.sandbox import run_check_program, run_check_programs


def test_passing_failing_and_crashing_programs():
    assert run_check_program("assert sum([1, 2]) == 3\n", 5).status == "passed"
    failed = run_check_program("assert 1 == 2, 'arithmetic broke'\n", 5)
    assert (failed.status, failed.error) == ("failed", "AssertionError: arithmetic broke")
    assert run_check_program("def f(:\n", 5).error.startswith("SyntaxError")


def test_timeout_is_enforced():
    start = time.monotonic()
    result = run_check_program("while True:\n    pass\n", 0.5)
    assert result.status == "timeout"
    assert time.monotonic() - start < 5


def test_timeout_kills_the_programs_children(tmp_path):
    pid_file = tmp_path / "child.pid"
    program = (
        "import subprocess\n"
        "child = subprocess.Popen(['sleep', '60'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
        "child.wait()\n"
    )
    assert run_check_program(program, 1.0).status == "timeout"
    pid = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.05)
    assert not _alive(pid)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_environment_is_scrubbed(monkeypatch):
    monkeypatch.setenv("EXECRL_TEST_SECRET", "hunter2")
    program = "import os\nassert 'EXECRL_TEST_SECRET' not in os.environ\n"
    assert run_check_program(program, 5).passed


def test_many_programs_keep_their_order():
    programs = [f"assert {i} % 2 == 0\n" for i in range(8)]
    results = run_check_programs(programs, 5, workers=3)
    assert [r.passed for r in results] == [i % 2 == 0 for i in range(8)]
