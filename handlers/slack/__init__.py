"""The Slack front end: listeners that translate payloads into use cases, and results into
Block Kit."""
