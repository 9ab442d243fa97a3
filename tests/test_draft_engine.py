"""The drafting engine on real text: what it drafts, how it quotes, dates and reads stance."""

from __future__ import annotations

from datetime import date

import pytest
import yaml
from conftest import FORECASTS, ROOT
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.draft import Candidate, draft_article
from ledger.draft.article import Article, read_article
from ledger.draft.extract import MAX_QUOTE_WORDS
from ledger.draft.stance import stated_probability
from ledger.format import models

SEED = ROOT.parent / "shared" / "seed" / "article.txt"
PUB = date(2026, 5, 21)


def drafted(text: str, published: date = PUB) -> list[Candidate]:
    return draft_article(text, published=published).candidates


def one(text: str, published: date = PUB) -> Candidate:
    found = drafted(text, published)
    assert len(found) == 1, [c.quote for c in found]
    return found[0]


def test_header_lines_before_a_blank_line_are_the_source():
    text = ("title: What to Expect in 2027\nurl: https://example.org/a\npublished: 2026-05-21\n"
            "author/outlet: A. Writer, Example Outlet\n\nThe lab will ship a model.\n")
    d = draft_article(text)
    assert d.title == "What to Expect in 2027"
    assert d.published == PUB and d.published_from == "the header"
    assert (d.author, d.publisher, d.url) == ("A. Writer", "Example Outlet",
                                              "https://example.org/a")
    assert d.article.text[d.article.body_start:].startswith("The lab will ship")


def test_text_without_a_header_has_no_metadata():
    article = read_article("The lab will ship a model.\nIt will be big.\n")
    assert article.meta == {} and article.body_start == 0


def test_every_quote_is_verbatim_and_at_its_offsets():
    text = ("title: t\npublished: 2026-05-21\n\n## Outlook\n\n"
            "- Revenue is expected to be $45.0 billion, plus or minus 2%.\n"
            "The agency expects nearly 10 times as many electric cars by the end of the decade, "
            "and for renewables to account for almost half of the mix.\n")
    d = draft_article(text)
    assert len(d.candidates) == 3
    for c in d.candidates:
        assert c.quote in text
        assert text[c.start:c.end] == c.quote


def test_a_long_claim_is_quoted_in_at_most_forty_words_cut_at_a_clause():
    assert MAX_QUOTE_WORDS == models.MAX_QUOTE_WORDS
    long = ("The company will open new offices in Lisbon, Madrid, Paris, Berlin, Vienna, Prague, "
            "Warsaw, Riga, Tallinn, Vilnius, Helsinki, Oslo, Stockholm, Copenhagen, Dublin, "
            "Edinburgh, Cardiff, Belfast, Amsterdam, Brussels, Luxembourg, Zurich, Geneva, Milan, "
            "Rome, Naples, Turin, Lyon, Porto, Seville, Athens and Sofia by 2028.")
    c = one(long)
    assert len(c.quote.split()) <= MAX_QUOTE_WORDS
    assert long.startswith(c.quote)
    assert long[len(c.quote):].startswith(", ")  # cut at a comma, not inside a name
    models.check_quote(c.quote)


@pytest.mark.parametrize(("text", "value", "written"), [
    ("The bank puts the probability of a recession over the next year at 55%.", 0.55, "55%"),
    ("I give it two in three odds that the bill passes by 2027.", 2 / 3, "two in three"),
    ("Whether the merger closes this year is 50/50.", 0.5, "50/50"),
    ("Their championship odds are 8 to 1 this year.", 1 / 9, "8 to 1"),
    ("There is a 1 in 5 chance the launch slips to next year.", 0.2, "1 in 5"),
])
def test_stated_probability_becomes_the_forecast(text, value, written):
    c = one(text)
    assert c.stance.kind == "stated"
    assert c.stance.probability == pytest.approx(value)
    assert c.stance.probability_text == written
    assert c.direction == ("yes" if value > 0.5 else "no" if value < 0.5 else "unclear")


def test_likely_is_not_a_number():
    c = one("The regulator will likely approve the merger this year.")
    assert c.stance.kind == "firm" and c.stance.probability is None
    assert stated_probability("it is likely in the ~30% range") is None


@pytest.mark.parametrize(("text", "kind", "direction"), [
    ("The lab will release a new model next quarter.", "firm", "yes"),
    ("I expect more countries to pass AI laws this year.", "firm", "yes"),
    ("Rates could rise sharply in the near term.", "hedged", "unclear"),
    ("Prices may double within 12 months.", "hedged", "unclear"),
    ("The company aims to reach profitability by 2027.", "aim", "unclear"),
    ("If inflation persists, the Fed will raise rates again this year.", "conditional",
     "unclear"),
    ("The approach will eventually produce published research, or don't.", "paired", "unclear"),
    ("I don't expect there to be riots in the capital this year.", "firm", "no"),
    ("A rate cut this year is out of the question.", "firm", "no"),
])
def test_stance_is_read_from_cues_and_hedges(text, kind, direction):
    c = one(text)
    assert (c.stance.kind, c.direction) == (kind, direction)
    assert kind in c.tags


@pytest.mark.parametrize("text", [
    "The company reported revenue of $44.1 billion for the quarter ended April 27, 2025.",
    "Responsible AI will not just be a choice in developing new models, but a must.",
    "As a personal note, this year I will be testing AI in my daily work.",
    "I hope we will be responsible enough to address them.",
    "NVIDIA will host a conference call today to discuss its results.",
    "What are your predictions for the election?",
    "In 30 days, this model would predict almost 200 million infections.",
])
def test_past_facts_opinions_plans_and_boilerplate_are_not_drafted(text):
    assert drafted(text, date(2025, 5, 28)) == []


def test_the_same_claim_stated_twice_is_drafted_once():
    text = ("Going shopping now may be 1000x safer than going shopping in 3 weeks.\n\n"
            "Going shopping now may be literally 1000 times safer than going in 3 weeks.\n")
    found = drafted(text, date(2021, 12, 22))
    assert len(found) == 1
    assert any("stated again later" in r for r in found[0].reasons)


def test_a_sentence_with_two_events_is_two_claims():
    found = drafted("Rishi Sunak will resign on Friday, having lost his seat.\n",
                    date(2024, 6, 30))
    assert [c.quote for c in found] == ["Rishi Sunak will resign on Friday",
                                          "having lost his seat."]
    assert found[0].resolve_by == date(2024, 7, 5)


def test_dated_figures_in_a_list_are_one_claim_each():
    found = drafted("Economists now expect growth of 1.75% in the third quarter of 2022, at "
                    "0.75% in the fourth quarter of 2022 and 1% in the first quarter of 2023.",
                    date(2022, 6, 21))
    assert [c.resolve_by for c in found] == [date(2022, 9, 30), date(2022, 12, 31),
                                             date(2023, 3, 31)]


def test_undated_claims_take_the_article_window_from_the_title():
    d = draft_article("title: My predictions for 2025\npublished: 2025-01-03\n\n"
                      "Many countries will pass AI laws.\n")
    c = d.candidates[0]
    assert c.resolve_by == date(2025, 12, 31)
    assert c.horizon_source == "article"
    assert "the article's window from the title" in c.resolve_by_rule


def test_list_items_take_the_horizon_of_their_lead_in():
    text = ("Our outlook for the second quarter of 2026 is as follows:\n\n"
            "- Revenue is expected to be $45.0 billion, plus or minus 2%.\n")
    c = one(text, date(2026, 4, 2))
    assert c.resolve_by == date(2026, 6, 30) and c.horizon_source == "list lead-in"


def test_a_claim_with_no_horizon_gets_the_documented_default_and_says_so():
    c = one("The startup will be acquired.")
    assert c.resolve_by == date(2027, 5, 21)
    assert c.horizon_source == "default"
    assert "default of 12 months" in c.resolve_by_rule


def test_a_different_extractor_plugs_in_behind_the_protocol():
    class FirstSentence:
        def extract(self, article: Article, published: date) -> list[Candidate]:
            from ledger.draft.stance import Stance

            s = article.sentences[0]
            return [Candidate(s.text, s.start, s.end, s.text, Stance("firm", "yes", "will"),
                              None, "default", published, "test rule", 0.5)]

    d = draft_article("Anything at all.", published=PUB, extractor=FirstSentence())
    assert [c.quote for c in d.candidates] == ["Anything at all."]


def _normal(text: str) -> str:
    # The forecasts file writes straight apostrophes where the article has curly ones.
    return text.replace("’", "'").replace("“", '"').replace("”", '"')


@pytest.mark.skipif(not SEED.exists(), reason="../shared/seed/article.txt is not here")
def test_seed_article_drafts_every_claim_of_todays_forecasts_file_with_its_date():
    d = draft_article(SEED.read_text(encoding="utf-8"), published=PUB)
    body = _normal(d.article.text)
    (path,) = FORECASTS.glob("2026-05-21-*.yaml")
    questions = yaml.safe_load(path.read_text(encoding="utf-8"))["questions"]
    assert len(questions) == 7
    for q in questions:
        at = body.find(_normal(q["quote"]))
        assert at >= 0, q["id"]
        end = at + len(q["quote"])
        found = [c for c in d.candidates
                 if min(end, c.end) - max(at, c.start) >= min(end - at, c.end - c.start) / 2]
        assert found, f"{q['id']}: no drafted claim quotes {q['quote']!r}"
        assert q["resolve_by"] in {c.resolve_by for c in found}, q["id"]
    for c in d.candidates:
        assert c.quote in d.article.text


def test_an_opening_paragraph_gives_the_article_window():
    text = ("published: 2025-01-03\n\nHere are my predictions for 2025, a year of change.\n\n"
            "- The central bank will cut rates twice.\n- Unemployment will stay under 5%.\n")
    d = draft_article(text)
    assert [c.quote for c in d.candidates] == ["The central bank will cut rates twice.",
                                               "Unemployment will stay under 5%."]
    assert {c.resolve_by for c in d.candidates} == {date(2025, 12, 31)}
    assert all("opening paragraphs" in c.resolve_by_rule for c in d.candidates)


def test_a_probability_in_the_next_sentence_is_the_claims_forecast():
    c = one("OpenAI will release a new model before the end of June. I'd put it at 70%.")
    assert (c.stance.kind, c.stance.probability, c.stance.probability_text) == (
        "stated", 0.7, "70%")
    assert c.resolve_by == date(2026, 6, 30)
    assert "in the next sentence" in c.reasons[0]


def test_either_or_doesnt_is_paired_with_no_side():
    c = one("The stock either doubles this year or doesn't.")
    assert (c.stance.kind, c.direction) == ("paired", "unclear")


def test_a_habit_of_the_author_is_not_a_forecast():
    assert drafted("Every December I write down what I think the next year will bring.") == []


def test_a_conditional_question_keeps_its_condition_first():
    from ledger.draft.phrase import question_text

    c = one("If the Democrats win the House in November, hearings will start by spring 2027.")
    assert question_text(c) == ("If the Democrats win the House in November, will hearings "
                                "start by 2027-05-31?")


def test_a_header_date_that_does_not_parse_falls_back_to_today_and_says_so():
    d = draft_article("published: soon\n\nThe lab will ship a model.\n", today=date(2026, 1, 2))
    assert d.published == date(2026, 1, 2)
    assert d.published_from == "today: the header's published: 'soon' is not a date"


@pytest.mark.parametrize("front", [
    '---\ntitle: "My post"\ndate: 2025-03-04T10:00:00Z\nauthors: ["Ann"]\n---\n\n',
    '+++\ntitle = "My post"\ndate = 2025-03-04\nauthor = "Ann"\n+++\n',
])
def test_markdown_front_matter_is_read_as_the_source(front):
    d = draft_article(front + "The lab will ship a model next quarter.\n")
    assert (d.title, d.published, d.author) == ("My post", date(2025, 3, 4), "Ann")
    assert [c.resolve_by for c in d.candidates] == [date(2025, 6, 30)]


@pytest.mark.parametrize("text", [
    "It's time to assess all the teams bound for the playoffs.",
    "Given most of the roster will be playing its first final, it's bad enough to lose a coach.",
])
def test_a_cue_that_does_not_carry_the_claim_is_not_drafted(text):
    assert drafted(text) == []


WORDS = ["The", "lab", "will", "may", "ship", "by", "2027", "next", "quarter", "If", "odds",
         "8 to 1", "110%", "a 30% chance", "**", "[link](https://example.org/2023/10/06)", ",",
         ".", "?", ":", "\n\n", "\n- ", "## ", "May", "Friday", "eventually", "I", "expect",
         "or doesn't", "’", "\"", "published: 2026-05-21\n\n", "2026-05-21", "—"]


@given(st.lists(st.sampled_from(WORDS), max_size=60).map(" ".join))
@settings(max_examples=150, deadline=None)
def test_any_text_drafts_a_file_that_validates_with_quotes_verbatim(text):
    d = draft_article(text, published=PUB)
    for c in d.candidates:
        assert c.quote in d.article.text and d.article.text[c.start:c.end] == c.quote
    from ledger.draft.phrase import propose
    from ledger.draft.write import render

    for p in propose(d.candidates, d.published, d.article.text):
        assert p.resolve_by.isoformat() in p.question  # the date is in the question
    drafted_yaml = render(d)
    uncommented = "\n".join(line.replace("    # ", "    ", 1) if line.startswith("    # ")
                            else line for line in drafted_yaml.splitlines())
    for doc in (drafted_yaml, uncommented):
        models.ForecastFile.model_validate(yaml.safe_load(doc))


def test_a_percentage_above_100_is_not_a_probability():
    assert stated_probability("They give it a 110% chance of working.") is None


@pytest.mark.parametrize(("text", "question", "direction"), [
    ("I don't expect there to be riots this year.", "Will there be riots by 2026-12-31?", "no"),
    ("Whether it's ordered or not, most shops will close next month.",
     "Will most shops close by 2026-06-30?", "yes"),
    ("We increasingly fear that the Fed will raise rates again by 2027.",
     "Will the Fed raise rates again by 2027-12-31?", "yes"),
])
def test_the_question_asks_the_event_the_author_commits_on(text, question, direction):
    from ledger.draft.phrase import question_text

    c = one(text)
    assert (question_text(c, text), c.direction) == (question, direction)


def test_the_noun_will_is_not_a_forecast_cue():
    assert drafted("There is the political will to act, and the will to win.") == []


@pytest.mark.parametrize(("text", "question"), [
    ("The company said it would open a plant in Ohio in 2027.",
     "Will it open a plant in Ohio by 2027-12-31?"),
    ("The oil price should peak next year.", "Will the oil price peak by 2027-12-31?"),
])
def test_reported_would_and_predictive_should_are_forecasts(text, question):
    from ledger.draft.phrase import question_text

    c = one(text, date(2026, 3, 10))
    assert (c.stance.kind, c.direction) == ("firm", "yes")
    assert question_text(c, text) == question


def test_should_with_an_agents_action_is_advice_not_a_forecast():
    assert drafted("Governments should regulate AI before it is too late.") == []
