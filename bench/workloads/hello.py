"""Hello flow, measured as a whole process: one flow calling one task.

The runner times ``python hello.py`` from spawn to exit; nothing is timed here.
"""

from _framework import flow, task


@task
def say_hello(name: str) -> str:
    return f"hello, {name}"


@flow
def hello(name: str = "world") -> str:
    return say_hello(name)


if __name__ == "__main__":
    print(hello())
