"""Every URL pattern of the project, found by walking the root resolver.

The security suites take their URLs from here rather than from a list, so that a page added
tomorrow is attacked tomorrow.
"""

import re
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern

# A captured argument in a route ("<str:pk>", "<id>") or in a regular expression ("(?P<url>.*)").
_ROUTE_ARGUMENT = re.compile(r"<(?:\w+:)?(\w+)>")
_REGEX_ARGUMENT = re.compile(r"\(\?P<(\w+)>(?:[^()]|\([^()]*\))*\)")


@dataclass(frozen=True)
class Route:
    """One URL pattern: its name ("security_info:delete", or its namespace and pattern when it
    has none) and its parts, outermost first."""

    name: str
    parts: tuple[str, ...]  # each part's pattern as written: a route or a regular expression
    regex_parts: tuple[bool, ...]  # which parts are regular expressions
    arguments: tuple[str, ...]

    @property
    def pattern(self) -> str:
        return "".join(self.parts)

    @property
    def namespace(self) -> str:
        return self.name.partition(":")[0] if ":" in self.name else ""

    def url(self, **values: object) -> str:
        """Return the URL with each argument filled; it must resolve back to this pattern."""
        missing = set(self.arguments) - set(values)
        if missing:
            raise KeyError(f"{self.pattern}: no value for {', '.join(sorted(missing))}")
        text = ""
        for part, is_regex in zip(self.parts, self.regex_parts, strict=True):
            if is_regex:
                part = _REGEX_ARGUMENT.sub(lambda m: str(values[m[1]]), part)
                part = part.removeprefix("^").removesuffix("$")
            else:
                part = _ROUTE_ARGUMENT.sub(lambda m: str(values[m[1]]), part)
            text += part
        url = "/" + text
        match = resolve(url)
        if match.route != self._resolved_route:
            raise AssertionError(f"{url} resolves to {match.route!r}, not {self.pattern!r}")
        return url

    @property
    def _resolved_route(self) -> str:
        # As ResolverMatch.route writes it: regular expressions lose their leading "^".
        return "".join(
            part.removeprefix("^") if is_regex else part
            for part, is_regex in zip(self.parts, self.regex_parts, strict=True)
        )

    def __str__(self) -> str:
        return self.pattern


def all_routes() -> list[Route]:
    """Return every URL pattern of the project, the admin's and allauth's included."""
    return list(_walk(get_resolver(), (), (), ()))


def _walk(resolver: URLResolver, parts, regex_parts, namespaces):
    for entry in resolver.url_patterns:
        pattern = entry.pattern
        here = (*parts, str(pattern))
        regex_here = (*regex_parts, isinstance(pattern, RegexPattern))
        if isinstance(entry, URLResolver):
            inner = (*namespaces, entry.namespace) if entry.namespace else namespaces
            yield from _walk(entry, here, regex_here, inner)
        elif isinstance(entry, URLPattern):
            arguments = tuple(
                name
                for part, is_regex in zip(here, regex_here, strict=True)
                for name in (_REGEX_ARGUMENT if is_regex else _ROUTE_ARGUMENT).findall(part)
            )
            name = ":".join((*namespaces, entry.name or "".join(here)))
            yield Route(name, here, regex_here, arguments)
