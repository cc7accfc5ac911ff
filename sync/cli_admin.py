"""Commands still to come (see the open issues)."""

commands: list = []
