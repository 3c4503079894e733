"""Compile every locale/*/LC_MESSAGES/*.po into its .mo with Babel (pure Python), so that a
machine without GNU gettext can build the translations."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po_path in sorted((ROOT / "locale").glob("*/LC_MESSAGES/*.po")):
        with po_path.open("rb") as handle:
            catalog = read_po(handle)
        with po_path.with_suffix(".mo").open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)


if __name__ == "__main__":
    main()
