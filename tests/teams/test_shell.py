"""`ofsted-bot shell --teams`: the tour against the Bot Connector stand-in, cards as text, a
form asked for field by field, and a reminder on the bot's clock."""

from __future__ import annotations

import io
from pathlib import Path

from bot.offline.shell import run_shell
from bot.offline.shell.teams import render_card
from handlers.teams import cards


def test_the_teams_shell_tours_a_letter_into_a_visit_and_takes_a_form(tmp_path: Path) -> None:
    out = io.StringIO()
    lines = [
        "new",
        "press 28",  # Create visit on the new-visit form: its fields follow
        "Fernleigh",
        "1",  # Focused visit, by its number
        "",
        "",
        "",
        "2026-05-12",
        *[""] * 5,  # the other dates
        "1",  # the first person offered as approver
        "later 5",
        "quit",
    ]

    status = run_shell(
        teams=True,
        demo=True,
        input_lines=lines,
        out=out,
        database_url=f"sqlite:///{tmp_path / 'shell.db'}",
        environ={"MICROSOFT_APP_ID": "not-used-here"},
    )

    shown = out.getvalue()
    assert status == 0
    assert "Teams settings in the environment (MICROSOFT_APP_ID) are ignored." in shown
    assert "You created visit `saxonford-2604` from this letter" in shown
    assert "Open visits (1)" in shown
    assert "You created visit `fernleigh`" in shown
    assert "[1] Create visit" in shown and "[2] Edit dates" in shown
    # Reminders, later, in the words of the milestone's nature: a window closes once, by itself.
    assert "**Closed**: **Complaint window closes** · Saxonford" in shown
    assert "The window closed: no decision was recorded, so no complaint was made." in shown
    assert "**Decision needed**: **Complaint window closes** · Fernleigh" in shown
    assert "**Coming up**: **Embargo lifts (publication)** · Saxonford" in shown


def test_a_card_is_text_with_its_buttons_numbered_where_they_stand() -> None:
    milestone_card = cards.card(
        [cards.heading("Saxonford")],
        actions=[
            cards.execute("Acknowledge", verb=cards.ACKNOWLEDGE, data={"milestoneId": 7}),
            cards.show_card(
                "Mark done",
                body=[{"type": "Input.Text", "id": "note", "label": "Note (optional)"}],
                actions=[cards.execute("Mark done", verb=cards.MARK_DONE, data={})],
            ),
        ],
    )

    lines, buttons = render_card(milestone_card, first_number=3)

    assert lines == ["Saxonford", "  [3] Acknowledge", "  [4] Mark done"]
    assert [(b.verb, [i["id"] for i in b.inputs]) for b in buttons] == [
        ("acknowledge", []),
        ("markDone", ["note"]),
    ]
