"""Print the installed prefect distribution's requirements, one per line.

Used by setup_prefect.sh when the package index cannot satisfy prefect's
certifi pin: certifi is left out (it is pinned separately) and requirements
whose environment markers do not apply here (extras, other platforms) are
dropped.
"""

from importlib.metadata import requires

from packaging.requirements import Requirement


def main() -> None:
    for spec in requires("prefect") or []:
        req = Requirement(spec)
        if req.name.lower() == "certifi":
            continue
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        req.marker = None
        print(req)


if __name__ == "__main__":
    main()
