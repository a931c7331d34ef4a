"""What runs without Slack: the Slack Web API stand-in and the terminal shell."""
