"""Slack's front end: listeners and what they post."""
