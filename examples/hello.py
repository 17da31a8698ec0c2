"""Hello, Podium: a small flow with a few tasks, run on the embedded server.

Run it with ``python examples/hello.py``. With no ``PODIUM_API_URL`` set, the flow run
and its task runs are recorded in ``~/.podium`` (or ``$PODIUM_HOME``); list them with
``podium flow-run ls``.
"""

from __future__ import annotations

from podium import flow, get_run_logger, task


@task(retries=2)
def fetch_greeting(name: str) -> str:
    return f"Hello, {name}!"


@task
def shout(text: str) -> str:
    return text.upper()


@task
def count_letters(text: str) -> int:
    return sum(ch.isalpha() for ch in text)


@flow(log_prints=True)
def hello(names: list[str] = ["world", "podium"]) -> int:  # noqa: B006
    """Greet each name, shout the greetings and count their letters."""
    logger = get_run_logger()
    greetings = fetch_greeting.map(names)
    loud = shout.map(greetings)
    counts = count_letters.map(loud)
    for text in loud.result():
        print(text)
    total = sum(counts.result())
    logger.info("%d greetings, %d letters in all", len(names), total)
    return total


if __name__ == "__main__":
    state = hello(return_state=True)
    run_id = state.state_details.flow_run_id
    print(f"Flow run {run_id} finished {state.name}: {state.result()} letters")
