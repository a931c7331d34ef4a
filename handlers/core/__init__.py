"""The use cases apart from any chat platform: Slack's listeners today, a Teams front end later.

Nothing under this package may import a chat client (tests/handlers/core checks it): inputs are
plain values, outputs are decisions and messages.
"""
