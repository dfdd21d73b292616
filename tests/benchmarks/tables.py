"""Plain-text tables for the benchmark's reports."""


def print_table(header: tuple[str, ...], lines: list[tuple[str, ...]], left: tuple[int, ...]):
    """Print the lines under the header in aligned columns; `left` lists the columns aligned
    left (text), the others align right (numbers)."""
    lines = [header, *lines]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for n, line in enumerate(lines):
        cells = [
            cell.ljust(width) if i in left else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(line, widths, strict=True))
        ]
        print("  ".join(cells).rstrip())
        if n == 0:
            print("  ".join("-" * width for width in widths))
