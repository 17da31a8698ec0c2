"""State-transition policy: pure rules, no I/O."""

from podium.server.orchestration.policy import (
    RULES,
    RunTimes,
    Transition,
    Verdict,
    account,
    judge,
    may_object,
)

__all__ = ["RULES", "RunTimes", "Transition", "Verdict", "account", "judge", "may_object"]
