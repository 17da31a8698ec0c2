"""Running flows and tasks: the run loops, the task-run reporter, timeouts, identity."""
