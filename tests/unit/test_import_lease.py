"""Who may take over an import another process was applying: only from a process known to be dead."""
from screener.import_apply import dead_here


def test_a_lease_of_a_process_that_no_longer_runs_here_is_dead():
    assert dead_here("web1:4242", "web1", running=False)


def test_a_lease_of_a_running_process_is_kept():
    assert not dead_here("web1:4242", "web1", running=True)


def test_a_lease_held_on_another_host_is_kept_until_it_runs_out():
    assert not dead_here("web2:4242", "web1", running=False)
