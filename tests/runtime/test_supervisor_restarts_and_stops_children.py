"""The `serve --mode all` supervisor: restart with backoff, and stop leaves no process behind."""

import os
import signal
import sys
import threading
import time

import psutil

from scheduler_project import supervisor
from scheduler_project.supervisor import Child, Supervisor
from tests.support.processes import wait_for


def python_child(name, code):
    return Child(name, [sys.executable, "-c", code], dict(os.environ))


def test_a_crashed_child_is_restarted_with_growing_backoff(monkeypatch):
    monkeypatch.setattr(supervisor, "MIN_BACKOFF", 0.2)
    crasher = python_child("crasher", "import sys; sys.exit(3)")
    sup = Supervisor([crasher], grace_seconds=2, poll_seconds=0.05)
    crasher.start()
    delays = []
    deadline = time.monotonic() + 10
    while crasher.restarts < 3 and time.monotonic() < deadline:
        before = crasher.restart_at
        sup._tend()
        if crasher.restart_at is not None and crasher.restart_at != before:
            delays.append(crasher.restart_at - time.monotonic())
        time.sleep(0.02)
    sup.stop_all()
    assert crasher.restarts >= 3
    assert delays[1] > delays[0] * 1.5  # the delay doubles


def test_stop_terminates_every_group_including_grandchildren():
    # A child that starts a grandchild which ignores SIGTERM: only the group KILL reaches it.
    code = (
        "import subprocess, sys, time;"
        "subprocess.Popen([sys.executable, '-c', "
        "'import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)']);"
        "time.sleep(60)"
    )
    parent = python_child("parent", code)
    sup = Supervisor([parent, python_child("plain", "import time; time.sleep(60)")], grace_seconds=1)
    for child in sup.children:
        child.start()
    wait_for(lambda: psutil.Process(parent.process.pid).children(), 10, "the grandchild")
    family = [psutil.Process(c.process.pid) for c in sup.children]
    family += psutil.Process(parent.process.pid).children(recursive=True)
    sup.stop_all()
    gone, alive = psutil.wait_procs(family, timeout=5)
    assert alive == []


def test_sigterm_to_the_supervisor_stops_it_and_its_children():
    sup = Supervisor([python_child("sleeper", "import time; time.sleep(60)")], grace_seconds=2, poll_seconds=0.05)
    result = {}

    def run():
        result["code"] = sup.run()

    # Signal handlers can only be installed from the main thread: run the loop there,
    # and deliver SIGTERM from a helper thread once the child is up.
    def deliver():
        wait_for(lambda: sup.children[0].process, 10, "the child to start")
        time.sleep(0.2)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=deliver, daemon=True).start()
    run()
    assert result["code"] == 0
    assert sup.children[0].process.poll() is not None
