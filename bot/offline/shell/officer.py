"""Who the officer is in the shell, and where they type."""

SHELL_USER = "U0SHELLUSER"
SHELL_USER_NAME = "You"
SHELL_CHANNEL = "C01VISITS"
BOT_NAME = "ofsted-bot"
