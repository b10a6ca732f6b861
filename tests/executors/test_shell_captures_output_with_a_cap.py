import time

from workers_app.executors import cap_text, run_shell


def test_small_output_is_kept_whole():
    result = run_shell({"command": "echo out; echo err >&2"}, timeout=5)

    assert (result.status, result.stdout, result.stderr) == ("succeeded", "out\n", "err\n")


def test_output_past_the_cap_is_cut_with_a_marker_on_each_stream():
    # 3 MB on each stream through 64 KiB pipes: the child only finishes if both pipes are
    # drained concurrently and past the cap.
    command = "head -c 3000000 /dev/zero | tr '\\0' a; head -c 2000000 /dev/zero | tr '\\0' b >&2"
    began = time.monotonic()
    result = run_shell({"command": command}, timeout=10, output_cap=1000)

    assert result.status == "succeeded"
    assert result.stdout == "a" * 1000 + "\n[... output truncated: 2999000 more bytes ...]\n"
    assert result.stderr == "b" * 1000 + "\n[... output truncated: 1999000 more bytes ...]\n"
    assert time.monotonic() - began < 8


def test_lines_are_streamed_to_on_output_and_its_failures_do_not_matter():
    seen = []

    def on_output(stream, line):
        seen.append((stream, line))
        raise RuntimeError("the live stream is down")

    result = run_shell(
        {"command": "echo one; echo two; echo oops >&2; printf 'no newline'"}, timeout=5, on_output=on_output
    )

    assert result.status == "succeeded"
    assert result.stdout == "one\ntwo\nno newline"
    assert [line for stream, line in seen if stream == "stdout"] == ["one", "two", "no newline"]
    assert ("stderr", "oops") in seen


def test_on_output_sees_only_the_captured_bytes():
    seen = []
    run_shell({"command": "printf 'abcdef\\nghij\\n'"}, timeout=5, output_cap=8, on_output=lambda s, l: seen.append(l))

    assert seen == ["abcdef", "g"]


def test_cap_text_marks_what_it_drops_and_survives_broken_utf8():
    assert cap_text(b"hello", 10) == "hello"
    assert cap_text(b"hello world", 5) == "hello\n[... output truncated: 6 more bytes ...]\n"
    assert cap_text("é".encode() * 3, 3) == "é\ufffd\n[... output truncated: 3 more bytes ...]\n"
    assert cap_text(b"\xff", 5) == "\ufffd"
