"""``LazyModule``: a module imported when one of its names is first read."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def _run(code: str) -> str:
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def test_the_module_is_imported_when_a_name_is_first_read() -> None:
    out = _run(
        """
        import sys
        from podium._lazy import LazyModule
        lazy = LazyModule("fractions")
        print("fractions" in sys.modules, repr(lazy))
        half = lazy.Fraction(1, 2)
        print("fractions" in sys.modules, half, repr(lazy))
        """
    )
    assert out.splitlines() == [
        "False <LazyModule 'fractions', not loaded yet>",
        "True 1/2 <LazyModule 'fractions', loaded>",
    ]


def test_a_missing_name_is_an_attribute_error_naming_it() -> None:
    out = _run(
        """
        from podium._lazy import LazyModule
        try:
            LazyModule("fractions").NoSuchName
        except AttributeError as exc:
            print(exc)
        """
    )
    assert "NoSuchName" in out and "fractions" in out


def test_a_module_that_does_not_exist_fails_on_first_use() -> None:
    out = _run(
        """
        from podium._lazy import LazyModule
        lazy = LazyModule("podium.no_such_module")
        try:
            lazy.anything
        except ModuleNotFoundError as exc:
            print(exc)
        """
    )
    assert "podium.no_such_module" in out


def test_a_copy_stands_for_the_same_module() -> None:
    import copy

    from podium._lazy import LazyModule

    lazy = LazyModule("fractions")
    twin = copy.copy(lazy)
    assert twin.Fraction(3, 6) == lazy.Fraction(1, 2)
