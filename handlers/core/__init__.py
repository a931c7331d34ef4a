"""The use cases apart from any chat platform, called by the Slack and Teams front ends alike.

Each use case (visits, milestones, letters, exports) takes typed inputs and the person asking
(`people.Asker`: an `access.Actor` and a channel-members lookup answering plain sets), checks the
one access policy (`access`), changes storage in one unit of work that re-plans reminders
(`context.CoreContext.change`), appends the audit event, and returns a typed result or a typed
`Refusal` (`results`). Nothing under this package may import a chat client or a front end
(tests/handlers/core checks it).
"""
