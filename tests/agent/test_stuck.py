"""Stuck detection: repeated identical action+observation, or one error three times."""

from __future__ import annotations

from codewright.agent.stuck import StuckDetector


def test_same_action_and_observation_three_times_in_a_row() -> None:
    d = StuckDetector()
    assert d.observe("read_file", '{"path": "a"}', "x", True) is None
    assert d.observe("read_file", '{ "path":"a" }', "x", True) is None
    assert "3 times in a row" in d.observe("read_file", '{"path": "a"}', "x", True)


def test_a_changed_observation_resets_the_repetition() -> None:
    d = StuckDetector()
    for output in ("x", "x", "y", "x"):
        assert d.observe("run", "{}", output, True) is None


def test_same_error_three_times_even_with_other_steps_between() -> None:
    d = StuckDetector()
    err = "edit did not apply: no match for the search block in a.py"
    assert d.observe("edit", '{"n": 1}', err, False) is None
    assert d.observe("read_file", '{"path": "a.py"}', "content", True) is None
    assert d.observe("edit", '{"n": 2}', err, False) is None
    assert d.observe("read_file", '{"path": "b.py"}', "other", True) is None
    assert "same error" in d.observe("edit", '{"n": 3}', err, False)


def test_durations_in_messages_do_not_hide_a_repeated_error() -> None:
    d = StuckDetector()
    for seconds in ("0.31s", "0.29s"):
        assert d.observe("run_tests", "{}", f"1 failed in {seconds}", False) is None
    assert d.observe("run_tests", "{}", "1 failed in 0.40s", False)


def test_state_survives_a_round_trip() -> None:
    d = StuckDetector()
    d.observe("edit", "{}", "boom", False)
    d.observe("edit", "{}", "boom", False)
    again = StuckDetector.from_dict(d.to_dict())
    assert again.observe("edit", "{}", "boom", False)


def test_a_second_occurrence_is_flagged_before_the_third_stops() -> None:
    d = StuckDetector()
    d.observe("edit", '{"n": 1}', "no match", False)
    assert not d.repeated("no match")
    d.observe("edit", '{"n": 2}', "no match", False)
    assert d.repeated("no match") and not d.repeated("other error")


def test_arguments_nested_past_the_recursion_limit_are_compared_as_written() -> None:
    """json.loads raised RecursionError there, which ended the run with a traceback."""
    deep = "[" * 100_000 + "]" * 100_000
    detector = StuckDetector()
    assert [detector.observe("read_file", deep, "error: nested too deeply", False) for _ in range(3)][-1] is not None
