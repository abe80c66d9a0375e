"""The layers of the code: every package in the contract, and the docs quoting it as it is."""

import tomllib

from tests.support.paths import PROJECT_DIR

PYPROJECT = PROJECT_DIR / "pyproject.toml"
ARCHITECTURE = PROJECT_DIR / "docs" / "architecture.md"


def contract_text() -> str:
    """pyproject.toml from `[tool.importlinter]` to its end: the contracts, comments included."""
    text = PYPROJECT.read_text(encoding="utf-8")
    start = text.index("[tool.importlinter]")
    # The comment lines just above the table belong to it.
    lead = text.rfind("\n\n", 0, start) + 2
    return text[lead:].strip()


def layer_members(container: str) -> set[str]:
    contracts = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["importlinter"]
    for contract in contracts["contracts"]:
        if contract["containers"] == [container]:
            return {name.strip() for layer in contract["layers"] for name in layer.split("|")}
    raise AssertionError(f"no contract for {container}")


def test_every_package_of_the_site_is_in_a_layer() -> None:
    package = PROJECT_DIR / "openpositions"
    modules = {
        path.stem if path.is_file() else path.name
        for path in package.iterdir()
        if (path.suffix == ".py" and path.stem != "__init__") or (path / "__init__.py").exists()
    }
    assert modules - layer_members("openpositions") == set(), "add them to pyproject.toml"


def test_every_part_of_the_enquiry_feature_is_in_a_layer() -> None:
    package = PROJECT_DIR / "openpositions" / "enquiries"
    modules = {
        path.stem if path.is_file() else path.name
        for path in package.iterdir()
        if (path.suffix == ".py" and path.stem != "__init__") or (path / "__init__.py").exists()
    }
    assert modules - layer_members("openpositions.enquiries") == set()


def test_the_architecture_page_quotes_the_contracts_as_they_are() -> None:
    assert contract_text() in ARCHITECTURE.read_text(encoding="utf-8"), (
        "docs/architecture.md must quote pyproject.toml's [tool.importlinter] part word for word"
    )
