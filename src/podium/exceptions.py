"""Exceptions a user may catch. Names follow Prefect 3's ``prefect.exceptions``."""

from __future__ import annotations

from typing import Any


class PodiumException(Exception):
    """Base of every exception Podium raises on purpose."""


# --- client / API -------------------------------------------------------------


class PodiumHTTPStatusError(PodiumException):
    """The server answered with an error status; ``detail`` is its message."""

    def __init__(self, status_code: int, detail: str, body: Any = None) -> None:
        self.status_code = status_code
        self.detail = detail
        self.body = body
        super().__init__(f"{status_code}: {detail}")


class ObjectNotFound(PodiumHTTPStatusError):
    """404: the id or name does not exist."""


class ObjectAlreadyExists(PodiumHTTPStatusError):
    """409: the object conflicts with one that exists."""


class InvalidRequest(PodiumHTTPStatusError):
    """422 or 400: the request body or parameters are invalid."""


class Unauthorized(PodiumHTTPStatusError):
    """401: the server requires credentials (``PODIUM_API_AUTH_STRING``)."""


class ServerUnavailable(PodiumException):
    """The server could not be reached after the configured retries."""


# --- runs, results and parameters -----------------------------------------------


class CrashedRun(PodiumException):
    """The result of a crashed run was asked for and no exception was attached."""


class FailedRun(PodiumException):
    """The result of a failed run was asked for and no exception was attached."""


class CancelledRun(PodiumException):
    """The result of a cancelled run was asked for and no exception was attached."""


class PausedRun(PodiumException):
    """The result of a paused run was asked for; ``state`` is the paused state."""

    def __init__(self, *args: Any, state: Any = None) -> None:
        super().__init__(*args)
        self.state = state


class UnfinishedRun(PodiumException):
    """The result of a run that is not final (scheduled, pending, running) was asked for."""


class MissingResult(PodiumException):
    """A state's result is not available: not persisted, expired, or deleted."""


class MissingContextError(PodiumException, RuntimeError):
    """Something that needs a flow or task run context was called outside of one."""


class UpstreamTaskError(PodiumException):
    """A task depends on an upstream task whose run did not complete."""


class SerializationError(PodiumException):
    """A value could not be serialized or deserialized."""


class HashError(PodiumException):
    """Objects could not be hashed into a stable key."""


class ParameterTypeError(PodiumException):
    """A parameter failed type validation."""

    @classmethod
    def from_validation_error(cls, exc: Exception) -> ParameterTypeError:
        """Build the error from a pydantic ``ValidationError``, one line per problem."""
        errors = getattr(exc, "errors", None)
        if callable(errors):
            lines = [
                f"{'.'.join(str(p) for p in err.get('loc', ()))}: {err.get('msg')}"
                for err in errors()
            ]
            return cls("Flow run received invalid parameters:\n - " + "\n - ".join(lines))
        return cls(f"Flow run received invalid parameters: {exc}")


class ParameterBindError(TypeError, PodiumException):
    """Call arguments could not be bound to the function's parameters."""

    @classmethod
    def from_bind_failure(
        cls,
        fn: Any,
        exc: TypeError,
        call_args: tuple[Any, ...],
        call_kwargs: dict[str, Any],
    ) -> ParameterBindError:
        """Build the error from the ``TypeError`` that ``inspect.Signature.bind`` raised."""
        name = getattr(fn, "__name__", repr(fn))
        return cls(
            f"Error binding parameters for function {name!r}: {exc}.\n"
            f"Provided args: {call_args!r}; provided kwargs: {sorted(call_kwargs)!r}."
        )


class SignatureMismatchError(PodiumException, TypeError):
    """Parameters passed to a function do not match its signature."""

    @classmethod
    def from_bad_params(
        cls, expected_params: list[str], provided_params: list[str]
    ) -> SignatureMismatchError:
        """Build the error naming the expected and the provided parameter names."""
        return cls(
            f"Function expects parameters {expected_params} but was provided with "
            f"parameters {provided_params}"
        )


class PodiumSignal(BaseException):
    """Base of signal-like exceptions that user code should never catch."""


class Abort(PodiumSignal):
    """The API told the run to stop at once (an ABORT verdict on a state proposal)."""


class Pause(PodiumSignal):
    """The flow run was paused and must exit to be resumed later."""

    def __init__(self, *args: Any, state: Any = None) -> None:
        super().__init__(*args)
        self.state = state


class ExternalSignal(BaseException):
    """Base of signals that come from outside the process."""


class TerminationSignal(ExternalSignal):
    """The process running a flow received a termination signal (``signal`` is its number)."""

    def __init__(self, signal: int) -> None:
        super().__init__(f"Received termination signal {signal}")
        self.signal = signal
