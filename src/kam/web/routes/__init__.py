"""One router per resource: pages, accounts, tools, the JSON API."""
