"""Reading letters from the council's mailbox (IMAP or Microsoft Graph); no chat platform here."""


class MailboxUnavailable(RuntimeError):
    """The mailbox did not answer, refused the login, or dropped the connection."""
